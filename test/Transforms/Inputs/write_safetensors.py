#!/usr/bin/env python3
"""Writes a small safetensors file for the lit tests (Python stdlib only).

Usage: write_safetensors.py OUT NAME=DTYPE[D0,D1,...]:V0,V1,... ...

Each tensor is given by its name, safetensors dtype (F64, F32, I64, I32,
U8, BOOL), shape and values in row-major order; a single value fills the
tensor, and `arange` writes 0, 1, 2, ... scaled by 0.1. The layout follows
the format (https://github.com/huggingface/safetensors): an 8-byte
little-endian header length, the JSON header padded with spaces to a
multiple of 8, then the tensors' bytes in the order given.
"""
import json
import re
import struct
import sys

FORMATS = {"F64": "d", "F32": "f", "I64": "q", "I32": "i", "U8": "B",
           "BOOL": "?"}


def parse(arg):
    match = re.fullmatch(r"([^=]+)=([A-Z0-9]+)\[([0-9,]*)\]:(.*)", arg)
    if not match:
        sys.exit(f"bad tensor '{arg}' (NAME=DTYPE[D0,...]:VALUES)")
    name, dtype, dims, values = match.groups()
    shape = [int(d) for d in dims.split(",") if d]
    count = 1
    for d in shape:
        count *= d
    if values == "arange":
        numbers = [0.1 * i for i in range(count)]
    else:
        numbers = [float(v) for v in values.split(",")]
        if len(numbers) == 1:
            numbers *= count
    if len(numbers) != count:
        sys.exit(f"tensor '{name}': {len(numbers)} values for shape {shape}")
    fmt = FORMATS[dtype]
    if fmt in "qiB":
        numbers = [int(v) for v in numbers]
    elif fmt == "?":
        numbers = [v != 0 for v in numbers]
    return name, dtype, shape, struct.pack("<%d%s" % (count, fmt), *numbers)


def main():
    out, specs = sys.argv[1], [parse(arg) for arg in sys.argv[2:]]
    header, data = {}, b""
    for name, dtype, shape, raw in specs:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


if __name__ == "__main__":
    main()
