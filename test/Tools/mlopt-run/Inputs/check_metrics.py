"""Checks a JSON-lines metrics file written by mlopt-run.

usage: check_metrics.py FILE loss-drop RATIO      the final train_loss is more
                                                   than RATIO times below the
                                                   first step's loss
       check_metrics.py FILE at-least KEY VALUE   the summary's KEY >= VALUE
       check_metrics.py FILE has KEY...           the summary has every KEY
       check_metrics.py FILE close OTHER KEY RTOL  the summaries of FILE and
                                                   OTHER agree on KEY within
                                                   the relative tolerance RTOL
       check_metrics.py FILE within OTHER KEY ATOL the summaries of FILE and
                                                   OTHER agree on KEY within
                                                   the absolute tolerance ATOL
"""
import json
import sys

records = [json.loads(line) for line in open(sys.argv[1])]
summary = records[-1]
assert summary["event"] == "summary", "the last record is not the summary"
epochs = [r for r in records if r["event"] == "epoch"]
check = sys.argv[2]
if check == "loss-drop":
    first, last = summary["first_step_loss"], summary["train_loss"]
    ratio = float(sys.argv[3])
    if not first / last > ratio:
        sys.exit(f"train loss fell {first / last:.1f}x ({first} -> {last}), "
                 f"expected > {ratio}x")
elif check == "at-least":
    key, value = sys.argv[3], float(sys.argv[4])
    if not summary[key] >= value:
        sys.exit(f"{key} = {summary[key]}, expected >= {value}")
elif check == "has":
    missing = [key for key in sys.argv[3:] if key not in summary]
    if missing:
        sys.exit(f"the summary lacks {missing}")
elif check == "close":
    other = [json.loads(line) for line in open(sys.argv[3])][-1]
    key, rtol = sys.argv[4], float(sys.argv[5])
    a, b = summary[key], other[key]
    if not abs(a - b) <= rtol * max(abs(a), abs(b)):
        sys.exit(f"{key}: {a} vs {b} differ by more than {rtol} relative")
elif check == "within":
    other = [json.loads(line) for line in open(sys.argv[3])][-1]
    key, atol = sys.argv[4], float(sys.argv[5])
    a, b = summary[key], other[key]
    if not abs(a - b) <= atol:
        sys.exit(f"{key}: {a} vs {b} differ by more than {atol}")
else:
    sys.exit(f"unknown check {check}")
print("ok")
