#!/usr/bin/env python3
"""Helpers of dropout-seed.test.

usage: dropout_seed.py data DIR              writes DIR/x.npy [32, 4] and
                                             DIR/y.npy [32, 1] (f32) whose
                                             rows are all alike, so the
                                             seeded shuffle changes nothing
       dropout_seed.py same A B NAME...      the tensors NAME of checkpoints
                                             A and B are bit for bit equal
       dropout_seed.py differ A B NAME...    each tensor NAME differs
"""
import json
import struct
import sys


def write_npy(path, shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        "".join(f"{d}, " for d in shape))
    # Magic, version 1.0, header length; the header padded to 64 bytes.
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack(f"<{len(values)}f", *values))


def tensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    return {name: data[entry["data_offsets"][0]:entry["data_offsets"][1]]
            for name, entry in header.items() if name != "__metadata__"}


def main():
    command = sys.argv[1]
    if command == "data":
        directory = sys.argv[2]
        write_npy(f"{directory}/x.npy", (32, 4), [0.5, -1.0, 2.0, 0.25] * 32)
        write_npy(f"{directory}/y.npy", (32, 1), [1.5] * 32)
        return
    a, b = tensors(sys.argv[2]), tensors(sys.argv[3])
    for name in sys.argv[4:]:
        if name not in a or name not in b:
            sys.exit(f"{name} is missing from a checkpoint")
        if command == "same" and a[name] != b[name]:
            sys.exit(f"{name} differs between {sys.argv[2]} and {sys.argv[3]}")
        if command == "differ" and a[name] == b[name]:
            sys.exit(f"{name} is the same in {sys.argv[2]} and {sys.argv[3]}")
    print("ok")


if __name__ == "__main__":
    main()
