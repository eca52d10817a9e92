#!/usr/bin/env bash
# The GPU device check, run ONCE on a lent machine (H200, 16 cores, no network,
# 10 minutes per command) over a copy of the repo plus the bundle that
# reports/device/prepare.sh left in build/device (carry it: carry=["build/device"]).
#
#   1. builds the CUDA backend there (infer/cuda/build.sh, CUDA_ARCHS=90, all cores)
#   2. runs `harness score` on the dev questions at K = 1, 4, 8 with the server on
#      the GPU (--gpu-layers all), each K inside its share of the time budget
#   3. prints and writes under $OUT: seconds per question (median, p90) split by
#      stage, VRAM, RAM, accuracy and score per K, and the VRAM breakdown read from
#      llama.cpp's load log (summarize.py)
#
# The model: the real Qwen GGUF (1.1 GB) cannot travel (64 MiB per call). Without
# it the check uses its "shape twin": the real file's header (architecture,
# tokenizer, tensor shapes and quant types) followed by all-zero tensor data, made
# here as a sparse file. Same sizes, same kernels, same VRAM and speed per token;
# its answers are junk (it never stops before --max-tokens), so accuracy and
# score are not the real model's: take those from a CPU run with the real model.
#
# Dry mode, on any machine: DEVICE_DRY=1 reports/device/check.sh
#   CPU only, no CUDA build, SmolLM2, --limit 2, K = 1 4 8, OUT=runs/device-dry.
#
# Environment: OUT, DEVICE_DRY, KS ("1 4 8"), LIMIT (device: 20), MODEL,
#   CUDA_ARCHS (90), DEADLINE_S (seconds for the whole script, device: 540),
#   SERVE_ARGS (extra serve flags, e.g. "--max-tokens=128").
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
here="$root/reports/device"
bundle="$root/build/device"
dry="${DEVICE_DRY:-0}"
start_s=$(date +%s)

if [ "$dry" = 1 ]; then
  OUT="${OUT:-$root/runs/device-dry}"
  limit="${LIMIT:-2}"; deadline="${DEADLINE_S:-1800}"
else
  OUT="${OUT:-$root/runs/device-check}"
  limit="${LIMIT:-20}"; deadline="${DEADLINE_S:-540}"
fi
mkdir -p "$OUT"
ks="${KS:-1 4 8}"
runs="$root/runs/device-runs"
rm -rf "$runs"; mkdir -p "$runs"
log() { echo "[check +$(( $(date +%s) - start_s ))s] $*" | tee -a "$OUT/check.log" >&2; }
left() { echo $(( deadline - ($(date +%s) - start_s) )); }
die() { log "FAILED: $*"; exit 1; }

log "dry=$dry ks='$ks' limit=$limit deadline=${deadline}s host=$(hostname) cores=$(nproc)"
{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv; } >>"$OUT/check.log" 2>&1 || log "no nvidia-smi"

# --- binary ---------------------------------------------------------------------
# The device has no Go toolchain: the bundle carries a portable build made here.
if [ -f "$bundle/harness.xz" ] && [ "$dry" != 1 ]; then
  mkdir -p bin && xz -dc "$bundle/harness.xz" >bin/harness && chmod +x bin/harness || die "cannot unpack $bundle/harness.xz"
  log "bin/harness from the bundle ($(cat "$bundle/harness.version" 2>/dev/null))"
elif [ ! -x bin/harness ]; then
  if command -v go >/dev/null; then make build >>"$OUT/check.log" 2>&1 || die "make build"; else die "no bin/harness, no bundle, no go"; fi
fi
bin/harness version >>"$OUT/check.log" 2>&1 || die "bin/harness does not run here (see check.log)"

# --- Python with polars 1.39.3 --------------------------------------------------------
py="$root/.venv/bin/python"
if [ ! -x "$py" ] || ! "$py" -c 'import polars' 2>/dev/null; then
  py=python3
  if ! $py -c 'import polars, sys; sys.exit(polars.__version__ != "1.39.3")' 2>/dev/null; then
    [ -f "$bundle/polars.tar.xz" ] || die "no polars 1.39.3 here and no $bundle/polars.tar.xz"
    mkdir -p /tmp/site && tar -xJf "$bundle/polars.tar.xz" -C /tmp/site || die "cannot unpack polars"
    # A wrapper, not PYTHONPATH: the workers and judges the harness starts get it too.
    printf '#!/bin/sh\nPYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} exec python3 "$@"\n' >/tmp/py-polars
    chmod +x /tmp/py-polars; py=/tmp/py-polars
  fi
fi
export HARNESS_PYTHON="$py"
log "python $py: $("$py" -c 'import sys, polars; print(sys.version.split()[0], "polars", polars.__version__)' 2>&1)"

