"""One fork of the loaded submission answers call after call, for as long as no call can have
changed what the next one sees.

Why: a fork per call costs about 4 ms of kernel time with numpy loaded (copying page tables,
the copy-on-write faults after it, tearing it down), and the rubric's checks make about 34 calls
per submission: most of a warm grading's CPU. What a fresh fork gives is that every call starts
from the state the submission had once loaded. The worker here keeps that guarantee where it
can be checked, and falls back to a fresh fork where it cannot:

* **Before the first call** (``plain_namespace``): the submission's top level may hold only
  what a call cannot change unseen: numbers, strings, tuples, modules, library functions
  and classes, its own functions without closures, mutable defaults or attributes, and
  lists, dicts, sets and arrays whose contents are fingerprinted. Anything else (an
  instance, its own class, a random generator object, a module of its own files) and the
  sandbox forks once per call (jail.serve).
* **Before every call**: numpy's legacy random stream, ``random``'s stream and numpy's
  floating-point error settings are put back as they were after loading.
* **After every call** (``_Fingerprint``): the worker compares the version tag of every
  module's dict, the submission's globals and ``os.environ`` (the tamper guard reports the
  dicts it watches, ``sys.modules`` among them); the fingerprint of its top-level
  containers and its functions' defaults and attributes; the threads of the process, its
  open files, limits, working directory, recursion limit, signal handlers, mask and
  timers, tracing, warning filters. Any difference, and the worker ends after its reply:
  the next call gets a fresh fork of the loaded submission. So does a worker that has
  used half the CPU-time limit, which was meant for a single call.
* **In the sandbox, after every call**: any other process (a helper the call started) ends
  the worker along with it, as a fork per call is swept after its call.

What a call could still change unseen: attributes set on a library's class or on a
library function's ``__dict__``, C-level state of other libraries, ``umask``, and files
(which a fork per call shared too). A function that depends on those is graded as it
behaves when called again, which is how otter and nbgrader always call it.

The worker is still inside the sandbox and is as untrusted as the rest of it: all this is
about giving each call the same state (a fair, repeatable grade), not about security,
which is the same either way (the grader validates every reply).
"""

from __future__ import annotations

import importlib
import os
import random
import resource
import select
import signal
import sys
import types
import warnings
from collections.abc import Callable

import numpy as np

from autograder.limits import REUSE_ARRAY_BYTES, REUSE_DEPTH, REUSE_ITEMS
from autograder.sandbox import wire
from autograder.sandbox.jail.guard import tags_of
from autograder.sandbox.outcomes import died_reply, limit_reply

# Bound before any submission is loaded: the resets must not call what a submission patched.
_np_get_state, _np_set_state = np.random.get_state, np.random.set_state
_py_get_state, _py_set_state = random.getstate, random.setstate
_np_geterr, _np_seterr = np.geterr, np.seterr
_getrlimit, _getrusage = resource.getrlimit, resource.getrusage
_RLIMITS = [getattr(resource, n) for n in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE",
                                          "RLIMIT_NPROC", "RLIMIT_STACK", "RLIMIT_CORE") if hasattr(resource, n)]
# signal.getsignal wraps the C function's answer in an enum (23 us for the 62 signals, against 1):
# the fingerprint compares the handlers by identity, which the raw values (the very objects the
# interpreter stores, SIG_DFL and SIG_IGN as its two cached ints) keep as well.
_raw_getsignal = importlib.import_module("_signal").getsignal
_GLOBAL_RANDOM_STATE = np.random.mtrand._rand
_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), type(Ellipsis), range)
_CONTAINERS = (list, dict, set)
KEEP, RETIRE = b"k", b"x"
#: The requests handed to the worker at once: one page, the least an empty pipe takes without
#: blocking (as autograder.sandbox.host.pipeline's IN_FLIGHT_BYTES for the grader's own pipe).
BATCH_BYTES = 4096


def _immutable(value, depth: int = 0) -> bool:
    t = type(value)
    if t in _IMMUTABLE:
        return True
    if t in (tuple, frozenset) and depth < REUSE_DEPTH and len(value) <= REUSE_ITEMS:
        return all(_immutable(v, depth + 1) for v in value)
    return False


def _contents_immutable(value) -> bool:
    if len(value) > REUSE_ITEMS:
        return False
    if type(value) is dict:
        return all(_immutable(k) and _immutable(v) for k, v in dict.items(value))
    return all(_immutable(v) for v in value)


