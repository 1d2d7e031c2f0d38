"""Stop signals held back while the grader makes or ends a sandbox's processes and cgroup.

A Ctrl-C (SIGINT) or a SIGTERM becomes an exception in the grader's main thread, wherever it is
(autograder.batch.stopping). Landing in the middle of a keeper's start (its cgroup made, the
zygote's reply awaited) or of a sandbox's end, it would leave a keeper or a cgroup that nothing
holds, and so nothing removes. ``stops_held`` runs such a step whole: a signal arriving meanwhile
is recorded and delivered once the step is done, exactly as it would have been (the handler that
was in place, the default action, or nothing for an ignored signal).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

HELD = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stops_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the block runs (main thread only: only it receives them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    previous = {signum: signal.getsignal(signum) for signum in HELD}
    if any(handler is None for handler in previous.values()):  # one not set from Python: cannot be put back
        yield
        return
    try:
        for signum in HELD:
            signal.signal(signum, lambda s, _frame: got.append(s))
    except (ValueError, OSError):  # not the main interpreter's main thread: nothing to hold
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for came in dict.fromkeys(got):  # each once, in the order they came
            _deliver(came, previous[signal.Signals(came)])


def _deliver(signum: int, handler: object) -> None:
    """What ``signum`` would have done under ``handler``."""
    if handler is signal.default_int_handler:
        raise KeyboardInterrupt
    if callable(handler):
        handler(signum, None)  # the batch's stop handler (raises its stop), or an enclosing hold's
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), signum)  # the default action, now that the step is done
