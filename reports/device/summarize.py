"""Summarise device-check runs: one table row per `harness score` run folder.

Usage: summarize.py [--baseline-mb MB] RUNDIR [RUNDIR ...]  > table.md

Reads each RUNDIR/results.json, samples.jsonl and server.out (the `harness serve`
child's output, where llama.cpp logs its load). Prints Markdown: per K the seconds per
question (median, p90) split by pipeline stage, peak VRAM and RAM, accuracy and the
official score; then the VRAM breakdown read from llama.cpp's load log:
  weights  = "<dev> model buffer size"   (load_tensors)
  KV       = "<dev> KV buffer size"      (llama_kv_cache)
  compute  = "<dev> compute buffer size" (llama_context, the graph's scratch)
  other    = median per-question device-wide peak - baseline - the three above:
             the CUDA context, cuBLAS workspace, ggml's VMM pool, CUDA graphs.
"<dev>" is a CUDA device buffer (CUDA0, CUDA1...); CUDA_Host and CPU* are host memory.
Standard library only: runs on Python 3.11 and 3.12 with nothing installed.
"""
import json
import math
import os
import re
import sys

BUFFER = re.compile(r"^(\w+):\s+(\S+)\s+(model|KV|compute|output|RS|LoRA) buffer size =\s+([0-9.]+) MiB")
OFFLOAD = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")
DEVICE = re.compile(r"Device \d+: (.+?), compute capability ([0-9.]+)")


def percentile(xs, q):
    """Nearest-rank percentile; None for no data."""
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, min(len(s) - 1, math.ceil(q / 100 * len(s)) - 1))
    return s[k]


def parse_llama_log(text):
    """Buffer sizes in MiB by kind, split into device (CUDA*) and host, from llama.cpp's log.

    A log holding several loads (a resumed run appends) keeps the last load's figures:
    a model buffer line after a finished load starts a new one."""
    out = {"device": {}, "host": {}, "offload": None, "gpu": None}
    loaded = False
    for line in text.splitlines():
        m = BUFFER.search(line.strip())
        if m:
            _, name, kind, mib = m.groups()
            if kind == "model" and loaded:
                out["device"], out["host"], loaded = {}, {}, False
            where = "device" if re.match(r"^CUDA\d+$", name) else "host"
            key = kind.lower()
            out[where][key] = out[where].get(key, 0.0) + float(mib)
            if kind == "compute":
                loaded = True
            continue
        m = OFFLOAD.search(line)
        if m:
            out["offload"] = (int(m.group(1)), int(m.group(2)))
            continue
        m = DEVICE.search(line)
        if m and out["gpu"] is None:
            out["gpu"] = "%s (cc %s)" % (m.group(1), m.group(2))
    return out


def load_run(d):
    with open(os.path.join(d, "results.json")) as f:
        res = json.load(f)
    samples = []
    path = os.path.join(d, "samples.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            samples = [json.loads(l) for l in f if l.strip()]
    log = ""
    path = os.path.join(d, "server.out")
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            log = f.read()
    return res, samples, log


def fmt(x, nd=2):
    return "-" if x is None else ("%.*f" % (nd, x))


def stage_names(samples):
    names = []
    for s in samples:
        for k in ((s.get("server") or {}).get("timings_ms") or {}):
            if k not in names:
                names.append(k)
    return names


def summarize(dirs, baseline_mb=None):
    rows, bufs = [], []
    all_stages = []
    runs = []
    for d in dirs:
        res, samples, log = load_run(d)
        runs.append((d, res, samples, log))
        for n in stage_names(samples):
            if n not in all_stages:
                all_stages.append(n)
    lines = []
    head = ["K", "n", "s/q med", "s/q p90"]
    for n in all_stages:
        head += [n + " med ms", n + " p90 ms"]
    head += ["VRAM peak MB", "RAM peak MB", "accuracy", "N", "sum_T s", "score"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for d, res, samples, log in runs:
        k = (res.get("config") or {}).get("k") or "?"
        secs = [s.get("seconds", 0.0) for s in samples]
        row = [str(k), str(len(samples)), fmt(percentile(secs, 50), 3), fmt(percentile(secs, 90), 3)]
        for n in all_stages:
            xs = [((s.get("server") or {}).get("timings_ms") or {}).get(n) for s in samples]
            xs = [x for x in xs if x is not None]
            row += [fmt(percentile(xs, 50), 1), fmt(percentile(xs, 90), 1)]
        vram = [s.get("peak_vram_mb", 0.0) for s in samples]
        ram = [s.get("peak_ram_mb", 0.0) for s in samples]
        row += [fmt(max(vram) if vram else None, 0), fmt(max(ram) if ram else None, 0),
                fmt(res.get("accuracy"), 3), str(res.get("n", 0)), fmt(res.get("sum_t"), 1),
                fmt(res.get("score"), 4)]
        lines.append("| " + " | ".join(row) + " |")

        b = parse_llama_log(log)
        dev = b["device"]
        known = sum(dev.get(x, 0.0) for x in ("model", "kv", "compute", "output"))
        med_vram = percentile(vram, 50)
        other = None
        if baseline_mb is not None and med_vram:
            other = med_vram - baseline_mb - known
        bufs.append([str(k), b["gpu"] or "-",
                     "%d/%d" % b["offload"] if b["offload"] else "-",
                     fmt(dev.get("model"), 1), fmt(dev.get("kv"), 1), fmt(dev.get("compute"), 1),
                     fmt(other, 1), fmt(med_vram, 0),
                     fmt(b["host"].get("model"), 1), fmt(b["host"].get("compute"), 1)])
    lines.append("")
    lines.append("VRAM breakdown (MiB) from llama.cpp's load log; other = median device-wide peak"
                 " - baseline (%s MB before the server started) - weights - KV - compute."
                 % ("unknown" if baseline_mb is None else fmt(baseline_mb, 0)))
    lines.append("")
    head = ["K", "GPU", "layers on GPU", "weights", "KV", "compute", "other (ctx, cuBLAS, pool)",
            "median peak MB", "host weights", "host compute"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for r in bufs:
        lines.append("| " + " | ".join(r) + " |")
    return "\n".join(lines) + "\n"


def main(argv):
    args = list(argv)
    baseline = None
    if args[:1] == ["--baseline-mb"]:
        if len(args) < 2:
            sys.exit("summarize: --baseline-mb needs a number")
        try:
            baseline = float(args[1])
        except ValueError:
            sys.exit("summarize: --baseline-mb: not a number: %r" % args[1])
        args = args[2:]
    if not args:
        sys.exit("usage: summarize.py [--baseline-mb MB] RUNDIR [RUNDIR ...]")
    for d in args:
        if not os.path.exists(os.path.join(d, "results.json")):
            sys.exit("summarize: %s has no results.json" % d)
    sys.stdout.write(summarize(args, baseline))


if __name__ == "__main__":
    main(sys.argv[1:])
