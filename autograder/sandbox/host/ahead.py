"""The next sandbox's first steps, taken while the grader works on the current submission.

A start from the zygote has two parts. The first depends on nothing of a submission: a cgroup,
the five pipes, a keeper forked by the zygote, the keeper's move into the cgroup, its new
namespaces, and pid 1 forked there with its own ``/proc``; pid 1 then waits for its load request.
On cgroup v1 the move alone sleeps for an RCU grace period in the kernel (about 11 ms of wall
time, a third of a start, for 0.3 ms of CPU). The second part starts with the load request: the
hide list (computed for this submission, as before), hiding, read-only remounts, capabilities,
seccomp, limits, loading.

So once a sandbox has loaded, ``prepare_next`` takes the first part of the next start at once,
while the grader's probes and checks run; the next ``Sandbox.start`` adopts it (``take``). Nothing
of the isolation moved: the keeper ahead runs no code of any submission and holds nothing of one
(the environment, working folder and preloaded modules are the same for every sandbox of a
grader, and part of the key it is taken by); every step that confines a sandbox still happens
after its request, in that sandbox alone. What is paid once more is one keeper per grader that
no submission takes (killed at ``Zygote.close``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import weakref
from dataclasses import dataclass
from typing import NamedTuple

from autograder.limits import KILLED_WAIT_SECONDS
from autograder.sandbox.host import cgroups
from autograder.sandbox.host.stops_held import stops_held
from autograder.sandbox.host.zygote import KeeperProcess, ZygoteUnavailable


class Key(NamedTuple):
    """Everything a keeper is started with: a keeper ahead is taken only for the same."""

    processes: int
    memory_bytes: int
    env: tuple[tuple[str, str], ...]
    cwd: str
    preload: tuple[str, ...]


@dataclass(eq=False)
class Prepared:
    """A keeper forked by the zygote, in its cgroup and namespaces, waiting for its load request;
    with the grader's ends of its pipes."""

    key: Key
    proc: KeeperProcess
    cgroup: cgroups.SandboxCgroup | None
    req_fd: int
    rep_fd: int
    life_fd: int
    owner: int  # the grader process that made it: a forked worker never uses or kills its parent's

    def usable(self) -> bool:
        return self.owner == os.getpid() and self.proc.poll() is None

    def discard(self) -> None:
        """Kill the keeper and its pid 1, remove the cgroup, close the pipes (in a forked process:
        only close this process's copies of the pipes)."""
        with stops_held():  # whole, or the cgroup stays
            self._discard()

    def _discard(self) -> None:
        _LIVE.discard(self)
        if self.owner == os.getpid():
            for kill in (os.killpg, os.kill):  # its group, or the keeper alone before its setsid()
                try:
                    kill(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if self.cgroup is not None:
                self.cgroup.remove()
            try:
                self.proc.wait(timeout=KILLED_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        self._close_fds()

    def _close_fds(self) -> None:
        for fd in (self.req_fd, self.rep_fd, self.life_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.stdout is not None:
            try:
                self.proc.stdout.close()
            except OSError:
                pass


# Keepers made ahead in this process: a fork of it (a worker pool) closes its copies of their pipes,
# so the lifeline and the request pipe of a keeper still end with the process that made it.
_LIVE: weakref.WeakSet[Prepared] = weakref.WeakSet()


def _close_inherited() -> None:
    for p in list(_LIVE):
        _LIVE.discard(p)
        p._close_fds()


os.register_at_fork(after_in_child=_close_inherited)


def start_keeper(zygote, key: Key) -> Prepared | None:
    """A keeper from ``zygote`` with a cgroup and pipes of its own; None when the zygote cannot
    start one (the caller execs a sandbox instead)."""
    cgroup = cgroups.create(key.processes, key.memory_bytes)
    ours: list[int] = []
    theirs: list[int] = []
    try:
        for _ in range(4):  # request, reply, lifeline, output
            r, w = os.pipe()
            ours.append(r)
            theirs.append(w)
        req_r, req_w = ours[0], theirs[0]
        rep_r, rep_w = ours[1], theirs[1]
        life_r, life_w = ours[2], theirs[2]
        out_r, out_w = ours[3], theirs[3]
        # The keeper's ends (request read, reply write, lifeline read, output write); the grader keeps
        # the others. The lifeline's write end stays only here: the sandbox ends with this process.
        given = (req_r, rep_w, life_r, out_w)
        kept = (req_w, rep_r, life_w, out_r)
        proc = zygote.spawn(env=dict(key.env), cwd=key.cwd, cgroup_procs=cgroup.procs_files if cgroup else [],
                            namespaces=True, req_fd=req_r, rep_fd=rep_w, life_fd=life_r, out_fd=out_w,
                            preload=list(key.preload))
    except (ZygoteUnavailable, OSError):
        for fd in ours + theirs:
            os.close(fd)
        if cgroup is not None:
            cgroup.remove()
        return None
    for fd in given:
        os.close(fd)
    proc.stdout = os.fdopen(kept[3], "rb")
    prepared = Prepared(key, proc, cgroup, kept[0], kept[1], kept[2], os.getpid())
    _LIVE.add(prepared)
    return prepared


def take(zygote, key: Key) -> Prepared | None:
    """The keeper ``zygote`` holds ahead for ``key``, if it is still waiting; else None (one held
    for another key, or one that ended, is discarded)."""
    held = getattr(zygote, "ahead", None)
    if held is None:
        return None
    zygote.ahead = None
    if held.key == key and held.usable():
        _LIVE.discard(held)
        zygote.taken_ahead += 1
        return held
    held.discard()
    return None


def prepare_next(zygote, key: Key) -> None:
    """Start the next keeper now, to be taken by the next start (a zygote stand-in without an
    ``ahead`` slot, a zygote that is out of use or one told not to, prepares nothing)."""
    if not hasattr(zygote, "ahead") or zygote.ahead is not None or getattr(zygote, "broken", None) \
            or not getattr(zygote, "start_ahead", True):
        return
    with stops_held():  # a stop meanwhile would leave a keeper and a cgroup nothing holds
        zygote.ahead = start_keeper(zygote, key)


def prepare_first(zygote, key: Key) -> None:
    """Start the first keeper of a grader now, to be taken by its first start, even for a grader told
    to start none ahead of a next one (``start_ahead``: the one-notebook command). A zygote stand-in
    without an ``ahead`` slot, one that holds a keeper already, or one out of use prepares nothing."""
    if not hasattr(zygote, "ahead") or zygote.ahead is not None or getattr(zygote, "broken", None):
        return
    with stops_held():  # as in prepare_next
        zygote.ahead = start_keeper(zygote, key)
