"""PyTorch side of bench/amp.py: the MLP 784-512-512-10 (batch 128, SGD
momentum) and the transformer block of examples/transformer_block.mlir
(batch 16, AdamW), each trained in f32 and under
torch.autocast('cpu', dtype=torch.bfloat16), timed as bench/run.sh does
(median ms per step after warm-up). Prints one JSON object per run.

Usage: pytorch_amp.py THREADS"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_models import Block, time_steps  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)


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
