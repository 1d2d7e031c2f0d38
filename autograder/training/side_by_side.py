"""A queue's trainings split by training setting over several processes, trained side by side.

The reference check of ``initgrade grade --jobs N`` (autograder.commands.course) runs before the
batch's workers exist: on an empty cache it trains the reference's trainings, one stack of the
circles network and one images training, while every core but one waits. Here each share of
training settings is trained by the same ``TrainingQueue.train_pending`` (stacked, every
training or stack in its own CPU-limited grandchild: autograder.training.worker) in a forked child of
this process, which writes the outcomes to the shared signed disk cache; this process trains the
first share itself, then waits for the children.

Nothing comes back but through the cache, where an outcome is read only if its signature
verifies (autograder.training.cache_signing): an outcome a child did not write (it died, was
stopped, or its wait ran out) is simply not found, and the check that needs it trains it in this
process, within its bounds, as without this module. A child runs only the kit's trainings of
trusted initial weights (no student code), dies with this process (``PR_SET_PDEATHSIG``), and is
killed when this process stops waiting for it: at its deadline (each of its trainings' wall-clock
bound, one after the other), or on a stop signal.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
import warnings

from autograder.limits import TRAINING_WALL_FACTOR, TRAINING_WALL_SLACK_SECONDS
from autograder.training.queue import Pending, TrainingQueue

_PR_SET_PDEATHSIG = 1


def shares(pending: list[Pending], processes: int) -> list[list[Pending]]:
    """``pending`` split by training setting into at most ``processes`` shares (a setting's trainings
    stay together, so its stack is whole)."""
    by_setting: dict[str, list[Pending]] = {}
    for p in pending:
        by_setting.setdefault(p.training, []).append(p)
    out: list[list[Pending]] = [[] for _ in range(max(1, min(processes, len(by_setting))))]
    for i, members in enumerate(by_setting.values()):
        out[i % len(out)] += members
    return out


def train_side_by_side(queue: TrainingQueue, processes: int) -> int:
    """Train ``queue``'s pending trainings with up to ``processes`` processes (this one included);
    returns the number of children forked. Without a disk cache (nothing to hand outcomes back
    through), with one process or one training setting, it is ``queue.train_pending()``."""
    split = shares(list(queue.pending.values()), processes)
    if len(split) < 2 or queue.trainer.store is None:
        queue.train_pending()
        return 0
    # What a child's trainings import when first used (autograder.training.stack, threadpoolctl),
    # imported before the forks: a child then imports nothing (see _child).
    import threadpoolctl  # noqa: F401

    import autograder.training.stack  # noqa: F401

    cpu = float(queue.trainer.config.limits.training_seconds)
    children: list[tuple[int, float]] = []
    try:
        for share in split[1:]:
            deadline = time.monotonic() + len(share) * (TRAINING_WALL_FACTOR * cpu + TRAINING_WALL_SLACK_SECONDS)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # forking with threads: see _child
                pid = os.fork()
            if pid == 0:
                _child(queue, share)
            children.append((pid, deadline))
        _train(queue, split[0])
    except BaseException:  # a stop (or this process's own failure): the children end now, not at their deadline
        for pid, _ in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        raise
    finally:
        for pid, deadline in children:
            _wait(pid, deadline)
    return len(children)


def _train(queue: TrainingQueue, share: list[Pending]) -> None:
    queue.pending = {p.key: p for p in share}
    queue.train_pending()


def _child(queue: TrainingQueue, share: list[Pending]) -> None:
    """The forked child: train ``share`` into the cache, then end without running anything of the
    parent's (no atexit, no finalizer: ``os._exit``). It imports nothing new (the queue's modules are
    loaded), so a lock another thread of the parent held at the fork cannot stop it; if anything
    does, the parent's deadline kills it."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the parent's to decide: it kills this child
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _train(queue, share)
        code = 0
    finally:
        os._exit(code)


def _wait(pid: int, deadline: float, poll: float = 0.02) -> None:
    """Wait for child ``pid`` until ``deadline``, looking every ``poll`` seconds, then kill it (and on
    any exception here: a stop)."""
    ended = False
    try:
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                ended = True
                return
            time.sleep(poll)
    finally:
        if not ended:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
