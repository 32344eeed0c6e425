"""Checks that the int8 tensors of a safetensors file that mlopt-run wrote
hold a narrower integer range (pure Python).

Usage:
  check_int8_range.py FILE LOW HIGH NAME...
      every value of every NAME lies in [LOW, HIGH], and the values of all
      NAMEs together reach LOW or HIGH (the range is the one used)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_pruned import load  # noqa: E402


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    tensors = load(argv[1])
    low, high = int(argv[2]), int(argv[3])
    seen = []
    for name in argv[4:]:
        if name not in tensors:
            sys.exit(f"check_int8_range: no tensor {name} in {argv[1]}")
        _, values = tensors[name]
        outside = [v for v in values if v < low or v > high]
        if outside:
            sys.exit(f"check_int8_range: {name} holds {len(outside)} values "
                     f"outside [{low}, {high}], e.g. {outside[0]}")
        seen += values
    if low not in seen and high not in seen:
        sys.exit(f"check_int8_range: the values reach neither {low} nor "
                 f"{high} (min {min(seen)}, max {max(seen)})")


if __name__ == "__main__":
    main(sys.argv)
