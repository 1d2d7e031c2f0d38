"""A pre-forked sandbox starter: Python and numpy are imported once per grader process.

Starting a sandbox the exec way means ``unshare ... python -m autograder.sandbox.jail``:
about 30 ms of namespaces and interpreter, then 100 ms importing numpy, for every
submission. The *zygote* is that same interpreter started once, with the same
scrubbed environment and flags, which imports numpy and the jail's modules and
then only waits. For each submission it forks a *keeper*, and the keeper does what
``unshare --user --map-root-user --mount --net --ipc --pid --fork --kill-child
--mount-proc`` does on the exec path:

1. joins the submission's cgroup (before anything else, so every later process is
   counted and can be killed);
2. takes the submission's environment, working directory and output pipe;
3. enters new user (namespace-root mapped to the grader's uid), mount, network, IPC
   and pid namespaces, with mounts made private;
4. forks the sandbox proper: pid 1 of the new pid namespace, killed by the kernel
   if the keeper dies. It mounts a fresh ``/proc`` and then runs exactly the child
   code an exec'd sandbox runs (``jail.main.main``): hiding, read-only remounts,
   capabilities dropped, seccomp, limits, loading the submission.
5. waits for it and writes its exit status to the grader; or, when it could not
   isolate the sandbox, a "not isolated" record instead, on the same pipe but of a
   kind no exit status can take (the sandbox closes its copy before any
   submission code runs).

Each submission therefore still gets its own namespaces, cgroup, private ``/tmp``,
seccomp filter and limits; what is shared is only memory that holds nothing but
imported library code (copy-on-write pages of a process that never saw a
submission, a solution, a hidden test or the grader's environment).

The zygote runs no student code and is unreachable from the sandboxes (it is in
the grader's pid namespace, which they cannot see). It ends when its grader closes
the control socket or dies (``--pdeathsig`` and end-of-file both).

This module is the grader's side: ``Zygote`` (used by ``host.sandbox.Sandbox``) and
``KeeperProcess``. The zygote's own side, which runs in the zygote and its keepers, is
autograder.sandbox.jail.zygote, entered by ``python -m autograder.sandbox.jail --zygote FD``
so that every process of a sandbox is still recognisable as one by its command line. The
two halves share only the status record (autograder.sandbox.keeper_protocol).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence

from autograder.sandbox.host.isolation import Isolation, sandbox_env
from autograder.sandbox.keeper_protocol import ATTACH, EXITED, NOT_ISOLATED, STATUS


class ZygoteUnavailable(Exception):
    """The zygote cannot start sandboxes here; the caller falls back to exec'ing one."""



