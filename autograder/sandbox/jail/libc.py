"""The C library inside the sandbox, and the checked form of every call that drops a privilege.

A call that drops a privilege or hides something and fails leaves the sandbox less isolated
than designed. Such calls go through ``require``: a failure raises ``CannotIsolate``, and the
sandbox answers "cannot isolate" before any student code runs (jail.main). ``LIBC`` is looked
up at each call, so a test can stand a failing library in for it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform

PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS = 1, 24, 22, 38


class CannotIsolate(Exception):
    """A step of the sandbox's isolation failed; no student code may run in this process."""


def _load_libc():
    # The usual name first: ctypes.util.find_library runs ``ldconfig -p`` in a subprocess,
    # a process start in every sandbox start.
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


LIBC = _load_libc()


def _encode(s):
    return s.encode() if isinstance(s, str) else s


def mount(source, target, fstype, flags, data=None) -> int:
    """mount(2); 0, or the errno it failed with."""
    rc = LIBC.mount(_encode(source), _encode(target), _encode(fstype), ctypes.c_ulong(flags), _encode(data))
    return 0 if rc == 0 else ctypes.get_errno()


# mount_setattr(2), Linux 5.12+: the number is the same on both machines the seccomp filter knows
# (x86_64, aarch64); elsewhere it is not called (``mount_setattr`` answers ENOSYS).
SYS_MOUNT_SETATTR = {"x86_64": 442, "aarch64": 442}.get(platform.machine())
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
MOUNT_ATTR_RDONLY = 0x1


class _MountAttr(ctypes.Structure):
    """struct mount_attr, its first version (32 bytes)."""

    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def mount_setattr(path: str, attr_set: int, attr_clr: int, recursive: bool) -> int:
    """mount_setattr(2) on the mount at ``path`` (and every mount below it when ``recursive``): 0,
    or the errno it failed with (ENOSYS where this kernel or machine has none). All or nothing: the
    kernel checks every mount of the tree before it changes any."""
    if SYS_MOUNT_SETATTR is None:
        return errno.ENOSYS
    attr = _MountAttr(attr_set, attr_clr, 0, 0)
    rc = LIBC.syscall(SYS_MOUNT_SETATTR, ctypes.c_int(AT_FDCWD), _encode(path),
                      ctypes.c_uint(AT_RECURSIVE if recursive else 0), ctypes.byref(attr),
                      ctypes.c_size_t(ctypes.sizeof(attr)))
    return 0 if rc == 0 else (ctypes.get_errno() or errno.EPERM)


def require(rc: int, what: str) -> None:
    """``rc`` of a call that must succeed for the sandbox to be isolated (0; -1 sets errno)."""
    if rc != 0:
        raise CannotIsolate(f"{what} failed: {os.strerror(ctypes.get_errno() or errno.EPERM)}")


def require_mount(err: int, what: str) -> None:
    """The result of ``mount`` for a mount that hides or makes read-only."""
    if err:
        raise CannotIsolate(f"{what} failed: {os.strerror(err)}")


def prctl(option: int, arg: int, what: str) -> None:
    """A prctl(2) that drops a privilege; raises CannotIsolate when it fails."""
    require(LIBC.prctl(option, arg, 0, 0, 0), what)


def no_new_privileges() -> None:
    """No privilege regained by exec (setuid files, file capabilities), for this process and its children."""
    prctl(PR_SET_NO_NEW_PRIVS, 1, "prctl(PR_SET_NO_NEW_PRIVS)")
