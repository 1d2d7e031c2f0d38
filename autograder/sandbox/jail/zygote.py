"""The zygote's own side: it runs in the pre-forked interpreter and the keepers it forks.

See autograder.sandbox.host.zygote for what the zygote is and why; this is the part that
runs outside the grader's process: ``serve`` is the zygote's main loop (entered by
``python -m autograder.sandbox.jail --zygote FD``), ``_keeper`` enters the namespaces for
one submission and ``run_sandbox`` is pid 1 of them, which runs the jail's start-up
(jail.main) exactly as an exec'd sandbox does.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import select
import signal
import socket
import sys

from autograder.sandbox.jail.guard import GUARD
from autograder.sandbox.keeper_protocol import ATTACH, EXITED, FDS, NOT_ISOLATED, STATUS

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x20000, 0x8000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
PR_SET_PDEATHSIG = 1
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18


def serve(ctrl_fd: int, child_main) -> None:
    """Fork a keeper per request until the grader has closed every control connection.

    ``child_main`` is ``autograder.sandbox.jail.main.main``, passed in by the entry module
    (jail.__main__) that has it loaded already. The zygote starts with one connection; an ATTACH
    message on one hands it another (a parallel batch's second worker's): requests are served one at
    a time, each answered on the connection it came on, so no two workers ever read each other's
    replies, and a worker that dies between its request and the reply leaves nothing for another.
    """
    connections = [socket.socket(fileno=ctrl_fd)]
    preloaded: set[str] = set()
    _prepare_once()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers report to the grader; the kernel reaps them
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the grader's to handle
    while connections:
        if len(connections) == 1:
            ready = list(connections)  # a copy: serving a message may attach a connection to the list
        else:
            try:
                ready = select.select(connections, [], [])[0]
            except InterruptedError:
                continue
        for sock in ready:
            if not _serve_one(sock, connections, preloaded, child_main):
                connections.remove(sock)
                sock.close()
    os._exit(0)


def _serve_one(sock: socket.socket, connections: list[socket.socket], preloaded: set[str], child_main) -> bool:
    """One message of ``sock``: a keeper forked and its pid sent back, or a connection attached;
    False when ``sock`` is closed (or broken): the grader's end of it is gone."""
    try:
        msg, fds, _, _ = socket.recv_fds(sock, 1 << 16, len(FDS))
    except OSError:
        return False
    if not msg:
        return False
    if msg == ATTACH:
        if len(fds) == 1:
            connections.append(socket.socket(fileno=fds[0]))
        else:
            for fd in fds:
                os.close(fd)
        return True
    try:
        request = json.loads(msg)
        _preload(request.get("preload"), preloaded)
        _precapture()
        pid = os.fork() if len(fds) == len(FDS) else -1
    except (ValueError, OSError):
        pid = -1
    if pid == 0:
        isolated = False
        try:
            for connection in connections:  # no keeper holds a way to ask for more keepers
                connection.close()
            isolated = _keeper(request, dict(zip(FDS, fds)), child_main)
        except BaseException:  # noqa: BLE001 - whatever ends the keeper, the status pipe says no sandbox ran
            pass
        if not isolated:  # no sandbox ran: the keeper's own failure, said as such
            _report(fds[FDS.index("status")], NOT_ISOLATED, 0)
        os._exit(0 if isolated else 1)
    for fd in fds:
        os.close(fd)
    try:
        sock.send(json.dumps({"pid": pid}).encode())
    except OSError:
        return False
    return True


def _prepare_once() -> None:
    """What every sandbox would otherwise build again after its fork, built once here and inherited:
    the seccomp programs (jail.seccomp.program: the same bytes for every sandbox) and the pattern of
    the warning filter jail.main sets. Nothing here depends on a submission or confines anything:
    each sandbox still loads the filter into the kernel itself."""
    import warnings

    from autograder.sandbox.jail import main, seccomp

    seccomp.prepare()
    _KEEPER_WATCHES.append(_pidfds_work())
    libc = _libc()
    for name in ("unshare", "mount", "prctl"):  # looked up once: ctypes keeps them on the library
        getattr(libc, name)
    with warnings.catch_warnings():  # only the pattern's compiled form stays (re's cache), not the filter
        warnings.filterwarnings("ignore", message=main.FORK_WARNING, category=DeprecationWarning)


