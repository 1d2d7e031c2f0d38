"""Run one training in a forked, killable process with a CPU-time limit.

Why a process: training is numpy arithmetic on arrays a student chose. Subnormal
weights (1e-310) slow every floating-point operation on x86 by up to 100x, and nothing
inside numpy can be told to stop after N seconds. A forked child can: the kernel ends it
when it has used its CPU seconds (``RLIMIT_CPU``), and the grader kills it when the wall
clock runs out, whichever comes first. CPU seconds rather than wall seconds are the bound,
so a training is not stopped because the machine is busy with the rest of a batch.

The child never sees student code: it is forked from the grader, computes with the kit's
model on float64 arrays (already copied out of the reply), and sends back plain numbers as
JSON. It closes every inherited descriptor except its result pipe, so it cannot keep a
sandbox's pipes open, and it dies with the grader (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import time
import warnings
from collections.abc import Callable

from autograder.limits import TRAINING_RESULT_BYTES

_PR_SET_PDEATHSIG = 1


class WorkStopped(Exception):
    """The work used up its CPU seconds or its wall-clock time (or died); ``cpu_seconds`` it used."""

    def __init__(self, why: str, cpu_seconds: float):
        super().__init__(why)
        self.why = why
        self.cpu_seconds = cpu_seconds


def _child(work: Callable[[], dict], cpu_seconds: int, w: int) -> None:
    code = 1
    try:
        os.closerange(3, w)
        os.closerange(w + 1, 1 << 16)
        for sig in (signal.SIGTERM, signal.SIGXCPU, signal.SIGALRM):
            signal.signal(sig, signal.SIG_DFL)  # the grader's handlers are not the child's
        # Ctrl-C reaches the whole process group: the grader decides, and kills this child
        # when it stops waiting for it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        # Soft limit: SIGXCPU ends the process; the hard limit one second later is SIGKILL.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        data = json.dumps(work()).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(w, view):]
        code = 0
    finally:
        os._exit(code)


def run_bounded(work: Callable[[], dict], cpu_seconds: int, wall_seconds: float) -> tuple[dict, float]:
    """``work()`` (which returns JSON-able data) in a forked child; returns (its result, CPU seconds used).

    Raises WorkStopped when the child exceeds ``cpu_seconds`` of CPU time or ``wall_seconds``
    of wall-clock time, or ends without a result.
    """
    # What every training's work imports in the child (threadpoolctl: Trainer.train_in_this_process,
    # stack.stacked_outcomes), imported here first, so the child imports nothing: a module another
    # thread of the grader was importing at the fork (a lazily loaded one, on a thread while a sandbox
    # loads) would stay locked in the child, which would wait for it until its wall-clock bound.
    import threadpoolctl  # noqa: F401

    r, w = os.pipe()
    with warnings.catch_warnings():
        # The grader may run reader threads; the child only computes and calls os._exit.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        os.close(r)
        _child(work, max(int(cpu_seconds), 1), w)
    os.close(w)
    chunks, size, timed_out, ended = [], 0, False, False
    deadline = time.monotonic() + wall_seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([r], [], [], left)
            if not ready:
                continue
            data = os.read(r, 1 << 16)
            if not data:
                ended = True
                break
            size += len(data)
            if size > TRAINING_RESULT_BYTES:
                break
            chunks.append(data)
    finally:
        os.close(r)
        if not ended:  # timed out, too much output, or the grader is being interrupted
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status, usage = os.wait4(pid, 0)
    used = usage.ru_utime + usage.ru_stime
    if timed_out:
        raise WorkStopped("wall", used)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        raise WorkStopped("cpu", used)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise WorkStopped("died", used)
    try:
        return json.loads(b"".join(chunks)), used
    except ValueError:
        raise WorkStopped("died", used) from None
