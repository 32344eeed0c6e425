#!/usr/bin/env python3
"""int8 benchmark (issue #12): model forwards in f32 and int8, mlopt against
PyTorch's quantize_dynamic, in one run on this machine.

mlopt side: build/bin/mlopt-bench-quantized-model (bench/
QuantizedModelBench.cpp) compiles, for the CPU, the Fashion-MNIST MLP
784-256-10 (examples/mlp.mlir) and one 1024x1024 linear layer, each in f32
and through mlopt-quantize (dynamic: activations quantized per batch, as
quantize_dynamic; static: stored activation parameters), and times
@predict_step at batch 256 on every int8 kernel path this CPU has
(mlopt_qgemm_s8: VNNI dot products, else AVX2 multiply-adds).

PyTorch side: bench/pytorch_quantize.py (Debian's python3-torch):
nn.Linear / the MLP in f32 and after quantize_dynamic (per-channel int8
weights), same shapes, same thread count.

Compare the ratios within this run only.

Usage: bench/quantize.py [--build build] [--threads N] [--repetitions 200]
"""

import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import cpu_description  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ROW = re.compile(r"^(?P<model>.+?)\s{2,}(?P<mode>f32|int8 \w+(?: a7)?)\s+"
                 r"(?P<path>\S+)\s+(?P<ms>[0-9.]+)\s+(?P<ratio>[0-9.]+)x$")
# mlopt-bench-quantized-model's model labels -> pytorch_quantize.py's names.
PYTORCH_NAMES = {
    "MLP 784-256-10, batch 256": "mlp 784-256-10 forward, batch 256",
    "linear 1024x1024, batch 256":
        "linear 1024x1024, batch 256 (M=256 N=1024 K=1024)",
}


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repetitions", type=int, default=200)
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    print(f"CPU: {cpu_description()}, {args.threads} threads")

    subprocess.run(["cmake", "--build", args.build, "--target",
                    "mlopt-bench-quantized-model"], check=True,
                   stdout=subprocess.DEVNULL)
    proc = subprocess.run(
        [os.path.join(args.build, "bin", "mlopt-bench-quantized-model"),
         os.path.join(ROOT, "examples", "mlp.mlir"), str(args.repetitions)],
        capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"mlopt-bench-quantized-model failed:\n{proc.stderr}")
    print(proc.stdout.rstrip())
    mlopt = {}
    for line in proc.stdout.splitlines():
        match = ROW.match(line.strip())
        if match:
            mlopt.setdefault(match["model"], []).append(
                (match["mode"], match["path"], float(match["ms"])))

    proc = subprocess.run(
        ["/usr/bin/python3", os.path.join(ROOT, "bench", "pytorch_quantize.py"),
         str(args.threads)], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"pytorch_quantize.py failed:\n{proc.stderr}")
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    torch = {rec["name"]: rec for rec in records if "name" in rec}
    setup = records[0]
    print(f"\nPyTorch {setup['torch']}: quantize_dynamic, "
          f"engine {setup['engine']}")

    print(f"\n{'model':30} {'mode':13} {'int8 path':11} {'mlopt ms':>9}"
          f" {'f32/mode':>8} {'PyTorch ms':>10} {'f32/int8':>8}")
    for model, rows in mlopt.items():
        ref = torch[PYTORCH_NAMES[model]]
        f32 = next(ms for mode, _, ms in rows if mode == "f32")
        for mode, path, ms in rows:
            torch_ms = torch_ratio = "-"
            if mode == "f32":
                torch_ms = f"{ref['f32_ms']:.3f}"
            elif mode == "int8 dynamic":
                torch_ms = f"{ref['int8_ms']:.3f}"
                torch_ratio = f"{ref['f32/int8']:.2f}x"
            print(f"{model:30} {mode:13} {path:11} {ms:9.3f}"
                  f" {f32 / ms:7.2f}x {torch_ms:>10} {torch_ratio:>8}")
    print("PyTorch columns: its f32 module and quantize_dynamic (no static "
          "row: PyTorch's static int8 needs its own prepare/convert flow)")


if __name__ == "__main__":
    main()
