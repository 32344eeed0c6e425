"""Checks the record types of a metrics file written by mlopt-run.

usage: check_records.py FILE train HELP LR GAMMA STEP_SIZE LOG_EVERY
           a training run with --optimizer=sgd --lr=LR --schedule=step
           --gamma=GAMMA --step-size=STEP_SIZE --log-every=LOG_EVERY and a
           test set; HELP is `mlopt-opt --help`, whose mlopt-optimizer
           options the config record must list, every one
       check_records.py FILE eval
           an --eval-only run: a config record, then the summary without
           training fields
"""
import json
import re
import sys

path, mode = sys.argv[1], sys.argv[2]
records = [json.loads(line) for line in open(path)]
events = [r["event"] for r in records]


def fail(message):
    sys.exit(f"{path}: {message}")


if events[0] != "config" or events.count("config") != 1:
    fail(f"the first record, and only it, must be the config: {events}")
if events[-1] != "summary" or events.count("summary") != 1:
    fail(f"the last record, and only it, must be the summary: {events}")
config, summary = records[0], records[-1]
for key in ("mlopt_version", "model", "backend", "passes",
            "post_autodiff_passes", "optimizer", "train", "test", "epochs",
            "steps", "batch_size", "seed", "load", "eval_only", "cpu"):
    if key not in config:
        fail(f"the config record lacks '{key}'")
if not re.fullmatch(r"\d+\.\d+\.\d+", config["mlopt_version"]):
    fail(f"mlopt_version {config['mlopt_version']!r}")
cpu = config["cpu"]
if not cpu["name"] or sorted(cpu["features"]) != sorted(
        ["avx2", "avx512f", "avx512bf16", "avx512vnni"]):
    fail(f"cpu {cpu}")
# Duplicates and fields the docs do not name are gone.
for key in ("step_time_median_s", "backend"):
    if key in summary:
        fail(f"the summary still has '{key}'")

if mode == "train":
    help_text, lr, gamma, step_size, log_every = (
        open(sys.argv[3]).read(), float(sys.argv[4]), float(sys.argv[5]),
        int(sys.argv[6]), int(sys.argv[7]))
    # Every mlopt-optimizer option of `mlopt-opt --help`, and only those.
    section = help_text.split("--mlopt-optimizer ", 1)[1].splitlines()[1:]
    options = []
    for line in section:
        match = re.match(r"\s{8}--([a-z0-9-]+)", line)
        if not match:
            break
        options.append(match.group(1))
    if sorted(config["optimizer"]) != sorted(options):
        fail(f"config optimizer {sorted(config['optimizer'])} != the pass "
             f"options {sorted(options)}")
    optimizer = config["optimizer"]
    if (optimizer["optimizer"], optimizer["lr"], optimizer["schedule"],
            optimizer["gamma"], optimizer["step-size"]) != (
                "sgd", lr, "step", gamma, step_size):
        fail(f"config optimizer {optimizer}")
    if config["eval_only"] or not config["train"] or not config["test"]:
        fail(f"config {config}")

    steps = [r for r in records if r["event"] == "step"]
    epochs = [r for r in records if r["event"] == "epoch"]
    if not steps or not epochs:
        fail("no step or no epoch records")
    for record in steps:
        if sorted(record) != sorted(["event", "step", "epoch", "loss", "lr",
                                     "samples_per_s"]):
            fail(f"step record fields {sorted(record)}")
        if record["step"] % log_every:
            fail(f"a step record at step {record['step']}")
        # StepLR on the 0-based step count of the step that ran.
        expected = lr * gamma ** ((record["step"] - 1) // step_size)
        if abs(record["lr"] - expected) > 1e-12 * expected:
            fail(f"step {record['step']}: lr {record['lr']}, expected "
                 f"{expected}")
        if not record["samples_per_s"] > 0:
            fail(f"step {record['step']}: samples_per_s")
    if [r["step"] for r in steps] != list(
            range(log_every, steps[-1]["step"] + 1, log_every)):
        fail("step records missing")
    for record in epochs:
        for key in ("epoch", "steps", "train_loss", "epoch_seconds",
                    "test_loss"):
            if key not in record:
                fail(f"epoch record without '{key}'")
        if not record["epoch_seconds"] > 0:
            fail("epoch_seconds")
        # The steps' share of the epoch: inside its wall time.
        if not 0 < record["step_seconds"] <= record["epoch_seconds"]:
            fail(f"epoch step_seconds {record['step_seconds']} outside "
                 f"(0, {record['epoch_seconds']}]")
        if "test_lr" in record or "lr" in record:
            fail("the learning rate is not a test metric")
    for key in ("epochs", "steps", "first_step_loss", "train_loss",
                "test_loss", "test_samples", "step_ms_median",
                "samples_per_s", "peak_rss_mb", "state_bytes"):
        if key not in summary:
            fail(f"the summary lacks '{key}'")
    if summary["train_loss"] != epochs[-1]["train_loss"]:
        fail("the summary's train loss is not the last epoch's")
    # The training time split into the steps and the loop's time per step.
    for key in ("train_seconds", "step_seconds", "outside_step_ms",
                "data_seconds"):
        if key not in summary:
            fail(f"the summary lacks '{key}'")
    if not 0 < summary["step_seconds"] <= summary["train_seconds"]:
        fail(f"step_seconds {summary['step_seconds']} outside (0, "
             f"train_seconds {summary['train_seconds']}]")
    outside = ((summary["train_seconds"] - summary["step_seconds"]) * 1e3 /
               summary["steps"])
    if abs(summary["outside_step_ms"] - outside) > 1e-9 * max(1, outside):
        fail(f"outside_step_ms {summary['outside_step_ms']} != {outside}")
    if abs(sum(r["step_seconds"] for r in epochs) -
           summary["step_seconds"]) > 1e-9:
        fail("the epochs' step_seconds do not add up to the summary's")
    if not summary["data_seconds"] >= 0:
        fail("data_seconds")
elif mode == "eval":
    if not config["eval_only"] or config["train"]:
        fail(f"config {config}")
    if events != ["config", "summary"]:
        fail(f"records {events}")
    for key in ("epochs", "steps", "first_step_loss", "train_loss",
                "step_ms_median", "samples_per_s", "step_flops",
                "achieved_gflops_per_s", "train_seconds", "step_seconds",
                "outside_step_ms"):
        if key in summary:
            fail(f"an evaluation's summary reports '{key}'")
    for key in ("test_loss", "test_samples", "peak_rss_mb", "state_bytes",
                "data_seconds"):
        if key not in summary:
            fail(f"the summary lacks '{key}'")
else:
    fail(f"unknown mode {mode}")
print("ok")
