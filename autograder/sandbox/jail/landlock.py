"""Without namespaces, Landlock confines the sandbox's file system, TCP and signals.

The fallbacks (an unprivileged uid, or rlimits alone) cannot hide folders with mounts.
Landlock (Linux 5.13+, unprivileged, inherited by every child and never lifted) gives
the same allowlist by path instead: the sandbox may read and execute only what the grader
grants (host.grants: the system folders, the Python it runs on and the project's
``assignment/`` and ``data/``, each split around any secret it holds), and may write only
its own working folder. So it can neither read other submissions, the
solutions or the grader's outputs, nor leave a file in ``/tmp``, ``/dev/shm``,
``/run/lock`` or ``/var/tmp``. Newer kernels also refuse TCP bind/connect (ABI 4) and
scope signals and abstract Unix sockets to the sandbox (ABI 6): a same-uid sandbox
cannot signal the grader.

Where the kernel (or a container's seccomp profile) has no Landlock, ``restrict``
says so; the grader decided the level before (Landlock or not), and a sandbox that was to
apply it and cannot refuses to load (jail.main).
"""

from __future__ import annotations

import ctypes
import os
import struct

from autograder.sandbox.jail.libc import CannotIsolate

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on x86_64 and aarch64
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
TRUNCATE, IOCTL_DEV = 1 << 14, 1 << 15
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = EXECUTE | READ_FILE | READ_DIR
SYSTEM_WRITE = ("/dev/null",)


def abi_version(libc) -> int:
    """The kernel's Landlock ABI, or 0 without Landlock."""
    version = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1                      # ABI 1: execute ... make_sym
    if abi >= 2:
        rights |= 1 << 13                       # refer (linking or renaming across folders)
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def restrict(libc, read: list[str], write: list[str]) -> str | None:
    """Confine this process and its future children; None on success, or why not.

    ``read``: every folder or file readable (and executable), as the grader granted them;
    ``write``: also writable. Paths that do not exist are skipped.
    """
    abi = abi_version(libc)
    if abi < 1:
        return "no Landlock on this kernel: files outside the sandbox are guarded by permissions only"
    handled = _handled_fs(abi)
    net = 0b11 if abi >= 4 else 0               # bind and connect TCP: none allowed
    scoped = 0b11 if abi >= 6 else 0            # abstract Unix sockets and signals: inside only
    attr = struct.pack("<QQQ", handled, net, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    buf = ctypes.create_string_buffer(attr, 24)
    ruleset = libc.syscall(_CREATE_RULESET, buf, ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"no Landlock ruleset: {os.strerror(ctypes.get_errno())}"
    try:
        for paths, rights in ((list(read), READ), (list(SYSTEM_WRITE) + list(write), handled)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    allowed = rights if os.path.isdir(f"/proc/self/fd/{fd}") else rights & _FILE_RIGHTS
                    rule = ctypes.create_string_buffer(struct.pack("<Qi", allowed, fd), 12)
                    if libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), rule,
                                    ctypes.c_uint32(0)) != 0:
                        return f"Landlock refused a rule for {path}: {os.strerror(ctypes.get_errno())}"
                finally:
                    os.close(fd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise CannotIsolate(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
        if libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return f"Landlock not applied: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(ruleset)
    return None
