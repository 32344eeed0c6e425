#!/usr/bin/env python3
"""Runs a command that must fail within a time bound, for the data-parallel
failure tests: prints its output (stderr merged into stdout), then
"exit status N after S s". Exits 0 when the command exited non-zero in less
than SECONDS; else 1 with the reason. A command still running at
2 * SECONDS is killed (with its process group), so a hang fails the test
instead of stalling the suite.

Usage: bounded.py SECONDS COMMAND...
"""
import os
import signal
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    bound, command = float(sys.argv[1]), sys.argv[2:]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=2 * bound)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        sys.stdout.write(output.decode(errors="replace"))
        sys.exit(f"still running after {2 * bound:g} s: killed")
    elapsed = time.monotonic() - start
    sys.stdout.write(output.decode(errors="replace"))
    print(f"exit status {proc.returncode} after {elapsed:.1f} s")
    if proc.returncode == 0:
        sys.exit("the command succeeded, expected a failure")
    if elapsed >= bound:
        sys.exit(f"took {elapsed:.1f} s, expected < {bound:g} s")


if __name__ == "__main__":
    main()
