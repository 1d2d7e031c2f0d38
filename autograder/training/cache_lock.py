"""Writing to a cache folder that other processes, or other machines, share.

The training cache (autograder.training.trainer) may sit on a network file system that several
grading machines use at once (shards of one batch: autograder.batch.shards). Two rules make that
safe without trusting any cross-machine lock (flock and fcntl locks are unreliable on NFS:
ignored, emulated per client, refused with ENOLCK, or left behind by a client that vanished):

1. Every entry is written whole: to a temporary file in the entry's own folder (so the
   rename never crosses file systems), then renamed over the final name. A reader sees the
   old entry, the new one, or none; never half of one. Training is deterministic, so two
   writers of one key write the same outcome (the same bytes on machines of one kind) and
   either rename may win.
2. A lock is a hint that saves work, never a condition for progress. ``advisory_lock`` tries
   a non-blocking ``flock`` and polls; it gives up, and lets its caller do the work itself,
   when the lock cannot be taken at all, when the entry it guards appears meanwhile, or after
   ``wait`` seconds (a holder that is stuck, or a stale lock a vanished client left on the
   server). So the worst case is a training run twice, not a batch that waits forever.

Cache writes are best effort: a folder that cannot be written (full, read-only) only means
the outcome is kept in memory and computed again by the next process. What the entries hold
is signed (autograder.training.cache_signing): only this file's rule for writing them is here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from autograder.base.atomic import write_atomic
from autograder.limits import TRAINING_LOCK_WAIT_SECONDS

_POLL_FIRST, _POLL_MAX = 0.01, 0.1


def store_atomic(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` whole (autograder.base.atomic); False if it could not (a read-only or
    full cache folder only costs a training again)."""
    try:
        write_atomic(path, text)
    except OSError:
        return False
    return True


def _take(f, wait: float, done: Path | None) -> bool:
    deadline = time.monotonic() + wait
    delay = _POLL_FIRST
    while True:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass  # held by another worker: wait a little, below
        except OSError:
            return False  # no locks here (ENOLCK, EINVAL, ...): go on unlocked
        if done is not None and done.exists():
            return False  # the holder finished: its entry is there to read
        left = deadline - time.monotonic()
        if left <= 0:
            return False  # held too long: treat it as stale
        time.sleep(min(delay, left))
        delay = min(delay * 2, _POLL_MAX)


@contextlib.contextmanager
def advisory_lock(path: Path, wait: float = TRAINING_LOCK_WAIT_SECONDS, *, done: Path | None = None) -> Iterator[bool]:
    """Hold the lock file ``path`` if it can be had within ``wait`` seconds; yields whether it is held.

    The body runs either way: the lock only saves duplicate work. ``done`` is the file the
    lock guards; once it exists there is nothing left to wait for.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Never through a link, never blocking on a FIFO someone planted under the lock's name, and
        # only a regular file: a lock is a hint, and a strange one is simply not used.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     0o600)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError("not a regular file")
        f = os.fdopen(fd, "a")
    except OSError:
        yield False
        return
    try:
        held = _take(f, wait, done)
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(OSError):
                    fcntl.flock(f, fcntl.LOCK_UN)
    finally:
        f.close()
