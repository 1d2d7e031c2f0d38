"""The sandboxed side: loads a submission and answers probe calls with plain data.

Started by ``autograder.sandbox.runner`` as ``python -I -m autograder.sandbox.child
REQ_FD REP_FD``, possibly inside fresh user/mount/net/pid namespaces and as an
unprivileged uid. Before any student code runs it does everything that needs
trust: imports, leaves the grader's process group, hides the grader's folders
under empty tmpfs mounts, makes the rest of the file system read-only, replaces
``/dev`` by a minimal one, covers the kernel's writable ``/proc`` and ``/sys``
knobs, gives itself a private size-capped /tmp, forbids nested user namespaces,
drops every capability, installs a seccomp filter and sets resource limits.
After the student's code has loaded, this process is assumed compromised: the
parent trusts none of what it says and enforces all timeouts itself.

Why so much: namespace-root is mapped to the grader's uid. When the grader runs
as root, a process without capabilities is still *owner* of every root-owned
file, so without the read-only mounts it could write ``/proc/sys/kernel/*``,
``/sys/power/state`` or a disk device. See docs/threat-model.md.

Each call runs in a fork of the loaded process, so a function that mutates
global state, hangs or dies costs only its own call; after every call, every
other process of the sandbox is killed (a function cannot leave helpers behind).
Where it can be checked that a call changed nothing the next one could see, one
fork answers several calls (autograder.sandbox.reuse); elsewhere, one fork per call.
"""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
import errno
import os
import random
import resource
import select
import signal
import struct
import sys
import threading
import traceback
import types
import warnings

import numpy as np
import numpy.random  # numpy loads it lazily; loaded here once, not again in every probe's fork (13 ms each)
import numpy.random.bit_generator

from autograder.sandbox import landlock, reuse, seccomp, stubs, wire

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
O_PATH = getattr(os, "O_PATH", 0o10000000)
EMPTY_FILE = "/dev/.initgrade-empty"  # what hidden files show: empty, on a read-only tmpfs
_STATVFS_TO_MS = [(os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                  (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
                  (os.ST_RELATIME, MS_RELATIME)]
MAX_REPR = 300
MAX_KEYS = 200
RESERVED_FDS = 4
SCRATCH = ("/tmp", "/var/tmp", "/run", "/dev/shm")
DEVICES = ("null", "zero", "full", "random", "urandom")
# /proc entries that stay visible but read-only (kernel knobs), and ones replaced by nothing.
PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")
PROC_MASKED = ("kcore", "keys", "key-users", "timer_list", "sched_debug", "latency_stats", "kallsyms",
               "acpi", "scsi", "asound", "kmsg", "kpagecount", "kpageflags", "kpagecgroup")


def _load_libc():
    # The usual name first: ctypes.util.find_library runs ``ldconfig -p`` in a subprocess,
    # a process start in every sandbox start.
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


_libc = _load_libc()


def _mount(source, target, fstype, flags, data=None) -> int:
    def enc(s):
        return s.encode() if isinstance(s, str) else s

    rc = _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))
    return 0 if rc == 0 else ctypes.get_errno()


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            points.append(point)
    return points


def _kept_flags(point: str) -> int:
    """The per-mount flags a user namespace may not clear (remounting must repeat them)."""
    try:
        existing = os.statvfs(point).f_flag
    except OSError:
        return -1
    keep = 0
    for st, ms in _STATVFS_TO_MS:
        if existing & st:
            keep |= ms
    return keep


def _read_only(point: str, recursive_bind: bool = False) -> int:
    keep = _kept_flags(point)
    if keep < 0:
        return errno.ENOENT
    if recursive_bind:
        err = _mount(point, point, None, MS_BIND | MS_REC)
        if err:
            return err
        keep = _kept_flags(point)
    return _mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | keep)


