#!/usr/bin/env bash
# Builds ggml's CUDA backend for bin/harness: lib/ollama/libggml-cuda.so (plus the
# libggml-base.so it links), from the pinned ollama module's ggml sources with CMake
# and nvcc. bin/harness loads it at start from <exe dir>/../lib/ollama (or
# $OLLAMA_LIBRARY_PATH, a path that must contain "lib/ollama"); `--gpu-layers all`
# then offloads the model. The CPU build (make build) is untouched.
#
# Usage: build.sh [build|configure|probe [FILE.cu]]
#   build      configure, compile, install into lib/ollama (default)
#   configure  run the CMake configure step only
#   probe      configure for the first architecture and compile ONE .cu file
#              (default: ggml-cuda/argmax.cu): proves nvcc, headers and flags
#              without the full build (hours on 2 cores, minutes on 16)
# Environment:
#   CUDA_ARCHS   architectures, ';' ',' or ' ' separated (default 80;86;89;90;120)
#   JOBS         parallel compile jobs (default: all cores)
#   NVCC         nvcc to use; else nvcc on PATH, /usr/local/cuda/bin/nvcc, build/cuda-toolkit
#   CUDA_TOOLKIT=pypi  with no nvcc found, assemble one from NVIDIA's PyPI wheels (toolkit.sh)
#   GGML_DIR     ggml source folder (default: the ollama module's ml/backend/ggml/ggml via go)
#   BUILD_DIR    CMake build folder (default build/cuda)
#   DEST         install folder (default lib/ollama; its path must contain lib/ollama)
#   BUNDLE_CUDA_LIBS=1  also copy libcudart/libcublas/libcublasLt into DEST, for
#                machines with a driver but no CUDA toolkit (adds about 700 MB)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mode="${1:-build}"
die() { echo "cuda: $*" >&2; exit 1; }

case "$mode" in build|configure|probe) ;; *) die "unknown mode '$mode' (want build, configure or probe)";; esac
command -v cmake >/dev/null || die "cmake is missing (apt-get install cmake, or pip install cmake)"

# --- nvcc -------------------------------------------------------------------
find_nvcc() {
  if [ -n "${NVCC:-}" ]; then
    [ -x "$NVCC" ] || die "NVCC=$NVCC is not an executable"
    echo "$NVCC"; return
  fi
  local c
  for c in "$(command -v nvcc || true)" /usr/local/cuda/bin/nvcc "$root/build/cuda-toolkit/bin/nvcc"; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return; fi
  done
  if [ "${CUDA_TOOLKIT:-}" = pypi ]; then
    "$here/toolkit.sh" "$root/build/cuda-toolkit" | tail -1; return
  fi
  die "nvcc not found (not on PATH, not in /usr/local/cuda/bin, NVCC unset).
  Install the CUDA toolkit, set NVCC=/path/to/nvcc, or run with CUDA_TOOLKIT=pypi to
  assemble CUDA 13.0 from NVIDIA's PyPI wheels into build/cuda-toolkit (about 600 MB)."
}
nvcc="$(find_nvcc)"
toolkit="$(cd "$(dirname "$nvcc")/.." && pwd)"
nvcc_version="$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
[ -n "$nvcc_version" ] || die "$nvcc does not run or prints no version"

# --- architectures ---------------------------------------------------------------
archs="$(echo "${CUDA_ARCHS:-80;86;89;90;120}" | tr ', ' ';;' | tr -s ';' | sed 's/^;//; s/;$//')"
[ -n "$archs" ] || die "CUDA_ARCHS is empty"
if [ "$mode" = probe ]; then archs="${archs%%;*}"; fi
supported="$("$nvcc" --list-gpu-arch 2>/dev/null | sed -n 's/^compute_//p' | tr '\n' ' ')"
IFS=';' read -ra want <<<"$archs"
for a in "${want[@]}"; do
  num="${a%%-*}"; num="${num%a}"
  [[ "$num" =~ ^[0-9]+$ ]] || die "CUDA_ARCHS: '$a' is not an architecture number (like 90 or 90-real)"
  if [ -n "$supported" ] && [[ " $supported " != *" $num "* ]]; then
    die "nvcc $nvcc_version cannot build sm_$num (it supports: $supported); set CUDA_ARCHS"
  fi
done

# --- sources ----------------------------------------------------------------------
if [ -z "${GGML_DIR:-}" ]; then
  command -v go >/dev/null || die "go is missing and GGML_DIR is unset: cannot find the ollama module's ggml sources"
  mod="$(cd "$root" && go list -m -f '{{.Dir}}' github.com/ollama/ollama 2>/dev/null || true)"
  [ -n "$mod" ] && [ -d "$mod" ] || die "the ollama module is not in the Go module cache: run 'go mod download github.com/ollama/ollama' (or make build) first"
  GGML_DIR="$mod/ml/backend/ggml/ggml"
