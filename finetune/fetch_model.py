#!/usr/bin/env python3
"""Fetches the shipped model named in models/fetch.json and checks its sha256.

Standard library only (the runner's venv has no extra packages for this), Python 3.11+.
A file already present with the right hash is kept; a wrong hash is never used:
the download goes to a .part file and is renamed only after the check passes.
Exit status 0 when models/<file> is ready, 1 with one line on stderr otherwise.
"""
import hashlib
import json
import os
import sys
import urllib.request

ROOT = os.path.dirname(os.path.abspath(__file__))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    with open(os.path.join(ROOT, "models", "fetch.json"), encoding="utf-8") as f:
        spec = json.load(f)
    dest = os.path.join(ROOT, "models", spec["file"])
    want = spec["sha256"].lower()
    if os.path.exists(dest) and sha256(dest) == want:
        return 0
    part = dest + ".part"
    with urllib.request.urlopen(spec["url"], timeout=60) as r, open(part, "wb") as out:
        while True:
            block = r.read(1 << 20)
            if not block:
                break
            out.write(block)
    got = sha256(part)
    if got != want:
        os.remove(part)
        raise SystemExit(f"fetch_model: {spec['url']} has sha256 {got}, want {want}: not used")
    os.replace(part, dest)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except Exception as e:  # one clear line instead of a traceback
        print(f"fetch_model: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
