#!/usr/bin/env python3
"""Compile-time scaling benchmark (issue #9, item 3).

Generates models whose size grows by doubling and times a full, uncached CPU
compile of each (`mlopt-run MODEL --backend=cpu --steps=1 --train=synthetic:64`
with MLOPT_CACHE_DIR a fresh empty directory), then prints the growth ratio per
doubling (linear: about 2.0x) and the passes that take the most time
(`mlopt-opt --mlir-timing` replaying `mlopt-run --print-pipeline`).

Series:
  chain    the loss' forward is a chain of N elementwise ops (tanh, add, mul,
           sigmoid, sub, neg) on a tensor<4x8xf32>, ending in mse_loss
  unused   N buffer states, none read, plus one trainable parameter
  used     N trainable tensor<4xf32> parameters, each read once and summed

Per size it prints the whole compile (`compile s`: the MLIR pipeline, LLVM's
O3 and code generation) and the MLIR pipeline alone (`mlir s`), each with its
ratio to the previous size, and beside each the CPU time (user + system) of
the process that ran it (`cpu s`): on a machine shared with other work the
CPU time varies less than the wall time. (The CPU time of mlopt-run also
covers its start and one training step, that of mlopt-opt parsing and
printing the module.)

Usage: bench/compile_time.py [--build build] [--sizes 1000,2000,4000]
                             [--series chain,unused,used] [--top 5]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import cpu_description  # noqa: E402

T = "tensor<4x8xf32>"


def chain_model(n):
    lines = [
        f"mlopt.state @w : {T} parameter trainable init #mlopt.constant<value = 0.5>",
        f"func.func @loss(%x: {T} {{mlopt.input}}, %y: {T} {{mlopt.label}})"
        f" -> tensor<f32> attributes {{mlopt.loss}} {{",
        f"  %w = mlopt.state_read @w : {T}",
        f"  %h0 = mlopt.mul %x, %w : {T}",
    ]
    kinds = ["tanh", "add", "mul", "sigmoid", "sub", "neg"]
    for i in range(n):
        k = kinds[i % len(kinds)]
        if k in ("add", "sub"):
            lines.append(f"  %h{i + 1} = mlopt.{k} %h{i}, %x : {T}")
        elif k == "mul":
            lines.append(f"  %h{i + 1} = mlopt.mul %h{i}, %w : {T}")
        else:
            lines.append(f"  %h{i + 1} = mlopt.{k} %h{i} : {T}")
    lines.append(f"  %l = mlopt.mse_loss %h{n}, %y : ({T}, {T}) -> tensor<f32>")
    lines.append("  return %l : tensor<f32>\n}")
    return "\n".join(lines) + "\n"


def unused_states_model(n):
    lines = [
        f"mlopt.state @w : {T} parameter trainable init #mlopt.constant<value = 0.5>"
    ]
    for i in range(n):
        lines.append(f"mlopt.state @s{i} : tensor<4xf32> buffer init #mlopt.zeros")
    lines += [
        f"func.func @loss(%x: {T} {{mlopt.input}}, %y: {T} {{mlopt.label}})"
        f" -> tensor<f32> attributes {{mlopt.loss}} {{",
        f"  %w = mlopt.state_read @w : {T}",
        f"  %h = mlopt.mul %x, %w : {T}",
        f"  %l = mlopt.mse_loss %h, %y : ({T}, {T}) -> tensor<f32>",
        "  return %l : tensor<f32>\n}",
    ]
    return "\n".join(lines) + "\n"


def used_states_model(n):
    V = "tensor<4xf32>"
    lines = [
        f"mlopt.state @w{i} : {V} parameter trainable init #mlopt.constant<value = 0.5>"
        for i in range(n)
    ]
    lines += [
        f"func.func @loss(%x: {V} {{mlopt.input}}, %y: {V} {{mlopt.label}})"
        f" -> tensor<f32> attributes {{mlopt.loss}} {{",
        "  %h0 = mlopt.mul %x, %x : " + V,
    ]
    for i in range(n):
        lines.append(f"  %w{i} = mlopt.state_read @w{i} : {V}")
        lines.append(f"  %h{i + 1} = mlopt.add %h{i}, %w{i} : {V}")
    lines += [
        f"  %l = mlopt.mse_loss %h{n}, %y : ({V}, {V}) -> tensor<f32>",
        "  return %l : tensor<f32>\n}",
    ]
    return "\n".join(lines) + "\n"


SERIES = {
    "chain": ("chain of N elementwise ops", chain_model),
    "unused": ("N unused buffer states", unused_states_model),
    "used": ("N used trainable states", used_states_model),
}


def run_timed(command, **kwargs):
    """(completed process, wall seconds, CPU seconds of the child)."""
    before = os.times()
    start = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, **kwargs)
    elapsed = time.monotonic() - start
    after = os.times()
    cpu = (after.children_user - before.children_user +
           after.children_system - before.children_system)
    return proc, elapsed, cpu


def compile_seconds(run, model, workdir):
    """(compile wall seconds as mlopt-run reports them, CPU seconds)."""
    cache = tempfile.mkdtemp(prefix="cache-", dir=workdir)
    env = dict(os.environ, MLOPT_CACHE_DIR=cache)
    proc, elapsed, cpu = run_timed(
        [run, model, "--backend=cpu", "--steps=1", "--train=synthetic:64"],
        env=env)
    shutil.rmtree(cache, ignore_errors=True)
    if proc.returncode != 0:
        sys.exit(f"mlopt-run failed on {model}:\n{proc.stderr}")
    m = re.search(r"compiled .* in ([0-9.]+) s", proc.stdout + proc.stderr)
    return (float(m.group(1)) if m else elapsed), cpu


def mlir_timing(run, opt, model):
    """(wall seconds of the MLIR pipeline, CPU seconds of mlopt-opt,
    [(seconds, percent, pass)])."""
    pipeline = subprocess.run(
        [run, model, "--backend=cpu", "--print-pipeline"],
        capture_output=True, text=True, check=True).stdout.strip()
    proc, _, cpu = run_timed(
        [opt, model, f"--pass-pipeline={pipeline}", "--mlir-timing",
         "-o", os.devnull])
    if proc.returncode != 0:
        sys.exit(f"mlopt-opt failed on {model}:\n{proc.stderr.strip()[:400]}")
    rows = []
    for line in proc.stderr.splitlines():
        # "  1.2345 ( 66.5%)    1.2000 ( 67.4%)  PassName" (user and wall
        # time) or "  1.2000 ( 67.4%)  PassName" (wall time only)
        m = (re.match(r"\s*[0-9.]+ \(\s*[0-9.]+%\)\s+([0-9.]+) \(\s*([0-9.]+)%\)\s+(\S.*)$", line)
             or re.match(r"\s*([0-9.]+) \(\s*([0-9.]+)%\)\s+(\S.*)$", line))
        if m and m.group(3).strip() not in ("Total", "'func.func' Pipeline"):
            rows.append((float(m.group(1)), float(m.group(2)), m.group(3).strip()))
    rows.sort(reverse=True)
    total = re.search(r"([0-9.]+) \(100.0%\)\s+Total", proc.stderr)
    return (float(total.group(1)) if total else float("nan")), cpu, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build"))
    ap.add_argument("--sizes", default="1000,2000,4000")
    ap.add_argument("--series", default="chain,unused,used")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--mlir-only", action="store_true",
                    help="time only the MLIR pipeline (mlopt-opt), not mlopt-run")
    args = ap.parse_args()
    run = os.path.join(args.build, "bin", "mlopt-run")
    opt = os.path.join(args.build, "bin", "mlopt-opt")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"CPU: {cpu_description()}")
    try:
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    except OSError:
        pass
    with tempfile.TemporaryDirectory(prefix="mlopt-compile-time-") as workdir:
        for key in args.series.split(","):
            title, generate = SERIES[key]
            print(f"\n== {key}: {title}")
            # compile s: mlopt-run's whole compile (MLIR pipeline, LLVM O3
            # and code generation); mlir s: the MLIR pipeline alone; cpu s:
            # the CPU time of the process that ran each.
            print(f"{'N':>6} {'compile s':>10} {'x':>6} {'cpu s':>8} {'x':>6}"
                  f" {'mlir s':>8} {'x':>6} {'cpu s':>8} {'x':>6}")
            prev = None
            rows = []
            for n in sizes:
                model = os.path.join(workdir, f"{key}_{n}.mlir")
                with open(model, "w") as f:
                    f.write(generate(n))
                compiled, cpu = ((float("nan"), float("nan")) if args.mlir_only
                                 else compile_seconds(run, model, workdir))
                mlir, mlir_cpu, rows = mlir_timing(run, opt, model)
                values = (compiled, cpu, mlir, mlir_cpu)
                cells = []
                for k, value in enumerate(values):
                    ratio = (f"{value / prev[k]:.2f}x"
                             if prev and prev[k] == prev[k] and prev[k] > 0
                             else "-")
                    cells.append(f"{value:>{10 if k == 0 else 8}.2f} {ratio:>6}")
                print(f"{n:>6} " + " ".join(cells), flush=True)
                prev = values
            print(f"top passes at N = {sizes[-1]} (mlopt-opt --mlir-timing):")
            for t, p, name in rows[:args.top]:
                print(f"  {t:8.3f} s {p:5.1f}%  {name}", flush=True)


if __name__ == "__main__":
    main()
