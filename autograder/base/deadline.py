"""A wall-clock limit on work the grader does itself (reading a submission).

``time_limit(seconds)`` yields a ``Deadline`` whose ``check()`` the work's loops call;
in the main thread it also arms ``SIGALRM``, so work that never reaches a ``check()``
(IPython's tokenizer on one huge block, a parser's own loop) is interrupted where it is.
Either way ``OutOfTime`` is raised: a BaseException, so that the ``except Exception`` of
parsers that recover from bad input cannot swallow it. Imports are run with the alarm
held back (``uninterrupted``): a module half imported would stay broken for the rest of
a batch.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager


class OutOfTime(BaseException):
    """The time given to the work is up."""


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise OutOfTime()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


@contextmanager
def time_limit(seconds: float):
    """A Deadline for the block; in the main thread, SIGALRM raises OutOfTime when it passes."""
    deadline = Deadline(seconds)
    if not _in_main_thread():
        yield deadline
        return

    def on_alarm(signum, frame):
        raise OutOfTime()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield deadline
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:  # someone else's timer: give it back what is left of it
            left = outer - (time.monotonic() - (deadline.end - seconds))
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


@contextmanager
def uninterrupted():
    """Hold SIGALRM back for the block (an import); it is delivered when the block ends."""
    if not _in_main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