# --- data -------------------------------------------------------------------------
if ! ls data/*.parquet >/dev/null 2>&1; then
  bin/harness datasets tables --src datasets/polarsbench/tables --out data >>"$OUT/check.log" 2>&1 || die "building data/"
fi
log "data: $(ls data/*.parquet | wc -l) parquet files"

# --- model ------------------------------------------------------------------------
model="${MODEL:-}"
if [ -z "$model" ]; then
  if [ "$dry" = 1 ]; then
    model="$root/models/smollm2-135m-instruct-q4_1.gguf"
  elif [ -f models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf ]; then
    model="$root/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
  elif [ -f "$bundle/twin.header.xz" ]; then
    model=/tmp/qwen-shape-twin.gguf
    xz -dc "$bundle/twin.header.xz" >"$model" && truncate -s "$(cat "$bundle/twin.size")" "$model" || die "making the twin"
    log "model: shape twin of $(cat "$bundle/twin.name") (zero weights: speed and VRAM only)"
  else
    die "no model: set MODEL, or run reports/device/prepare.sh here first"
  fi
fi
[ -f "$model" ] || die "model $model missing"
log "model $model ($(stat -c %s "$model") bytes)"

# --- CUDA backend -----------------------------------------------------------------
gpu_args=()
if [ "$dry" != 1 ]; then
  ggml="${GGML_DIR:-}"
  if [ -z "$ggml" ] && [ -f "$bundle/ggml.tar.xz" ]; then
    mkdir -p /tmp/ggml-src && tar -xJf "$bundle/ggml.tar.xz" -C /tmp/ggml-src && ggml=/tmp/ggml-src/ggml
  fi
  log "building the CUDA backend (CUDA_ARCHS=${CUDA_ARCHS:-90})"
  if CUDA_ARCHS="${CUDA_ARCHS:-90}" JOBS="$(nproc)" GGML_DIR="$ggml" infer/cuda/build.sh >"$OUT/cuda-build.log" 2>&1; then
    log "CUDA backend built: $(grep -o 'built in [0-9]* s' "$OUT/cuda-build.log")"
    ldd lib/ollama/libggml-cuda.so >>"$OUT/check.log" 2>&1
    gpu_args=(--serve-arg=--gpu-layers=all)
  else
    tail -20 "$OUT/cuda-build.log" | tee -a "$OUT/check.log" >&2
    die "CUDA build failed (cuda-build.log)"
  fi
fi

# --- scoring ----------------------------------------------------------------------
baseline="$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | awk '{s+=$1} END {print s+0}')"
log "VRAM in use before any server (baseline): ${baseline} MB"
smi_pid=""
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv -lms 500 >"$OUT/gpu.csv" 2>/dev/null &
  smi_pid=$!
fi
read -ra extra <<<"${SERVE_ARGS:-}"
serve_extra=()
for a in "${extra[@]}"; do serve_extra+=("--serve-arg=$a"); done

set -- $ks
n_k=$#
done_dirs=()
for k in "$@"; do
  budget=$(( ($(left) - 20) / n_k ))
  n_k=$(( n_k - 1 ))
  if [ "$budget" -lt 30 ]; then log "K=$k skipped: ${budget}s left for it"; continue; fi
  dir="$runs/k$k"
  log "K=$k: harness score, limit $limit, at most ${budget}s"
  timeout -s INT "$budget" bin/harness score --bench datasets/polarsbench/dev --data data \
    --model "$model" --k "$k" --limit "$limit" --out "$dir" --python "$py" --no-report \
    --serve-arg=--python="$py" "${gpu_args[@]}" "${serve_extra[@]}" >"$OUT/score-k$k.log" 2>&1
  rc=$?
  [ $rc = 0 ] || log "K=$k: score exit $rc (124/130: cut at its time share; the questions scored are kept)"
  if [ -f "$dir/results.json" ]; then
    done_dirs+=("$dir")
    if [ "$dry" != 1 ] && ! grep -q "CUDA0 model buffer size" "$dir/server.out" 2>/dev/null; then
      log "WARNING K=$k: no CUDA0 model buffer in server.out: the CUDA backend did not load (ldd in check.log)"
    fi
  fi
done
[ -n "$smi_pid" ] && kill "$smi_pid" 2>/dev/null

[ ${#done_dirs[@]} -gt 0 ] || die "no K produced results.json"
base_args=()
[ "$baseline" != "" ] && command -v nvidia-smi >/dev/null && base_args=(--baseline-mb "$baseline")
"$py" "$here/summarize.py" "${base_args[@]}" "${done_dirs[@]}" >"$OUT/summary.md" || die "summarize.py"
# At most 8 files come back from $OUT: the run folders travel as one archive.
tar -czf "$OUT/runs.tar.gz" -C "$runs" . 2>/dev/null
cat "$OUT/summary.md"
log "done in $(( $(date +%s) - start_s ))s; files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
