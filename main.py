"""The Polars Bench runner's entrypoint: `python -m uvicorn main:app`.

A thin ASGI shim, standard library only (plus the runner's own uvicorn that
imports it): it starts `harness serve` (the Go server that loads the model and
the Polars workers) on a free loopback port, forwards GET / and POST /chat to it,
and stops it on shutdown. POST /chat always answers 200 with code, even when the
child has died, because any other status aborts the runner's whole run.

Environment: HARNESS_BIN (default bin/harness beside this file), HARNESS_MODEL
(default: models/DEFAULT or the Qwen 1.5B file), HARNESS_CONFIG (a settings JSON,
default config.json beside this file when present), HARNESS_ARGS (extra flags).
"""
import asyncio
import json
import os
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.abspath(__file__))


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_model():
    pointer = os.path.join(ROOT, "models", "DEFAULT")
    if os.path.exists(pointer):
        name = open(pointer, encoding="utf-8").read().strip()
        if name:
            return name if os.path.isabs(name) else os.path.join(ROOT, "models", name)
    return os.path.join(ROOT, "models", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")


class Child:
    """The `harness serve` process and how to reach it."""

    def __init__(self):
        self.proc = None
        self.port = None
        self.error = None

    def start(self):
        """Starts the child in the background, so GET / can answer 503 meanwhile."""
        threading.Thread(target=self._start, daemon=True).start()

    def _fetch_model(self):
        """A tree shipped with --model-url downloads and checks its model first."""
        if not os.path.exists(os.path.join(ROOT, "models", "fetch.json")):
            return True
        r = subprocess.run([sys.executable, os.path.join(ROOT, "fetch_model.py")], cwd=ROOT,
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.error = "model download failed: " + (r.stderr.strip() or f"exit {r.returncode}")
            print(f"main.py: {self.error}", file=sys.stderr, flush=True)
            return False
        return True

    def _start(self):
        if not self._fetch_model():
            return
        binary = os.environ.get("HARNESS_BIN", os.path.join(ROOT, "bin", "harness"))
        model = os.environ.get("HARNESS_MODEL", _default_model())
        if not os.path.exists(binary):
            self.error = f"harness binary not found at {binary}: run `make build` (or set HARNESS_BIN)"
        elif not os.path.exists(model):
            self.error = f"model not found at {model}: run `make models` (or set HARNESS_MODEL)"
        if self.error:
            print(f"main.py: {self.error}", file=sys.stderr, flush=True)
            return
        self.port = _free_port()
        cmd = [binary, "serve", "--addr", f"127.0.0.1:{self.port}", "--model", model, "--python", sys.executable]
        config = os.environ.get("HARNESS_CONFIG", os.path.join(ROOT, "config.json"))
        if os.path.exists(config):
            cmd += ["--config", config]
        cmd += shlex.split(os.environ.get("HARNESS_ARGS", ""))
        env = dict(os.environ, HARNESS_ROOT=ROOT)
        print("main.py: starting " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr, flush=True)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def starting(self):
        return self.proc is None and self.error is None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def request(self, method, path, body=None, timeout=195):
        """Returns (status, body, request id) of a call to the child."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), r.headers.get("X-Request-Id", "")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), ""


child = Child()


def _placeholder(body):
    """Runnable code when the child cannot answer: the first table, unchanged."""
    try:
        tables = json.loads(body).get("tables") or {}
        name = next((n for n in tables if n.isidentifier()), None)
    except Exception:
        name = None
    return f"result = {name}" if name else "result = pl.DataFrame()"


async def _send(send, status, payload, headers=()):
    data = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *headers]})
    await send({"type": "http.response.body", "body": data})


async def _read_body(receive):
    chunks = []
    while True:
        msg = await receive()
        chunks.append(msg.get("body", b""))
        if not msg.get("more_body"):
            return b"".join(chunks)


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                child.start()
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                child.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    method, path = scope["method"], scope["path"]
    if path == "/" and method == "GET":
        if child.error:
            return await _send(send, 500, {"status": "error", "error": child.error})
        if child.starting():
            return await _send(send, 503, {"status": "loading"})
        if not child.alive():
            return await _send(send, 503, {"status": "error", "error": "harness serve is not running"})
        try:
            status, data, _ = await asyncio.to_thread(child.request, "GET", "/", None, 5)
            return await _send(send, status, json.loads(data or b"{}"))
        except Exception as e:  # still starting: connection refused
            return await _send(send, 503, {"status": "loading", "detail": str(e)})
    if path == "/chat" and method == "POST":
        body = await _read_body(receive)
        try:
            json.loads(body)
        except ValueError as e:
            return await _send(send, 400, {"error": f"malformed JSON: {e}"})
        if child.proc is not None and not child.alive():
            # The server died (it never should): restart it and answer this one with a placeholder.
            print(f"main.py: harness serve exited with {child.proc.returncode}; restarting it", file=sys.stderr, flush=True)
            child.proc = None
            child.start()
        started = time.time()
        try:
            status, data, request_id = await asyncio.to_thread(child.request, "POST", "/chat", body)
            if status == 200:
                # The request id ties this answer to the server's log line.
                return await _send(send, 200, json.loads(data), [(b"x-request-id", request_id.encode())])
            reason = data[:300]
        except Exception as e:
            reason = str(e)
        print(f"main.py: /chat failed after {time.time() - started:.1f}s ({reason}); answering with a placeholder",
              file=sys.stderr, flush=True)
        return await _send(send, 200, {"response": _placeholder(body)})
    return await _send(send, 404, {"error": f"no route {method} {path}"})
