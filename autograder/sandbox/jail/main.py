"""The sandbox's start-up and main loop: loads a submission and answers probe calls with plain data.

Started by the grader (autograder.sandbox.host.sandbox) as ``python -I -m autograder.sandbox.jail
REQ_FD REP_FD LIFE_FD``, possibly inside fresh user/mount/net/pid namespaces and as an
unprivileged uid, or forked by the zygote (autograder.sandbox.jail.zygote). Before any
student code runs it does everything that needs trust: imports, leaves the grader's process
group, hides the grader's folders under empty tmpfs mounts, makes the rest of the file system
read-only, replaces ``/dev`` by a minimal one, covers the kernel's writable ``/proc`` and
``/sys`` knobs, gives itself a private size-capped /tmp (jail.filesystem), forbids nested user
namespaces, drops every capability (jail.privileges), installs a seccomp filter
(jail.seccomp) and sets resource limits. After the student's code has loaded, this process
is assumed compromised: the parent trusts none of what it says and enforces all timeouts
itself.

Each call runs in a fork of the loaded process (jail.serve), so a function that mutates
global state, hangs or dies costs only its own call; after every call, every other process
of the sandbox is killed (a function cannot leave helpers behind). Where it can be checked
that a call changed nothing the next one could see, one fork answers several calls
(jail.reuse); elsewhere, one fork per call. Before the load reply, a fork proves that the loaded
submission left room for the process its calls need: with call reuse, the worker's own fork
(made then rather than at the first call, from the same state), else one that only ends.
"""

from __future__ import annotations

import functools
import os
import random
import signal
import sys
import threading
import warnings
from collections import deque

import numpy as np
import numpy.random  # numpy loads it lazily; loaded here once, not again in every probe's fork (13 ms each)
import numpy.random.bit_generator

from autograder.limits import LOAD_MESSAGES, REPLY_HEADER_BYTES, REPLY_PREFIX_BYTES
from autograder.sandbox import wire
from autograder.sandbox.jail import landlock, libc, reuse, seccomp, stubs
from autograder.sandbox.jail.filesystem import isolate_filesystem, verify_isolation
from autograder.sandbox.jail.guard import GUARD
from autograder.sandbox.jail.inbox import Inbox, Request
from autograder.sandbox.jail.libc import CannotIsolate, no_new_privileges
from autograder.sandbox.jail.loading import load_chunks
from autograder.sandbox.jail.privileges import drop_capabilities, set_limits
from autograder.sandbox.jail.serve import (
    RESERVE,
    answer_probe,
    can_fork,
    random_getstate,
    reap_others,
    serve_probe,
)
from autograder.sandbox.outcomes import limit_reply
from autograder.sandbox.values import describe_signature

# Python 3.12+'s warning at a fork of a process with threads (see ``main``).
FORK_WARNING = r".*use of fork\(\) may lead to deadlocks"


def _write_files(workdir: str, files: dict) -> list[str]:
    notes = []
    for rel, text in files.items():
        path = os.path.normpath(os.path.join(workdir, rel))
        if not path.startswith(workdir + os.sep):
            continue
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        except (OSError, ValueError) as exc:
            notes.append(f"{rel}: could not be written to the sandbox ({type(exc).__name__})")
    return notes


def _watch_lifeline(fd: int, sweep: bool) -> None:
    """End the sandbox when the grader is gone (its end of the lifeline pipe closed).

    For an exec'd sandbox. A zygote's sandbox gets no lifeline (``main`` is given two descriptors):
    its keeper watches it from outside the sandbox (jail.zygote's ``_wait_for_sandbox``).
    A thread started before any student code, holding its own references to what
    it calls, blocked in read(2) (the GIL is free meanwhile). In a pid namespace
    this process is pid 1, and its exit takes every process of the sandbox along.
    """
    read, kill, exit_ = os.read, os.kill, os._exit

    def watch():
        try:
            while read(fd, 64):
                pass
        except BaseException:  # noqa: BLE001 - closed under us: the same conclusion
            pass
        if sweep:
            try:
                kill(-1, 9)
            except BaseException:  # noqa: BLE001 - nothing left to kill: the same end
                pass
        exit_(0)

    threading.Thread(target=watch, name="initgrade-lifeline", daemon=True).start()


