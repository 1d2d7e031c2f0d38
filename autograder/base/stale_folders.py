"""Private temporary folders named after the process that made them, and the sweep of those whose
process is gone: a process killed outright (SIGKILL) cannot remove its own, so the next one that
makes a folder of the same kind removes them (the sandbox's staged packages, a parallel batch's
progress notes)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process: alive
        return False
    return False


def sweep_dead(prefix: str, parent: str | None = None) -> int:
    """Remove the folders of ``parent`` (the temporary folder by default) named as
    ``folder_of_this_process`` names them with ``prefix``, made by this user, whose process is gone;
    how many. Never a link, never another user's, never a live process's folder. (A reused pid
    keeps a dead process's folder until it ends: harmless.)"""
    name = re.compile(re.escape(prefix) + r"([0-9]+)-[A-Za-z0-9_]+\Z")
    removed = 0
    try:
        entries = list(os.scandir(parent if parent is not None else tempfile.gettempdir()))
    except OSError:
        return 0
    for entry in entries:
        found = name.match(entry.name)
        if found is None or int(found.group(1)) == os.getpid():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        if _gone(int(found.group(1))):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
    return removed


def folder_of_this_process(prefix: str) -> str:
    """A new private folder (mode 700) named ``<prefix><pid>-<random>`` in the temporary folder;
    first, the folders of that kind whose process is gone (``sweep_dead``)."""
    sweep_dead(prefix)
    return tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-")
