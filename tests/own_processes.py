"""The processes a test started, and the sandbox uids they handed out: what a check of what
sandboxes left behind may count on a machine where other runs of the suite grade at the same time."""

from __future__ import annotations

import os
import threading

from autograder.sandbox.host.uid_block import UID_BASE, owner_pid


def _parents() -> dict[int, int]:
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    found[int(entry.name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return found


class OwnProcesses:
    """The processes below ``root`` (a command this test started, or this process), recorded while
    they run by a thread that walks /proc, and the sandbox uids they hand out: in the uid fallback a
    sandbox's uid lies in the block of the process that made it
    (autograder.sandbox.host.uid_block.owner_pid). Graders and workers live far longer than a walk, so each is
    seen; what another run on the machine starts never is."""

    def __init__(self, root: int | None = None, every: float = 0.2):
        self.root = os.getpid() if root is None else root
        self.pids: set[int] = {self.root}
        self._every = every
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def _walk(self) -> None:
        tree: dict[int, list[int]] = {}
        for pid, ppid in _parents().items():
            tree.setdefault(ppid, []).append(pid)
        todo = list(self.pids)
        while todo:
            for child in tree.get(todo.pop(), []):
                if child not in self.pids:
                    self.pids.add(child)
                    todo.append(child)

    def _loop(self) -> None:
        while not self._done.wait(self._every):
            self._walk()

    def __enter__(self) -> OwnProcesses:
        self._walk()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self._walk()

    def owns_uid(self, uid: int) -> bool:
        """A sandbox uid one of these processes handed out."""
        return owner_pid(uid) in self.pids

    def others_sandbox(self, uid: int) -> bool:
        """A sandbox uid of another run: not ours to count."""
        return uid >= UID_BASE and not self.owns_uid(uid)
