"""The batch's isolation level, detected beside the command line's imports instead of after them.

Detecting it (autograder.sandbox.host.isolation.detect_isolation) starts ``python`` under
``unshare`` and waits for it: 50-100 ms of a one-notebook ``initgrade grade`` spent waiting,
while the grader's own imports (click, pydantic, numpy, the rubric: 200 ms and more of CPU)
come after it. ``start`` (called by autograder.launch, before those imports) runs the very same
detection on a thread, which spends its time waiting on the probe's process; ``isolation``
(called by the batch where it needs the level) waits for that thread, then answers with the
detection's own cached result, so both places see one ``Isolation``.

Nothing is cached across commands and nothing is decided on the thread: a detection that raised
there is simply run again by ``isolation`` in the main thread, where its exception goes where it
always went. The thread has ended before the batch forks any worker (``isolation`` is called
first), so no fork copies a process in the middle of it. A command that ends before it needed the
level (nothing to grade, a bad grading.yaml, Ctrl-C at start-up) waits a moment for the probe on
its way out, so that its probe process does not outlive it.
"""

from __future__ import annotations

import atexit
import threading

from autograder.limits import EARLY_PROBE_EXIT_SECONDS
from autograder.sandbox.host.isolation import Isolation, detect_isolation

_thread: threading.Thread | None = None


def _detect() -> None:
    try:
        detect_isolation()
    except BaseException:  # noqa: BLE001 - told by isolation(), which runs it again in the main thread
        pass


def start() -> None:
    """Start detecting the level now, once per process (the command line's first instant)."""
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_detect, name="initgrade-isolation-probe", daemon=True)
        _thread.start()
        atexit.register(_thread.join, EARLY_PROBE_EXIT_SECONDS)  # not the probe's own, longer timeout


def started() -> bool:
    """Was the detection started early in this process (for tests)."""
    return _thread is not None


def isolation() -> Isolation:
    """The level of this machine: the early detection's answer once it has finished, or the detection
    run here (it is cached per process either way)."""
    if _thread is not None:
        _thread.join()
    return detect_isolation()
