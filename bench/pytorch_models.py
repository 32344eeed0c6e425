"""What the PyTorch sides of the benchmarks share (bench/pytorch_reference.py,
bench/pytorch_amp.py): the timing of a training step and the transformer
block of examples/transformer_block.mlir."""
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

WARMUP, STEPS = 10, 50


def time_steps(step, steps=STEPS, warmup=WARMUP):
    """Median ms of `step()` over `steps` calls after `warmup` calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


class Block(nn.Module):
    """Pre-norm encoder block as in examples/transformer_block.mlir."""

    def __init__(self, d=256, heads=4, ffn=1024):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x):
        b, s, d = x.shape
        h = self.ln1(x)

        def split(t):
            return t.view(b, s, self.heads, d // self.heads).transpose(1, 2)

        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        p = torch.softmax(q @ k.transpose(-1, -2) * (d // self.heads) ** -0.5,
                          -1)
        a = (p @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.o(a)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
