"""PyTorch side of bench/run.sh: the same models, optimizers, losses and
shapes as the mlopt cases, timed the way a PyTorch user would (median ms per
training step after warm-up; the Fashion-MNIST case times whole epochs of a
plain loop over pre-loaded, shuffled tensors). Prints one JSON object per line:
first {"event": "env"} (version, threads, the BLAS/OpenMP libraries this
process really mapped), then one {"name": ..., "ms": ...} per case.

usage: pytorch_reference.py [--threads N] [--compile] [--cases a,b,...]
                            [--steps N] [--block-steps N] [--epochs N]
                            [--fashion-mnist DIR]
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_models import Block, time_steps  # noqa: E402

CASES = ("toy", "mlp_sgd", "mlp_adam", "fmnist_epoch", "block", "sgemm")

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=0,
                    help="torch.set_num_threads (0: PyTorch's default)")
parser.add_argument("--compile", action="store_true",
                    help="torch.compile the model (PyTorch 2.x)")
parser.add_argument("--cases", default=",".join(CASES))
parser.add_argument("--steps", type=int, default=50)
parser.add_argument("--block-steps", type=int, default=20)
parser.add_argument("--epochs", type=int, default=3,
                    help="Fashion-MNIST epochs; the first is warm-up")
parser.add_argument("--fashion-mnist",
                    default="/usr/share/datasets/fashion-mnist")
args = parser.parse_args()

torch.manual_seed(0)
if args.threads > 0:
    torch.set_num_threads(args.threads)


def emit(record):
    print(json.dumps(record), flush=True)


def mapped_libraries():
    """The BLAS, LAPACK and OpenMP shared objects mapped into this process
    (after a matmul, so lazily loaded ones are there)."""
    keys = ("blas", "lapack", "mkl", "gomp", "iomp", "dnnl")
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if any(k in os.path.basename(path).lower() for k in keys):
                found.add(os.path.realpath(path))
    return sorted(found)


def prepare(model):
    return torch.compile(model) if args.compile else model


def bench_step(name, model, optimizer, batch, loss_fn, steps, warmup=10):
    x, y = batch
    compiled = prepare(model)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(compiled(x), y)
        loss.backward()
        optimizer.step()

    emit({"name": name, "ms": time_steps(step, steps, warmup),
          "steps": steps})


def mlp512():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512),
                         nn.ReLU(), nn.Linear(512, 10))


def mnist_batch():
    return torch.rand(128, 784), torch.randint(0, 10, (128,))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]),
                            dtype=torch.uint8).reshape(shape)


def fmnist_epoch():
    """examples/mlp.mlir on Fashion-MNIST as a user writes it: tensors loaded
    once, a new permutation per epoch, the last partial batch dropped (as
    mlopt-run does), loss.item() accumulated per step."""
    images = read_idx(os.path.join(args.fashion_mnist,
                                   "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.fashion_mnist,
                                   "train-labels-idx1-ubyte.gz"))
    x_all = images.reshape(len(images), 784).float() / 255.0
    y_all = labels.long()
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    compiled = prepare(model)
    batch, batches = 128, len(x_all) // 128
    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        perm = torch.randperm(len(x_all))
        total, correct = 0.0, torch.zeros((), dtype=torch.long)
        for i in range(batches):
            idx = perm[i * batch:(i + 1) * batch]
            x, y = x_all[idx], y_all[idx]
            optimizer.zero_grad(set_to_none=True)
            logits = compiled(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            total += loss.item()
            correct += (logits.argmax(1) == y).sum()
        seconds.append(time.perf_counter() - start)
    emit({"name": "fmnist_epoch", "ms": statistics.median(seconds[1:]) * 1e3,
          "epochs": args.epochs, "train_loss": total / batches,
          "train_accuracy": correct.item() / (batches * batch)})


cases = args.cases.split(",")
for case in cases:
    if case not in CASES:
        sys.exit(f"unknown case {case}; known: {','.join(CASES)}")

# Touch BLAS once so its library is mapped before we list them.
torch.mm(torch.rand(64, 64), torch.rand(64, 64))
env = {"event": "env", "torch": torch.__version__,
       "threads": torch.get_num_threads(), "compile": args.compile,
       "libraries": mapped_libraries()}
if hasattr(torch.backends, "cpu") and hasattr(torch.backends.cpu,
                                              "get_cpu_capability"):
    env["capability"] = torch.backends.cpu.get_cpu_capability()
for var in ("OPENBLAS_CORETYPE", "MALLOC_MMAP_THRESHOLD_",
            "MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "LD_LIBRARY_PATH"):
    env[var] = os.environ.get(var)
emit(env)

if "toy" in cases:
    toy = nn.Linear(10, 1)
    bench_step("toy", toy, torch.optim.Adam(toy.parameters(), lr=1e-3),
               (torch.randn(32, 10), torch.randn(32, 1)), F.mse_loss,
               args.steps * 4)
if "mlp_sgd" in cases:
    mlp = mlp512()
    bench_step("mlp_sgd", mlp,
               torch.optim.SGD(mlp.parameters(), lr=0.01, momentum=0.9),
               mnist_batch(), F.cross_entropy, args.steps)
if "mlp_adam" in cases:
    mlp = mlp512()
    bench_step("mlp_adam", mlp, torch.optim.Adam(mlp.parameters(), lr=1e-3),
               mnist_batch(), F.cross_entropy, args.steps)
if "fmnist_epoch" in cases:
    fmnist_epoch()
if "block" in cases:
    block = Block()
    # AdamW's default weight_decay is 0.01, mlopt's adamw default too.
    bench_step("block", block, torch.optim.AdamW(block.parameters(), lr=1e-3),
               (torch.randn(16, 128, 256), torch.randn(16, 128, 256)),
               F.mse_loss, args.block_steps, warmup=5)
if "sgemm" in cases:
    a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)
    ms = time_steps(lambda: torch.mm(a, b), 10, 3)
    emit({"name": "sgemm", "ms": ms,
          "gflops": 2 * 2048**3 / (ms / 1000) / 1e9})