def _precapture() -> None:
    """The tamper guard's copies, made here for every sandbox (jail.guard's ``precapture``): an
    optimisation only. Should it fail, the sandbox copies every dict itself, as it did before."""
    try:
        GUARD.precapture()
    except Exception:  # noqa: BLE001 - a sandbox never depends on it: it checks each copy's tag
        pass


def _preload(names, done: set[str]) -> None:
    """Import the kit's modules the grader names (grading.yaml ``sandbox.preload_modules``),
    once: every later fork has them. A name that does not import is left to the sandbox,
    which reports it as the submission's import error, as it would without preloading."""
    if not isinstance(names, list):
        return
    for name in names:
        if isinstance(name, str) and name not in done:
            done.add(name)
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - the sandbox reports the failed import itself
                pass


_LIBC: list = []
# Whether keepers watch the lifeline themselves (``_wait_for_sandbox``): decided once, by the zygote.
_KEEPER_WATCHES: list[bool] = []


def _pidfds_work() -> bool:
    """Whether this kernel and Python give a process descriptor (pidfd_open: Linux 5.3, Python 3.9)."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True


def _libc():
    """The C library, loaded once by the zygote (``_prepare_once``) and inherited by every keeper:
    loading it, and finding the functions the keeper and pid 1 call, in each keeper touched
    ctypes' objects in pages shared with the zygote. The same library and functions either way."""
    if not _LIBC:
        _LIBC.append(ctypes.CDLL("libc.so.6", use_errno=True))
    return _LIBC[0]


def _report(fd: int, kind: int, code: int) -> None:
    try:
        os.write(fd, STATUS.pack(kind, code))  # 8 bytes: one atomic write to the pipe
    except OSError:
        pass


