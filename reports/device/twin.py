"""Write the header of a GGUF file (metadata, tokenizer, tensor table) and print the
file's full size: check.sh appends zeros up to that size (a sparse `truncate`), giving
a "shape twin": same architecture, shapes, quant types and tokenizer, zero weights.
Zero blocks are valid in every ggml type (scale 0 decodes to 0), so the twin loads,
runs the same kernels at the same speed, and its logits are all equal.

Usage: twin.py MODEL.gguf HEADER_OUT   (prints the model's size in bytes)
Standard library only; Python 3.11 and 3.12.
"""
import struct
import sys

SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def data_offset(f):
    """Offset of the tensor data: after the KV pairs and tensor infos, aligned."""
    if f.read(4) != b"GGUF":
        raise ValueError("not a GGUF file")
    version, = struct.unpack("<I", f.read(4))
    if version < 2:
        raise ValueError("GGUF version %d is too old" % version)
    n_tensors, n_kv = struct.unpack("<QQ", f.read(16))

    def string():
        n, = struct.unpack("<Q", f.read(8))
        return f.read(n)

    def skip(t):
        if t == 8:
            string()
        elif t == 9:
            et, n = struct.unpack("<IQ", f.read(12))
            if et in SIZES:
                f.seek(SIZES[et] * n, 1)
            else:
                for _ in range(n):
                    skip(et)
        elif t in SIZES:
            f.seek(SIZES[t], 1)
        else:
            raise ValueError("unknown GGUF value type %d" % t)

    alignment = 32
    for _ in range(n_kv):
        key = string()
        t, = struct.unpack("<I", f.read(4))
        if key == b"general.alignment" and t == 4:
            alignment, = struct.unpack("<I", f.read(4))
        else:
            skip(t)
    for _ in range(n_tensors):
        string()
        n_dims, = struct.unpack("<I", f.read(4))
        f.seek(8 * n_dims + 4 + 8, 1)  # dims, type, offset
    pos = f.tell()
    return (pos + alignment - 1) // alignment * alignment


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: twin.py MODEL.gguf HEADER_OUT")
    src, dst = argv
    try:
        with open(src, "rb") as f:
            off = data_offset(f)
            f.seek(0, 2)
            size = f.tell()
            f.seek(0)
            head = f.read(off)
    except (OSError, ValueError, struct.error) as e:
        sys.exit("twin: %s: %s" % (src, e))
    with open(dst, "wb") as f:
        f.write(head)
    print(size)


if __name__ == "__main__":
    main(sys.argv[1:])
