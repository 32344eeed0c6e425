#!/usr/bin/env python3
"""Writes the model's tensors of an mlopt checkpoint as a PyTorch state_dict
would be saved with safetensors.torch.save_file: only the named tensors
given (no optimizer state, no step counter), metadata {"format": "pt"}.

Usage: state_dict_from.py IN.safetensors OUT.safetensors NAME[=NEW]...
(NAME=NEW stores tensor NAME under the name NEW.)
"""
import json
import struct
import sys


def main():
    source, target, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(source, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors, blobs, offset = {}, [], 0
    renames = dict(n.split("=", 1) if "=" in n else (n, n) for n in names)
    for name in sorted(renames, key=renames.get):
        entry = header[name]
        begin, end = entry["data_offsets"]
        blob = data[begin:end]
        tensors[renames[name]] = {"dtype": entry["dtype"], "shape": entry["shape"],
                         "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps({"__metadata__": {"format": "pt"}, **tensors},
                      separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(target, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


if __name__ == "__main__":
    main()
