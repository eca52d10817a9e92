#!/usr/bin/env bash
# Assembles a CUDA toolkit (nvcc, headers, cudart, cuBLAS) from NVIDIA's PyPI
# wheels into one folder laid out like /usr/local/cuda, for machines with no
# system nvcc (Debian carries no CUDA toolkit in main). CMake's CUDA support and
# nvcc's own nvcc.profile both expect bin/, include/, lib64/ and nvvm/ under one root.
#
# Usage: toolkit.sh [DEST]   (default build/cuda-toolkit; prints DEST/bin/nvcc)
# Re-running is a no-op once DEST/.done exists. Downloads about 600 MB (cuBLAS is most of it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="${1:-$root/build/cuda-toolkit}"
py="${PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || py=python3

# One CUDA release for all parts: nvcc, headers and libraries must agree. CUDA 13.0
# is what the lent H200 machines carry (nvcc 13.0, driver 580), builds every
# architecture we target (sm_80 .. sm_120) and accepts Debian 12's gcc 12.
# The -cu12 nvcc wheel has no nvcc driver (only ptxas): 12.x cannot be assembled.
# CUDA 13 wheels all unpack under nvidia/cu13/{bin,include,lib,nvvm}: a toolkit tree.
wheels=(
  "nvidia-cuda-nvcc==13.0.88"
  "nvidia-nvvm==13.0.88"
  "nvidia-cuda-crt==13.0.88"
  "nvidia-cuda-runtime==13.0.96"
  "nvidia-cuda-cccl==13.0.85"
  "nvidia-cublas==13.0.2.14"
)

if [ -f "$dest/.done" ]; then
  echo "$dest/bin/nvcc"
  exit 0
fi
command -v unzip >/dev/null || { echo "toolkit: unzip is missing (apt-get install unzip)" >&2; exit 1; }
rm -rf "$dest"
mkdir -p "$dest/wheels" "$dest/bin" "$dest/include" "$dest/lib64/stubs"
echo "toolkit: downloading ${wheels[*]}" >&2
"$py" -m pip download -q --no-deps --only-binary=:all: \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_27_x86_64 \
  -d "$dest/wheels" "${wheels[@]}" >&2

unpacked="$dest/unpacked"
mkdir -p "$unpacked"
for w in "$dest"/wheels/*.whl; do unzip -q -o "$w" -d "$unpacked"; done
tree="$unpacked/nvidia/cu13"
[ -x "$tree/bin/nvcc" ] || { echo "toolkit: no nvidia/cu13/bin/nvcc in the wheels" >&2; exit 1; }
cp -a "$tree/bin/." "$dest/bin/"
cp -a "$tree/include/." "$dest/include/"
cp -a "$tree/nvvm" "$dest/nvvm"
cp -a "$tree/lib/." "$dest/lib64/"
# The wheels ship only versioned library names; the linker wants the plain ones.
(
  cd "$dest/lib64"
  for f in lib*.so.*; do
    [ -e "$f" ] || continue
    base="${f%%.so.*}.so"
    [ -e "$base" ] || ln -s "$f" "$base"
  done
)
rm -rf "$unpacked" "$dest/wheels"

# No wheel carries libcuda.so (the driver). A stub with no symbols lets CMake's
# FindCUDAToolkit define CUDA::cuda_driver; build.sh builds without VMM here
# (GGML_CUDA_NO_VMM) so nothing ever links against the stub's missing symbols.
echo 'void cuda_stub_unused(void) {}' > "$dest/lib64/stubs/stub.c"
cc -shared -o "$dest/lib64/stubs/libcuda.so" "$dest/lib64/stubs/stub.c"
touch "$dest/lib64/stubs/NO_DRIVER_SYMBOLS"

"$dest/bin/nvcc" --version >&2 || { echo "toolkit: the assembled nvcc does not run" >&2; exit 1; }
touch "$dest/.done"
echo "$dest/bin/nvcc"
