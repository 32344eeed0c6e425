#!/usr/bin/env python3
"""PyTorch reference for docs/Distillation.md (issue #13): the integration
test's recipe in plain PyTorch, to tell the recipe's outcome from mlopt's.

Teacher: the MLP 784-256-10 (examples/mlp.mlir), 5 epochs. Students:
784-64-10, 3 epochs, alone and with Hinton soft-label distillation
(F.kl_div(log_softmax(s/T), softmax(t/T), 'batchmean') * T^2 * alpha +
(1 - alpha) * cross_entropy, T=4, alpha=0.9). Adam lr 1e-3, batch 128, the
last partial batch dropped. Prints, per seed, the test accuracy of both
students and how often each one's argmax agrees with the teacher's.
Needs torch (Debian's python3-torch will do) and Debian's
dataset-fashion-mnist.

Usage: pytorch_distill.py [SEEDS=3] [THREADS=1]
"""
import gzip
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist/"
SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
BATCH, T, ALPHA = 128, 4.0, 0.9


def images(name):
    raw = gzip.open(DATA + name).read()
    return torch.tensor(np.frombuffer(raw, np.uint8, offset=16).reshape(
        -1, 784).astype(np.float32) / 255)


def labels(name):
    raw = gzip.open(DATA + name).read()
    return torch.tensor(np.frombuffer(raw, np.uint8, offset=8).astype(
        np.int64))


x_train = images("train-images-idx3-ubyte.gz")
y_train = labels("train-labels-idx1-ubyte.gz")
x_test = images("t10k-images-idx3-ubyte.gz")
y_test = labels("t10k-labels-idx1-ubyte.gz")


def mlp(hidden):
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(),
                         nn.Linear(hidden, 10))


def train(model, epochs, seed, teacher=None):
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(x_train), generator=order)
        for i in range(0, len(x_train) - BATCH + 1, BATCH):
            x, y = x_train[perm[i:i + BATCH]], y_train[perm[i:i + BATCH]]
            s = model(x)
            loss = F.cross_entropy(s, y)
            if teacher is not None:
                with torch.no_grad():
                    t = teacher(x)
                kd = F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1),
                              reduction="batchmean") * T * T
                loss = ALPHA * kd + (1 - ALPHA) * loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


@torch.no_grad()
def predictions(model):
    return model(x_test).argmax(1)


torch.manual_seed(0)
teacher = train(mlp(256), 5, 0)
teacher_pred = predictions(teacher)
print(f"torch {torch.__version__}; teacher 784-256-10, 5 epochs: "
      f"{(teacher_pred == y_test).float().mean() * 100:.2f}%")
print("seed  alone acc  agree   distilled acc  agree")
for seed in range(SEEDS):
    row = []
    for with_teacher in (False, True):
        torch.manual_seed(100 + seed)
        pred = predictions(train(mlp(64), 3, seed,
                                 teacher if with_teacher else None))
        row += [(pred == y_test).float().mean() * 100,
                (pred == teacher_pred).float().mean() * 100]
    print(f"{seed:4d}  {row[0]:8.2f}%  {row[1]:5.2f}%  {row[2]:12.2f}%  "
          f"{row[3]:5.2f}%", flush=True)