# What sys.modules held before any submission: some entries are not modules (typing.io is a
# class). Held, so that no later object can take one of their ids.
_BEFORE_OBJECTS = list(sys.modules.values())
_BEFORE = {id(m) for m in _BEFORE_OBJECTS}


def module_list(views: list[dict], module_types: tuple = (types.ModuleType,)) -> list | None:
    """The modules of the given views of ``sys.modules``, each once; None if a view holds
    anything else that a submission put there (nothing could be trusted about it).

    Two views: the sandbox's tamper guard keeps ``sys.modules`` as it was before loading
    outside calls, and puts the submission's (with its imports) in place during a call.
    ``module_types``: the exact types a module may have (the sandbox's display stubs too).
    """
    seen, out = set(), []
    for view in views:
        for m in list(dict.values(view)):
            if type(m) not in module_types:
                if id(m) in _BEFORE:
                    continue
                return None
            if id(m) not in seen:
                seen.add(id(m))
                out.append(m)
    return out


def plain_namespace(namespace: dict, own_files: str, modules: list | None, stub_types: tuple = ()) -> bool:
    """Whether every top-level value of the submission is one whose changes a call could not hide.

    ``own_files``: the folder of the submission's own files; a module loaded from there
    is the submission's code too, and is not looked into, so its presence means no reuse.
    ``modules``: from ``module_list``; ``stub_types``: the sandbox's own no-op objects
    (their attributes are fingerprinted). Only exact types are trusted, and nothing is
    looked up that a class of the submission could define.
    """
    if modules is None:
        return False
    prefix = own_files.rstrip(os.sep) + os.sep
    for m in modules:
        path = vars(m).get("__file__")
        if type(path) is str and path.startswith(prefix):
            return False
    module_ids, module_dicts = {id(m) for m in modules}, {id(vars(m)) for m in modules}
    for key, value in list(dict.items(namespace)):
        if key in ("__builtins__", "__name__"):
            continue
        if not _plain_value(value, namespace, module_ids, module_dicts, stub_types):
            return False
    return True


def _plain_value(value, namespace: dict, module_ids: set[int], module_dicts: set[int],
                 stub_types: tuple = ()) -> bool:
    t = type(value)
    if _immutable(value) or t in stub_types:
        return True
    if t in _CONTAINERS:
        return _contents_immutable(value)
    if t is np.ndarray:
        return value.dtype.kind in "biufc" and value.nbytes <= REUSE_ARRAY_BYTES
    if issubclass(t, types.ModuleType):
        return id(value) in module_ids
    if t is types.FunctionType:
        if value.__globals__ is namespace:
            return (value.__closure__ is None and not value.__dict__
                    and (value.__defaults__ is None or _immutable(value.__defaults__))
                    and (value.__kwdefaults__ is None or _contents_immutable(value.__kwdefaults__)))
        return id(value.__globals__) in module_dicts  # a library's: its state is in a module dict
    if t is types.BuiltinFunctionType:
        owner = value.__self__
        return (owner is None or type(owner) is types.ModuleType or issubclass(type(owner), type)
                or owner is _GLOBAL_RANDOM_STATE)
    if t is np.ufunc:
        return True
    if issubclass(t, type):
        return type.__dict__["__module__"].__get__(value) != namespace.get("__name__")
    return False


def _watched_dicts(namespace: dict, version, modules: list, skip: set[int]) -> tuple[list[dict], Callable]:
    """The dicts whose version tags the fingerprint compares, and the reader of their tags.

    Strong references: a tag is read at the dict's address, which must stay alive. The dicts
    the tamper guard switches at every call are left to it (``skip``). Built by the sandbox
    before it forks the worker (``CallWorker``): listing them touches every module object and
    its dict (about 270 of each, spread over the heap), which in a fresh fork copies each page
    they lie on (about 300 copy-on-write faults, once per worker). Nothing here reads a tag: the
    fingerprint's first reading is still taken in the worker, from its own state.
    """
    dicts = [vars(m) for m in modules if id(vars(m)) not in skip]
    dicts += [namespace, getattr(os.environ, "_data", {})]
    return dicts, tags_of(version, dicts)


