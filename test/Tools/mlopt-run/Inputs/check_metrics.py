"""Checks a JSON-lines metrics file written by mlopt-run.

usage: check_metrics.py FILE loss-drop RATIO      the final train_loss is more
                                                   than RATIO times below the
                                                   first step's loss
       check_metrics.py FILE at-least KEY VALUE   the summary's KEY >= VALUE
       check_metrics.py FILE below KEY VALUE      the summary's KEY < VALUE
       check_metrics.py FILE has KEY...           the summary has every KEY
       check_metrics.py FILE close OTHER KEY RTOL  the summaries of FILE and
                                                   OTHER agree on KEY within
                                                   the relative tolerance RTOL
       check_metrics.py FILE within OTHER KEY ATOL the summaries of FILE and
                                                   OTHER agree on KEY within
                                                   the absolute tolerance ATOL
       check_metrics.py FILE at-least-as OTHER KEY the summary's KEY >= the
                                                   summary of OTHER's KEY
       check_metrics.py FILE lacks KEY...         the summary has no KEY
       check_metrics.py FILE step-below KEY VALUE the last step record's KEY
                                                   is < VALUE
       check_metrics.py FILE step-falls KEY RATIO the last step record's KEY
                                                   is more than RATIO times
                                                   below the first one's
"""
import json
import sys

records = [json.loads(line) for line in open(sys.argv[1])]
summary = records[-1]
assert summary["event"] == "summary", "the last record is not the summary"
epochs = [r for r in records if r["event"] == "epoch"]
steps = [r for r in records if r["event"] == "step"]
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
elif check == "below":
    key, value = sys.argv[3], float(sys.argv[4])
    if not summary[key] < value:
        sys.exit(f"{key} = {summary[key]}, expected < {value}")
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
elif check == "at-least-as":
    other = [json.loads(line) for line in open(sys.argv[3])][-1]
    key = sys.argv[4]
    a, b = summary[key], other[key]
    print(f"{key}: {a} vs {b}")
    if not a >= b:
        sys.exit(f"{key}: {a} < {b} of {sys.argv[3]}")
elif check == "lacks":
    present = [key for key in sys.argv[3:] if key in summary]
    if present:
        sys.exit(f"the summary has {present}")
elif check in ("step-below", "step-falls"):
    key = sys.argv[3]
    logged = [r[key] for r in steps if key in r]
    if not logged:
        sys.exit(f"no step record has {key}")
    first, last = logged[0], logged[-1]
    if check == "step-below":
        value = float(sys.argv[4])
        if not last < value:
            sys.exit(f"the last step's {key} = {last}, expected < {value}")
    else:
        ratio = float(sys.argv[4])
        if not first / last > ratio:
            sys.exit(f"{key} fell {first / last:.2f}x ({first} -> {last}) "
                     f"over {len(logged)} step records, expected > {ratio}x")
else:
    sys.exit(f"unknown check {check}")
print("ok")
