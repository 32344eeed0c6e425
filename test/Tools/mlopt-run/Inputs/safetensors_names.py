#!/usr/bin/env python3
"""Prints the tensor names of a safetensors file, sorted, one a line.

Usage: safetensors_names.py FILE.safetensors
"""
import json
import struct
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    for name in sorted(k for k in header if k != "__metadata__"):
        print(name)


if __name__ == "__main__":
    main()