class _Fingerprint:
    """What a call could have changed, taken when the worker starts and compared after each call."""

    def __init__(self, namespace: dict, version, modules: list, skip: set[int], stub_types: tuple = (),
                 watched: tuple[list[dict], Callable] | None = None):
        """``version``: reads a dict's version tag (jail.guard._dict_version_reader); ``watched``:
        ``_watched_dicts`` of the same arguments, when the caller built it already."""
        self.namespace = namespace
        self.stub_types = stub_types
        self.version = version
        self.dicts, self.read_tags = watched or _watched_dicts(namespace, version, modules, skip)
        self.values = list(dict.values(namespace))
        self.signals = sorted(int(s) for s in signal.valid_signals())
        # The threads of the process, counted by the kernel in the link count of /proc/self/task
        # (2 + threads): one stat instead of opening, listing and closing the folder. Used only
        # where the count proves it here, in the worker's one thread; elsewhere the folder is listed.
        self.links_count_threads = _task_links() == 3 and len(os.listdir(_TASKS)) == 1
        self.taken = self._take()

    def _values(self) -> list:
        out: list[object] = []
        for v in self.values:
            t = type(v)
            if t is list or t is set:
                out.append((len(v), tuple(map(id, v))))
            elif t is dict:
                out.append(self.version(v))
            elif t is np.ndarray:
                out.append((v.shape, v.strides, v.dtype.str, hash(v.tobytes())))
            elif t is types.FunctionType and v.__globals__ is self.namespace:
                out.append((id(v.__code__), id(v.__defaults__), id(v.__kwdefaults__), len(v.__dict__)))
            elif t in self.stub_types:
                out.append(self.version(object.__getattribute__(v, "__dict__")))
        return out

    def _take(self) -> tuple:
        tags = self.read_tags()
        return (tags, self._values(), os.getcwd(), sys.getrecursionlimit(),
                list(map(_raw_getsignal, self.signals)), _process_state())

    def unchanged(self) -> bool:
        try:
            if (_task_links() != 3 if self.links_count_threads
                    else len(os.listdir(_TASKS)) != 1):  # a thread the call started
                return False
            if signal.alarm(0) or any(signal.getitimer(w)[0] for w in
                                      (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)):
                return False
            now = self._take()
        except BaseException:  # noqa: BLE001 - whatever stops the comparison counts as a change
            return False
        tags, values, cwd, limit, handlers, process = now
        return (tags == self.taken[0] and values == self.taken[1] and cwd == self.taken[2]
                and limit == self.taken[3] and all(a is b for a, b in zip(handlers, self.taken[4]))
                and process == self.taken[5])


_TASKS = "/proc/self/task"


def _task_links() -> int:
    return os.stat(_TASKS).st_nlink


def _process_state() -> tuple:
    """What else of the process a call can change for the next: its open files (a closed or
    redirected stdout), limits, blocked signals, tracing, warning filters, int-to-str limit."""
    fds: list[tuple[int, int | None, int | None]] = []
    for name in os.listdir("/proc/self/fd"):
        try:
            st = os.fstat(int(name))
            fds.append((int(name), st.st_dev, st.st_ino))
        except OSError:
            fds.append((int(name), None, None))  # the listing's own descriptor, closed by now
    return (sorted(fds), [_getrlimit(r) for r in _RLIMITS], sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
            id(sys.gettrace()), id(sys.getprofile()), sys.get_int_max_str_digits(), tuple(warnings.filters))


def settable_state(state):
    """numpy's legacy state as ``set_state`` takes it fastest, the same values: the key as a list.

    ``set_state`` copies the 624 words of the key one by one; from an array each is a numpy
    scalar (32 us a call), from a list a plain int (2 us). Anything but the usual tuple is kept
    as it is (a submission may have replaced the stream's generator: it then fails as before).
    """
    if type(state) is tuple and len(state) == 5 and type(state[1]) is np.ndarray:
        return (state[0], state[1].tolist(), *state[2:])
    return state


def flush_output() -> None:
    """Flush Python's stdout and stderr, whatever the submission did to them: before a fork
    (or the fork would repeat buffered output) and before a forked process ends."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - closed or replaced by the submission: its own loss
            pass


_CHANNELS: list[int] = []  # the sandbox's own pipes to the grader (request, reply, lifeline)


def set_channels(fds: list[int]) -> None:
    """Name the sandbox's pipes to the grader: every fork that runs student code closes them."""
    _CHANNELS[:] = fds