def _relay_without_preempting() -> None:
    """This thread (the relay) under SCHED_BATCH: woken by a reply, it no longer preempts the call
    worker that wrote it on the same CPU, mid-way through its next call of the batch.

    Measured (bench/call_cost.py): each such preemption cost a context switch both ways and
    cold caches for both processes; with it gone, the relay finds its turn when the worker's
    time slice ends (milliseconds, never a call's length: the same weight, nice level and fair
    share as before) or on another CPU. A call's deadline is the grader's and counts as before;
    scheduling delays of milliseconds were always in it. A fork inherits the policy (reset on fork
    resets only real-time ones): every fork that runs the student's code puts the usual one back
    first (``reuse.end_fork``). Changing to SCHED_BATCH needs no privilege; a refusal leaves the
    usual policy, only slower."""
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (OSError, AttributeError):  # AttributeError: a platform without these names
        pass


def _isolate(request: dict) -> tuple[list[str], str]:
    """Everything that confines this process, before any student code: notes on what this machine
    does not offer, and the working folder. Raises CannotIsolate when a step that must work fails."""
    notes = []
    if request.get("namespaces"):
        notes += isolate_filesystem(request.get("hide", []), request["limits"]["tmp_mb"], request.get("keep", []))
        drop_capabilities()
        notes += verify_isolation([])
        workdir = "/tmp/submission"  # on the sandbox's own tmpfs
    else:
        no_new_privileges()
        workdir = request.get("workdir") or os.getcwd()
        # No mounts to hide with: the same allowlist by path, as the grader granted it (the system,
        # the Python this runs on, the project's assignment/ and data/, each split around any
        # secret it holds), and only the working folder writable.
        if request.get("landlock", True):
            problem = landlock.restrict(libc.LIBC, list(request.get("readable", [])), [workdir])
            if problem:  # the grader chose a level with Landlock: without it this is another level
                raise CannotIsolate(f"Landlock could not be applied: {problem}")
        else:
            notes.append("Landlock turned off")
    # Without namespaces the sandbox shares the host's network and user namespace: no socket, and no
    # user namespace of its own (where it would hold every capability).
    problem = seccomp.install(libc.LIBC, own_network=bool(request.get("namespaces")))
    if problem:
        notes.append(problem)
    return notes, workdir


