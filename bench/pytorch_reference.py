"""PyTorch side of bench/run.sh: the same models, optimizers and shapes as the
mlopt benchmarks, timed the same way (median ms per training step after
warm-up). Prints one JSON object per benchmark."""
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


def bench(name, model, optimizer, make_batch, loss_fn):
    x, y = make_batch()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    print(json.dumps({"name": name, "ms": time_steps(step)}), flush=True)


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
        split = lambda t: t.view(b, s, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        p = torch.softmax(q @ k.transpose(-1, -2) * (d // self.heads) ** -0.5, -1)
        a = (p @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.o(a)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


toy = nn.Linear(10, 1)
bench("toy_linear_adam_b32", toy, torch.optim.Adam(toy.parameters(), lr=1e-3),
      lambda: (torch.randn(32, 10), torch.randn(32, 1)), F.mse_loss)

mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512),
                    nn.ReLU(), nn.Linear(512, 10))
bench("mlp_512_sgd_momentum_b128", mlp,
      torch.optim.SGD(mlp.parameters(), lr=0.01, momentum=0.9),
      lambda: (torch.rand(128, 784), torch.randint(0, 10, (128,))),
      F.cross_entropy)

block = Block()
bench("transformer_block_adamw_b16", block,
      torch.optim.AdamW(block.parameters(), lr=1e-3),
      lambda: (torch.randn(16, 128, 256), torch.randn(16, 128, 256)),
      F.mse_loss)

a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)
ms = time_steps(lambda: torch.mm(a, b))
print(json.dumps({"name": "sgemm_2048", "ms": ms,
                  "gflops": 2 * 2048**3 / (ms / 1000) / 1e9}), flush=True)