def close_channels() -> None:
    """In a fork that runs student code: close the grader's pipes. A call needs none of them (it
    answers on a pipe of its own); open, they would let it read the next requests or write frames."""
    for fd in _CHANNELS:
        try:
            os.close(fd)
        except OSError:
            pass


def end_fork(work) -> None:
    """In a freshly forked process: run ``work()``, flush, and end; never returns.

    Exit status 0, or 3 when ``work`` raised: the sandbox reports the latter as the call's death.
    """
    code = 0
    try:
        try:  # pid 1 relays under SCHED_BATCH (jail.main), which a fork inherits: the usual policy back
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        except (OSError, AttributeError):  # refused or not on this platform: the call is only scheduled
            pass  # otherwise (the same fair share), never answered differently
        work()
    except BaseException:  # noqa: BLE001 - any failure of the work is the call's death (status 3)
        code = 3
    finally:
        flush_output()
        os._exit(code)


def _cpu_to_spare() -> bool:
    """Less than half the CPU-time limit used: the limit counts the worker's whole life, and
    was meant for one call (a fresh fork starts from zero)."""
    try:
        limit = _getrlimit(resource.RLIMIT_CPU)[0]
        used = _getrusage(resource.RUSAGE_SELF)
    except BaseException:  # noqa: BLE001 - unknown usage: do not reuse
        return False
    return limit == resource.RLIM_INFINITY or used.ru_utime + used.ru_stime < limit / 2


