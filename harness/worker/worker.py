"""Polars worker: runs generated Polars code for the Go pool (harness/worker).

Protocol (all integers big-endian u32):
  startup  -> one text line "POLARSWORKER 1 <polars version>\n" on the protocol fd
  request  <- u32 length + JSON {"tables":[{name,path,format}], "code", "head_rows",
              "want_record", "output_cap"}
  reply    -> u32 length + JSON {"ok","kind","error","fingerprint","stdout","stderr",
              "rows","ipc_len"} then ipc_len bytes of Arrow IPC stream
The protocol runs on private dups of fd 0/1 so that nothing the user's code or a
library prints can corrupt it. Works on Python 3.11 and 3.12, needs no pyarrow.
"""
import ast
import builtins
import hashlib
import io
import json
import os
import resource
import struct
import sys

import polars as pl

# Pinned so arrow-go can read the stream: the newest level uses view types.
COMPAT = pl.CompatLevel.oldest()

ALLOWED_MODULES = {
    "polars", "math", "datetime", "re", "statistics", "decimal", "functools",
    "itertools", "collections", "string", "json",
}
FORBIDDEN_NAMES = {
    "__import__", "eval", "exec", "compile", "open", "input", "breakpoint", "globals",
    "locals", "vars", "getattr", "setattr", "delattr", "exit", "quit", "help",
    "memoryview", "os", "sys", "subprocess", "socket", "shutil", "pathlib", "ctypes",
    "importlib", "builtins", "signal", "resource", "threading", "multiprocessing",
}
# Frame and generator attributes lead back to real globals and builtins.
FORBIDDEN_ATTRS = FORBIDDEN_NAMES | {"system", "popen", "kill", "killpg", "fork", "spawn",
                                     "gi_frame", "gi_code", "cr_frame", "ag_frame", "f_globals",
                                     "f_locals", "f_builtins", "f_back", "tb_frame", "tb_next"}


class Forbidden(Exception):
    """Refused by the static check or by the audit hook."""


# ---------------------------------------------------------------- static check
def check_code(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] not in ALLOWED_MODULES:
                    raise Forbidden(f"import of module {a.name!r} is not allowed")
        elif isinstance(node, ast.ImportFrom):
            mod = (node.module or "").split(".")[0]
            if node.level or mod not in ALLOWED_MODULES:
                raise Forbidden(f"import from module {node.module!r} is not allowed")
        elif isinstance(node, ast.Name):
            if node.id in FORBIDDEN_NAMES or node.id.startswith("__"):
                raise Forbidden(f"use of name {node.id!r} is not allowed")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("__") or node.attr in FORBIDDEN_ATTRS:
                raise Forbidden(f"access to attribute {node.attr!r} is not allowed")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            check_call(node, node.func.attr)
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and any(n.startswith("__") for n in node.names):
            raise Forbidden("dunder globals are not allowed")


# Polars writes and fetches files in Rust, out of the audit hook's sight, so the
# calls that touch files or the network are refused by name. write_csv() and
# write_json() with no file return text and stay allowed.
TEXT_WRITERS = {"write_csv", "write_json", "write_ndjson"}


def check_call(node, attr):
    if attr.startswith("sink_") or attr == "save_to_file":
        raise Forbidden(f"{attr} writes a file and is not allowed")
    if attr.startswith("write_"):
        file_args = list(node.args) + [k.value for k in node.keywords if k.arg == "file"]
        if attr not in TEXT_WRITERS or any(not (isinstance(a, ast.Constant) and a.value is None) for a in file_args):
            raise Forbidden(f"{attr} to a file is not allowed")
    if attr.startswith(("read_", "scan_")):
        for a in list(node.args) + [k.value for k in node.keywords]:
            if isinstance(a, ast.Constant) and isinstance(a.value, str) and "://" in a.value:
                raise Forbidden(f"{attr} of a URL is not allowed")


def _safe_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level or name.split(".")[0] not in ALLOWED_MODULES:
        raise Forbidden(f"import of module {name!r} is not allowed")
    return builtins.__import__(name, globals, locals, fromlist, level)


SAFE_BUILTINS = {k: v for k, v in vars(builtins).items()
                 if k not in FORBIDDEN_NAMES and not k.startswith("_")}
SAFE_BUILTINS["__import__"] = _safe_import
SAFE_BUILTINS["__build_class__"] = builtins.__build_class__
SAFE_BUILTINS["__name__"] = "__main__"

# ----------------------------------------------------------------- audit hook
# Active only while user code runs; catches what the static check cannot see
# (for example os reached through a library's attribute). Imports made by
# polars itself stay allowed: it loads modules lazily inside ordinary calls.
_guard = {"on": False}
_REFUSED_PREFIXES = ("subprocess.", "os.system", "os.exec", "os.spawn", "os.posix_spawn",
                     "os.fork", "os.kill", "os.killpg", "os.remove", "os.unlink", "os.rename",
                     "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate", "os.putenv",
                     "os.unsetenv", "os.symlink", "os.link", "shutil.", "socket.", "ctypes.",
                     "sys.setrecursionlimit", "sys.addaudithook", "pty.", "resource.setrlimit",
                     "signal.", "os._exit", "webbrowser.", "urllib.", "http.", "ftplib.",
                     "smtplib.")


def _audit(event, args):
    if not _guard["on"]:
        return
    if event == "open":
        mode = args[1] if len(args) > 1 else "r"
        flags = args[2] if len(args) > 2 else 0
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
           (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC)):
            raise Forbidden(f"opening {args[0]!r} for writing is not allowed")
        return
    if event.startswith(_REFUSED_PREFIXES):
        raise Forbidden(f"{event} is not allowed")


