#!/usr/bin/env python3
"""Pruning benchmark (issue #10): accuracy and step time of pruned models,
mlopt against PyTorch's torch.nn.utils.prune, in one run on this machine.

mlopt side, on the bundled MLP (examples/mlp.mlir, 784-256-10, Adam lr 1e-3,
batch 128, seed 0) and Fashion-MNIST:
  dense    trained DENSE_EPOCHS epochs (the checkpoint every recipe starts from)
  l1_50    mlopt-prune{method=l1 amount=0.5}, fine-tuned one epoch
  ln_50    mlopt-prune{method=ln norm=2 dim=0 amount=0.5 targets=fc1.weight},
           fine-tuned one epoch, then finalized: 128 hidden units
  ln_75    the same with amount=0.75: 64 hidden units
and step time on the bench MLP 784-512-512-10 (bench/mlp_512.mlir) dense and
with fc1 and fc2 structured-pruned 50% and 75%, finalized.

PyTorch side (bench/pytorch_prune.py, Debian's python3-torch): the same
recipes, where the pruned models keep their dense shapes.

Step times are medians over the steps of a `--train=synthetic:1024` run, as
in bench/run.sh. Compare the columns as ratios within this run only.

Both sides run with --threads threads (default: all CPUs; OpenBLAS and
PyTorch's intra-op pool). On a loaded machine --threads=1 gives steadier
figures: a descheduled worker thread stalls every parallel region.

Usage: bench/prune.py [--build build] [--dense-epochs 5] [--threads N]
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
MLP = os.path.join(ROOT, "examples", "mlp.mlir")
MLP_512 = os.path.join(ROOT, "bench", "mlp_512.mlir")
ADAM = ["--optimizer=adam", "--lr=1e-3", "--seed=0"]


def summary(path):
    with open(path) as f:
        return json.loads(f.readlines()[-1])


class Runner:
    def __init__(self, build, workdir):
        self.run_path = os.path.join(build, "bin", "mlopt-run")
        self.workdir = workdir

    def path(self, name):
        return os.path.join(self.workdir, name)

    def run(self, *args):
        proc = subprocess.run([self.run_path, *args], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            sys.exit(f"mlopt-run {' '.join(args)} failed:\n{proc.stderr}")
        return proc.stdout

    def train(self, name, model, *args):
        """Trains on Fashion-MNIST; returns the summary record."""
        metrics = self.path(f"{name}.jsonl")
        self.run(model, "--backend=cpu", "--train=fashion-mnist",
                 "--test=fashion-mnist", *ADAM, f"--metrics={metrics}",
                 f"--save={self.path(name + '.safetensors')}", *args)
        return summary(metrics)

    def finalize(self, name, model, passes, *args):
        """Finalizes checkpoint NAME pruned by `passes`; returns the path of
        the finalized model and its test summary."""
        out = self.path(f"{name}-final")
        metrics = out + ".jsonl"
        self.run(model, "--backend=cpu", f"--passes={passes}",
                 f"--load={self.path(name + '.safetensors')}",
                 "--finalize-pruning", f"--save-model={out}.mlir",
                 f"--save={out}.safetensors", "--test=fashion-mnist",
                 f"--metrics={metrics}", *args)
        return out + ".mlir", summary(metrics)

    def step_ms(self, name, model, *args):
        metrics = self.path(f"{name}-steps.jsonl")
        self.run(model, "--backend=cpu", "--train=synthetic:1024",
                 "--steps=60", "--epochs=1000", *ADAM, f"--metrics={metrics}",
                 *args)
        return summary(metrics)["step_ms_median"]


def structured(amount, targets):
    return (f"mlopt-prune{{method=ln norm=2 dim=0 amount={amount} "
            f"targets={targets}}}")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dense-epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    threads = args.threads
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    print(f"CPU: {cpu_description()}")
    try:
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
              f", {threads} threads")
    except OSError:
        pass

    with tempfile.TemporaryDirectory(prefix="mlopt-prune-bench-") as workdir:
        r = Runner(args.build, workdir)
        dense_load = f"--load={r.path('dense.safetensors')}"
        rows = {}
        dense = r.train("dense", MLP, f"--epochs={args.dense_epochs}")
        rows["dense"] = (dense["test_accuracy"], r.step_ms("dense", MLP))
        l1 = r.train("l1_50", MLP, dense_load, "--epochs=1",
                     "--passes=mlopt-prune{method=l1 amount=0.5}")
        rows["l1_50"] = (l1["test_accuracy"], r.step_ms(
            "l1_50", MLP, "--passes=mlopt-prune{method=l1 amount=0.5}"))
        for amount in (50, 75):
            name = f"ln_{amount}"
            passes = structured(amount / 100, "fc1.weight")
            masked = r.train(name, MLP, dense_load, "--epochs=1",
                             f"--passes={passes}")
            final_model, final = r.finalize(name, MLP, passes)
            rows[name] = (masked["test_accuracy"],
                          r.step_ms(name, MLP, f"--passes={passes}"))
            rows[name + "_final"] = (final["test_accuracy"],
                                     r.step_ms(name + "_final", final_model))

        # The bench MLP: masks from a one-step run, then finalized.
        big = {"dense": r.step_ms("mlp512", MLP_512)}
        for amount in (50, 75):
            name = f"mlp512_ln_{amount}"
            passes = structured(amount / 100, "fc1.weight|fc2.weight")
            r.run(MLP_512, "--backend=cpu", "--train=synthetic:128",
                  "--steps=1", *ADAM, f"--passes={passes}",
                  f"--save={r.path(name + '.safetensors')}")
            out = r.path(name + "-final")
            r.run(MLP_512, "--backend=cpu", f"--passes={passes}",
                  f"--load={r.path(name + '.safetensors')}",
                  "--finalize-pruning", f"--save-model={out}.mlir",
                  f"--save={out}.safetensors")
            big[f"masked_{amount}"] = r.step_ms(name, MLP_512,
                                                f"--passes={passes}")
            big[f"final_{amount}"] = r.step_ms(name + "-final",
                                               out + ".mlir")

    print(f"PyTorch: same recipes with torch.nn.utils.prune, {threads} threads")
    proc = subprocess.run(
        ["/usr/bin/python3", os.path.join(ROOT, "bench", "pytorch_prune.py"),
         str(threads), str(args.dense_epochs)],
        capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"pytorch_prune.py failed:\n{proc.stderr}")
    torch = {rec["name"]: rec for rec in map(json.loads,
                                            proc.stdout.splitlines())}

    dense_ms = rows["dense"][1]
    print(f"\nFashion-MNIST MLP 784-256-10, batch 128 "
          f"({args.dense_epochs} dense epochs, then 1 fine-tuning epoch)")
    print(f"{'model':26} {'mlopt acc':>9} {'step ms':>8} {'vs dense':>9}"
          f" {'PyTorch acc':>11} {'step ms':>8} {'mlopt/PyTorch':>13}")
    labels = [("dense", "dense", "dense"),
              ("l1 50% (masked)", "l1_50", "l1_50"),
              ("ln 50% fc1 (masked)", "ln_50", "ln_50"),
              ("ln 50% fc1, finalized", "ln_50_final", "ln_50"),
              ("ln 75% fc1 (masked)", "ln_75", "ln_75"),
              ("ln 75% fc1, finalized", "ln_75_final", "ln_75")]
    for label, key, ref in labels:
        acc, ms = rows[key]
        t = torch[ref]
        print(f"{label:26} {100 * acc:8.2f}% {ms:8.3f} {dense_ms / ms:8.2f}x"
              f" {100 * t['accuracy']:10.2f}% {t['step_ms']:8.3f}"
              f" {ms / t['step_ms']:12.2f}x")

    print("\nbench MLP 784-512-512-10, fc1+fc2 ln-structured, batch 128")
    print(f"{'model':26} {'mlopt ms':>9} {'vs dense':>9} {'PyTorch ms':>11}"
          f" {'mlopt/PyTorch':>13}")
    for label, key, ref in [("dense", "dense", "mlp512_ln_0"),
                            ("50% masked", "masked_50", "mlp512_ln_50"),
                            ("50% finalized", "final_50", "mlp512_ln_50"),
                            ("75% masked", "masked_75", "mlp512_ln_75"),
                            ("75% finalized", "final_75", "mlp512_ln_75")]:
        ms, t = big[key], torch[ref]["step_ms"]
        print(f"{label:26} {ms:9.3f} {big['dense'] / ms:8.2f}x {t:11.3f}"
              f" {ms / t:12.2f}x")


if __name__ == "__main__":
    main()
