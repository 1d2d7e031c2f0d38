"""Inside the sandbox, before any student code: no capabilities, none regained, no nested user
namespaces, and the resource limits. Every call here that drops a privilege is checked
(jail.libc.require): a failure ends the sandbox as "cannot isolate"."""

from __future__ import annotations

import ctypes
import errno
import os
import resource

from autograder.sandbox.jail import libc
from autograder.sandbox.jail.libc import PR_CAPBSET_DROP, CannotIsolate, no_new_privileges

_LINUX_CAPABILITY_VERSION_3 = 0x20080522


USER_NAMESPACES_LIMIT = "/proc/sys/user/max_user_namespaces"


def no_nested_user_namespaces() -> None:
    """A limit of 0 user namespaces inside ours: no way to regain capabilities in a child namespace.

    Checked like the calls that drop privileges: a sandbox that could create a user namespace of its
    own would hold every capability there. A kernel without the file has no user namespaces to limit.
    """
    if not os.path.exists(USER_NAMESPACES_LIMIT):
        return
    try:
        # The system calls open(path, "w") and its write make, without the file object (whose
        # buffers cost copy-on-write faults in a fresh sandbox); a short write is a failure too.
        fd = os.open(USER_NAMESPACES_LIMIT, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            if os.write(fd, b"0") != 1:
                raise OSError(errno.EIO, "short write")
        finally:
            os.close(fd)
    except OSError as exc:
        raise CannotIsolate(f"limiting nested user namespaces failed: {exc.strerror or exc}") from None


def _last_capability() -> int:
    """The highest capability number this kernel knows (dropping beyond it fails with EINVAL)."""
    try:
        fd = os.open("/proc/sys/kernel/cap_last_cap", os.O_RDONLY | os.O_CLOEXEC)
        try:
            return int(os.read(fd, 64))
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return 63


def drop_capabilities() -> None:
    """Make namespace-root powerless: no capabilities now, none regained by exec."""
    last = _last_capability()
    for cap in range(64):
        rc = libc.LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
        if rc != 0 and not (cap > last and ctypes.get_errno() == errno.EINVAL):
            raise CannotIsolate(f"prctl(PR_CAPBSET_DROP, {cap}) failed")

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (Data * 2)()
    libc.require(libc.LIBC.capset(ctypes.byref(header), data), "capset (dropping every capability)")
    no_new_privileges()


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
            pass  # a hard limit already below ours (the only way lowering fails) bounds it more
