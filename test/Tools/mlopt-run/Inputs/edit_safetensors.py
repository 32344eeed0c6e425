#!/usr/bin/env python3
"""Writes a copy of a safetensors file with one thing changed, for tests.

Usage: edit_safetensors.py IN OUT set TENSOR INDEX VALUE   (F32 tensors)
       edit_safetensors.py IN OUT metadata KEY VALUE
"""
import json
import struct
import sys


def main():
    source, target, what = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(source, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = bytearray(f.read())
    if what == "set":
        name, index, value = sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
        entry = header[name]
        assert entry["dtype"] == "F32", "set edits F32 tensors"
        begin = entry["data_offsets"][0] + 4 * index
        data[begin:begin + 4] = struct.pack("<f", value)
    elif what == "metadata":
        header.setdefault("__metadata__", {})[sys.argv[4]] = sys.argv[5]
    else:
        sys.exit(f"unknown edit {what}")
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(target, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(data))


if __name__ == "__main__":
    main()