fi
[ -f "$GGML_DIR/src/ggml-cuda/CMakeLists.txt" ] || die "GGML_DIR=$GGML_DIR holds no src/ggml-cuda/CMakeLists.txt"

build="${BUILD_DIR:-$root/build/cuda}"
dest="${DEST:-$root/lib/ollama}"
[[ "$dest" == *lib/ollama* ]] || die "DEST=$dest: the binding only loads backends from a path containing lib/ollama"
jobs="${JOBS:-$(nproc)}"

# A toolkit assembled from wheels has no real libcuda.so to link: build without
# CUDA VMM there (ggml then uses its legacy memory pool). A real toolkit keeps VMM.
vmm=()
if [ -f "$toolkit/lib64/stubs/NO_DRIVER_SYMBOLS" ]; then vmm=(-DGGML_CUDA_NO_VMM=ON); fi

generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi

# The generator, compiler and architectures are fixed at the first configure; a
# change means a fresh folder (CMake refuses to switch generator in place).
stamp="nvcc=$nvcc archs=$archs vmm=${vmm[*]:-} gen=${generator[*]:-make} src=$GGML_DIR"
if [ -f "$build/.stamp" ] && [ "$(cat "$build/.stamp")" != "$stamp" ]; then rm -rf "$build"; fi
mkdir -p "$build"

echo "cuda: nvcc $nvcc_version ($nvcc), archs $archs, jobs $jobs, sources $GGML_DIR" >&2
CUDACXX="$nvcc" cmake -S "$here" -B "$build" "${generator[@]}" \
  -DGGML_SRC="$GGML_DIR/src" \
  -DCMAKE_CUDA_COMPILER="$nvcc" \
  -DCUDAToolkit_ROOT="$toolkit" \
  -DCMAKE_CUDA_ARCHITECTURES="$archs" \
  "${vmm[@]}" >"$build/configure.log" 2>&1 || { tail -30 "$build/configure.log" >&2; die "CMake configure failed (log: $build/configure.log)"; }
echo "$stamp" >"$build/.stamp"
grep -E "CUDA Toolkit found|Using CUDA architectures" "$build/configure.log" | sed 's/^-- /cuda: /' >&2 || true

case "$mode" in
configure)
  echo "cuda: configured in $build" >&2
  exit 0 ;;
probe)
  file="${2:-argmax.cu}"
  [ -f "$GGML_DIR/src/ggml-cuda/$file" ] || die "no $file in $GGML_DIR/src/ggml-cuda"
  obj="ggml-cuda/CMakeFiles/ggml-cuda.dir/$file.o"
  [ -n "${generator[*]}" ] || die "probe needs ninja (to build one object by name)"
  start=$(date +%s)
  cmake --build "$build" --target "$obj" -- -j1 >&2 || die "compiling $file failed"
  echo "cuda: probe ok: $file -> $build/$obj ($(stat -c %s "$build/$obj") bytes, sm_$archs, $(( $(date +%s) - start )) s)" >&2
  exit 0 ;;
esac

start=$(date +%s)
cmake --build "$build" --target ggml-cuda -j "$jobs" >&2 || die "build failed (rerun: cmake --build $build --target ggml-cuda -j $jobs)"
mkdir -p "$dest"
# Copy the real files and their soname links; nothing of the CPU backend.
cp -a "$build"/lib/ollama/libggml-cuda.so* "$build"/lib/ollama/libggml-base.so* "$dest"/
if [ "${BUNDLE_CUDA_LIBS:-0}" = 1 ]; then
  for lib in libcudart libcublas libcublasLt; do
    src="$(ls "$toolkit"/lib64/$lib.so.* "$toolkit"/targets/*/lib/$lib.so.* 2>/dev/null | head -1 || true)"
    [ -n "$src" ] || die "BUNDLE_CUDA_LIBS: no $lib.so.* under $toolkit"
    cp -aL "$src" "$dest/"
    ln -sf "$(basename "$src")" "$dest/$lib.so.${nvcc_version%%.*}"
  done
fi
echo "cuda: built in $(( $(date +%s) - start )) s; installed into $dest:" >&2
ls -la "$dest" >&2
if command -v ldd >/dev/null && ldd "$dest/libggml-cuda.so" | grep -q "not found"; then
  ldd "$dest/libggml-cuda.so" | grep "not found" >&2
  echo "cuda: warning: libggml-cuda.so has unresolved libraries above; bin/harness will silently stay on CPU until they are found" >&2
fi
