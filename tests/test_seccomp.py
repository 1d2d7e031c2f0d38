"""The seccomp policy (autograder.sandbox.jail.seccomp): the table says what the kernel numbers are, and
the compiled filter refuses what the table says, in both network modes.

The filter is installed in a throwaway child process, never in the test's own.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.sandbox.jail import seccomp

HEADERS = {"x86_64": Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
           "aarch64": Path("/usr/include/asm-generic/unistd.h")}


def _numbers(header: Path) -> dict[str, int]:
    found = {}
    for m in re.finditer(r"#define __NR(?:3264)?_(\w+)\s+(\d+)\b", header.read_text()):
        found.setdefault(m.group(1), int(m.group(2)))
    return found


@pytest.mark.parametrize("arch", seccomp.ARCHES)
def test_every_number_in_the_table_is_the_kernels(arch):
    """Checked against the kernel's own headers (linux-libc-dev, installed by the Makefile's setup)."""
    known = _numbers(HEADERS[arch])
    column = seccomp.ARCHES.index(arch)
    wrong = {name: (row[column], known.get(name)) for name, row in seccomp.DENIED.items()
             if known.get(name) != row[column]}
    assert wrong == {}
    assert known["socket"] == seccomp.SOCKET[arch]


def test_the_table_covers_every_ipc_call_and_gives_reasons():
    for name in ("shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop", "msgget",
                 "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
                 "mq_notify", "mq_getsetattr"):
        assert name in seccomp.DENIED, name
    assert all(len(row) == 3 and row[2] for row in seccomp.DENIED.values())
    for arch in seccomp.ARCHES:  # both compile; one jump pair per entry
        prog = seccomp.compile_filter(arch, seccomp.FAMILIES_IN_NAMESPACE)
        assert len(prog) > 2 * len(seccomp.DENIED)


PROBE = r'''
import ctypes, errno, json, os, socket, sys
import numpy as np
from autograder.sandbox.jail import seccomp
libc = ctypes.CDLL("libc.so.6", use_errno=True)
assert seccomp.install(libc, own_network=sys.argv[1] == "ns") is None
out = {}
def call(name, fn):
    ctypes.set_errno(0)
    rc = fn()
    out[name] = "ok" if rc >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")
IPC_PRIVATE, IPC_CREAT = 0, 0o1000
call("shmget", lambda: libc.shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600))
call("shmget_key", lambda: libc.shmget(0x1234, 0, 0))
call("semget", lambda: libc.semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600))
call("msgget", lambda: libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600))
call("shmctl", lambda: libc.shmctl(0, 2, None))
rt = ctypes.CDLL("librt.so.1", use_errno=True)
call("mq_open", lambda: rt.mq_open(b"/initgrade-probe", os.O_CREAT | os.O_RDWR, 0o600, None))
call("mq_unlink", lambda: rt.mq_unlink(b"/initgrade-probe"))
for fam, label in ((socket.AF_INET, "inet"), (socket.AF_INET6, "inet6"), (socket.AF_UNIX, "unix"),
                   (socket.AF_NETLINK, "netlink"), (socket.AF_PACKET, "packet")):
    try:
        socket.socket(fam, socket.SOCK_DGRAM if fam != socket.AF_PACKET else socket.SOCK_RAW).close()
        out["socket_" + label] = "ok"
    except OSError as exc:
        out["socket_" + label] = errno.errorcode.get(exc.errno, "?")
a, b = socket.socketpair()
out["socketpair"] = "ok"
out["numpy"] = float(np.ones((50, 50)).dot(np.ones(50)).sum())
print(json.dumps(out))
'''


def _run(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(platform.machine() not in seccomp.ARCHES, reason="no filter on this architecture")
@pytest.mark.parametrize("mode", ["ns", "fallback"])
def test_the_filter_refuses_ipc_in_every_mode(mode):
    out = _run(mode)
    for name in ("shmget", "shmget_key", "semget", "msgget", "shmctl", "mq_open"):
        assert out[name] == "EPERM", (name, out)
    assert out["mq_unlink"] == "EACCES", out  # the C library turns mq_unlink's EPERM into EACCES
    assert out["socketpair"] == "ok" and out["numpy"] == 2500.0
    assert out["socket_packet"] == "EAFNOSUPPORT"
    if mode == "ns":  # the empty network namespace makes these harmless
        assert {out[f"socket_{f}"] for f in ("inet", "inet6", "unix", "netlink")} == {"ok"}
    else:  # the host's network: no socket of any family
        assert {out[f"socket_{f}"] for f in ("inet", "inet6", "unix", "netlink")} == {"EAFNOSUPPORT"}, out


@pytest.mark.skipif(platform.machine() not in seccomp.AUDIT_ARCH, reason="no filter on this architecture")
def test_the_zygote_builds_each_filter_once_and_its_forks_load_that_program(monkeypatch):
    """The seccomp programs are compiled once, in the zygote before it forks (jail.zygote's
    _prepare_once); a sandbox forked from it compiles nothing and loads those very bytes, which
    still refuse what they must (here, any socket without namespaces)."""
    import os
    import socket

    from autograder.sandbox.jail import libc
    from autograder.sandbox.jail import zygote as zygote_side

    compiled = []
    real = seccomp.compile_filter
    monkeypatch.setattr(seccomp, "compile_filter", lambda *a, **k: (compiled.append(a), real(*a, **k))[1])
    seccomp.program.cache_clear()
    zygote_side._prepare_once()
    assert len(compiled) == 2  # both modes, once each
    zygote_side._prepare_once()
    assert len(compiled) == 2
    for own_network in (True, False):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # a sandbox's fork: load the filter, then say what it compiled and what it refuses
            try:
                seccomp.install(libc.LIBC, own_network)
                try:
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
                    refused = 0
                except OSError:
                    refused = 1
                os.write(w, bytes([len(compiled), refused]))
            finally:
                os._exit(0)
        os.close(w)
        got = os.read(r, 2)
        os.close(r)
        os.waitpid(pid, 0)
        assert got == bytes([2, 0 if own_network else 1]), (own_network, got)
    seccomp.program.cache_clear()
