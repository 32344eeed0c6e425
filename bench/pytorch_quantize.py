"""PyTorch side of bench/QuantizedMatmulBench.cpp (mlopt-bench-qmatmul):
nn.Linear forward in f32 and after torch.ao.quantization.quantize_dynamic
(int8 weights per output channel, activations quantized per batch at run
time, PyTorch's `quantize_dynamic` semantics) on the same shapes: the
1024x1024 linear and the Fashion-MNIST MLP's layers (784-256-10), batch
256, and the MLP's forward (linear, relu, linear) as a whole. Times are
median ms per forward (bench/pytorch_models.py's time_steps) under
torch.inference_mode(), each after a pause of 0.2 s so that the threads of
the library timed before (OpenBLAS' spin about 2^28 cycles after a product)
are asleep; prints the CPU line, then one JSON object per shape.
THREADS (default 2) is torch's thread count (oneDNN, OpenMP) and
OpenBLAS' (f32), as mlopt-bench-qmatmul uses OpenBLAS' count.

Usage: pytorch_quantize.py THREADS"""
import json
import os
import sys
import time

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
# OpenBLAS reads its thread count when it is loaded (with torch).
os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
os.environ["OMP_NUM_THREADS"] = str(threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.ao.quantization import (  # noqa: E402
    per_channel_dynamic_qconfig, quantize_dynamic)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import cpu_description  # noqa: E402
from pytorch_models import time_steps  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(threads)
# Debian's python3-torch has no fbgemm: its x86 int8 engine is oneDNN.
engine = "onednn" if "onednn" in torch.backends.quantized.supported_engines \
    else torch.backends.quantized.supported_engines[0]
torch.backends.quantized.engine = engine
print(json.dumps({"cpu": cpu_description(), "torch": torch.__version__,
                  "engine": engine, "threads": threads}), flush=True)


def bench(name, model, batch, features):
    x = torch.rand(batch, features)
    # quantize_dynamic swaps submodules only: a bare nn.Linear goes in a
    # Sequential.
    model = nn.Sequential(model)
    qmodel = quantize_dynamic(model, {nn.Linear: per_channel_dynamic_qconfig},
                              dtype=torch.qint8)
    assert not any(type(m) is nn.Linear for m in qmodel.modules()), qmodel
    with torch.inference_mode():
        time.sleep(0.2)
        f32 = time_steps(lambda: model(x))
        time.sleep(0.2)
        int8 = time_steps(lambda: qmodel(x))
    print(json.dumps({"name": name, "f32_ms": round(f32, 4),
                      "int8_ms": round(int8, 4),
                      "f32/int8": round(f32 / int8, 2)}), flush=True)


bench("linear 1024x1024, batch 256 (M=256 N=1024 K=1024)",
      nn.Linear(1024, 1024), 256, 1024)
bench("mlp fc1 784->256, batch 256 (M=256 N=256 K=784)",
      nn.Linear(784, 256), 256, 784)
bench("mlp fc2 256->10, batch 256 (M=256 N=10 K=256)",
      nn.Linear(256, 10), 256, 256)
bench("mlp 784-256-10 forward, batch 256",
      nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), 256,
      784)