def _private_dev(notes: list[str]) -> None:
    """Replace /dev by a tmpfs holding only null, zero, full, random, urandom and links.

    Device nodes ignore read-only mounts; a process that owns them (uid 0 mapped to
    the grader's root) could otherwise open the disks, /dev/kmsg or /dev/mem.
    """
    keep = {}
    for name in DEVICES:
        try:
            keep[name] = os.open(f"/dev/{name}", O_PATH)
        except OSError:
            pass
    err = _mount("none", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    if err:
        notes.append(f"could not replace /dev: {os.strerror(err)}")
        for fd in keep.values():
            os.close(fd)
        return
    for name, fd in keep.items():
        target = f"/dev/{name}"
        try:
            with open(target, "w"):
                pass
            err = _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND)
            if err:
                notes.append(f"/dev/{name} unavailable: {os.strerror(err)}")
        except OSError as exc:
            notes.append(f"/dev/{name} unavailable: {exc}")
        os.close(fd)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        try:
            os.symlink(target, f"/dev/{name}")
        except OSError:
            pass
    os.mkdir("/dev/shm")
    with open(EMPTY_FILE, "w"):
        pass
    os.chmod(EMPTY_FILE, 0o444)
    _mount(None, "/dev", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")


def _cover_proc(notes: list[str]) -> None:
    """Kernel knobs under /proc read-only, leaky entries masked (as container runtimes do)."""
    for name in PROC_READ_ONLY:
        path = f"/proc/{name}"
        if os.path.exists(path):
            err = _read_only(path, recursive_bind=True)
            if err:
                notes.append(f"could not make {path} read-only: {os.strerror(err)}")
    for name in PROC_MASKED:
        path = f"/proc/{name}"
        if os.path.isdir(path) and not os.path.islink(path):
            _mount("none", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=000")
        elif os.path.exists(path):
            _mount(EMPTY_FILE if os.path.isfile(EMPTY_FILE) else "/dev/null", path, None, MS_BIND)


def _no_nested_user_namespaces() -> None:
    """A limit of 0 user namespaces inside ours: no way to regain capabilities in a child namespace."""
    try:
        with open("/proc/sys/user/max_user_namespaces", "w") as f:
            f.write("0")
    except OSError:
        pass


def isolate_filesystem(hide: list[str], tmp_mb: int, scratch: str | None = None) -> list[str]:
    """Hide the grader's folders, make everything read-only, give a private /tmp and /dev.

    ``scratch``: when the project lives under /tmp, /tmp stays (its other entries are
    in ``hide``) and the private, size-capped tmpfs goes on this folder instead.

    Returns notes on what could not be done (reported to the parent as the
    isolation actually obtained).
    """
    notes = []
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _private_dev(notes)
    empty = EMPTY_FILE if os.path.isfile(EMPTY_FILE) else "/dev/null"
    for path in hide:
        if os.path.isdir(path) and not os.path.islink(path):
            err = _mount("none", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=000")
        elif os.path.isfile(path) and not os.path.islink(path):
            err = _mount(empty, path, None, MS_BIND)  # an empty read-only file, not a writable device
        else:
            continue
        if err:
            notes.append(f"could not hide {path}: {os.strerror(err)}")
    _no_nested_user_namespaces()
    _cover_proc(notes)
    for point in sorted(set(_mount_points()), key=len):
        if point == "/proc" or point.startswith("/proc/") or point == "/dev" or point.startswith("/dev/"):
            continue
        _read_only(point)
    for folder in ([scratch] if scratch else []) + [s for s in SCRATCH if not (scratch and s == "/tmp")]:
        if os.path.isdir(folder):
            err = _mount("none", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")
            if err and folder in ("/tmp", scratch):
                notes.append(f"no private {folder}: {os.strerror(err)}")
    return notes


def verify_isolation(extra: list[str]) -> list[str]:
    """After dropping capabilities: can this process still write where it must not?"""
    notes = []
    probe = "/usr/.initgrade-ro-probe"
    try:
        with open(probe, "w"):
            pass
        os.unlink(probe)
        notes.append("UNSAFE: the file system is writable outside the sandbox folder")
    except OSError:
        pass
    for path in ["/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger", "/sys/power/state",
                 "/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/cgroup.procs", *extra]:
        if not os.path.exists(path):
            continue
        try:
            os.close(os.open(path, os.O_WRONLY))
            notes.append(f"UNSAFE: {path} is writable")
        except OSError:
            pass
    return notes


def drop_capabilities() -> None:
    """Make namespace-root powerless: no capabilities now, none regained by exec."""
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)
    data = (Data * 2)()
    _libc.capset(ctypes.byref(header), data)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def set_limits(limits: dict) -> None:
    mb = 1 << 20
    pairs = [
        (resource.RLIMIT_AS, limits["memory_mb"] * mb),
        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
        (resource.RLIMIT_FSIZE, limits["file_size_mb"] * mb),
        (resource.RLIMIT_NPROC, limits["processes"]),
        (resource.RLIMIT_NOFILE, limits["open_files"]),
        (resource.RLIMIT_CORE, 0),
    ]
    for res, value in pairs:
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass


# ----------------------------------------------------------------------------------------
# Loading the submission


# Display-only modules (plotting, widgets, IPython) are stand-ins: autograder.sandbox.stubs.
_Quiet = stubs.DisplayStandIn
_MODULE_TYPES = stubs.MODULE_TYPES
install_stub_modules = stubs.install


def _safe_repr(value) -> str:
    try:
        text = repr(value)
        if type(text) is not str:
            text = "<unrepresentable>"
    except BaseException as exc:  # noqa: BLE001 - a hostile __repr__
        text = f"<unrepresentable {_type_name(value)}: {type(exc).__name__}>"
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 3] + "..."


def _type_name(value, module: bool = False) -> str:
    """The name of a value's type, without running any code the value's class defines."""
    t = type(value)
    try:
        name = type.__dict__["__qualname__"].__get__(t)
        mod = type.__dict__["__module__"].__get__(t) if module else None
    except Exception:  # noqa: BLE001 - a type whose name cannot be read is just unknown
        return "<unknown type>"
    if type(name) is not str:  # isinstance would consult a hostile __class__
        name = "<unknown type>"
    return f"{mod}.{name}" if type(mod) is str else name


_SIGNAL_HINTS = {
    "SIGSEGV": "a crash, e.g. endless recursion or ctypes",
    "SIGBUS": "a crash in native code",
    "SIGABRT": "an abort in native code",
    "SIGKILL": "out of memory, or killed itself",
    "SIGXCPU": "CPU time limit reached",
    "SIGXFSZ": "file size limit reached",
    "SIGSYS": "a forbidden system call",
}


def describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        try:
            name = signal.Signals(os.WTERMSIG(status)).name
        except ValueError:
            name = f"signal {os.WTERMSIG(status)}"
        hint = _SIGNAL_HINTS.get(name)
        return f"was killed by {name}" + (f" ({hint})" if hint else "")
    return f"exited with code {os.WEXITSTATUS(status)}"


# The file names the student's code was compiled under ("cell 3", "init_functions.py") and
# the folder their other files were written to: a traceback shows only these frames.
_STUDENT_FILES: set[str] = set()
_STUDENT_DIR: list[str] = []


def _student_frame(filename: str) -> str | None:
    """The name to show for a frame of the student's code, or None for anyone else's frame."""
    if filename in _STUDENT_FILES:
        return filename
    for folder in _STUDENT_DIR:
        if filename.startswith(folder + os.sep):
            return filename[len(folder) + 1:]
    return None


def _short_traceback(exc: BaseException) -> str:
    """``Type: message (cell 5, line 7, in f)``: where in the student's own code it failed.

    Library frames (numpy's ``__getattr__`` for ``np.float``, the kit's own) are left out:
    the last frame of the student's code is the line to fix, and a path of the grading
    machine would mean nothing to the student.
    """
    try:
        frames = [(name, f) for f in traceback.extract_tb(exc.__traceback__)
                  if (name := _student_frame(f.filename)) is not None]
        if frames:
            name, f = frames[-1]
            func = f" in {f.name}" if f.name and f.name != "<module>" else ""
            where = f" ({name}, line {f.lineno}{func})"
        else:
            where = ""
    except BaseException:  # noqa: BLE001 - a hostile traceback loses its location, not the message
        where = ""
    return f"{_type_name(exc)}: {_safe_str(exc)}{where}"


def _safe_str(exc: BaseException) -> str:
    """The exception's message as Python prints it (``name 'rs' is not defined``), capped."""
    try:
        text = str(exc)
        if type(text) is not str:
            text = _safe_repr(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        text = _safe_repr(exc)
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 3] + "..."


def _import_names(stmt: ast.stmt) -> str:
    if isinstance(stmt, ast.Import):
        return ", ".join(a.name for a in stmt.names)
    return "." * stmt.level + (stmt.module or "")


def load_chunks(chunks: list[dict], namespace: dict) -> list[str]:
    """Run each top-level statement of each chunk; a failing statement is reported, not fatal.

    An import that cannot be resolved here (the course's helper modules, scikit-learn...)
    is reported as ``<origin>, line <n>: unavailable import <module>``: the grader words
    it as a module not used for grading (autograder.load_notes), not as an error.
    """
    messages = []
    try:
        _STUDENT_DIR[:] = [os.getcwd()]
    except OSError:
        pass
    for chunk in chunks:
        origin = chunk["origin"]
        _STUDENT_FILES.add(origin)
        try:
            tree = ast.parse(chunk["code"], filename=origin)
        except SyntaxError as exc:
            messages.append(f"{origin}: SyntaxError: {exc.msg} (line {exc.lineno}); this part was skipped")
            continue
        except (ValueError, RecursionError, MemoryError) as exc:
            messages.append(f"{origin}: could not be parsed ({type(exc).__name__}); this part was skipped")
            continue
        for stmt in tree.body:
            try:
                code = compile(ast.Module(body=[stmt], type_ignores=[]), origin, "exec")
                exec(code, namespace)  # noqa: S102 - this is the sandbox
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
                state = _GUARD.suspend()  # describe it with the original builtins, not patched ones
                try:
                    if isinstance(stmt, (ast.Import, ast.ImportFrom)) and type(exc) in (ImportError,
                                                                                      ModuleNotFoundError):
                        messages.append(f"{origin}, line {stmt.lineno}: unavailable import {_import_names(stmt)}")
                    else:
                        messages.append(f"{origin}, line {stmt.lineno}: {_short_traceback(exc)}")
                except BaseException:  # noqa: BLE001 - even describing the error failed: the line still failed
                    messages.append(f"{origin}, line {stmt.lineno}: failed")
                finally:
                    _GUARD.resume(state)
    return messages


def describe_signature(fn) -> list[dict] | None:
    """A plain function's parameters as data: [{"name", "kind", "default"}], read from its code
    object (no ``inspect``: nothing the student defined runs); None for anything else."""
    if type(fn) is not types.FunctionType:  # exact type: no hostile subclass or __signature__
        return None
    try:
        code = fn.__code__
        n_pos, n_kw = code.co_argcount, code.co_kwonlyargcount
        names = list(code.co_varnames[: n_pos + n_kw])
        defaults = fn.__defaults__
        n_def = len(defaults) if type(defaults) is tuple else 0
        kw_defaults = fn.__kwdefaults__
        kw_def = set(dict.keys(kw_defaults)) if type(kw_defaults) is dict else set()
        params = [{"name": n, "kind": "positional", "default": i >= n_pos - n_def}
                  for i, n in enumerate(names[:n_pos])]
        extra = n_pos + n_kw
        if code.co_flags & 0x04:  # CO_VARARGS
            params.append({"name": code.co_varnames[extra], "kind": "varargs", "default": False})
            extra += 1
        params += [{"name": n, "kind": "keyword", "default": n in kw_def} for n in names[n_pos:]]
        if code.co_flags & 0x08:  # CO_VARKEYWORDS
            params.append({"name": code.co_varnames[extra], "kind": "varkw", "default": False})
        return [p for p in params if type(p["name"]) is str][:20]
    except Exception:  # noqa: BLE001 - an odd code object has no signature to report
        return None


# ----------------------------------------------------------------------------------------
# Answering a probe (runs in a forked grandchild)


def _decode_arg(arg):
    if isinstance(arg, dict) and "tuple" in arg:
        return tuple(arg["tuple"])
    if isinstance(arg, dict) and "list" in arg:
        return list(arg["list"])
    return arg


def _plain(value):
    """A JSON-able snapshot of an argument after the call (to detect mutation)."""
    if type(value) in (list, tuple):
        return [_plain(v) for v in value]
    if type(value) in (int, float, str, bool) or value is None:
        return value
    return _safe_repr(value)


def _describe_entry(key, value, arrays: list) -> dict:
    entry = {"key": key if type(key) is str else None, "key_repr": _safe_repr(key),
             "type": _type_name(value, module=True)}
    if issubclass(type(value), np.ndarray):  # by type: a faked __class__ does not count
        exact = type(value) is np.ndarray
        base = value if exact else np.ndarray.view(value, np.ndarray)
        entry["exact_ndarray"] = exact
        entry["dtype"] = str(base.dtype)
        entry["shape"] = [int(d) for d in base.shape]
        if base.dtype.kind in "biuf":
            entry["data"] = len(arrays)
            arrays.append(np.array(base, dtype=np.float64, copy=True))
    else:
        entry["repr"] = _safe_repr(value)
    return entry


def describe_result(result) -> tuple[dict, list[np.ndarray]]:
    """Describe a return value as JSON plus float64 buffers; the parent judges it.

    Only the exact types are trusted (``type(x) is dict``, subclasses of ndarray
    read through a plain ndarray view), so no method the student defined runs
    here except ``__repr__`` of values that are not arrays.
    """
    if type(result) is not dict:  # exact type on purpose
        return {"kind": "other", "type": _type_name(result), "repr": _safe_repr(result)}, []
    entries, arrays = [], []
    items = list(dict.items(result))  # one C-level copy: a thread cannot change it under us
    for i, (key, value) in enumerate(items):
        if i >= MAX_KEYS:
            entries.append({"key": None, "key_repr": f"... more than {MAX_KEYS} keys", "type": "?"})
            break
        try:
            entries.append(_describe_entry(key, value, arrays))
        except Exception as exc:  # noqa: BLE001 - e.g. MemoryError copying a huge array
            entries.append({"key": key if type(key) is str else None, "key_repr": _safe_repr(key),
                            "type": f"unreadable value ({type(exc).__name__})"})
    return {"kind": "dict", "entries": entries}, arrays


def run_probe(namespace: dict, request: dict, out_fd: int) -> None:
    name = request["function"]
    seq = request.get("seq")
    fn = namespace.get(name)
    if fn is None or not callable(fn):
        wire.write_frame(out_fd, {"status": "missing", "seq": seq})
        return
    args = [_decode_arg(a) for a in request.get("args", [])]
    before = [_plain(a) for a in args]
    _GUARD.enter()
    try:
        result = fn(*args)
    except BaseException as exc:  # noqa: BLE001 - whatever the student function raises is its answer
        _GUARD.restore()
        wire.write_frame(out_fd, {"status": "raised", "exception": _type_name(exc),
                                  "message": _short_traceback(exc), "seq": seq})
        return
    _GUARD.restore()
    try:
        header, arrays = describe_result(result)
    except BaseException as exc:  # noqa: BLE001 - a result that cannot be described is reported as such
        wire.write_frame(out_fd, {"status": "unreadable", "message": _short_traceback(exc), "seq": seq})
        return
    after = [_plain(a) for a in args]
    header.update(status="returned", mutated=[i for i, (b, a) in enumerate(zip(before, after)) if b != a],
                  seq=seq)
    wire.write_frame(out_fd, header, arrays)


def _dict_version_reader():
    """A reader of CPython's per-dict version tag (``ma_version_tag``), and why there is none.

    Returns ``(version, None)`` or ``(None, problem)``, ``problem`` one of the codes the
    grader words (``autograder.sandbox.runner.CALL_REUSE_OFF``).

    Every change of a dict gives it a tag never used before (CPython 3.10 to 3.13; 3.14
    removed the field), so comparing tags tells whether a dict changed since a moment,
    without touching its entries. Touching them is what made switching to the submission's
    state costly: updating ~2,000 entries wrote the reference count of every module-level
    object, copying ~1,000 shared pages (2 to 4 ms of a 6 ms probe). The reader and ``id``
    are bound here, before any student code runs.

    The field is read at a fixed offset, so the layout is proven on scratch dicts first: the
    header must hold the dict type and the length where CPython's ``PyDictObject`` has them
    (a debug or free-threaded build does not), and the tag must take a new value at every kind
    of change and keep it at every read. Where any of that fails, the reader is None: the
    guard switches whole dicts and calls are not reused (slower, never wrong).
    """
    if sys.implementation.name != "cpython":
        return None, "not-cpython"
    if not (3, 10) <= sys.version_info[:2] <= (3, 13):
        return None, "python-version"
    if struct.calcsize("P") != 8:
        return None, "layout"
    from_address, ident = ctypes.c_uint64.from_address, id
    type_at, used_at = ctypes.c_void_p.from_address, ctypes.c_ssize_t.from_address
    offset = 24  # ob_refcnt, ob_type, ma_used, then ma_version_tag

    def version(d: dict) -> int:
        return from_address(ident(d) + offset).value

    try:
        if not _version_layout_holds(version, type_at, used_at):
            return None, "layout"
    except Exception:  # noqa: BLE001 - whatever the check could not do, the layout is not proven
        return None, "layout"
    return version, None


def _version_layout_holds(version, type_at, used_at) -> bool:
    """Whether ``version`` reads a tag that every change of a dict renews and no read does."""
    a, b = {}, {"x": 0}
    changes = [(a, lambda: a.__setitem__("k", 1)), (a, lambda: a.__setitem__("k", 2)),
               (b, lambda: b.__setitem__("y", 1)), (a, lambda: a.update(m=3, n=4)),
               (a, lambda: a.setdefault("d", 5)), (a, lambda: a.pop("m")), (b, lambda: b.clear()),
               (a, lambda: a.__delitem__("k")), (a, lambda: a.popitem()), (a, lambda: a.clear()),
               (a, lambda: a.__setitem__("k", 1))]
    reads = [lambda: a.get("k"), lambda: len(a), lambda: "k" in a, lambda: list(a.items()),
             lambda: dict(a), lambda: b.get("x")]
    for d in (a, b):
        if type_at(id(d) + 8).value != id(dict) or used_at(id(d) + 16).value != len(d):
            return False
    seen = {version(a), version(b)}
    for d, change in changes:
        untouched = b if d is a else a
        kept = version(untouched)
        change()
        tag = version(d)
        if tag in seen or version(untouched) != kept or used_at(id(d) + 16).value != len(d):
            return False
        seen.add(tag)
        after = (version(a), version(b))
        for read in reads:
            read()
        if (version(a), version(b)) != after:
            return False
    return True


class _Guard:
    """Keeps the grader's side of this process working whatever the submission patches.

    The submission may replace builtins (``isinstance``, ``print``), patch modules
    the child relies on (``json``, ``os``, ``numpy``, this module) or entries of
    ``sys.modules``. Its own code should see its own changes, and the child's code
    the originals: ``capture`` records the originals before loading; after loading,
    ``seal`` stores the submission's versions and restores the originals; a probe
    switches to the submission's versions (``enter``) for the call only.
    Module dicts are updated key by key, never emptied, so a thread the submission
    started does not see a half-restored module.

    Switching costs only the entries the submission changed (``seal`` records them):
    a dict whose version tag shows any other change since the last switch (a thread of
    the submission, or the call itself patching something) is switched whole, so the
    result is always exactly the recorded state.
    """

    NAMES = ("builtins", "sys", "os", "posix", "json", "json.encoder", "json.decoder", "select", "signal",
             "struct", "traceback", "linecache", "numpy", "autograder.sandbox.wire", "__main__")

    def __init__(self):
        self.dicts: list[dict] = []
        self.original: list[dict] = []
        self.student: list[dict] = []
        self.version, self.version_problem = _dict_version_reader()
        self.diffs: list[tuple[list, dict]] = []  # per dict: keys the submission removed, entries it set
        self.tags: list[int] | None = None  # version tags when the dicts were last switched exactly
        self.entered = False  # switched to the submission's state by the fast path
        self.full_switches = 0  # dicts switched whole (for tests: the fast path really is taken)

    def capture(self) -> None:
        self.dicts = [vars(sys.modules[n]) for n in self.NAMES if n in sys.modules] + [sys.modules]
        self.original = [dict(d) for d in self.dicts]

    @staticmethod
    def _set(target: dict, values: dict) -> None:
        for key in [k for k in target if k not in values]:
            target.pop(key, None)
        target.update(values)

    def _tag_all(self) -> list[int] | None:
        return [self.version(d) for d in self.dicts] if self.version else None

    def seal(self) -> None:
        self.student = [dict(d) for d in self.dicts]
        missing = object()
        self.diffs = [([k for k in orig if k not in stud],
                       {k: v for k, v in stud.items() if orig.get(k, missing) is not v})
                      for orig, stud in zip(self.original, self.student)]
        self.restore()

    def restore(self) -> None:
        if self.entered and self.tags is not None:
            self.entered = False
            for i, d in enumerate(self.dicts):
                if self.version(d) != self.tags[i]:  # changed during the call: back to the originals whole
                    self.full_switches += 1
                    self._set(d, self.original[i])
                    continue
                removed, changed = self.diffs[i]
                original = self.original[i]
                for key in changed:
                    if key in original:
                        d[key] = original[key]
                    else:
                        d.pop(key, None)
                for key in removed:
                    d[key] = original[key]
        else:
            self.entered = False
            for d, values in zip(self.dicts, self.original):
                self._set(d, values)
        self.tags = self._tag_all()

    def enter(self) -> None:
        if self.tags is None or len(self.diffs) != len(self.dicts):
            for d, values in zip(self.dicts, self.student):
                self._set(d, values)
            return
        for i, d in enumerate(self.dicts):
            if self.version(d) != self.tags[i]:  # changed since (a thread): to the submission's state whole
                self.full_switches += 1
                self._set(d, self.student[i])
                continue
            removed, changed = self.diffs[i]
            for key in removed:
                d.pop(key, None)
            if changed:
                d.update(changed)
        self.tags = self._tag_all()
        self.entered = True

    def settle(self) -> None:
        """Outside a call: put back whole any dict that changed since the last switch, and take
        the tags afresh, so that the next ``enter`` switches only the submission's entries.

        The sandbox's own code changes guarded dicts between calls too: on 3.12+ a fork with
        the lifeline thread running warns, and the warning leaves ``__warningregistry__`` in
        this module's globals. Without this, the next switch would be a whole one, which the
        call-reuse worker counts as a change the call made.
        """
        if self.entered or self.tags is None or self.version is None:
            self.restore()
            return
        for i, d in enumerate(self.dicts):
            if self.version(d) != self.tags[i]:
                self._set(d, self.original[i])
        self.tags = self._tag_all()

    def suspend(self) -> list[dict]:
        """While loading: the originals back for a moment; returns the current state for ``resume``."""
        current = [dict(d) for d in self.dicts]
        self.restore()
        return current

    def resume(self, state: list[dict]) -> None:
        for d, values in zip(self.dicts, state):
            self._set(d, values)
        self.tags = None


_GUARD = _Guard()


class _Reserve:
    """A few file descriptors held back, so a submission that used up its open files
    at load time still leaves room for the pipe each probe needs."""

    def __init__(self):
        self.fds: list[int] = []

    def fill(self) -> None:
        while len(self.fds) < RESERVED_FDS:
            try:
                self.fds.append(os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC))
            except OSError:
                break

    def release(self) -> None:
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []


_RESERVE = _Reserve()


def _reap_others(sweep: bool) -> None:
    """Kill every other process of the sandbox (helpers a call left behind) and reap them."""
    if sweep:
        try:
            os.kill(-1, signal.SIGKILL)  # pid 1 of the namespace, or the sandbox's own uid: only ours
        except OSError:
            pass
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        except OSError:
            break
        if pid == 0:
            if not sweep:
                break
            try:
                os.waitpid(-1, 0)
            except OSError:
                break


_random_getstate, _random_setstate = random.getstate, random.setstate  # bound before any submission


def serve_probe(namespace: dict, request: dict, rep_fd: int, max_bytes: int, sweep: bool,
                random_state=None) -> None:
    """Fork, run the probe in the grandchild, forward its reply or report how it died.

    ``random_state``: ``random``'s state once the submission had loaded, put back in the
    grandchild: ``random`` reseeds itself from the OS in every fork (os.register_at_fork).
    """
    seq = request.get("seq")
    reuse.flush_output()
    _RESERVE.release()
    try:
        r, w = os.pipe()
    except OSError as exc:
        _RESERVE.fill()
        wire.write_frame(rep_fd, {"status": "cannot-run", "reason": "files", "message": str(exc), "seq": seq})
        return
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(r)
        os.close(w)
        _RESERVE.fill()
        wire.write_frame(rep_fd, {"status": "cannot-run", "reason": "processes", "message": str(exc),
                                  "seq": seq})
        return
    if pid == 0:  # grandchild: the student's function runs here
        def work():
            os.close(r)
            os.close(rep_fd)
            if random_state is not None:
                _random_setstate(random_state)
            run_probe(namespace, request, w)

        reuse.end_fork(work)
    os.close(w)
    _RESERVE.fill()
    chunks, size, too_big, status = [], 0, False, None
    # Read until the grandchild has exited, not until end of file: processes it
    # started may hold the pipe open for ever.
    os.set_blocking(r, False)
    while True:
        try:
            ready = select.select([r], [], [], 0.05)[0]
        except InterruptedError:
            continue
        done = False
        if not ready:
            got, st = os.waitpid(pid, os.WNOHANG)
            if got == 0:
                continue
            status, done = st, True
        data, eof = reuse.drain(r, max_bytes - size)  # take what is there now
        size += len(data)
        if size > max_bytes:
            too_big = done = True
            os.kill(pid, signal.SIGKILL)
        elif data:
            chunks.append(data)
        done = done or eof
        if done:
            break
    os.close(r)
    if status is None:
        _, status = os.waitpid(pid, 0)
    _reap_others(sweep)
    if too_big:
        wire.write_frame(rep_fd, {"status": "too-large", "seq": seq})
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and chunks:
        wire._write_all(rep_fd, b"".join(chunks))
    else:
        wire.write_frame(rep_fd, {"status": "died", "how": describe_status(status), "seq": seq})


def _can_fork() -> str | None:
    """After loading: is there room for the process every probe needs? None if so."""
    try:
        pid = os.fork()
    except OSError as exc:
        return str(exc)
    if pid == 0:
        os._exit(0)
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass
    return None


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


def main(argv: list[str]) -> None:
    req_fd, rep_fd = int(argv[1]), int(argv[2])
    life_fd = int(argv[3]) if len(argv) > 3 else None
    os.environ.pop("INITGRADE_CANARY", None)
    # Python 3.12+ warns at every fork of a process with threads (the lifeline's): on the sandbox's
    # stderr, that is the student's output, naming this file's path on the grading machine.
    warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning)
    # pid 1 of a pid namespace with default handlers cannot be signalled from inside it;
    # Python's SIGINT handler would otherwise let any process of the sandbox stop it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        os.setsid()  # out of the grader's (or unshare's) process group: kill(0, ...) stays inside
    except OSError:
        pass
    request, _ = wire.read_frame(req_fd)
    limits = request["limits"]
    if life_fd is not None:
        _watch_lifeline(life_fd, bool(request.get("sweep")))
    notes = []
    if request.get("namespaces"):
        scratch = request.get("scratch")
        notes += isolate_filesystem(request.get("hide", []), limits["tmp_mb"], scratch)
        drop_capabilities()
        notes += verify_isolation([])
        workdir = os.path.join(scratch or "/tmp", "submission")
    else:
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        workdir = request.get("workdir") or os.getcwd()
        # No mounts to hide with: the same allowlist by path (the Python this runs on, the
        # project's assignment/ and data/, the system), and only the working folder writable.
        python = [sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))]
        problem = (landlock.restrict(_libc, python + list(request.get("readable", [])), [workdir])
                   if request.get("landlock", True) else "Landlock turned off")
        if problem:
            notes.append(problem)
    problem = seccomp.install(_libc, own_network=bool(request.get("namespaces")))
    if problem:
        notes.append(problem)
    sweep = bool(request.get("sweep"))
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    notes += _write_files(workdir, request.get("files", {}))
    sys.path.insert(0, workdir)
    set_limits(limits)
    _RESERVE.fill()
    install_stub_modules(request.get("stub_modules", []))
    functions = list(request.get("functions", []))
    nonce = request.get("nonce")
    chunks = request["chunks"]
    max_bytes = (limits["reply_mb"] << 20) + (1 << 20) + 64
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
        numpy.random.bit_generator.randbits = random.getrandbits
    namespace = {"__name__": "submission", "__builtins__": __builtins__,
                 "get_ipython": _Quiet, "display": lambda *a, **k: None}
    _GUARD.capture()
    messages = load_chunks(chunks, namespace)
    _GUARD.seal()
    del chunks
    found = [n for n in functions if callable(namespace.get(n))]
    random_state = _random_getstate()
    _reap_others(sweep)  # processes started while loading are gone before the first call
    _RESERVE.release()
    no_fork = _can_fork()
    _RESERVE.fill()
    signatures = {n: describe_signature(namespace[n]) for n in found}
    # One fork answers call after call where that cannot change what a call sees (see
    # autograder.sandbox.reuse); it needs the pid namespace (to see every process) and the
    # dict version tags (to see every change of module state). The load reply says which,
    # as a code the grader words (runner.CALL_REUSE_OFF): a slower grading is never silent.
    worker, reuse_off = None, None
    if not (sweep and os.getpid() == 1):
        reuse_off = "no-pid-namespace"
    elif _GUARD.version is None:
        reuse_off = _GUARD.version_problem or "layout"
    else:
        modules = reuse.module_list([sys.modules] + _GUARD.student[-1:], _MODULE_TYPES)
        if reuse.plain_namespace(namespace, workdir, modules, (_Quiet,)):
            worker = reuse.CallWorker(namespace, run_probe, lambda: _GUARD.full_switches, _GUARD.version,
                                      describe_status, modules, {id(d) for d in _GUARD.dicts}, (_Quiet,),
                                      settle=_GUARD.settle)
        else:
            reuse_off = "top-level-state"
    wire.write_frame(rep_fd, {"status": "loaded", "functions": found, "messages": messages[:50],
                              "signatures": signatures, "call_reuse": reuse_off or "on",
                              "notes": notes, "cannot_fork": no_fork, "nonce": nonce})
    while True:
        try:
            probe, _ = wire.read_frame(req_fd)
        except wire.WireError:
            os._exit(0)
        if probe.get("op") == "exit":
            os._exit(0)
        if worker is None:
            serve_probe(namespace, probe, rep_fd, max_bytes, sweep, random_state)
            continue
        if worker.pid is None:
            _RESERVE.release()  # room for the worker's pipes
        worker.serve(probe, rep_fd, max_bytes)
        _RESERVE.fill()
        if reuse.others_running(worker.pid):  # a helper the call started: it goes, and the worker with it
            worker.end()
            _reap_others(True)


if __name__ == "__main__":
    try:
        if sys.argv[1:2] == ["--zygote"]:  # the pre-forked starter (autograder.sandbox.zygote)
            from autograder.sandbox import zygote

            zygote.serve(int(sys.argv[2]), main)
        main(sys.argv)
    except BaseException:  # noqa: BLE001 - a compromised child just ends
        os._exit(4)
    os._exit(0)
