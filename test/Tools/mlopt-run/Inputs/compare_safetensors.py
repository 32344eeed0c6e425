#!/usr/bin/env python3
"""Compares two safetensors files tensor by tensor and prints the worst one.

Usage: compare_safetensors.py A B [R] [--rtol R] [--ignore REGEX]... [--only REGEX]

Both files must hold the same tensor names with the same dtype and shape
(tensors whose name matches an --ignore regex are skipped; with --only just
the matching ones are compared). A tensor's difference is
max|a - b| / max(max|a|, max|b|, tiny): the largest element difference relative to
the tensor's scale, so entries near zero do not need to agree to R of
themselves. Integer and bool tensors must be equal. Prints one line per
tensor with -v, always the worst one, and exits 1 when it exceeds R
(default 1e-5) or the files do not match.
"""
import json
import re
import struct
import sys

FORMATS = {"F64": "d", "F32": "f", "F16": "e", "I64": "q", "I32": "i",
           "I16": "h", "I8": "b", "U8": "B", "BOOL": "?"}
FLOATS = {"F64", "F32", "F16", "BF16"}


def read(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = data[begin:end]
        dtype = entry["dtype"]
        if dtype == "BF16":
            # bf16 is the high half of an f32.
            halves = struct.unpack(f"<{len(raw) // 2}H", raw)
            values = [struct.unpack("<f", struct.pack("<I", h << 16))[0]
                      for h in halves]
        elif dtype in FORMATS:
            size = struct.calcsize(FORMATS[dtype])
            values = list(struct.unpack(f"<{len(raw) // size}{FORMATS[dtype]}",
                                        raw))
        else:
            sys.exit(f"{path}: tensor '{name}': unsupported dtype {dtype}")
        tensors[name] = (dtype, entry["shape"], values)
    return tensors


def main():
    args = sys.argv[1:]
    rtol, ignore, only, verbose, files = 1e-5, [], [], False, []
    while args:
        arg = args.pop(0)
        if arg == "--rtol":
            rtol = float(args.pop(0))
        elif arg == "--ignore":
            ignore.append(re.compile(args.pop(0)))
        elif arg == "--only":
            only.append(re.compile(args.pop(0)))
        elif arg == "-v":
            verbose = True
        else:
            files.append(arg)
    if len(files) == 3:
        rtol = float(files.pop())
    if len(files) != 2:
        sys.exit(__doc__)

    def wanted(name):
        if any(r.search(name) for r in ignore):
            return False
        return not only or any(r.search(name) for r in only)

    a, b = (read(path) for path in files)
    names_a = {n for n in a if wanted(n)}
    names_b = {n for n in b if wanted(n)}
    if names_a != names_b:
        sys.exit(f"tensor names differ: only in {files[0]}: "
                 f"{sorted(names_a - names_b)}; only in {files[1]}: "
                 f"{sorted(names_b - names_a)}")
    if not names_a:
        sys.exit("no tensor to compare")
    worst = None
    for name in sorted(names_a):
        (dtype_a, shape_a, va), (dtype_b, shape_b, vb) = a[name], b[name]
        if dtype_a != dtype_b or shape_a != shape_b:
            sys.exit(f"tensor '{name}': {dtype_a} {shape_a} vs "
                     f"{dtype_b} {shape_b}")
        if dtype_a in FLOATS:
            diffs = [abs(x - y) for x, y in zip(va, vb)]
            scale = max((abs(x) for x in va + vb), default=0.0)
            index = max(range(len(diffs)), key=diffs.__getitem__, default=0)
            diff = diffs[index] if diffs else 0.0
            rel = diff / max(scale, 1e-30) if diff else 0.0
            if any(x != x for x in va) != any(y != y for y in vb):
                rel = float("inf")
        else:
            mismatches = [i for i, (x, y) in enumerate(zip(va, vb)) if x != y]
            index = mismatches[0] if mismatches else 0
            diff = abs(va[index] - vb[index]) if mismatches else 0
            scale = max((abs(y) for y in vb), default=0)
            rel = float("inf") if mismatches else 0.0
        line = (f"{name}: max|a-b| {diff:.3g} at {index}, scale {scale:.3g}, "
                f"relative {rel:.3g}")
        if verbose:
            print(line)
        if worst is None or rel > worst[0]:
            worst = (rel, line)
    print(f"compared {len(names_a)} tensors; worst {worst[1]}")
    if not worst[0] <= rtol:
        sys.exit(f"exceeds the relative tolerance {rtol:g}")


if __name__ == "__main__":
    main()
