"""PyTorch side of bench/prune.py: the same prune-then-fine-tune recipes with
torch.nn.utils.prune (which keeps dense shapes: a pruned weight is
weight_orig * weight_mask), on the same Fashion-MNIST MLP, Adam lr 1e-3,
batch 128. Prints one JSON object per result.

Usage: pytorch_prune.py THREADS DENSE_EPOCHS
"""
import copy
import gzip
import json
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

DATA = "/usr/share/datasets/fashion-mnist"
torch.manual_seed(0)
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
DENSE_EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
BATCH = 128


def idx(name, offset):
    with gzip.open(f"{DATA}/{name}", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(prefix):
    images = idx(f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    labels = idx(f"{prefix}-labels-idx1-ubyte.gz", 8)
    return (torch.from_numpy(images.astype(np.float32) / 255.0),
            torch.from_numpy(labels.astype(np.int64)))


train_x, train_y = load("train")
test_x, test_y = load("t10k")


def mlp(hidden=256):
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(),
                         nn.Linear(hidden, 10))


def train(model, epochs):
    """Returns seconds per epoch (median)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(train_x), generator=generator)
        for i in range(0, len(order) - BATCH + 1, BATCH):
            batch = order[i:i + BATCH]
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(train_x[batch]), train_y[batch]).backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


@torch.no_grad()
def accuracy(model):
    return (model(test_x).argmax(1) == test_y).float().mean().item()


def step_ms(model, steps=50, warmup=10):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = train_x[:BATCH], train_y[:BATCH]
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def report(name, model, epoch_seconds=None):
    record = {"name": name, "accuracy": accuracy(model),
              "step_ms": step_ms(copy.deepcopy(model))}
    if epoch_seconds is not None:
        record["epoch_seconds"] = epoch_seconds
    print(json.dumps(record), flush=True)


dense = mlp()
dense_epoch = train(dense, DENSE_EPOCHS)
report("dense", dense, dense_epoch)

# l1_unstructured 50% of every linear weight, fine-tuned one epoch.
l1 = copy.deepcopy(dense)
for layer in (l1[0], l1[2]):
    prune.l1_unstructured(layer, "weight", amount=0.5)
report("l1_50", l1, train(l1, 1))

# ln_structured (L2, dim 0) on fc1: half or three quarters of the hidden
# neurons, fine-tuned one epoch; the shapes stay dense.
for amount in (0.5, 0.75):
    ln = copy.deepcopy(dense)
    prune.ln_structured(ln[0], "weight", amount=amount, n=2, dim=0)
    report(f"ln_{int(amount * 100)}", ln, train(ln, 1))

# The bench MLP 784-512-512-10 (step time only): dense, and with fc1 and fc2
# ln_structured-pruned (dense shapes, as torch.nn.utils.prune leaves them).
for amount in (0.0, 0.5, 0.75):
    big = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512),
                        nn.ReLU(), nn.Linear(512, 10))
    if amount:
        for layer in (big[0], big[2]):
            prune.ln_structured(layer, "weight", amount=amount, n=2, dim=0)
    print(json.dumps({"name": f"mlp512_ln_{int(amount * 100)}",
                      "step_ms": step_ms(big)}), flush=True)