class CallWorker:
    """The sandbox's side: forks the worker, hands it calls, relays each reply to the grader.

    ``run_call(namespace, request)`` gives one reply frame's header and arrays
    (``jail.serve.answer_probe``), written with the worker's verdict after it;
    ``switches()`` counts the module dicts the tamper guard had to switch whole (a call
    that patched a module). ``version`` reads a dict's version tag (or None).
    ``settle()``, run in the worker before its first call, has the guard take as its
    starting point what the sandbox's own code left (so only a call's changes count).
    """

    def __init__(self, namespace: dict, run_call, switches, version,
                 modules: list, skip: set[int], stub_types: tuple = (), settle=None, look_for_others: bool = True):
        """``look_for_others``: whether the worker's verdict also needs no other process to be
        running (``others_running``): in the sandbox's own pid namespace, where it sees only its
        own; off only for a worker run outside one (tests), where every process of the machine shows."""
        self.look_for_others = look_for_others
        self.namespace = namespace
        self.modules, self.skip, self.stub_types = modules, skip, stub_types
        self.run_call = run_call
        self.switches = switches
        self.version = version
        self.settle = settle
        # Taken here, in the sandbox: ``random`` reseeds itself from the OS in every fork.
        self.py_state = _py_get_state()
        # Listed here, before the fork, so that no worker touches every module again (see
        # ``_watched_dicts``): the same dicts it would list (a module's dict cannot be replaced,
        # and os.environ is the original outside a call, in the sandbox as in the worker).
        self.watched = _watched_dicts(namespace, version, modules, skip)
        self.pid: int | None = None
        self.unread = bytearray()
        self.to_worker: int | None = None
        self.from_worker: int | None = None

    # --- in the worker -----------------------------------------------------------------

    def _work(self, calls: int, replies: int) -> None:
        if self.settle is not None:
            self.settle()
        np_state, py_state, err = settable_state(_np_get_state()), self.py_state, _np_geterr()
        fingerprint = _Fingerprint(self.namespace, self.version, self.modules, self.skip, self.stub_types,
                                   self.watched)
        me = os.getpid()
        while True:
            try:
                request, _ = wire.read_frame(calls)
            except BaseException:  # noqa: BLE001 - the sandbox closed the pipe: done
                os._exit(0)
            _np_set_state(np_state)
            _py_set_state(py_state)
            _np_seterr(**err)
            before = self.switches()
            header, arrays = self.run_call(self.namespace, request)
            flush_output()
            # No other process either (a helper the call started): the sandbox hands the worker
            # several calls at once (``serve_batch``), so the worker itself looks before it starts
            # the next one, where the sandbox looked between two calls before.
            keep = (self.switches() == before and fingerprint.unchanged() and _cpu_to_spare()
                    and not (self.look_for_others and others_running(me)))
            # The verdict goes in the reply's own write: the relay, which forwards the reply only
            # once it has the verdict too, wakes once per call instead of twice.
            wire.write_frame(replies, header, arrays, tail=KEEP if keep else RETIRE, sized=True)
            if not keep:
                os._exit(0)

    # --- in the sandbox ------------------------------------------------------------------

    def start(self) -> OSError | None:
        """Fork the worker; the OS's refusal if it could not be, or None.

        The sandbox forks the first worker before its load reply: that fork is the proof that the
        loaded submission left room for the process its calls need (jail.main), and so no separate
        fork is made to check it (``jail.serve.can_fork``)."""
        flush_output()
        calls_r = calls_w = replies_r = replies_w = None
        try:
            calls_r, calls_w = os.pipe()
            replies_r, replies_w = os.pipe()
            pid = os.fork()
        except OSError as exc:
            for fd in (calls_r, calls_w, replies_r, replies_w):
                if fd is not None:
                    os.close(fd)
            return exc
        if pid == 0:
            def work():
                os.close(calls_w)
                os.close(replies_r)
                close_channels()
                self._work(calls_r, replies_w)

            end_fork(work)
        os.close(calls_r)
        os.close(replies_w)
        os.set_blocking(replies_r, False)
        self.pid, self.to_worker, self.from_worker = pid, calls_w, replies_r
        return None

    def end(self) -> int | None:
        """Kill and reap the worker; its wait status, if it had one to give."""
        if self.pid is None:
            return None
        pid = self.pid
        self._forget()
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            return os.waitpid(pid, 0)[1]
        except OSError:
            return None

    def serve_batch(self, requests: list[tuple[dict, bytes]], rep_fd: int, max_bytes: int) -> int:
        """Answer calls through the worker, in order, forking it first if there is none (or it
        died idle); how many were answered. Each is a request's header and its frame's bytes.

        Every request goes to the worker in one write, and the worker answers them back to back:
        it wakes once per batch instead of once per call, and so does this process for the
        requests. Each reply is relayed, capped and checked alone, exactly as before; the worker
        puts its state back before each call and gives its verdict after each (``_work``). A
        worker that retires or dies stops the batch: the calls it had not answered are answered
        by the next worker, from a fresh fork (the caller hands them again), as they were before.
        A batch fits in one page (``BATCH_BYTES``), the least an empty pipe takes without
        blocking, so this process never waits on the worker to read (a first request larger
        than that goes alone, with a blocking write, as every request went before).
        """
        seq = requests[0][0].get("seq")
        if self.pid is not None and os.waitpid(self.pid, os.WNOHANG)[0] != 0:
            self._forget()  # ended between calls (killed from outside): not this call's doing
        if self.pid is None:
            problem = self.start()
            if problem is not None:
                wire.write_frame(rep_fd, {**limit_reply("processes", problem), "seq": seq})
                return 1
        to_worker = self.to_worker
        assert to_worker is not None  # start sets it
        try:
            wire.write_all(to_worker, b"".join(raw for _, raw in requests))
        except OSError:
            pass  # it died just now; the relay finds it ended and says so
        for answered, (request, _) in enumerate(requests, 1):
            if not self._relay(request.get("seq"), rep_fd, max_bytes):
                return answered
        return len(requests)

    def _relay(self, seq, rep_fd: int, max_bytes: int) -> bool:
        """Relay the worker's reply to one call (or say how it ended); whether the worker goes on.

        ``self.unread`` holds what was read past the previous reply and its verdict: the next
        replies of a batch, when the worker wrote them before this process read the last one."""
        pid, from_worker = self.pid, self.from_worker
        assert pid is not None and from_worker is not None  # serve_batch starts the worker
        buf, self.unread = self.unread, bytearray()
        need: int | None = None
        start, status, ended, too_big, garbage = 0, None, False, False, False
        read = not buf  # bytes left from the batch's previous reply are looked at before any wait
        while True:
            eof = False
            if read:
                if select.select([from_worker], [], [], 0.05)[0]:
                    data, eof = drain(from_worker, max_bytes + 1 - len(buf))
                    buf += data
                else:
                    got, st = os.waitpid(pid, os.WNOHANG)
                    if got != 0:
                        status, ended = st, True
                        buf += drain(from_worker, max_bytes + 1 - len(buf))[0]
                        self._forget()
            read = True
            try:
                if need is None:
                    start, need = _reply_end(buf)
            except wire.WireError:
                garbage = True
            # This reply's bytes (with its verdict), not the next replies' behind it: the cap and
            # the order of the checks as when the buffer held one reply only.
            if (len(buf) if need is None else min(len(buf), need + 1)) - start > max_bytes + 1:
                too_big = True
                break
            if garbage:
                break
            if need is not None and len(buf) > need:  # the reply and the worker's verdict
                break
            if eof and not ended:
                status, ended = self.end(), True  # closed its end: it has exited, or is of no more use
            if ended:
                break
        if too_big:
            self.end()
            wire.write_frame(rep_fd, {**limit_reply("reply_mb"), "seq": seq})
            return False
        if garbage:
            self.end()
            wire.write_all(rep_fd, bytes(buf))  # the grader finds it invalid and says so
            return False
        if need is not None and len(buf) > need and not ended:
            verdict = bytes(buf[need:need + 1])
            self.unread = buf[need + 1:]
            if verdict != KEEP:
                self.end()
            wire.write_all(rep_fd, bytes(buf[start:need]))
            return verdict == KEEP
        if (need is not None and len(buf) >= need and status is not None and os.WIFEXITED(status)
                and os.WEXITSTATUS(status) == 0):  # replied, then ended
            wire.write_all(rep_fd, bytes(buf[start:need]))
            return False
        if not ended:
            status = self.end()
        wire.write_frame(rep_fd, {**died_reply(status), "seq": seq})
        return False

    def _forget(self) -> None:
        """The worker has been reaped: drop its pipes, and whatever was read from it and not relayed."""
        self.unread = bytearray()
        for fd in (self.to_worker, self.from_worker):
            if fd is not None:
                os.close(fd)
        self.pid = self.to_worker = self.from_worker = None


