"""PyTorch side of bench/run.sh: the same models, optimizers and shapes as the
mlopt benchmarks, timed the same way (median ms per training step after
warm-up). Prints one JSON object per benchmark."""
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


def bench(name, model, optimizer, make_batch, loss_fn):
    x, y = make_batch()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    print(json.dumps({"name": name, "ms": time_steps(step)}), flush=True)


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
