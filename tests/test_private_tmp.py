"""A namespaced sandbox with the project under /tmp (a CI clone) reaches nothing of the host's /tmp.

The project here is made to look as if it lived under /tmp: a needed folder is added under a fresh
folder of /tmp (``hiding.needed_paths``), so the jail must bind it back into its private /tmp.
Then the host's /tmp holds, next to it, what an attacker would try: a listening Unix socket and a
FIFO made before the grader looked at the file system, and a file and a socket made after the
hiding list was computed. The sandboxed function reports what it could do; each test asserts the
host side saw nothing (no connection accepted, nothing written to the FIFO) and the sandbox read
nothing, while the bound-back folder stays readable and read-only.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import tempfile
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT, load_config
from autograder.intake import load_submission
from autograder.sandbox import Sandbox, detect_isolation, hide_paths
from autograder.sandbox.host import hiding

CONFIG = load_config()

pytestmark = pytest.mark.skipif(not detect_isolation().namespaces and
                                os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                                reason="the private /tmp is the namespaced sandbox's")

PROBE = '''
import os, socket

def _try(what, fn):
    try:
        return what + "=" + str(fn())
    except Exception as exc:
        return what + "=" + type(exc).__name__

def _connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(path)
    return "connected"

def _write_fifo(path):
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, b"FROM-THE-SANDBOX")
    return "written"

def _read(path):
    with open(path) as f:
        return "read:" + f.read()

def _write_kept(path):
    with open(os.path.join(path, "planted.txt"), "w") as f:
        f.write("x")
    return "written"

def initialize_parameters_zeros(layers_dims):
    out = [_try("early_socket", lambda: _connect(EARLY_SOCKET)),
           _try("late_socket", lambda: _connect(LATE_SOCKET)),
           _try("fifo", lambda: _write_fifo(FIFO)),
           _try("late_file", lambda: _read(LATE_FILE)),
           _try("kept_read", lambda: _read(KEPT_FILE)),
           _try("kept_write", lambda: _write_kept(KEPT)),
           _try("tmp_entries", lambda: sorted(os.listdir("/tmp")))]
    raise RuntimeError("REPORT " + " | ".join(out) + " END")
'''


@pytest.fixture
def ci_clone_under_tmp(monkeypatch):
    """A needed folder under /tmp (as a CI clone's assignment/ would be) and a folder for the host's bait."""
    with tempfile.TemporaryDirectory(prefix="initgrade-ci-", dir="/tmp") as ci, \
            tempfile.TemporaryDirectory(prefix="initgrade-bait-", dir="/tmp") as bait:
        kept = Path(ci) / "proj" / "assignment"
        kept.mkdir(parents=True)
        (kept / "kept.txt").write_text("KEPT-CONTENT")
        real = hiding.needed_paths

        monkeypatch.setattr(hiding, "needed_paths", lambda: real() + [kept.resolve()])
        hiding.ancestors_of_needed.cache_clear()
        yield kept, Path(bait)
    hiding.ancestors_of_needed.cache_clear()


def _listening(path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.listen(4)
    s.setblocking(False)
    return s


def _accepted(s: socket.socket) -> bool:
    try:
        conn, _ = s.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def _probe_submission(tmp_path: Path, kept: Path, bait: Path, fifo: Path):
    """The probe as a loaded submission, told where the bait and the kept folder are."""
    code = PROBE.replace("def _try", f"EARLY_SOCKET = {str(bait / 'early.sock')!r}\n"
                         f"LATE_SOCKET = {str(bait / 'late.sock')!r}\nFIFO = {str(fifo)!r}\n"
                         f"LATE_FILE = {str(bait / 'late.txt')!r}\nKEPT = {str(kept)!r}\n"
                         f"KEPT_FILE = {str(kept / 'kept.txt')!r}\n\ndef _try", 1)
    sub_file = tmp_path / "sub.py"
    sub_file.write_text(code)
    return load_submission(sub_file, 1 << 20)


def _report(tmp_path: Path, kept: Path, bait: Path) -> dict[str, str]:
    early = _listening(bait / "early.sock")
    fifo = bait / "fifo"
    os.mkfifo(fifo)
    fifo_reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so a writer could open it
    sub = _probe_submission(tmp_path, kept, bait, fifo)
    hide = hide_paths([str(tmp_path)])  # computed before the late entries exist, as in a batch
    late = _listening(bait / "late.sock")
    (bait / "late.txt").write_text("SECRET-MADE-LATER")
    os.chmod(bait / "late.txt", 0o644)
    sb = Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide, CONFIG.sandbox.stub_modules)
    try:
        sb.start()
        reply = sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
    finally:
        sb.close()
    try:
        message = reply.header.get("message", "")
        assert "REPORT " in message, reply.header
        body = message.split("REPORT ", 1)[1].split(" END", 1)[0]
        report = dict(part.split("=", 1) for part in body.split(" | "))
        report["host_early_accepted"] = str(_accepted(early))
        report["host_late_accepted"] = str(_accepted(late))
        try:
            report["host_fifo_got"] = os.read(fifo_reader, 100).decode()
        except BlockingIOError:
            report["host_fifo_got"] = ""
        return report
    finally:
        os.close(fifo_reader)
        early.close()
        late.close()


@pytest.fixture
def report(tmp_path, ci_clone_under_tmp):
    assert detect_isolation().namespaces
    kept, bait = ci_clone_under_tmp
    # Besides the project's own needed folders, when it lies under /tmp itself (a CI clone there).
    own = str(PROJECT_ROOT.resolve()) + os.sep
    assert [p for p in hiding.keep_in_private() if not p.startswith(own)] == [str(kept.resolve())]
    return _report(tmp_path, kept, bait)


def test_a_host_socket_made_before_the_batch_is_unreachable(report):
    assert report["early_socket"] in ("FileNotFoundError", "ConnectionRefusedError"), report
    assert report["host_early_accepted"] == "False"


def test_a_host_fifo_is_not_written(report):
    assert report["fifo"] == "FileNotFoundError", report
    assert report["host_fifo_got"] == ""


def test_a_file_and_a_socket_made_after_hiding_was_computed_are_unreachable(report):
    assert report["late_file"] == "FileNotFoundError", report
    assert report["late_socket"] == "FileNotFoundError", report
    assert report["host_late_accepted"] == "False"


def test_the_needed_folder_under_tmp_is_bound_back_read_only(report, ci_clone_under_tmp):
    kept, _ = ci_clone_under_tmp
    assert report["kept_read"] == "read:KEPT-CONTENT", report
    assert report["kept_write"] == "OSError", report  # read-only file system (EROFS)
    assert not (kept / "planted.txt").exists()


def test_the_private_tmp_shows_only_the_way_to_the_needed_folder(report, ci_clone_under_tmp):
    kept, bait = ci_clone_under_tmp
    entries = report["tmp_entries"]
    assert bait.name not in entries and kept.parents[1].name in entries, report



@pytest.fixture
def uid_fallback_with_landlock(monkeypatch):
    """The uid fallback (a root grader without namespaces: Docker, Gradescope), Landlock on."""
    from autograder.sandbox.host import isolation

    if os.geteuid() != 0:
        pytest.fail("the uid fallback needs a root grader; `make test` runs as root")
    monkeypatch.setenv("INITGRADE_NO_NAMESPACES", "1")
    monkeypatch.delenv("INITGRADE_NO_LANDLOCK", raising=False)
    isolation.detect_isolation.cache_clear()
    try:
        iso = isolation.detect_isolation()
        assert iso.level == "uid+rlimits", iso.level
        yield iso
    finally:
        isolation.detect_isolation.cache_clear()


def test_without_namespaces_landlock_and_seccomp_keep_the_host_s_tmp_out_of_reach(
        tmp_path, ci_clone_under_tmp, uid_fallback_with_landlock):
    """The same bait, open to every uid (so file modes stop nothing): seccomp refuses the socket,
    Landlock the FIFO and the late file."""
    kept, bait = ci_clone_under_tmp
    bait.chmod(0o755)  # open to every uid, but not a world-writable folder (the uid sweep walks those)
    kept.chmod(0o755)
    for parent in kept.parents:
        if str(parent).startswith("/tmp/initgrade-ci-"):
            parent.chmod(0o755)
    early = _listening(bait / "early.sock")
    os.chmod(bait / "early.sock", 0o777)
    fifo = bait / "fifo"
    os.mkfifo(fifo, 0o666)
    os.chmod(fifo, 0o666)
    fifo_reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    (bait / "late.txt").write_text("SECRET-MADE-LATER")
    os.chmod(bait / "late.txt", 0o666)
    late = _listening(bait / "late.sock")
    sub = _probe_submission(tmp_path, kept, bait, fifo)
    sb = Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide_paths([str(tmp_path)]),
                 CONFIG.sandbox.stub_modules, isolation=uid_fallback_with_landlock)
    try:
        load = sb.start()
        assert not any("Landlock" in n for n in load.notes), load.notes  # applied: no note says otherwise
        reply = sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
    finally:
        sb.close()
    try:
        body = reply.header.get("message", "").split("REPORT ", 1)[1].split(" END", 1)[0]
        report = dict(part.split("=", 1) for part in body.split(" | "))
        # seccomp refuses socket() for every family without namespaces (EPERM or EAFNOSUPPORT)
        assert report["early_socket"] in ("PermissionError", "OSError"), report
        assert report["late_socket"] in ("PermissionError", "OSError"), report
        assert report["fifo"] == "PermissionError" and report["late_file"] == "PermissionError", report
        assert not _accepted(early) and not _accepted(late)
        try:
            got = os.read(fifo_reader, 100)
        except BlockingIOError:
            got = b""
        assert got == b""  # nothing was written into the host's FIFO
    finally:
        os.close(fifo_reader)
        early.close()
        late.close()


FD_PROBE = '''
import os

def initialize_parameters_zeros(layers_dims):
    seen = []
    for name in sorted(os.listdir("/proc/self/fd"), key=int):
        try:
            seen.append(name + ">" + os.readlink("/proc/self/fd/" + name).split("[")[0])
        except OSError:
            seen.append(name + ">gone")  # the listing's own descriptor, closed by now
    raise RuntimeError("FDS " + " ".join(seen) + " END")
'''


@pytest.mark.parametrize("level", ["namespaces", "uid+rlimits", "rlimits"])
def test_a_call_holds_no_descriptor_of_the_grader(tmp_path, monkeypatch, level):
    """What a student's call can reach through its descriptors, at each level, in a fresh fork and in
    the reused call worker: stdin (/dev/null), its output, the pipe its reply goes on (and the reused
    worker's pipe of calls): never the sandbox's request pipe, its reply pipe to the grader, the
    lifeline, a socket or a file."""
    from autograder.sandbox.host import isolation

    if level != "namespaces":
        if os.geteuid() != 0:
            pytest.skip("the uid level needs a root grader; `make test` runs as root")
        monkeypatch.setenv("INITGRADE_NO_NAMESPACES", "1")
    isolation.detect_isolation.cache_clear()
    try:
        iso = isolation.detect_isolation()
        if level == "rlimits":  # the grader's own user (a policy refuses it by default; the sandbox is the same)
            iso = dataclasses.replace(iso, drop_uid=False)
        assert iso.level == level, iso.reasons
        sub_file = tmp_path / "fds.py"
        sub_file.write_text(FD_PROBE)
        sub = load_submission(sub_file, 1 << 20)
        sb = Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide_paths([str(tmp_path)]),
                     CONFIG.sandbox.stub_modules, isolation=iso)
        try:
            sb.start()
            replies = [sb.call("initialize_parameters_zeros", [{"list": [2, 1]}]) for _ in range(3)]
        finally:
            sb.close()
    finally:
        isolation.detect_isolation.cache_clear()
    for reply in replies:
        message = reply.header.get("message", "")
        assert "FDS " in message, reply.header
        fds = dict(item.split(">", 1) for item in message.split("FDS ", 1)[1].split(" END", 1)[0].split())
        assert fds.pop("0") == "/dev/null"
        others = [target for fd, target in fds.items() if fd not in ("1", "2") and target != "gone"]
        assert all(target == "pipe:" for target in others), fds
        assert len(others) <= 2, fds  # the reply pipe (and the reused worker's pipe of calls): nothing else
