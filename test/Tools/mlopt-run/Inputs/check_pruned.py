"""Checks the pruned tensors of safetensors checkpoints that mlopt-run wrote,
against a sort done here (pure Python, no numpy).

Usage:
  check_pruned.py shapes FILE NAME=D0xD1... ...
      each tensor has the given shape
  check_pruned.py zeros FILE NAME COUNT ...
      NAME holds exactly COUNT zeros (and NAME.mask, when present, too)
  check_pruned.py nm FILE NAME N M
      every group of M consecutive elements of each row of NAME holds at
      most N non-zeros
  check_pruned.py smallest BEFORE AFTER AMOUNT NAME...
      AFTER's masks of NAMEs prune exactly the round(AMOUNT * total) entries
      of smallest |value| in BEFORE over all NAMEs together (one name: the
      per-tensor l1 rule; several: the global one); ties are absent in
      trained float weights
  check_pruned.py rows BEFORE AFTER AMOUNT NAME
      AFTER's mask of NAME prunes exactly the round(AMOUNT * rows) rows of
      smallest L2 norm in BEFORE
  check_pruned.py cubic FILE NAME INITIAL FINAL START END FREQ STEPS
      after STEPS training steps, NAME.mask holds the zeros of the gradual
      schedule's last update: round(s(t) * size) at the largest update step
      t < STEPS
"""
import json
import math
import struct
import sys

FORMATS = {"F32": "f", "F64": "d", "I64": "q", "I32": "i", "I8": "b", "BOOL": "?"}


def load(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        fmt = FORMATS[info["dtype"]]
        count = (end - start) // struct.calcsize(fmt)
        values = struct.unpack(f"<{count}{fmt}", data[start:end])
        tensors[name] = (info["shape"], list(values))
    return tensors


def fail(message):
    sys.exit(f"check_pruned: {message}")


def zeros(values):
    return [i for i, v in enumerate(values) if v == 0.0]


def check_smallest(before, after, amount, names):
    scores = []
    for name in names:
        scores += [(abs(v), name, i) for i, v in enumerate(before[name][1])]
    k = round(amount * len(scores))
    expected = {(name, i) for _, name, i in sorted(scores)[:k]}
    got = set()
    for name in names:
        got |= {(name, i) for i in zeros(after[name + ".mask"][1])}
    if got != expected:
        fail(f"{len(got ^ expected)} entries differ from the {k} smallest "
             f"(pruned {len(got)})")


def check_rows(before, after, amount, name):
    shape, values = before[name]
    rows, cols = shape[0], math.prod(shape[1:])
    norms = [(math.fsum(v * v for v in values[r * cols:(r + 1) * cols]), r)
             for r in range(rows)]
    k = round(amount * rows)
    expected = {r for _, r in sorted(norms)[:k]}
    mask = after[name + ".mask"][1]
    got = set()
    for r in range(rows):
        row = mask[r * cols:(r + 1) * cols]
        if all(v == 0.0 for v in row):
            got.add(r)
        elif any(v == 0.0 for v in row):
            fail(f"row {r} of {name}.mask is partly pruned")
    if got != expected:
        fail(f"pruned rows {sorted(got)} != the {k} of smallest norm "
             f"{sorted(expected)}")


def cubic(initial, final, start, end, t):
    if t <= start:
        return initial if t < start else (final if end == start else initial)
    if t >= end:
        return final
    return final + (initial - final) * (1 - (t - start) / (end - start)) ** 3


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "shapes":
        tensors = load(args[0])
        for spec in args[1:]:
            name, shape = spec.split("=")
            want = [int(d) for d in shape.split("x")] if shape else []
            if name not in tensors:
                fail(f"no tensor {name}")
            if tensors[name][0] != want:
                fail(f"{name} has shape {tensors[name][0]}, expected {want}")
    elif mode == "zeros":
        tensors = load(args[0])
        for name, count in zip(args[1::2], args[2::2]):
            for key in (name, name + ".mask"):
                if key in tensors and len(zeros(tensors[key][1])) != int(count):
                    fail(f"{key} holds {len(zeros(tensors[key][1]))} zeros, "
                         f"expected {count}")
    elif mode == "nm":
        shape, values = load(args[0])[args[1]]
        n, m = int(args[2]), int(args[3])
        cols = shape[-1]
        for r in range(len(values) // cols):
            for g in range(0, cols, m):
                group = values[r * cols + g:r * cols + g + m]
                if sum(v != 0.0 for v in group) > n:
                    fail(f"row {r}, group {g // m} has more than {n} non-zeros")
    elif mode == "smallest":
        check_smallest(load(args[0]), load(args[1]), float(args[2]), args[3:])
    elif mode == "rows":
        check_rows(load(args[0]), load(args[1]), float(args[2]), args[3])
    elif mode == "cubic":
        name = args[1]
        initial, final = float(args[2]), float(args[3])
        start, end, freq, steps = (int(a) for a in args[4:8])
        updates = [t for t in range(start, min(end, steps - 1) + 1, freq)]
        if not updates:
            fail("no update happened in the given steps")
        mask = load(args[0])[name + ".mask"][1]
        want = round(cubic(initial, final, start, end, updates[-1]) * len(mask))
        if len(zeros(mask)) != want:
            fail(f"{name}.mask holds {len(zeros(mask))} zeros after {steps} "
                 f"steps, expected {want} (update at step {updates[-1]})")
    else:
        fail(f"unknown mode {mode}")
    print("ok")


if __name__ == "__main__":
    main()
