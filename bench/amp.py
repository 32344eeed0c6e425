#!/usr/bin/env python3
"""Mixed-precision benchmark (issue #11): ms per training step in f32 and
bf16, mlopt against PyTorch's torch.autocast('cpu', dtype=torch.bfloat16),
in one run on this machine.

mlopt side: mlopt-run --backend=cpu, f32 as written and with --amp=bf16
(mlopt-amp{dtype=bf16}: f32 master weights, linear/matmul/batch_matmul in
bf16 accumulating in f32, softmax, norms and losses in f32), on
  - the bench MLP 784-512-512-10 (bench/mlp_512.mlir), batch 128, SGD
    momentum 0.9, lr 0.01;
  - the transformer block (examples/transformer_block.mlir), batch 16,
    AdamW lr 1e-3.
bf16 matmuls run mlopt_gemm_bf16: VDPBF16PS dot products where the CPU has
AVX512_BF16, else bf16 -> f32 and OpenBLAS sgemm (lib/Runtime/
CpuKernelsLowPrecision.cpp); the script prints which one this CPU gets, and
times the fallback too (row bf16*, MLOPT_NO_BF16_DOT_KERNEL=1).

PyTorch side (bench/pytorch_amp.py, Debian's python3-torch): the same models
and optimizers, f32 and under autocast.

Step times are medians over the steps of a `--train=synthetic:1024` run, as
in bench/run.sh. Compare the columns as ratios within this run only; on a
loaded machine --threads=1 gives steadier figures.

Usage: bench/amp.py [--build build] [--threads N] [--steps 60]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import cpu_description  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODELS = [
    ("mlp_512", "MLP 784-512-512-10, batch 128, SGD momentum",
     os.path.join(ROOT, "bench", "mlp_512.mlir"),
     ["--optimizer=sgd", "--lr=0.01", "--momentum=0.9"]),
    ("transformer_block", "transformer block d=256 s=128, batch 16, AdamW",
     os.path.join(ROOT, "examples", "transformer_block.mlir"),
     ["--optimizer=adamw", "--lr=1e-3"]),
]


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def bf16_kernel_description():
    """The rule of lib/Runtime/CpuKernelsLowPrecision.cpp's dispatch."""
    if {"avx512f", "avx512bw", "avx512_bf16"} <= cpu_flags():
        return "AVX512_BF16 dot products (vdpbf16ps kernel)"
    return "no AVX512_BF16: bf16 -> f32, OpenBLAS sgemm"


def step_ms(run_path, workdir, name, model, options, steps):
    metrics = os.path.join(workdir, f"{name}.jsonl")
    proc = subprocess.run(
        [run_path, model, "--backend=cpu", "--train=synthetic:1024",
         f"--steps={steps}", "--epochs=1000", "--seed=0",
         f"--metrics={metrics}", *options],
        capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"mlopt-run {name} failed:\n{proc.stderr}")
    with open(metrics) as f:
        return json.loads(f.readlines()[-1])["step_ms_median"]


def pytorch_env():
    """The tuned PyTorch setup of /work/shared/TOOLCHAIN.md where it is
    installed: OpenMP OpenBLAS and large malloc thresholds."""
    env = dict(os.environ)
    env["MALLOC_MMAP_THRESHOLD_"] = "1073741824"
    env["MALLOC_TRIM_THRESHOLD_"] = "1073741824"
    openmp = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
    if os.path.isdir(openmp):
        env["LD_LIBRARY_PATH"] = openmp + (
            ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        return env, "OpenMP OpenBLAS"
    return env, "pthread OpenBLAS (libopenblas0-openmp is not installed)"


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    print(f"CPU: {cpu_description()}")
    print(f"mlopt bf16 matmuls: {bf16_kernel_description()}")
    try:
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
              f", {args.threads} threads")
    except OSError:
        pass

    run_path = os.path.join(args.build, "bin", "mlopt-run")
    mlopt = {}
    with tempfile.TemporaryDirectory(prefix="mlopt-amp-bench-") as workdir:
        for name, _, model, options in MODELS:
            mlopt[name, "f32"] = step_ms(run_path, workdir, name + "-f32",
                                         model, options, args.steps)
            mlopt[name, "bf16"] = step_ms(run_path, workdir, name + "-bf16",
                                          model, [*options, "--amp=bf16"],
                                          args.steps)
            # The f32-conversion path of CPUs without AVX512_BF16.
            os.environ["MLOPT_NO_BF16_DOT_KERNEL"] = "1"
            mlopt[name, "bf16*"] = step_ms(run_path, workdir,
                                           name + "-bf16-fallback", model,
                                           [*options, "--amp=bf16"],
                                           args.steps)
            del os.environ["MLOPT_NO_BF16_DOT_KERNEL"]

    env, blas = pytorch_env()
    proc = subprocess.run(
        ["/usr/bin/python3", os.path.join(ROOT, "bench", "pytorch_amp.py"),
         str(args.threads)], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"pytorch_amp.py failed:\n{proc.stderr}")
    torch = {(rec["name"], rec["dtype"]): rec["ms"]
             for rec in map(json.loads, proc.stdout.splitlines())}
    print(f"PyTorch: torch.autocast('cpu', dtype=torch.bfloat16), {blas}")

    print(f"\n{'model':48} {'':5} {'mlopt ms':>9} {'bf16/f32':>8}"
          f" {'PyTorch ms':>10} {'bf16/f32':>8} {'mlopt/PyTorch':>13}")
    for name, label, _, _ in MODELS:
        for dtype in ("f32", "bf16", "bf16*"):
            ms, t = mlopt[name, dtype], torch[name, dtype.rstrip("*")]
            print(f"{label:48} {dtype:5} {ms:9.3f}"
                  f" {ms / mlopt[name, 'f32']:7.2f}x {t:10.3f}"
                  f" {t / torch[name, 'f32']:7.2f}x {ms / t:12.2f}x")
    print("bf16*: mlopt with MLOPT_NO_BF16_DOT_KERNEL=1, the bf16 -> f32 + "
          "sgemm path of CPUs without AVX512_BF16 (PyTorch columns: bf16)")


if __name__ == "__main__":
    main()
