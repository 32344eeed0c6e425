"""Data for and checks of mlopt-run --predict, without NumPy (.npy by hand).

usage: predictions.py make-data DIR NTRAIN NTEST
           DIR/{train,test}_{x,y}.npy: y int64 [N] a random class, x float32
           [N, 784] uniform in [0, 0.25) with x[y] raised by 1 (an MLP learns
           the rule quickly; where noise wins, argmax(x[:10]) is the label)
       predictions.py check PRED.npy ROWS COLS [LABELS.npy METRICS.jsonl]
           PRED is float32 [ROWS, COLS]; with labels, the argmax of each row
           agrees with the label exactly as often as the summary's
           test_accuracy says
       predictions.py close A.npy B.npy ATOL
           the two float32 arrays have one shape and agree within ATOL
       predictions.py closer STUDENT.npy TEACHER.npy BASELINE.npy MARGIN
           the argmax of STUDENT's rows agrees with TEACHER's on at least
           MARGIN (a fraction) more rows than BASELINE's does (distillation
           transfers the teacher's decisions); prints both agreements
"""
import ast
import json
import random
import struct
import sys


def write_npy(path, descr, shape, values):
    fmt = {"<f4": "f", "<i8": "q"}[descr]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join(f"{d}, " for d in shape))
    # Pad so the data starts 64-byte aligned, the header ending in '\n'.
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack(f"<{len(values)}{fmt}", *values))


def read_npy(path):
    data = open(path, "rb").read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    major = data[6]
    if major == 1:
        (length,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (length,), start = struct.unpack("<I", data[8:12]), 12
    header = ast.literal_eval(data[start:start + length].decode("latin1"))
    offset = start + length
    if offset % 64:
        sys.exit(f"{path}: the data starts at {offset}, not 64-byte aligned")
    if header["fortran_order"]:
        sys.exit(f"{path}: Fortran order")
    fmt = {"<f4": "f", "<i8": "q"}[header["descr"]]
    shape = tuple(header["shape"])
    count = 1
    for d in shape:
        count *= d
    size = struct.calcsize(fmt)
    if len(data) - offset != count * size:
        sys.exit(f"{path}: {len(data) - offset} data bytes, expected "
                 f"{count * size} for shape {shape}")
    values = struct.unpack(f"<{count}{fmt}", data[offset:])
    return header["descr"], shape, values


def make_data(directory, ntrain, ntest):
    rng = random.Random(8)
    for split, n in (("train", ntrain), ("test", ntest)):
        xs, ys = [], []
        for _ in range(n):
            x = [0.25 * rng.random() for _ in range(784)]
            x[rng.randrange(10)] += 1.0
            xs.extend(x)
            ys.append(max(range(10), key=lambda c: x[c]))
        write_npy(f"{directory}/{split}_x.npy", "<f4", (n, 784), xs)
        write_npy(f"{directory}/{split}_y.npy", "<i8", (n,), ys)


def check(pred_path, rows, cols, labels_path=None, metrics_path=None):
    descr, shape, values = read_npy(pred_path)
    if descr != "<f4" or shape != (rows, cols):
        sys.exit(f"{pred_path}: {descr} {shape}, expected <f4 {(rows, cols)}")
    if labels_path is None:
        return
    _, label_shape, labels = read_npy(labels_path)
    if label_shape != (rows,):
        sys.exit(f"{labels_path}: shape {label_shape}, expected {(rows,)}")
    correct = 0
    for r in range(rows):
        row = values[r * cols:(r + 1) * cols]
        correct += max(range(cols), key=lambda c: row[c]) == labels[r]
    summary = [json.loads(line) for line in open(metrics_path)][-1]
    reported = summary["test_accuracy"]
    if abs(correct / rows - reported) > 1e-6:
        sys.exit(f"the predictions' argmax matches {correct} of {rows} labels "
                 f"({correct / rows}), the evaluation reports {reported}")
    print(f"argmax agrees with {correct} of {rows} labels")


def close(a_path, b_path, atol):
    _, a_shape, a = read_npy(a_path)
    _, b_shape, b = read_npy(b_path)
    if a_shape != b_shape:
        sys.exit(f"shapes differ: {a_shape} and {b_shape}")
    worst = max(abs(x - y) for x, y in zip(a, b))
    if worst > atol:
        sys.exit(f"the predictions differ by up to {worst}, more than {atol}")


def argmaxes(path):
    descr, shape, values = read_npy(path)
    if descr != "<f4" or len(shape) != 2:
        sys.exit(f"{path}: {descr} {shape}, expected <f4 [N, C]")
    rows, cols = shape
    return [max(range(cols), key=lambda c: values[r * cols + c])
            for r in range(rows)]


def closer(student_path, teacher_path, baseline_path, margin):
    student, teacher, baseline = (argmaxes(p) for p in
                                  (student_path, teacher_path, baseline_path))
    if not len(student) == len(teacher) == len(baseline):
        sys.exit("the predictions have different row counts")
    rows = len(teacher)
    ours = sum(s == t for s, t in zip(student, teacher)) / rows
    theirs = sum(b == t for b, t in zip(baseline, teacher)) / rows
    print(f"agreement with {teacher_path}: {student_path} {ours:.4f}, "
          f"{baseline_path} {theirs:.4f}")
    if not ours >= theirs + margin:
        sys.exit(f"{student_path} agrees with the teacher on {ours:.4f} of "
                 f"the rows, {baseline_path} on {theirs:.4f}: expected at "
                 f"least {margin} more")


command = sys.argv[1]
if command == "make-data":
    make_data(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif command == "check":
    check(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:7])
elif command == "close":
    close(sys.argv[2], sys.argv[3], float(sys.argv[4]))
elif command == "closer":
    closer(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
else:
    sys.exit(f"unknown command {command}")