def _reply_end(buf: bytearray) -> tuple[int, int | None]:
    """Where the reply at the start of ``buf`` begins and ends (its verdict follows), the end None
    while more bytes are needed; raises ``wire.WireError`` when the bytes cannot start a frame.

    The worker announces each reply's length before it (``wire.write_frame``'s ``sized``): the
    reply's JSON header is not decoded here (6 to 16 us a call), only by the grader, which checks
    every frame anyway. Bytes that do not start so (a frame a call wrote into the pipe itself) are
    measured as before, by their header (``wire.frame_length``), and forwarded whole. A wrong
    length only forwards bytes the grader finds invalid, as it found the invalid frames before."""
    if len(buf) < wire.SIZED_PREFIX.size:
        if bytes(buf[:4]) == wire.SIZED[:len(buf[:4])]:
            return 0, None  # too short to tell
        return 0, wire.frame_length(buf)
    if bytes(buf[:4]) == wire.SIZED:
        start = wire.SIZED_PREFIX.size
        return start, start + wire.SIZED_PREFIX.unpack_from(buf)[1]
    return 0, wire.frame_length(buf)


# What one read asks for: a pipe's default capacity (64 KiB), so the most one read of a pipe can
# give anyway. Asking for 1 MiB, as before, had Python allocate (and the C library map and unmap)
# 1 MiB for every read, even one that found a 1 KiB reply or nothing: 10 us of pid 1's ~50 a call.
_DRAIN_READ = 1 << 16


def drain(fd: int, limit: int) -> tuple[bytes, bool]:
    """What the non-blocking ``fd`` holds now, and whether its other end is closed.

    Stops once more than ``limit`` bytes are read: a writer that never stops (a flood of
    output into the reply pipe) must not hold the reader here, nor fill its memory.
    """
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        try:
            chunk = os.read(fd, _DRAIN_READ)
        except (BlockingIOError, InterruptedError):
            break
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
        if len(chunk) < _DRAIN_READ:
            # Less than asked: the pipe held no more a moment ago. A read that would only say so
            # again (EAGAIN) is left out; what comes later (more bytes, or the end of the file)
            # is seen by the caller's next select, as it was when it came after that read.
            break
    return b"".join(chunks), False


def others_running(worker_pid: int | None) -> bool:
    """In the sandbox's pid namespace: is any process alive besides pid 1 and the worker?"""
    try:
        names = os.listdir("/proc")
    except OSError:
        return True
    return any(n.isdigit() and int(n) not in (1, worker_pid) for n in names)
