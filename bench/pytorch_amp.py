"""PyTorch side of bench/amp.py: the MLP 784-512-512-10 (batch 128, SGD
momentum) and the transformer block of examples/transformer_block.mlir
(batch 16, AdamW), each trained in f32 and under
torch.autocast('cpu', dtype=torch.bfloat16), timed as bench/run.sh does
(median ms per step after warm-up). Prints one JSON object per run.

Usage: pytorch_amp.py THREADS"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
WARMUP, STEPS = 10, 50


def time_steps(step):
    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(STEPS):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


class Block(nn.Module):
    """Pre-norm encoder block as in examples/transformer_block.mlir (the
    class of bench/pytorch_reference.py)."""

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


def bench(name, model, optimizer, x, y, loss_fn):
    for dtype in ("f32", "bf16"):
        def step():
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16,
                                enabled=dtype == "bf16"):
                loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()

        print(json.dumps({"name": name, "dtype": dtype,
                          "ms": time_steps(step)}), flush=True)


mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512),
                    nn.ReLU(), nn.Linear(512, 10))
bench("mlp_512", mlp, torch.optim.SGD(mlp.parameters(), lr=0.01, momentum=0.9),
      torch.rand(128, 784), torch.randint(0, 10, (128,)), F.cross_entropy)

block = Block()
bench("transformer_block", block,
      torch.optim.AdamW(block.parameters(), lr=1e-3),
      torch.randn(16, 128, 256), torch.randn(16, 128, 256), F.mse_loss)
