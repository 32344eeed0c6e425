#!/usr/bin/env python3
"""Data-parallel benchmark (issue #14): training throughput of one process
against two MPI ranks at the same global batch, the bytes a step
communicates and the optimizer state one rank holds, with and without
ZeRO-1, in one run on this machine.

Models (mlopt-run --backend=cpu, Adam so that there is optimizer state):
  - the MLP 784-256-10 (examples/mlp.mlir), global batch 128, Adam 1e-3;
  - the transformer block d=256 s=128 (examples/transformer_block.mlir),
    global batch 16, AdamW 1e-3.
Configurations, each `--steps` steps of `--train=synthetic:1024`:
  - 1 rank, OpenBLAS on every core (the plain run);
  - 1 rank, 1 OpenBLAS thread (one core's worth);
  - 2 ranks (mpirun -np 2, --data-parallel), 1 OpenBLAS thread each;
  - 2 ranks with --data-parallel=zero1, 1 OpenBLAS thread each.
samples/s is the summary's (global samples over the training wall time,
compilation and evaluation excluded); step ms is rank 0's median
@train_step call; the communicated bytes are per rank and step, as the
compiler counts them (comm_bytes_per_step) and as the communicator measured
them (comm_bytes_per_step_measured); optimizer state is one rank's
(optimizer_state_bytes_per_rank, for the plain run the summary's state of
kind optimizer_state is all of it).

The ranks run on one machine through Open MPI's shared-memory transport
(the options of the tests' %mpirun); on a 2-core machine two ranks share
the cores the single process uses. Compare the rows as ratios within one
run; other builds running at the same time distort them.

Usage: bench/data_parallel.py [--build build] [--steps 60] [--mpirun mpirun]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import cpu_description  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODELS = [
    ("mlp", "MLP 784-256-10, batch 128, Adam",
     os.path.join(ROOT, "examples", "mlp.mlir"),
     ["--optimizer=adam", "--lr=1e-3"]),
    ("transformer_block", "transformer block d=256 s=128, batch 16, AdamW",
     os.path.join(ROOT, "examples", "transformer_block.mlir"),
     ["--optimizer=adamw", "--lr=1e-3"]),
]
# The options of test/lit.cfg.py's %mpirun (docs/DataParallel.md, "Open MPI
# in a container").
MPI_OPTIONS = ["--oversubscribe", "--bind-to", "none", "--mca", "pml", "ob1",
               "--mca", "btl", "self,vader"]


def run(args, workdir, name, model, options, ranks, threads, mode):
    metrics = os.path.join(workdir, f"{name}.jsonl")
    command = [os.path.join(args.build, "bin", "mlopt-run"), model,
               "--backend=cpu", "--train=synthetic:1024",
               f"--steps={args.steps}", "--epochs=1000", "--seed=0",
               f"--metrics={metrics}", *options]
    if mode:
        command.append(f"--data-parallel={mode}")
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads),
               OMP_NUM_THREADS=str(threads), OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               MLOPT_CACHE_DIR=os.path.join(workdir, "cache"))
    if ranks > 1:
        command = [args.mpirun, *MPI_OPTIONS, "-np", str(ranks), *command]
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{proc.stdout}{proc.stderr}")
    with open(metrics) as f:
        summary = json.loads(f.readlines()[-1])
    assert summary["event"] == "summary"
    return summary


def optimizer_bytes(summary):
    if "optimizer_state_bytes_per_rank" in summary:
        return summary["optimizer_state_bytes_per_rank"]
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    args = parser.parse_args()
    cores = os.cpu_count()

    print(f"CPU: {cpu_description()}")
    print("OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '<unset: OpenBLAS detects the CPU>')}")
    version = subprocess.run([args.mpirun, "--version"], capture_output=True,
                             text=True).stdout.splitlines()
    print(f"launcher: {version[0] if version else args.mpirun} "
          f"{' '.join(MPI_OPTIONS)}")
    print(f"{args.steps} steps per configuration, --train=synthetic:1024\n")

    configs = [
        ("1 rank", 1, cores, ""),
        ("1 rank, 1 thread", 1, 1, ""),
        ("2 ranks ddp", 2, max(1, cores // 2), "ddp"),
        ("2 ranks zero1", 2, max(1, cores // 2), "zero1"),
    ]
    header = (f"{'configuration':18} {'threads':>7} {'samples/s':>10} "
              f"{'step ms':>8} {'comm B/step (compiled)':>23} "
              f"{'(measured)':>11} {'optimizer B/rank':>17}")
    with tempfile.TemporaryDirectory() as workdir:
        for name, label, model, options in MODELS:
            print(label)
            print(header)
            base = None
            for config, ranks, threads, mode in configs:
                summary = run(args, workdir, f"{name}-{ranks}-{threads}-{mode}",
                              model, options, ranks, threads, mode)
                rate = summary["samples_per_s"]
                base = base or rate
                compiled = summary.get("comm_bytes_per_step", 0)
                measured = summary.get("comm_bytes_per_step_measured", 0)
                state = optimizer_bytes(summary)
                print(f"{config:18} {threads * ranks:7d} {rate:10.1f} "
                      f"{summary['step_ms_median']:8.3f} {compiled:23d} "
                      f"{measured:11.0f} "
                      f"{'-' if state is None else state:>17}"
                      f"   ({rate / base:.2f}x)")
            print()


if __name__ == "__main__":
    main()
