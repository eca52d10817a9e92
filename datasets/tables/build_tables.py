"""Build parquet tables the way the Polars Bench organisers did.

Reads a JSON list of [source .jsonl.gz, output .parquet] pairs on stdin and, for
each, writes pl.DataFrame(rows).write_parquet(output) with the rows in file order:
no casts, no schema, so dtypes are inferred exactly as the runner's files were.
Writes go to a temporary file renamed into place, so a failure leaves no half file.
Errors print one line "FILE: reason" on stderr and exit 1. Python 3.11 and 3.12.
"""
import gzip
import json
import os
import sys

import polars as pl


def build(src, out):
    rows = []
    with gzip.open(src, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                raise ValueError(f"line {n}: {e}") from None
    tmp = out + ".tmp"
    try:
        pl.DataFrame(rows).write_parquet(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main():
    for src, out in json.load(sys.stdin):
        try:
            build(src, out)
        except Exception as e:
            print(f"{src}: {type(e).__name__}: {e}", file=sys.stderr)
            sys.exit(1)
        print(out, flush=True)


if __name__ == "__main__":
    main()
