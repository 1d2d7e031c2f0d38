"""Inside the sandbox, before any student code: no capabilities, none regained, no nested user
namespaces, and the resource limits."""

from __future__ import annotations

import ctypes
import resource

from autograder.sandbox.jail.libc import LIBC

PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38


def no_nested_user_namespaces() -> None:
    """A limit of 0 user namespaces inside ours: no way to regain capabilities in a child namespace."""
    try:
        with open("/proc/sys/user/max_user_namespaces", "w") as f:
            f.write("0")
    except OSError:
        pass


def drop_capabilities() -> None:
    """Make namespace-root powerless: no capabilities now, none regained by exec."""
    for cap in range(64):
        LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)
    data = (Data * 2)()
    LIBC.capset(ctypes.byref(header), data)
    LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


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
