"""The sandboxed side: loads a submission and answers probe calls with plain data.

Started by ``autograder.sandbox.runner`` as ``python -I -m autograder.sandbox.child
REQ_FD REP_FD``, possibly inside fresh user/mount/net/pid namespaces and as an
unprivileged uid. Before any student code runs it does everything that needs
trust: imports, hides the grader's folders under empty tmpfs mounts, makes the
rest of the file system read-only, gives itself a private size-capped /tmp,
drops every capability and sets resource limits. After the student's code has
loaded, this process is assumed compromised: the parent trusts none of what it
says and enforces all timeouts itself.

Each probe runs in a fork of the loaded process, so a function that mutates
global state, hangs or dies costs only its own call.
"""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
import json
import os
import resource
import sys
import traceback

import numpy as np

from autograder.sandbox import wire

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
_STATVFS_TO_MS = [(os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                  (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
                  (os.ST_RELATIME, MS_RELATIME)]
MAX_REPR = 300
MAX_KEYS = 200

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount(source, target, fstype, flags, data=None) -> int:
    enc = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    rc = _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))
    return 0 if rc == 0 else ctypes.get_errno()


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            points.append(point)
    return points


def isolate_filesystem(hide: list[str], tmp_mb: int) -> list[str]:
    """Hide the grader's folders, make everything read-only, give a private /tmp.

    Returns notes on what could not be done (reported to the parent as the
    isolation actually obtained).
    """
    notes = []
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for path in hide:
        if os.path.isdir(path) and not os.path.islink(path):
            err = _mount("none", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=000")
        elif os.path.isfile(path) and not os.path.islink(path):
            err = _mount("/dev/null", path, None, MS_BIND)
        else:
            continue
        if err:
            notes.append(f"could not hide {path}: {os.strerror(err)}")
    for point in sorted(set(_mount_points()), key=len):
        if point.startswith("/proc") or point.startswith("/sys") or point.startswith("/dev"):
            continue
        try:
            existing = os.statvfs(point).f_flag
        except OSError:
            continue
        keep = 0
        for st, ms in _STATVFS_TO_MS:
            if existing & st:
                keep |= ms
        _mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | keep)
    for scratch in ("/tmp", "/var/tmp", "/dev/shm", "/run"):
        if os.path.isdir(scratch):
            err = _mount("none", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")
            if err and scratch == "/tmp":
                notes.append(f"no private /tmp: {os.strerror(err)}")
    probe = "/usr/.initgrade-ro-probe"
    try:
        with open(probe, "w"):
            pass
        os.unlink(probe)
        notes.append("file system is writable outside the sandbox folder")
    except OSError:
        pass
    return notes


def limit_pids(count: int) -> None:
    """Bound the pid namespace (per-namespace pid_max, Linux >= 6.14): fork bombs hit a wall.

    RLIMIT_NPROC does not apply to processes whose real uid is the machine's root,
    which namespace-root mapped to a root grader is.
    """
    try:
        with open("/proc/sys/kernel/pid_max", "w") as f:
            f.write(str(max(count, 32)))
    except OSError:
        pass


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


class _Quiet:
    """Stands in for IPython's ``get_ipython()`` and display-only objects: all no-ops."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Quiet()

    def __call__(self, *a, **k):
        return _Quiet()


class _QuietModule(type(sys)):
    """A display-only module (plotting, widgets) replaced by no-ops.

    Plotting cannot change what the graded functions return, and importing
    matplotlib in every sandbox would cost more than grading itself.
    """

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Quiet()

    def __call__(self, *a, **k):
        return None


def install_stub_modules(names: list[str]) -> None:
    for name in names:
        sys.modules[name] = _QuietModule(name)


def _safe_repr(value) -> str:
    try:
        text = repr(value)
    except BaseException as exc:  # noqa: BLE001 - a hostile __repr__
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 3] + "..."


def _short_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.endswith("child.py")]
    where = f' (File "{frames[-1].filename}", line {frames[-1].lineno})' if frames else ""
    return f"{type(exc).__name__}: {_safe_repr(exc)[:MAX_REPR]}{where}"


def load_chunks(chunks: list[dict], namespace: dict) -> list[str]:
    """Run each top-level statement of each chunk; a failing statement is reported, not fatal."""
    messages = []
    for chunk in chunks:
        origin = chunk["origin"]
        try:
            tree = ast.parse(chunk["code"], filename=origin)
        except SyntaxError as exc:
            messages.append(f"{origin}: SyntaxError: {exc.msg} (line {exc.lineno}); this part was skipped")
            continue
        for stmt in tree.body:
            code = compile(ast.Module(body=[stmt], type_ignores=[]), origin, "exec")
            try:
                exec(code, namespace)  # noqa: S102 - this is the sandbox
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
                messages.append(f"{origin}, line {stmt.lineno}: {_short_traceback(exc)}")
    return messages


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
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (int, float, str)) or value is None:
        return value
    return _safe_repr(value)


def describe_result(result) -> tuple[dict, list[np.ndarray]]:
    """Describe a return value as JSON plus float64 buffers; the parent judges it."""
    if type(result) is not dict:  # noqa: E721 - exact type on purpose
        return {"kind": "other", "type": type(result).__qualname__, "repr": _safe_repr(result)}, []
    entries, arrays = [], []
    for i, (key, value) in enumerate(result.items()):
        if i >= MAX_KEYS:
            entries.append({"key": None, "note": f"more than {MAX_KEYS} keys"})
            break
        entry = {"key": key if isinstance(key, str) else None, "key_repr": _safe_repr(key),
                 "type": f"{type(value).__module__}.{type(value).__qualname__}"}
        if isinstance(value, np.ndarray):
            entry["exact_ndarray"] = type(value) is np.ndarray
            entry["dtype"] = str(np.ndarray.__getattribute__(value, "dtype"))
            entry["shape"] = list(np.ndarray.__getattribute__(value, "shape"))
            kind = np.ndarray.__getattribute__(value, "dtype").kind
            if kind in "biuf":
                base = value.view(np.ndarray) if not entry["exact_ndarray"] else value
                entry["data"] = len(arrays)
                arrays.append(np.array(base, dtype=np.float64, copy=True))
        else:
            entry["repr"] = _safe_repr(value)
        entries.append(entry)
    return {"kind": "dict", "entries": entries}, arrays


def run_probe(namespace: dict, request: dict, out_fd: int) -> None:
    name = request["function"]
    fn = namespace.get(name)
    if fn is None or not callable(fn):
        wire.write_frame(out_fd, {"status": "missing"})
        return
    args = [_decode_arg(a) for a in request.get("args", [])]
    before = [_plain(a) for a in args]
    try:
        result = fn(*args)
    except BaseException as exc:  # noqa: BLE001
        wire.write_frame(out_fd, {"status": "raised", "exception": type(exc).__name__,
                                  "message": _short_traceback(exc)})
        return
    header, arrays = describe_result(result)
    after = [_plain(a) for a in args]
    header.update(status="returned", mutated=[i for i, (b, a) in enumerate(zip(before, after)) if b != a])
    wire.write_frame(out_fd, header, arrays)


def serve_probe(namespace: dict, request: dict, rep_fd: int, max_bytes: int) -> None:
    """Fork, run the probe in the grandchild, forward its reply or report how it died."""
    for stream in (sys.stdout, sys.stderr):  # or every fork would repeat buffered output
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            pass
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # grandchild: the student's function runs here
        os.close(r)
        code = 0
        try:
            run_probe(namespace, request, w)
        except BaseException:  # noqa: BLE001
            code = 3
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:  # noqa: BLE001
                pass
            os._exit(code)
    os.close(w)
    chunks, size, too_big = [], 0, False
    while True:
        chunk = os.read(r, 1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            too_big = True
            os.kill(pid, 9)
            break
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if too_big:
        wire.write_frame(rep_fd, {"status": "too-large"})
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and chunks:
        wire._write_all(rep_fd, b"".join(chunks))
    else:
        how = (f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exited with code {os.WEXITSTATUS(status)}")
        wire.write_frame(rep_fd, {"status": "died", "how": how})


def main(argv: list[str]) -> None:
    req_fd, rep_fd = int(argv[1]), int(argv[2])
    os.environ.pop("INITGRADE_CANARY", None)
    request, _ = wire.read_frame(req_fd)
    notes = []
    if request.get("namespaces"):
        notes += isolate_filesystem(request.get("hide", []), request["limits"]["tmp_mb"])
        limit_pids(request["limits"]["processes"])
        drop_capabilities()
    workdir = os.path.join("/tmp", "submission")
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    for rel, text in request.get("files", {}).items():
        path = os.path.normpath(os.path.join(workdir, rel))
        if not path.startswith(workdir + os.sep):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    sys.path.insert(0, workdir)
    set_limits(request["limits"])
    install_stub_modules(request.get("stub_modules", []))
    namespace = {"__name__": "submission", "__builtins__": __builtins__,
                 "get_ipython": _Quiet, "display": lambda *a, **k: None}
    messages = load_chunks(request["chunks"], namespace)
    found = [n for n in request.get("functions", []) if callable(namespace.get(n))]
    wire.write_frame(rep_fd, {"status": "loaded", "functions": found, "messages": messages[:50],
                              "notes": notes})
    max_bytes = request["limits"]["reply_mb"] << 20
    while True:
        try:
            probe, _ = wire.read_frame(req_fd)
        except wire.WireError:
            os._exit(0)
        if probe.get("op") == "exit":
            os._exit(0)
        serve_probe(namespace, probe, rep_fd, max_bytes)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except BaseException:  # noqa: BLE001 - a compromised child just ends
        os._exit(4)
    os._exit(0)
