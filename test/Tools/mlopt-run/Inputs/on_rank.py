#!/usr/bin/env python3
"""Runs a command as one MPI rank, doing something to it on one rank only,
for the data-parallel failure tests (the rank comes from the launcher's
environment: OMPI_COMM_WORLD_RANK, or PMI_RANK).

Usage: on_rank.py RANK ACTION [ARG...] -- COMMAND...
  kill SECONDS        on RANK, SIGKILL the command SECONDS after it starts
  stop SECONDS        on RANK, SIGSTOP it SECONDS after it starts (a hung
                      rank: alive, never answering; SIGKILLed 120 s later
                      so that a failed test leaves no process behind)
  replace OLD NEW     on RANK, replace OLD by NEW in every argument
  abort SECONDS       on RANK, SIGABRT it SECONDS after it starts (what an
                      uncaught C++ exception ends in: std::terminate calls
                      abort)
The other ranks run COMMAND unchanged. The command replaces this process
(exec), so the launcher sees its exit status and signals.
"""
import os
import signal
import sys
import time


def signal_later(seconds, signum, then_kill=None):
    target = os.getpid()  # the command, after exec
    if os.fork() == 0:
        # Hold none of the command's output open.
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.setsid()
        time.sleep(seconds)
        try:
            os.kill(target, signum)
            if then_kill is not None:
                time.sleep(then_kill)
                os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os._exit(0)


def main():
    args = sys.argv[1:]
    if "--" not in args or len(args) < 4:
        sys.exit(__doc__)
    split = args.index("--")
    (rank, action, *params), command = args[:split], args[split + 1:]
    here = os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMI_RANK"))
    if here is None:
        sys.exit("on_rank.py: not started by an MPI launcher")
    if int(here) == int(rank):
        if action == "kill":
            signal_later(float(params[0]), signal.SIGKILL)
        elif action == "stop":
            signal_later(float(params[0]), signal.SIGSTOP, then_kill=120)
        elif action == "replace":
            command = [a.replace(params[0], params[1]) for a in command]
        elif action == "abort":
            signal_later(float(params[0]), signal.SIGABRT)
        else:
            sys.exit(f"on_rank.py: unknown action {action}")
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