def _write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` in one write, raising OSError on any failure.

    With the system calls alone: ``open()``'s text and buffer objects would touch pages the
    keeper shares with the zygote (about 100 copy-on-write faults for four small writes). The
    same flags as ``open(path, "w")``, and the whole text in one write as its flush made it (a
    uid map must come in one); a short write is a failure, as the kernel's refusal is.
    """
    data = text.encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        if os.write(fd, data) != len(data):
            raise OSError(f"short write to {path}")
    finally:
        os.close(fd)


def _keeper(request: dict, fds: dict[str, int], child_main) -> bool:
    """Runs in the keeper; False if it could not isolate the sandbox (nothing ran). Otherwise the
    sandbox ran, and its exit status went to the grader on the status pipe."""
    libc = _libc()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setsid()  # its own process group: the grader kills it with killpg, as it kills unshare on the exec path
    for procs in request.get("cgroup_procs", []):
        try:
            _write(procs, str(os.getpid()))
        except OSError:
            return False
    env = request["env"]
    # Usually the zygote's own (both are the grader's scrubbed sandbox environment): then there
    # is nothing to change, and rebuilding it would only touch shared pages. Any difference (a
    # value, an extra or a missing variable) and it is replaced whole, as always.
    if not (type(env) is dict and dict(os.environ) == env):
        os.environ.clear()
        os.environ.update(env)
    os.chdir(request["cwd"])
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fds["out"], 1)
    os.dup2(fds["out"], 2)
    keep = {0, 1, 2, fds["req"], fds["rep"], fds["life"], fds["status"]}
    for fd in _open_fds():
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    if request.get("namespaces"):
        uid, gid = os.geteuid(), os.getegid()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC) != 0:
            return False
        try:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {uid} 1")
            _write("/proc/self/gid_map", f"0 {gid} 1")
        except OSError:
            return False
        if libc.mount(None, b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None) != 0:
            return False
    # The lifeline (the pipe whose write end only the grader holds) watched here, not by a thread
    # of pid 1's: only where pid 1 heads its own pid namespace, whose processes all end with it.
    watch = bool(request.get("namespaces")) and bool(_KEEPER_WATCHES) and _KEEPER_WATCHES[0]
    pid = os.fork()
    if pid == 0:
        if watch:
            os.close(fds["life"])
            fds = {**fds, "life": -1}
        run_sandbox(libc, request, fds, child_main)  # never returns
    for name in ("req", "rep"):
        os.close(fds[name])
    if watch:
        status = _wait_for_sandbox(pid, fds["life"])
    else:
        os.close(fds["life"])
        status = _wait_for(pid)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.waitstatus_to_exitcode(status)
    _report(fds["status"], EXITED, code)  # after a NOT_ISOLATED from the sandbox, the grader reads that one
    return True


def _wait_for(pid: int) -> int:
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue


def _wait_for_sandbox(pid: int, life: int) -> int:
    """Wait for pid 1's exit, and end it when the grader is gone: its wait status.

    Until issue 23's second round pid 1 started a thread that blocked reading the lifeline and
    killed the namespace at end-of-file (jail.main's ``_watch_lifeline``, still there for exec'd
    sandboxes): a thread per sandbox, made in the process that then loads the submission and forks
    the call worker. The keeper waits anyway, outside the sandbox (in the pid namespace above it:
    no process of the sandbox can see it, signal it or close its descriptors), so it watches the
    lifeline too: end-of-file (the grader ended, even by SIGKILL) and it kills pid 1, which takes
    every process of its pid namespace along, as pid 1's exit did. A keeper that dies another way
    takes pid 1 along by its death signal (PR_SET_PDEATHSIG), as before.
    Without a process descriptor (none here: the zygote checked), a poll every 50 ms instead.
    """
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        pidfd = -1
    poller = select.poll()
    poller.register(life, select.POLLIN)
    if pidfd >= 0:
        poller.register(pidfd, select.POLLIN)
    watching = True
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            for fd, _ in poller.poll(None if pidfd >= 0 else 50):
                if fd != life or not watching:
                    continue
                try:
                    data = os.read(life, 64)
                except OSError:
                    data = b""
                if not data:  # the grader is gone: the sandbox goes too
                    watching = False
                    poller.unregister(life)
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
    finally:
        os.close(life)
        if pidfd >= 0:
            os.close(pidfd)


def run_sandbox(libc, request: dict, fds: dict[str, int], child_main) -> None:
    """pid 1 of the new namespaces: a fresh /proc, then the child's own start-up; never returns.

    ``libc`` and ``child_main`` are passed in, so a test can fail each confining step and see that
    the start-up (which loads the submission) does not run.
    """
    code = 4
    try:
        # Each step must work: without the death signal a sandbox outlives its keeper; without its
        # own /proc it sees the grader's processes. A failure is "not isolated", before any student code.
        isolated = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        if isolated and request.get("namespaces"):
            isolated = (libc.mount(b"none", b"/proc", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None) == 0
                        and libc.mount(b"proc", b"/proc", b"proc", ctypes.c_ulong(MS_NOSUID | MS_NODEV | MS_NOEXEC),
                                       None) == 0)
        if not isolated:
            _report(fds["status"], NOT_ISOLATED, 0)
            os._exit(1)
        os.close(fds["status"])  # before any submission code: only the keeper can write a status now
        # The argv an exec'd child has, but the lifeline's descriptor where the keeper watches the
        # lifeline instead (``_wait_for_sandbox``): then pid 1 holds no end of it and starts no thread.
        sys.argv = [sys.argv[0], str(fds["req"]), str(fds["rep"]), *([str(fds["life"])] if fds["life"] >= 0 else [])]
        child_main(sys.argv)
        code = 0
    except BaseException:  # noqa: BLE001 - a compromised child just ends
        pass
    os._exit(code)


def _open_fds() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 256))
