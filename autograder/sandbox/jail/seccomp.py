"""The sandbox's seccomp policy: system calls refused by name, with why, and the filter it compiles to.

A small deny list on top of the other layers (namespaces, or the uid fallback), not
an allowlist: an initialization function needs numpy and nothing of the kernel's
more exotic surface. Each entry names the call, its number on each architecture the
filter supports, and the reason. ``tests/test_seccomp.py`` checks the numbers against
the kernel headers where they are installed and runs the compiled filter.

Socket families: with namespaces the network namespace is empty, so local, IPv4/6 and
netlink sockets are harmless and allowed (the C library asks netlink about
interfaces). Without namespaces the sandbox shares the host's network, so ``socket``
is refused for every family: nothing a submission needs opens a socket, and even a
local (AF_UNIX) one could reach the host's services through abstract addresses,
which no file permission guards. ``socketpair`` stays: it reaches nothing outside.

User namespaces: with namespaces the sandbox sets ``user.max_user_namespaces`` to 0 inside
its own. Without them that knob is the host's, so the filter refuses instead any ``clone`` or
``unshare`` that asks for a new user namespace (where the sandbox would map itself root with
every capability), and ``clone3``, whose flags a filter cannot read, with ENOSYS (the C library
then uses ``clone``).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import platform
import struct

from autograder.sandbox.jail.libc import require

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
ARCHES = tuple(AUDIT_ARCH)
SOCKET = {"x86_64": 41, "aarch64": 198}

_KERNEL = "kernel attack surface no initialization function needs"
_IPC = ("System V IPC outlives the process that made it and is shared by every process of an IPC "
        "namespace: a segment left behind holds host memory, and one opened by key reaches the host's "
        "or another submission's")
_MQ = "POSIX message queues outlive their process and are shared like System V IPC"

# name: (x86_64 number, aarch64 number, why it is refused). aarch64 uses the generic
# table (asm-generic/unistd.h), where System V IPC has one call per operation, as x86_64.
DENIED: dict[str, tuple[int, int, str]] = {
    "ptrace": (101, 117, "reading or steering another process"),
    "process_vm_readv": (310, 270, "reading another process's memory"),
    "process_vm_writev": (311, 271, "writing another process's memory"),
    "add_key": (248, 217, "kernel keyrings are not namespaced: the grader's session keyring is inherited"),
    "request_key": (249, 218, "kernel keyrings are not namespaced"),
    "keyctl": (250, 219, "kernel keyrings are not namespaced"),
    "kexec_load": (246, 104, _KERNEL),
    "kexec_file_load": (320, 294, _KERNEL),
    "init_module": (175, 105, _KERNEL),
    "finit_module": (313, 273, _KERNEL),
    "delete_module": (176, 106, _KERNEL),
    "bpf": (321, 280, _KERNEL),
    "perf_event_open": (298, 241, _KERNEL),
    "userfaultfd": (323, 282, _KERNEL),
    "io_uring_setup": (425, 425, "io_uring runs file and socket operations past this filter"),
    "io_uring_enter": (426, 426, "io_uring runs file and socket operations past this filter"),
    "io_uring_register": (427, 427, "io_uring runs file and socket operations past this filter"),
    "name_to_handle_at": (303, 264, "file handles open files by number, past hidden folders"),
    "open_by_handle_at": (304, 265, "file handles open files by number, past hidden folders"),
    "reboot": (169, 142, _KERNEL),
    "acct": (163, 89, _KERNEL),
    "swapon": (167, 224, _KERNEL),
    "swapoff": (168, 225, _KERNEL),
    "syslog": (103, 116, "the kernel log"),
    "shmget": (29, 194, _IPC),
    "shmat": (30, 196, _IPC),
    "shmctl": (31, 195, _IPC),
    "shmdt": (67, 197, _IPC),
    "semget": (64, 190, _IPC),
    "semop": (65, 193, _IPC),
    "semctl": (66, 191, _IPC),
    "semtimedop": (220, 192, _IPC),
    "msgget": (68, 186, _IPC),
    "msgsnd": (69, 189, _IPC),
    "msgrcv": (70, 188, _IPC),
    "msgctl": (71, 187, _IPC),
    "mq_open": (240, 180, _MQ),
    "mq_unlink": (241, 181, _MQ),
    "mq_timedsend": (242, 182, _MQ),
    "mq_timedreceive": (243, 183, _MQ),
    "mq_notify": (244, 184, _MQ),
    "mq_getsetattr": (245, 185, _MQ),
}

# Without namespaces: calls refused when their first argument (the flags) asks for a new user
# namespace, and clone3 (flags in memory a filter cannot read) refused as unknown.
CLONE_NEWUSER = 0x10000000
NEW_USER_NAMESPACE = {"clone": (56, 220), "unshare": (272, 97)}
CLONE3 = (435, 435)

# Families socket() may create when the network namespace is the sandbox's own: local,
# IPv4/6 (reaching nothing there), netlink. Without namespaces: none.
FAMILIES_IN_NAMESPACE = (1, 2, 10, 16)

_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW = 0x7FFF0000


def _errno(code: int) -> int:
    return 0x00050000 | code


def compile_filter(arch: str, families: tuple[int, ...],
                   no_user_namespaces: bool = False) -> list[tuple[int, int, int, int]]:
    """The BPF program (code, jt, jf, k) for ``arch``: DENIED refused with EPERM, ``socket``
    allowed only for ``families`` (EAFNOSUPPORT otherwise), any other ABI refused; with
    ``no_user_namespaces``, no new user namespace (NEW_USER_NAMESPACE, CLONE3)."""
    prog: list[tuple[int, int, int, int]] = []

    def add(code, jt, jf, k):
        prog.append((code, jt, jf, k))

    add(_LD_W_ABS, 0, 0, 4)                        # arch
    add(_JEQ_K, 1, 0, AUDIT_ARCH[arch])
    add(_RET_K, 0, 0, _errno(errno.ENOSYS))        # another ABI (e.g. i386 int 0x80): refused
    add(_LD_W_ABS, 0, 0, 0)                        # syscall number
    if arch == "x86_64":
        add(_JGE_K, 0, 1, 0x40000000)              # x32 ABI
        add(_RET_K, 0, 0, _errno(errno.ENOSYS))
    column = ARCHES.index(arch)
    for name in DENIED:
        add(_JEQ_K, 0, 1, DENIED[name][column])
        add(_RET_K, 0, 0, _errno(errno.EPERM))
    if no_user_namespaces:
        add(_JEQ_K, 0, 1, CLONE3[column])
        add(_RET_K, 0, 0, _errno(errno.ENOSYS))
        for name in NEW_USER_NAMESPACE:
            add(_JEQ_K, 0, 4, NEW_USER_NAMESPACE[name][column])
            add(_LD_W_ABS, 0, 0, 16)               # args[0], low 32 bits: the flags
            add(_JSET_K, 0, 1, CLONE_NEWUSER)
            add(_RET_K, 0, 0, _errno(errno.EPERM))
            add(_RET_K, 0, 0, _ALLOW)
    add(_JEQ_K, 0, 1 + 2 * len(families) + 1, SOCKET[arch])
    add(_LD_W_ABS, 0, 0, 16)                       # args[0], low 32 bits: the address family
    for fam in families:
        add(_JEQ_K, 0, 1, fam)
        add(_RET_K, 0, 0, _ALLOW)
    add(_RET_K, 0, 0, _errno(errno.EAFNOSUPPORT))
    add(_RET_K, 0, 0, _ALLOW)
    return prog


class _FProg(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


@functools.lru_cache(maxsize=4)
def program(arch: str, own_network: bool) -> tuple[int, bytes]:
    """The filter for ``arch`` as the kernel takes it: (instructions, packed bytes). Built once per
    process and kept: the zygote builds both forms before it forks (``prepare``), so a sandbox
    only hands the kernel a program its zygote compiled (the same bytes every time)."""
    prog = compile_filter(arch, FAMILIES_IN_NAMESPACE if own_network else (), no_user_namespaces=not own_network)
    return len(prog), b"".join(struct.pack("<HBBI", *ins) for ins in prog)


def prepare() -> None:
    """Build the programs of both modes now (the zygote, once, before any fork)."""
    arch = platform.machine()
    if arch in AUDIT_ARCH:
        for own_network in (True, False):
            program(arch, own_network)


def install(libc, own_network: bool) -> str | None:
    """Install the filter in this process; None on success, or why there is none for this machine.

    ``own_network``: the sandbox is in its own (empty) network namespace. A filter that
    this machine should take but does not raises CannotIsolate: no student code runs then.
    """
    arch = platform.machine()
    if arch not in AUDIT_ARCH:
        return f"no seccomp filter on {arch}"
    count, raw = program(arch, own_network)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = _FProg(count, ctypes.cast(buf, ctypes.c_void_p))
    require(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    require(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "installing the seccomp filter")
    return None
