"""Tests of the device-check log parser and twin header writer:
.venv/bin/python -m unittest discover -s reports/device -p 'test_*.py'"""
import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import summarize  # noqa: E402
import twin  # noqa: E402

# Lines as llama.cpp prints them (CPU lines from a dry run here; CUDA lines in its format).
LOG = """ggml_cuda_init: found 1 CUDA devices:
  Device 0: NVIDIA H200, compute capability 9.0, VMM: yes
load_tensors: offloaded 29/29 layers to GPU
load_tensors:        CUDA0 model buffer size =  1010.50 MiB
load_tensors:   CPU_Mapped model buffer size =   125.19 MiB
llama_context:  CUDA_Host  output buffer size =     0.58 MiB
llama_kv_cache:      CUDA0 KV buffer size =   252.00 MiB
llama_context:      CUDA0 compute buffer size =   299.75 MiB
llama_context:  CUDA_Host compute buffer size =    13.01 MiB
"""


class ParseLog(unittest.TestCase):
    def test_device_and_host_buffers(self):
        b = summarize.parse_llama_log(LOG)
        self.assertEqual(b["device"], {"model": 1010.5, "kv": 252.0, "compute": 299.75})
        self.assertEqual(b["host"], {"model": 125.19, "output": 0.58, "compute": 13.01})
        self.assertEqual(b["offload"], (29, 29))
        self.assertEqual(b["gpu"], "NVIDIA H200 (cc 9.0)")

    def test_second_load_replaces_first(self):
        b = summarize.parse_llama_log(LOG + LOG.replace("1010.50", "7.00"))
        self.assertEqual(b["device"]["model"], 7.0)
        self.assertEqual(b["device"]["kv"], 252.0)

    def test_percentile(self):
        self.assertIsNone(summarize.percentile([], 50))
        self.assertEqual(summarize.percentile([3, 1, 2], 50), 2)
        self.assertEqual(summarize.percentile(list(range(1, 11)), 90), 9)


class Twin(unittest.TestCase):
    def gguf(self, path, alignment=None):
        def s(b):
            return struct.pack("<Q", len(b)) + b
        kvs = [s(b"general.name") + struct.pack("<I", 8) + s(b"x")]
        if alignment:
            kvs.append(s(b"general.alignment") + struct.pack("<II", 4, alignment))
        t = s(b"w") + struct.pack("<I", 1) + struct.pack("<Q", 4) + struct.pack("<IQ", 0, 0)
        head = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kvs)) + b"".join(kvs) + t
        a = alignment or 32
        pad = (-len(head)) % a
        with open(path, "wb") as f:
            f.write(head + b"\0" * pad + b"\1" * 16)
        return len(head) + pad

    def test_header_ends_at_aligned_data(self):
        with tempfile.TemporaryDirectory() as d:
            for al in (None, 64):
                src, dst = os.path.join(d, "m.gguf"), os.path.join(d, "h")
                want = self.gguf(src, al)
                out = subprocess.run([sys.executable, twin.__file__, src, dst], capture_output=True, text=True, check=True)
                self.assertEqual(os.path.getsize(dst), want)
                self.assertEqual(int(out.stdout), want + 16)

    def test_not_gguf_is_one_line_error(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"hello")
            f.flush()
            r = subprocess.run([sys.executable, twin.__file__, f.name, f.name + ".h"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn("not a GGUF file", r.stderr)


if __name__ == "__main__":
    unittest.main()
