"""One zygote for a parallel batch's workers, each on a connection of its own (issue 23, ``batchends``).

A ``-j 2`` batch started a second zygote for its second worker at the pool's start, and that worker
waited for its numpy import (about 60 ms) before its first sandbox; now the zygote the command
started before its imports serves both workers (autograder.sandbox.host.zygote's
``another_connection``, ``hand_over_early``; the jail's ``serve``). Counted here, never timed:

* two workers (forks) each take a connection to the same zygote, every keeper they get is that
  zygote's child, each sandbox has its own namespaces, and the zygote ends by itself (end of file)
  once the last connection is closed;
* a connection that goes away (a worker killed, its request unanswered) leaves the other served;
* no keeper holds a control connection (a sandbox cannot ask for keepers);
* more workers than a zygote serves (WORKERS_PER_ZYGOTE) share the zygotes in turn.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from autograder.config import load_config
from autograder.intake import load_submission
from autograder.sandbox import Sandbox, detect_isolation, hide_paths
from autograder.sandbox.host import zygote
from autograder.sandbox.host.isolation import sandbox_env

CONFIG = load_config()

pytestmark = pytest.mark.skipif(not detect_isolation().namespaces and
                                os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                                reason="the zygote is used only with namespaces")

PROBE_NS = '''
import os
def initialize_parameters_zeros(layers_dims):
    raise RuntimeError("ns=" + os.readlink("/proc/self/ns/user") + " end")
'''

# Generous: only a zygote that never ends fails on it (a liveness bound, not what is tested).
EXIT_WAIT = 120


def _sandbox(tmp_path: Path, z: zygote.Zygote) -> Sandbox:
    sub_file = tmp_path / "sub.py"
    if not sub_file.exists():
        sub_file.write_text(PROBE_NS)
    sub = load_submission(sub_file, 1 << 20)
    return Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide_paths([str(tmp_path)]),
                   CONFIG.sandbox.stub_modules, zygote=z)


def _namespace(sb: Sandbox) -> str:
    reply = sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
    assert reply.header.get("status") == "raised", reply.header
    return reply.header["message"].split("ns=", 1)[1].split(" end", 1)[0]


def _parent_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise AssertionError(f"no PPid for {pid}")


def _sockets_of(pid: int) -> list[str]:
    links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    return [link for link in links if link.startswith("socket:")]


def _started(tmp_path: Path, z: zygote.Zygote) -> dict:
    """One sandbox started through ``z`` and called: who its keeper's parent is, its namespace, the
    sockets its keeper holds (read while it runs)."""
    with _sandbox(tmp_path, z) as sb:
        sb.start()
        assert isinstance(sb.proc, zygote.KeeperProcess)
        keeper = sb.proc.pid
        seen = {"parent": _parent_of(keeper), "sockets": _sockets_of(keeper), "ns": _namespace(sb)}
    return seen


def test_two_forked_workers_share_the_zygote_and_it_ends_with_their_last_connection(tmp_path):
    z = zygote.Zygote(sandbox_env())
    z.prestart()
    proc = z.process
    assert proc is not None
    try:
        assert zygote.hand_over_early(z, jobs=2) == 2  # two connections to one zygote
        children = []
        for i in range(2):
            (tmp_path / f"w{i}").mkdir()
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # a worker: takes a connection, starts a sandbox, says what it saw
                code = 1
                try:
                    os.close(r)
                    mine = zygote.adopt_handed_over()
                    assert mine is not None and mine.adopted and mine.shared
                    seen = _started(tmp_path / f"w{i}", mine)
                    seen["zygote"] = mine._proc.pid if mine._proc is not None else None
                    mine.close()  # as a worker's end: its connection only
                    os.write(w, json.dumps(seen).encode())
                    code = 0
                finally:
                    os._exit(code)
            os.close(w)
            children.append((pid, r))
        zygote.close_handed_over()  # the parent's copies: the workers' connections are the last
        seen = []
        for pid, r in children:
            with os.fdopen(r, "rb") as f:
                seen.append(json.loads(f.read() or b"{}"))
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0, seen
        assert [s["zygote"] for s in seen] == [proc.pid, proc.pid]  # one zygote for both
        assert [s["parent"] for s in seen] == [proc.pid, proc.pid]  # each keeper forked by it
        assert os.readlink("/proc/self/ns/user") not in {s["ns"] for s in seen}  # each in a new user namespace
        assert [s["sockets"] for s in seen] == [[], []]  # no keeper holds a control connection
        # Both connections closed: the zygote ended by itself (end of file), not killed.
        assert proc.wait(timeout=EXIT_WAIT) == 0
    finally:
        zygote.reap_handed_over()
        z.close()
    assert proc.poll() is not None


def test_a_connection_that_goes_away_leaves_the_others_served(tmp_path):
    z = zygote.Zygote(sandbox_env())
    z.prestart()
    proc = z.process
    assert proc is not None
    other = z.another_connection()
    try:
        assert z.shared and other.shared
        seen = [_started(tmp_path, c) for c in (z, other, z, other)]
        assert {s["parent"] for s in seen} == {proc.pid}
        assert os.readlink("/proc/self/ns/user") not in {s["ns"] for s in seen}
        # A worker killed while its request waits: the request goes, its reply is never read.
        ends = [os.pipe() for _ in range(3)]
        status_r, status_w = os.pipe()
        fds = [ends[0][0], ends[1][1], ends[2][0], ends[1][1], status_w]
        request = json.dumps({"env": sandbox_env(), "cwd": "/", "cgroup_procs": [], "namespaces": True,
                              "preload": []}).encode()
        assert z._sock is not None
        socket.send_fds(z._sock, [request], fds)
        z._discard_ahead()
        z._sock.close()
        z._sock = None
        for r, w in ends:
            os.close(r)
            os.close(w)
        os.close(status_w)
        # The other connection gets its own replies: its keepers start sandboxes that answer.
        later = [_started(tmp_path, other) for _ in range(2)]
        assert {s["parent"] for s in later} == {proc.pid}
        assert os.readlink("/proc/self/ns/user") not in {s["ns"] for s in later}
        assert proc.poll() is None
        other.close()  # not adopted: the owner's close ends the zygote, as before
        assert proc.poll() is not None
        os.close(status_r)
    finally:
        z.close()
        other.close()


def test_more_workers_share_the_zygotes_at_most_four_to_one(monkeypatch):
    """Ten workers and two zygotes: eight connections, alternating between the zygotes (the first
    workers to start take different ones), four each; the ninth and tenth worker start their own."""
    assert zygote.WORKERS_PER_ZYGOTE == 4
    assert [zygote.zygotes_for(j) for j in (1, 2, 4, 5, 8, 9)] == [
        1, 1, 1, min(2, os.cpu_count() or 1), min(2, os.cpu_count() or 1), min(3, os.cpu_count() or 1)]
    first, second = zygote.Zygote(sandbox_env()), zygote.Zygote(sandbox_env())
    first.prestart()
    second.prestart()
    procs = [first.process, second.process]
    monkeypatch.setattr(zygote, "_EARLY", [second])
    try:
        assert zygote.hand_over_early(first, jobs=10) == 8
        handed = [c._proc for c in zygote._HANDED]
        assert handed == [first._proc, second._proc] * 4
        assert all(c.shared for c in zygote._HANDED)
    finally:
        zygote.close_handed_over()
        zygote.reap_handed_over()
        first.close()
        second.close()
    assert all(p is not None and p.poll() is not None for p in procs)  # both reaped