# -------------------------------------------------------------- capped output
class CappedText(io.TextIOBase):
    """A text stream that keeps the first `cap` characters and drops the rest."""

    def __init__(self, cap):
        self.cap, self.parts, self.size, self.dropped = cap, [], 0, 0

    def writable(self):
        return True

    def write(self, s):
        n = len(s)
        room = self.cap - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(n, room)
        self.dropped += max(0, n - max(room, 0))
        return n

    def text(self):
        t = "".join(self.parts)
        if self.dropped:
            t += f"\n[... {self.dropped} characters dropped]"
        return t


# --------------------------------------------------------------- table cache
_tables = {}  # path -> (mtime_ns, size, DataFrame)


def load_table(t):
    path, fmt = t["path"], t.get("format") or "parquet"
    st = os.stat(path)
    hit = _tables.get(path)
    if hit and hit[0] == st.st_mtime_ns and hit[1] == st.st_size and hit[2] == fmt:
        return hit[3]
    df = pl.read_csv(path) if fmt == "csv" else pl.read_parquet(path)
    _tables[path] = (st.st_mtime_ns, st.st_size, fmt, df)
    return df


# ---------------------------------------------------------------- fingerprint
# @fingerprint.py@ (harness/fingerprint/fingerprint.py, put in by the Go side: one source for the worker, the synth helper and the judge)


# ----------------------------------------------------------------- execution
def is_memory_error(e):
    if isinstance(e, MemoryError):
        return True
    msg = str(e).lower()
    return "memory allocation" in msg or "out of memory" in msg or "cannot allocate memory" in msg


def run_job(req):
    out = {"ok": False, "kind": "", "error": "", "fingerprint": {"hash": "", "rows": 0, "cols": 0, "columns": []},
           "stdout": "", "stderr": "", "rows": 0}
    ipc = b""
    cap = int(req.get("output_cap") or 65536)
    code = req.get("code") or ""
    try:
        tree = ast.parse(code, "<code>", "exec")
    except SyntaxError as e:
        out.update(kind="syntax", error=f"SyntaxError: {e.msg} (line {e.lineno})")
        return out, ipc
    try:
        check_code(tree)
    except Forbidden as e:
        out.update(kind="forbidden", error=f"forbidden: {e}")
        return out, ipc
    try:
        ns = {"__builtins__": SAFE_BUILTINS, "__name__": "__main__", "pl": pl, "json": json, "hashlib": hashlib}
        for t in req.get("tables") or []:
            # clone: the frame is shared between jobs, and some methods mutate in place.
            ns[t["name"]] = load_table(t).clone()
    except Exception as e:
        out.update(kind="runtime", error=f"loading tables: {type(e).__name__}: {e}")
        return out, ipc
    so, se = CappedText(cap), CappedText(cap)
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = so, se
    try:
        compiled = compile(tree, "<code>", "exec")
        _guard["on"] = True
        try:
            exec(compiled, ns)
        finally:
            _guard["on"] = False
        result = ns.get("result", _missing)
        if result is _missing:
            out.update(kind="no_result", error="the code does not assign a variable named result")
        elif isinstance(result, pl.LazyFrame):
            out.update(kind="lazyframe", error="result is a LazyFrame; the runner rejects it (call .collect())")
        elif not isinstance(result, pl.DataFrame):
            out.update(kind="not_dataframe", error=f"result is a {type(result).__name__}, not a polars DataFrame; the runner rejects it")
        else:
            out["fingerprint"] = result_fingerprint(result)
            out["rows"] = result.height
            out["dtypes"] = [str(d) for d in result.dtypes]
            sent = result if req.get("want_record") else result.head(int(req.get("head_rows") or 5))
            buf = io.BytesIO()
            sent.write_ipc_stream(buf, compat_level=COMPAT)
            ipc = buf.getvalue()
            out["ok"] = True
    except Forbidden as e:
        out.update(kind="forbidden", error=f"forbidden: {e}")
    except BaseException as e:  # the user's code may raise anything, SystemExit included
        if isinstance(e, KeyboardInterrupt):
            raise
        kind = "memory" if is_memory_error(e) else "runtime"
        out.update(kind=kind, error=f"{type(e).__name__}: {e}"[:4000])
    finally:
        _guard["on"] = False
        sys.stdout, sys.stderr = real_out, real_err
    out["stdout"], out["stderr"] = so.text(), se.text()
    return out, ipc


_missing = object()


def read_exact(f, n):
    data = f.read(n)
    if data is None or len(data) < n:
        raise EOFError
    return data


def main():
    mem_mb = int(os.environ.get("POLARSWORKER_MEMORY_MB", "0") or 0)
    # Private protocol fds; fd 0/1 then point at /dev/null so stray writes go nowhere.
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    if mem_mb > 0:
        lim = mem_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    sys.addaudithook(_audit)
    proto_out.write(f"POLARSWORKER 1 {pl.__version__}\n".encode())
    proto_out.flush()
    while True:
        try:
            n = struct.unpack(">I", read_exact(proto_in, 4))[0]
            req = json.loads(read_exact(proto_in, n))
        except EOFError:
            return
        reply, ipc = run_job(req)
        reply["ipc_len"] = len(ipc)
        head = json.dumps(reply, default=str).encode()
        proto_out.write(struct.pack(">I", len(head)) + head + ipc)
        proto_out.flush()


if __name__ == "__main__":
    main()