class KeeperProcess:
    """The ``subprocess.Popen`` subset ``host.sandbox.Sandbox`` uses, for a sandbox the zygote started.

    ``pid`` is the keeper's (the leader of its process group); the exit status is the
    sandbox's, read from the status pipe. An end of file without a status means the
    keeper itself was killed: reported as SIGKILL, as a killed ``unshare`` is on the exec path.
    ``not_isolated`` is set when the keeper said it could not isolate the sandbox: then
    no submission code ran, and the status is SIGKILL too.
    """

    def __init__(self, pid: int, status_fd: int, stdout):
        self.pid, self._status_fd, self.stdout = pid, status_fd, stdout
        self.returncode: int | None = None
        self.not_isolated = False

    def _read_status(self, timeout: float | None) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            ready = select.select([self._status_fd], [], [], timeout)[0]
        except (OSError, ValueError):
            ready = [True]
        if not ready:
            return None
        try:
            data = os.read(self._status_fd, STATUS.size)
        except OSError:
            data = b""
        kind, code = STATUS.unpack(data) if len(data) == STATUS.size else (EXITED, -signal.SIGKILL)
        self.not_isolated = kind == NOT_ISOLATED
        self.returncode = -signal.SIGKILL if kind != EXITED else code
        try:
            os.close(self._status_fd)
        except OSError:
            pass
        return self.returncode

    def poll(self) -> int | None:
        return self._read_status(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._read_status(timeout)
        if code is None:
            raise subprocess.TimeoutExpired("sandbox", timeout or 0.0)
        return code


class Zygote:
    """One grader process's zygote: started on first use (or ``prestart``), ended by ``close``.

    Thread-safe; a forked process never uses its parent's handle: a parallel batch's workers
    each take a connection of their own to a zygote the parent started (``hand_over_early``,
    ``another_connection``), or start their own.
    """

    def __init__(self, env: dict[str, str], pdeathsig: bool = True):
        self.env = env
        self.pdeathsig = pdeathsig
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._pid: int | None = None
        self.broken: str | None = None
        self.spawned = 0
        self.replaced = 0  # zygotes started again after one died or could not isolate
        self._failed_in_a_row = 0
        # The next sandbox's keeper, started while the current submission is graded (host.ahead);
        # spawned counts it, taken_ahead counts those a start adopted.
        self.ahead = None
        self.taken_ahead = 0
        self.start_ahead = True  # False for a grader of one submission: a keeper ahead would go unused
        # Set in a batch worker that took over a zygote its parent started (``adopt_handed_over``): the
        # zygote is the parent's child, so it is known alive by its socket, not by waiting on it.
        self.adopted = False
        # Set on every connection to a zygote that has more than one (``another_connection``): the
        # zygote serves several workers, so one worker's ``close`` ends only its own connection.
        self.shared = False

    @property
    def process(self) -> subprocess.Popen | None:
        """The zygote's process, while this grader process has one running or stopped but not
        yet replaced (None before the first start, after ``close``, and in a forked worker)."""
        return self._proc if self._pid == os.getpid() else None

    def prestart(self) -> None:
        """Start the zygote now (it imports numpy while the grader does other work)."""
        with self._lock:
            self._ensure()

    def _ensure(self) -> None:
        if self.adopted and self._sock is not None and self._pid == os.getpid():
            return  # a dead one fails the next send, which replaces it (``spawn``)
        if self._proc is not None and self._pid == os.getpid() and self._proc.poll() is None:
            return
        if self._pid != os.getpid():  # a fork of the grader: the parent's zygote is not ours
            self._proc, self._sock = None, None
        self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        prefix = ["setpriv", "--pdeathsig", "KILL"] if self.pdeathsig and shutil.which("setpriv") else []
        cmd = [*prefix, *self.command(theirs.fileno())]
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), env=self.env,
                                          cwd="/", start_new_session=True)
        except OSError as exc:
            ours.close()
            raise ZygoteUnavailable(f"could not start the zygote: {exc}") from exc
        finally:
            theirs.close()
        self._sock, self._pid = ours, os.getpid()

    def command(self, ctrl_fd: int) -> list[str]:
        """The zygote's command line on control socket ``ctrl_fd`` (bench/start_steps.py runs an
        instrumented one that times the jail's steps)."""
        return [sys.executable, "-I", "-B", "-u", "-m", "autograder.sandbox.jail", "--zygote", str(ctrl_fd)]

    def spawn(self, *, env: dict[str, str], cwd: str, cgroup_procs: list[str], namespaces: bool,
              req_fd: int, rep_fd: int, life_fd: int, out_fd: int, timeout: float = 30.0,
              preload: Sequence[str] = ()) -> KeeperProcess:
        """Start one sandbox on the given pipe ends (the caller closes its copies afterwards).

        Returns a ``KeeperProcess`` whose ``stdout`` is None: the caller reads the
        output pipe it created.
        """
        if self.broken:
            raise ZygoteUnavailable(self.broken)
        status_r, status_w = os.pipe()
        request = json.dumps({"env": env, "cwd": cwd, "cgroup_procs": cgroup_procs,
                              "namespaces": namespaces, "preload": list(preload)}).encode()
        try:
            with self._lock:
                for attempt in (1, 2):  # a zygote that died is restarted once
                    self._ensure()
                    try:
                        sock = self._sock
                        if sock is None:  # _ensure sets it or raises: an OSError takes the retry path
                            raise OSError("no zygote")
                        socket.send_fds(sock, [request], [req_fd, rep_fd, life_fd, out_fd, status_w])
                        if not select.select([sock], [], [], timeout)[0]:
                            raise OSError("the zygote did not answer")
                        reply = sock.recv(1 << 12)
                        pid = json.loads(reply)["pid"] if reply else -1
                    except (OSError, ValueError, KeyError, TypeError):
                        self._stop()
                        if attempt == 2:
                            raise ZygoteUnavailable("the zygote stopped answering") from None
                        continue
                    break
        except BaseException:
            os.close(status_r)
            raise
        finally:
            os.close(status_w)
        if not isinstance(pid, int) or pid <= 0:
            os.close(status_r)
            raise ZygoteUnavailable("the zygote could not fork")
        self.spawned += 1
        return KeeperProcess(pid, status_r, None)

    # A keeper that could not isolate says so on its status pipe (``NOT_ISOLATED``), which no
    # submission can write: a submission's exit status never reaches this.
    GIVE_UP_AFTER = 3

    def could_not_isolate(self) -> None:
        """A keeper could not isolate its sandbox: replace this zygote; after ``GIVE_UP_AFTER``
        fresh zygotes in a row failed the same way, the machine cannot do it: stop using zygotes."""
        self._discard_ahead()
        with self._lock:
            self._failed_in_a_row += 1
            if self._failed_in_a_row >= self.GIVE_UP_AFTER:
                self.broken = "its sandboxes could not enter new namespaces"
            if self._pid == os.getpid():
                self._stop()
                self.replaced += 1

    def isolated(self) -> None:
        """A sandbox from this zygote came up isolated."""
        self._failed_in_a_row = 0

    def _stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.adopted:  # the parent's child: killed here, reaped by the parent (``close_handed_over``)
            self.adopted = False
            if self._proc is not None and self._pid == os.getpid():
                try:
                    os.kill(self._proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            self._proc = None
            return
        if self._proc is not None:
            try:
                self._proc.kill()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._proc = None

    def _discard_ahead(self) -> None:
        held, self.ahead = self.ahead, None
        if held is not None:
            held.discard()

    def close(self) -> None:
        self._discard_ahead()
        with self._lock:
            if self._pid != os.getpid():
                self._proc, self._sock = None, None
            elif self.adopted and self.shared:
                # Other workers may still grade with this zygote: only this connection ends. The zygote
                # ends when its last one does (end of file), and the parent reaps it (``reap_handed_over``).
                if self._sock is not None:
                    self._sock.close()
                self._sock, self._proc, self.adopted = None, None, False
            else:
                self._stop()

    def another_connection(self) -> Zygote:
        """A second control connection to this same zygote, for another process of this grader (a
        parallel batch's worker: ``hand_over_early``): a socket pair whose far end goes to the zygote
        in an ATTACH message on this connection. The zygote then answers each request on the
        connection it came on, so two workers never read each other's replies. Sent, not answered:
        nothing waits here for a zygote still importing numpy. Raises ZygoteUnavailable when this
        connection cannot carry it (the zygote has ended): the caller hands over fewer connections."""
        with self._lock:
            if self._sock is None or self._pid != os.getpid() or self._proc is None:
                raise ZygoteUnavailable("no zygote to connect to")
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                socket.send_fds(self._sock, [ATTACH], [theirs.fileno()])
            except OSError as exc:
                ours.close()
                raise ZygoteUnavailable(f"could not reach the zygote: {exc}") from None
            finally:
                theirs.close()
            other = Zygote(self.env, self.pdeathsig)
            other._proc, other._sock, other._pid = self._proc, ours, self._pid
            self.shared = other.shared = True
            return other


# ----------------------------------------------------------------------------------------
# Started before the grader's own imports


_EARLY: list[Zygote] = []


def start_early(count: int = 1) -> None:
    """Start ``count`` zygotes of this process now: one before the command line imports the grader
    (its interpreter and numpy start-up, about 150 ms, then overlaps the grader's imports instead of
    following them), and a parallel batch's others once it knows it will fork workers, before it
    does (``start_for_workers``).

    The first ``new_zygote`` adopts one, or closes them when this machine has no namespaces; a
    parallel batch hands the rest to its workers (``hand_over_early``); an unused one ends with this
    process.
    """
    import atexit

    for _ in range(max(count, 0)):
        z = Zygote(sandbox_env())
        try:
            z.prestart()
        except ZygoteUnavailable:
            return
        atexit.register(z.close)
        _EARLY.append(z)


#: Workers of a parallel batch one zygote serves, each on a connection of its own. A request costs
#: the zygote about a millisecond of CPU (its fork of a keeper) and a worker asks one or two per
#: submission (every 50-100 ms), so a zygote serving a few workers is idle nearly all the time, while
#: each zygote more costs a Python start and numpy's import (about 150 ms of CPU) and a worker waits
#: for a zygote started at the fork (about 60 ms at ``-j 2``).
WORKERS_PER_ZYGOTE = 4


def zygotes_for(jobs: int) -> int:
    """How many zygotes a batch of ``jobs`` workers shares: one per WORKERS_PER_ZYGOTE workers, at
    most one per core."""
    return max(1, min(-(-jobs // WORKERS_PER_ZYGOTE), os.cpu_count() or 1))


def start_for_workers(jobs: int, held: Zygote | None) -> None:
    """In a parallel batch's parent, before ``load_report_writers`` and the fork: start the zygotes
    its workers will share (``hand_over_early``), ``zygotes_for(jobs)`` in all, counting the one
    started before the imports (``held``, the parent grader's, or one nobody took yet): none more
    for up to WORKERS_PER_ZYGOTE workers. Started here rather than before the imports: they would
    take the cores from the imports, and a batch with nothing to grade (a re-run) would start them
    for nothing."""
    have = len([z for z in _EARLY if z._pid == os.getpid()])
    have += 1 if held is not None and held._pid == os.getpid() else 0
    if have:  # only where the command started one (autograder.launch): namespaces, a zygote that starts
        start_early(zygotes_for(jobs) - have)


def take_early() -> Zygote | None:
    """A zygote ``start_early`` started in this process, once each; None otherwise."""
    z = _EARLY.pop(0) if _EARLY else None
    if z is not None and z._pid != os.getpid():  # inherited by a fork: not ours to use
        _EARLY.clear()
        return None
    return z


def close_early() -> None:
    """End the zygotes ``start_early`` started that nobody took."""
    while _EARLY:
        z = _EARLY.pop()
        if z._pid == os.getpid():
            z.close()


# Connections to the zygotes a parallel batch's parent started, for its workers to take over, one
# each, and the read end of a pipe holding one byte per connection (its index), which a worker reads
# (a pipe's read of one byte is atomic, so no two workers take the same connection).
_HANDED: list[Zygote] = []
_TOKENS: list[int] = []  # [read end] while the handover lasts
MAX_HANDED = 256  # an index is one byte


def hand_over_early(extra: Zygote | None = None, jobs: int = 1) -> int:
    """In a parallel batch's parent, before its ``jobs`` workers are forked: the zygotes started
    early (and ``extra``, the parent grader's own if it was one of them) go to the workers, one
    connection each (``Zygote.another_connection``), each zygote shared by at most
    WORKERS_PER_ZYGOTE of them, instead of each worker starting its own after the fork. Returns how
    many connections; a worker left without one starts its own zygote. ``close_handed_over`` once
    the workers are forked."""
    zygotes = ([extra] if extra is not None and extra._pid == os.getpid() else []) + \
        [z for z in _EARLY if z._pid == os.getpid()]
    _EARLY.clear()
    if not zygotes or _HANDED:
        for z in zygotes:
            z.close()
        return 0
    # The first connection of each zygote first, so the first workers to start take different zygotes.
    rounds: list[Zygote] = list(zygotes)
    for _ in range(WORKERS_PER_ZYGOTE - 1):
        for z in zygotes:
            if len(rounds) >= min(jobs, MAX_HANDED):
                break
            try:
                rounds.append(z.another_connection())
            except ZygoteUnavailable:
                pass
    r, w = os.pipe()
    os.write(w, bytes(range(len(rounds))))
    os.close(w)
    os.set_blocking(r, False)
    _HANDED[:] = rounds
    _TOKENS[:] = [r]
    return len(rounds)


def adopt_handed_over() -> Zygote | None:
    """In a forked worker: one of the connections to a zygote its parent handed over, now this
    process's (its copies of the others' sockets closed); None when none is left (a worker forked
    after the handover, or more workers than connections)."""
    if not _TOKENS:
        return None
    mine: Zygote | None = None
    try:
        index = os.read(_TOKENS[0], 1)
    except OSError:
        index = b""
    os.close(_TOKENS[0])
    for i, z in enumerate(_HANDED):
        if index and i == index[0]:
            mine = z
        elif z._sock is not None:
            z._sock.close()  # another worker's: only the parent and that worker keep it open
            z._sock = None
    _HANDED.clear()
    _TOKENS.clear()
    if mine is not None:
        mine._pid, mine.adopted, mine.ahead = os.getpid(), True, None
    return mine


def close_handed_over() -> None:
    """In the parent, once its workers are forked: its own copies of the handed-over connections
    closed (a zygote then ends with the last worker that uses it: end of file on its last
    connection), the pipe of indexes closed, the zygotes' processes kept to be reaped
    (``reap_handed_over``)."""
    for z in _HANDED:
        if z._sock is not None:
            z._sock.close()
            z._sock = None
        _REAP.append(z)
    _HANDED.clear()
    for fd in _TOKENS:
        os.close(fd)
    _TOKENS.clear()


_REAP: list[Zygote] = []


def reap_handed_over() -> None:
    """In the parent, once its workers have ended: the handed-over zygotes ended and reaped (each
    ended with its workers already; killed first, should one still run)."""
    while _REAP:
        _REAP.pop().close()


def new_zygote(isolation: Isolation) -> Zygote | None:
    """The sandbox starter for one grader: only with namespaces (see ``zygote``).

    Adopts one the command line started before its own imports (``zygote.start_early``), or in
    a batch worker one its parent handed over (``hand_over_early``).
    """
    early = take_early() or adopt_handed_over()
    if not isolation.namespaces:
        if early is not None:
            early.close()
        close_early()
        return None
    return early or Zygote(sandbox_env("/tmp"))

