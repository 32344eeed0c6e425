"""The table of bench/run.sh: reads the metrics files and PyTorch records a
run left in DIR and prints, per case, mlopt against every PyTorch setting,
the best PyTorch and the issue #15 target; then the transformer step's GEMM
FLOP rate against the same run's sgemm rate.

usage: run_table.py DIR"""
import json
import os
import re
import sys

out = sys.argv[1]

CASES = [  # key, label, target ratio mlopt / best PyTorch
    ("toy", "toy Linear(10,1) MSE/Adam b32", 0.1),
    ("mlp_sgd", "MLP 784-512-512-10 SGD-mom b128", 0.67),
    ("mlp_adam", "MLP 784-512-512-10 Adam b128", 0.67),
    ("fmnist_epoch", "Fashion-MNIST epoch, mlp.mlir", 0.67),
    ("block", "transformer block AdamW b16", 0.67),
]
CONFIGS = [("tuned", "1.13 tuned"), ("untuned", "1.13 untuned"),
           ("eager", "2.x eager"), ("compile", "2.x compile")]


def records(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def mlopt_ms(case):
    recs = records(os.path.join(out, f"mlopt-{case}.jsonl"))
    if case == "fmnist_epoch":
        epochs = [r for r in recs if r.get("event") == "epoch"]
        return epochs[-1]["epoch_seconds"] * 1e3 if epochs else None
    summary = [r for r in recs if r.get("event") == "summary"]
    return summary[-1].get("step_ms_median") if summary else None


torch = {}
envs = {}
for config, _ in CONFIGS:
    for r in records(os.path.join(out, f"torch-{config}.jsonl")):
        if r.get("event") == "env":
            envs.setdefault(config, r)
        else:
            torch[(config, r["name"])] = r

print("\n== PyTorch settings (as each process reported itself)")
for config, label in CONFIGS:
    env = envs.get(config)
    if not env:
        print(f"{label:13} n/a")
        continue
    libs = [os.path.basename(p) if "openblas" not in p else
            p.replace("/usr/lib/x86_64-linux-gnu/", "")
            for p in env["libraries"]
            if re.search(r"blas|mkl|gomp|iomp", os.path.basename(p))]
    blas = "MKL (static in libtorch_cpu)" if env["torch"].startswith("2.") \
        else ", ".join(l for l in libs if "blas" in l)
    print(f"{label:13} torch {env['torch']}, {env['threads']} threads, "
          f"BLAS {blas}, CPU capability {env.get('capability', 'AVX2 (1.13 default)')}, "
          f"OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE') or '<unset>'}, "
          f"MALLOC_MMAP_THRESHOLD_={env.get('MALLOC_MMAP_THRESHOLD_') or '<default>'}")


def fmt(ms):
    if ms is None:
        return "n/a"
    return f"{ms:.4f}" if ms < 1 else f"{ms:.2f}" if ms < 1000 else f"{ms:.0f}"


print("\n== median ms per training step (Fashion-MNIST: ms per epoch); "
      "ratio = mlopt / best PyTorch")
header = (f"{'case':31} {'mlopt':>9} {'1.13 tuned':>10} {'untuned':>9} "
          f"{'2.x eager':>9} {'2.x comp':>9} {'best PyTorch':>13} "
          f"{'mlopt/best':>10} {'target':>7} met?")
print(header)
print("-" * len(header))
all_met = True
for key, label, target in CASES:
    mine = mlopt_ms(key)
    theirs = {c: torch[(c, key)]["ms"] for c, _ in CONFIGS if (c, key) in torch}
    cells = [fmt(theirs.get(c)) for c, _ in CONFIGS]
    if mine is None or not theirs:
        print(f"{label:31} {fmt(mine):>9} " + " ".join(
            f"{c:>9}" for c in cells) + "   (missing figures)")
        all_met = False
        continue
    best = min(theirs, key=theirs.get)
    ratio = mine / theirs[best]
    met = ratio <= target
    all_met &= met
    print(f"{label:31} {fmt(mine):>9} {cells[0]:>10} {cells[1]:>9} "
          f"{cells[2]:>9} {cells[3]:>9} {dict(CONFIGS)[best]:>13} "
          f"{ratio:9.3f}x {'<=' + str(target):>7} {'yes' if met else 'NO'}")

# The transformer step's GEMM FLOPs from the shapes of
# examples/transformer_block.mlir: 2048 token rows; six linears (q, k, v, out
# 256x256, fc1 256->1024, fc2 1024->256) and two batched products per head
# (16*4 of 128x64 @ 64x128 and 128x128 @ 128x64). The backward pass has two
# products per forward product (dX and dW; dA and dB), all needed since the
# layer norms before every linear are trainable: 3x the forward.
rows = 16 * 128
linear = 2 * rows * (4 * 256 * 256 + 2 * 256 * 1024)
attention = 2 * (16 * 4) * (2 * 128 * 128 * 64)
gemm_flops = 3 * (linear + attention)
print(f"\n== transformer step GEMM FLOPs: {gemm_flops / 1e9:.3f} GFLOP per step "
      f"(from the shapes: 3 x (linears {linear / 1e9:.3f} + attention "
      f"{attention / 1e9:.3f}))")
report = ""
if os.path.exists(os.path.join(out, "mlopt-block.txt")):
    report = open(os.path.join(out, "mlopt-block.txt"), errors="replace").read()
units = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
reported = [float(v) * units[u] for v, u in re.findall(
    r"mlopt\.(?:linear|matmul|batch_matmul)\s+([0-9.]+) ([kMGT]?)FLOP", report)]
if reported:
    print(f"   mlopt --report: {sum(reported) / 1e9:.3f} GFLOP in linear + "
          f"matmul + batch_matmul (linear counts its bias adds too)")

rates = {}
if ("tuned", "sgemm") in torch:
    for c, label in CONFIGS:
        if (c, "sgemm") in torch:
            rates[f"torch.mm 2048^3, PyTorch {label} (median of 10)"] = \
                torch[(c, "sgemm")]["gflops"]
matmul = os.path.join(out, "matmul.txt")
if os.path.exists(matmul):
    m = re.search(r"^blas .* ([0-9.]+) GFLOP/s", open(matmul).read(), re.M)
    if m:
        rates["mlopt-bench-matmul 2048 blas, OpenBLAS (best of 5)"] = \
            float(m.group(1))
for name, rate in rates.items():
    print(f"   sgemm {rate:7.1f} GFLOP/s  {name}")
step = mlopt_ms("block")
if rates and step:
    source = max(rates, key=rates.get)
    achieved = gemm_flops / (step / 1e3) / 1e9
    fraction = achieved / rates[source]
    met = fraction >= 0.70
    all_met &= met
    print(f"   mlopt transformer step {step:.2f} ms -> GEMM {achieved:.1f} GFLOP/s"
          f" = {fraction * 100:.1f}% of the best sgemm rate above "
          f"(target >= 70%: {'yes' if met else 'NO'})")
print(f"\nall targets met: {'yes' if all_met else 'no'}")
