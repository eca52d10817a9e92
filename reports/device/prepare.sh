#!/usr/bin/env bash
# Packs what the device check needs and cannot find on the lent machine (no Go, no
# polars, no network, 64 MiB per call) into build/device, to carry with
#   run(command="reports/device/check.sh", carry=["build/device"], timeout_s=600)
# Contents (about 45 MB):
#   harness.xz      bin/harness built PORTABLE=1 (AVX2, not -march=native), stripped
#   polars.tar.xz   polars 1.39.3 + polars-runtime-32 for CPython 3.12 (site-packages)
#   ggml.tar.xz     the ollama module's ggml sources, for infer/cuda/build.sh there
#   twin.header.xz  the real model's GGUF header (xz); twin.size, twin.name: see check.sh
# Usage: prepare.sh [MODEL]   (default the project's Qwen GGUF)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out="$root/build/device"
model="${1:-$root/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf}"
py="$root/.venv/bin/python"
die() { echo "prepare: $*" >&2; exit 1; }
[ -f "$model" ] || die "no model $model (make models)"
mkdir -p "$out"

echo "prepare: portable bin/harness (a separate cgo build: about 3 minutes the first time)" >&2
make build PORTABLE=1 BIN="$out/harness" >&2
strip "$out/harness"
git describe --always --dirty >"$out/harness.version" 2>/dev/null || echo unknown >"$out/harness.version"
xz -9 -T2 -f "$out/harness"

echo "prepare: polars 1.39.3 for Python 3.12" >&2
whl="$out/whl"; site="$out/site"
rm -rf "$whl" "$site"; mkdir -p "$whl" "$site"
"$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$whl" polars==1.39.3 polars-runtime-32==1.39.3
for w in "$whl"/*.whl; do unzip -q -o "$w" -d "$site"; done
# xz packs the 175 MB runtime library to 27 MB where the wheel's zip takes 47 MB.
tar -C "$site" -cf - . | xz -9 -T2 >"$out/polars.tar.xz"
rm -rf "$whl" "$site"

echo "prepare: ggml sources" >&2
mod="$(go list -m -f '{{.Dir}}' github.com/ollama/ollama)"
tar -C "$mod/ml/backend/ggml" -cf - ggml | xz -9 -T2 >"$out/ggml.tar.xz"

echo "prepare: shape twin header of $model" >&2
"$py" "$root/reports/device/twin.py" "$model" "$out/twin.header" >"$out/twin.size"
xz -9 -f "$out/twin.header"
basename "$model" >"$out/twin.name"

du -b "$out"/* | sort -n >&2
total=$(du -cb "$out" | tail -1 | cut -f1)
tree=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
echo "prepare: bundle $total bytes + tracked tree $tree bytes (limit 67108864 with untracked files)" >&2
[ $((total + tree)) -lt 67108864 ] || die "bundle and tree exceed 64 MiB"
