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
ratio to the previous size.

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


def compile_seconds(run, model, workdir):
    cache = tempfile.mkdtemp(prefix="cache-", dir=workdir)
    env = dict(os.environ, MLOPT_CACHE_DIR=cache)
    start = time.monotonic()
    proc = subprocess.run(
        [run, model, "--backend=cpu", "--steps=1", "--train=synthetic:64"],
        env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    shutil.rmtree(cache, ignore_errors=True)
    if proc.returncode != 0:
        sys.exit(f"mlopt-run failed on {model}:\n{proc.stderr}")
    m = re.search(r"compiled .* in ([0-9.]+) s", proc.stdout + proc.stderr)
    return float(m.group(1)) if m else elapsed, elapsed


def mlir_timing(run, opt, model):
    """(total seconds of the MLIR pipeline, [(seconds, percent, pass)])."""
    pipeline = subprocess.run(
        [run, model, "--backend=cpu", "--print-pipeline"],
        capture_output=True, text=True, check=True).stdout.strip()
    proc = subprocess.run(
        [opt, model, f"--pass-pipeline={pipeline}", "--mlir-timing",
         "-o", os.devnull], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"mlopt-opt failed on {model}:\n{proc.stderr.strip()[:400]}")
    rows = []
    for line in proc.stderr.splitlines():
        # "  1.2345 ( 66.5%)    1.2000 ( 67.4%)  PassName"
        m = re.match(r"\s*([0-9.]+) \(\s*[0-9.]+%\)\s+([0-9.]+) \(\s*([0-9.]+)%\)\s+(\S.*)$", line)
        if m and m.group(4).strip() not in ("Total", "'func.func' Pipeline"):
            rows.append((float(m.group(2)), float(m.group(3)), m.group(4).strip()))
    rows.sort(reverse=True)
    total = re.search(r"[0-9.]+ \(100.0%\)\s+([0-9.]+) \(100.0%\)\s+Total",
                      proc.stderr)
    return (float(total.group(1)) if total else float("nan")), rows


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
            # and code generation); mlir s: the MLIR pipeline alone.
            print(f"{'N':>6} {'compile s':>10} {'x':>6} {'mlir s':>8} {'x':>6}")
            prev = prev_mlir = None
            rows = []
            for n in sizes:
                model = os.path.join(workdir, f"{key}_{n}.mlir")
                with open(model, "w") as f:
                    f.write(generate(n))
                compiled = (float("nan") if args.mlir_only else
                            compile_seconds(run, model, workdir)[0])
                mlir, rows = mlir_timing(run, opt, model)
                ratio = (f"{compiled / prev:.2f}x"
                         if prev and not args.mlir_only else "-")
                mratio = f"{mlir / prev_mlir:.2f}x" if prev_mlir else "-"
                print(f"{n:>6} {compiled:>10.2f} {ratio:>6} {mlir:>8.2f} {mratio:>6}",
                      flush=True)
                prev, prev_mlir = compiled, mlir
            print(f"top passes at N = {sizes[-1]} (mlopt-opt --mlir-timing):")
            for t, p, name in rows[:args.top]:
                print(f"  {t:8.3f} s {p:5.1f}%  {name}", flush=True)


if __name__ == "__main__":
    main()