def main(argv: list[str]) -> None:
    req_fd, rep_fd = int(argv[1]), int(argv[2])
    life_fd = int(argv[3]) if len(argv) > 3 else None
    # Python 3.12+ warns at every fork of a process with threads (the lifeline's): on the sandbox's
    # stderr, that is the student's output, naming this file's path on the grading machine.
    warnings.filterwarnings("ignore", message=FORK_WARNING, category=DeprecationWarning)
    # pid 1 of a pid namespace with default handlers cannot be signalled from inside it;
    # Python's SIGINT handler would otherwise let any process of the sandbox stop it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        os.setsid()  # out of the grader's (or unshare's) process group: kill(0, ...) stays inside
    except OSError:
        pass
    reuse.set_channels([fd for fd in (req_fd, rep_fd, life_fd) if fd is not None])
    request, _ = wire.read_frame(req_fd)
    limits = request["limits"]
    nonce = request.get("nonce")
    if life_fd is not None:
        _watch_lifeline(life_fd, bool(request.get("sweep")))
    try:
        notes, workdir = _isolate(request)
    except CannotIsolate as exc:
        notes = [f"UNSAFE: {exc}"]
    if any(n.startswith("UNSAFE:") for n in notes):  # fail closed: the submission is never loaded
        wire.write_frame(rep_fd, {"status": "cannot-isolate", "notes": notes, "nonce": nonce})
        return
    sweep = bool(request.get("sweep"))
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    notes += _write_files(workdir, request.get("files", {}))
    sys.path.insert(0, workdir)
    set_limits(limits)
    RESERVE.fill()
    stubs.install(request.get("stub_modules", []))
    functions = list(request.get("functions", []))
    chunks = request["chunks"]
    max_array_bytes = limits["reply_mb"] << 20
    max_bytes = max_array_bytes + REPLY_HEADER_BYTES + REPLY_PREFIX_BYTES
    seed = request.get("random_seed")
    del request
    # The legacy global stream starts from the grader's seed, not from the OS: a function that
    # forgets np.random.seed gives the same numbers on every grading (a deterministic grade, and
    # its training is cached), while the seed itself is one no spec uses, so it still fails.
    if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**32:
        np.random.seed(seed)
        random.seed(seed)
        # numpy's new Generators (default_rng(), PCG64() without a seed) take their entropy
        # from here: drawn from the seeded `random` stream, not the OS, they repeat too.
        numpy.random.bit_generator.randbits = random.getrandbits  # type: ignore[attr-defined]  # a C-level name
    namespace = {"__name__": "submission", "__builtins__": __builtins__,
                 "get_ipython": stubs.DisplayStandIn, "display": lambda *a, **k: None}
    GUARD.capture()
    messages = load_chunks(chunks, namespace)
    GUARD.seal()
    del chunks
    found = [n for n in functions if callable(namespace.get(n))]
    random_state = random_getstate()
    reap_others(sweep)  # processes started while loading are gone before the first call
    signatures = {n: describe_signature(namespace[n]) for n in found}  # read from code objects: no student code
    # One fork answers call after call where that cannot change what a call sees (see
    # autograder.sandbox.jail.reuse); it needs the pid namespace (to see every process) and the
    # dict version tags (to see every change of module state). The load reply says which,
    # as a code the grader words (host.sandbox.CALL_REUSE_OFF): a slower grading is never silent.
    worker, reuse_off = None, None
    if not (sweep and os.getpid() == 1):
        reuse_off = "no-pid-namespace"
    elif GUARD.version is None:
        reuse_off = GUARD.version_problem or "layout"
    else:
        modules = reuse.module_list([sys.modules] + GUARD.student[-1:], stubs.MODULE_TYPES)
        if modules is not None and reuse.plain_namespace(namespace, workdir, modules, (stubs.DisplayStandIn,)):
            call = functools.partial(answer_probe, max_array_bytes=max_array_bytes)
            worker = reuse.CallWorker(namespace, call, lambda: GUARD.full_switches, GUARD.version, modules,
                                      {id(d) for d in GUARD.dicts}, (stubs.DisplayStandIn,), settle=GUARD.settle)
        else:
            reuse_off = "top-level-state"
    # Is there room for the process every call needs? With call reuse, the worker's own fork is the
    # proof (the very process the first calls run in, forked now rather than at the first call, from
    # the same state: nothing between here and the first call changes the submission's state);
    # otherwise a fork that only ends. Either way a refusal is in the load reply, and the grader
    # refuses the submission (fail closed). One fork per sandbox saved, about 2 ms.
    RESERVE.release()
    if worker is not None:
        problem = worker.start()
        no_fork = None if problem is None else limit_reply("processes", problem)
    else:
        no_fork = can_fork()
    RESERVE.fill()
    wire.write_frame(rep_fd, {"status": "loaded", "functions": found, "messages": messages[:LOAD_MESSAGES],
                              "signatures": signatures, "call_reuse": reuse_off or "on",
                              "notes": notes, "cannot_fork": no_fork, "nonce": nonce})
    # The requests are read as the grader sent them ahead, several at once (jail.inbox), and the
    # worker is handed those that fit in one page together (CallWorker.serve_batch); the calls it
    # did not answer (it retired or died) are handed again to the next worker, a fresh fork.
    inbox, queue = Inbox(req_fd), deque[Request]()
    _relay_without_preempting()
    while True:
        if not queue:
            try:
                queue.extend(inbox.take())
            except wire.WireError:
                os._exit(0)
        if queue[0].header.get("op") == "exit":
            os._exit(0)
        if worker is None:
            serve_probe(namespace, queue.popleft().header, rep_fd, max_bytes, sweep, random_state, max_array_bytes)
            continue
        try:
            queue.extend(inbox.more())  # sent meanwhile: into this batch too
        except wire.WireError:
            pass  # the grader closed the pipe or sent garbage: found again (and ended on) when next read
        batch: list[tuple[dict, bytes]] = []
        size = 0
        for request in queue:
            if request.header.get("op") == "exit" or (batch and size + len(request.raw) > reuse.BATCH_BYTES):
                break
            batch.append((request.header, request.raw))
            size += len(request.raw)
        if worker.pid is None:
            RESERVE.release()  # room for the worker's pipes
        answered = worker.serve_batch(batch, rep_fd, max_bytes)
        RESERVE.fill()
        for _ in range(answered):
            queue.popleft()
        # The worker looked for helpers after each call (its verdict); this process looks once more
        # after each batch, and sweeps after a worker that ended: a helper it left goes with it.
        if worker.pid is None or reuse.others_running(worker.pid):
            worker.end()
            reap_others(True)
