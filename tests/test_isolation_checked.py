"""Every call that confines the sandbox is checked: when one fails, the sandbox refuses to load the
submission ("cannot isolate") instead of running it less isolated.

Each case runs the jail's real start-up (autograder.sandbox.jail.main) in a subprocess whose C
library fails one call (returns -1 with EPERM), the way a kernel, container profile or LSM
could refuse it. The submission prints a marker at its top level: the marker must never appear,
and the reply must be "cannot-isolate". A control run with nothing failing proves the harness sees
the marker when the code does run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder.config import load_config
from autograder.sandbox import detect_isolation

CONFIG = load_config()
MARKER = "STUDENT-CODE-RAN"

HARNESS = r'''
import ctypes, errno, json, os, sys
from autograder.sandbox import wire
from autograder.sandbox.jail import libc

fail, namespaces, limits, workdir = sys.argv[1], sys.argv[2] == "ns", json.loads(sys.argv[3]), sys.argv[4]
real = libc.LIBC


class OneCallFails:
    """The C library, except that ``name`` (with first argument ``arg``, if given) fails with EPERM."""

    def __getattr__(self, name):
        fn = getattr(real, name)
        kind, _, arg = fail.partition(":")
        if name != kind:
            return fn

        def failing(*args):
            if arg and args[0] != int(arg):
                return fn(*args)
            ctypes.set_errno(errno.EPERM)
            return -1
        return failing


libc.LIBC = OneCallFails()
from autograder.sandbox.jail import main  # noqa: E402 - after the stand-in, as a test of the late lookup

request = {"chunks": [{"origin": "cell 1", "code": "print('MARKER', flush=True)"}], "functions": [],
           "limits": limits, "hide": [], "namespaces": namespaces, "workdir": workdir, "sweep": False,
           "nonce": "n1", "scratch": None, "landlock": False, "stub_modules": []}
req_r, req_w = os.pipe()
rep_r, rep_w = os.pipe()
wire.write_frame(req_w, request)
pid = os.fork()
if pid == 0:
    os.close(req_w)
    os.close(rep_r)
    try:
        main.main(["jail", str(req_r), str(rep_w)])
    finally:
        os._exit(0)
os.close(req_w)
os.close(rep_w)
header, _ = wire.read_frame(rep_r)
os.waitpid(pid, 0)
print("REPLY " + json.dumps({"status": header.get("status"), "notes": header.get("notes")}), flush=True)
'''.replace("MARKER", MARKER)

NAMESPACES = ["unshare", "--user", "--map-root-user", "--mount", "--net", "--ipc", "--pid", "--fork",
              "--kill-child", "--mount-proc"]


def _run(fail: str, namespaces: bool, tmp_path) -> tuple[dict, str]:
    cmd = [sys.executable, "-I", "-u", "-c", HARNESS, fail, "ns" if namespaces else "plain",
           json.dumps(CONFIG.limits.model_dump()), str(tmp_path)]
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"}  # -I: the kit comes from the venv's install
    out = subprocess.run([*NAMESPACES, *cmd] if namespaces else cmd, capture_output=True, text=True, timeout=120,
                         env=env, cwd=str(tmp_path))
    replies = [line for line in out.stdout.splitlines() if line.startswith("REPLY ")]
    assert replies, out.stdout[-2000:] + out.stderr[-2000:]
    return json.loads(replies[-1][len("REPLY "):]), out.stdout


def _namespaces() -> bool:
    if detect_isolation().namespaces and shutil.which("unshare"):
        return True
    if os.environ.get("INITGRADE_REQUIRE_INTEGRATION") == "1":
        pytest.fail("this machine has no unprivileged user namespaces")
    pytest.skip("no unprivileged user namespaces")


@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "fallback"])
def test_the_harness_sees_the_submission_run_when_nothing_fails(tmp_path, namespaces):
    if namespaces:
        _namespaces()
    reply, stdout = _run("none", namespaces, tmp_path)
    assert reply["status"] == "loaded", reply
    assert MARKER in stdout


@pytest.mark.parametrize("fail", [
    "capset",            # dropping every capability
    "prctl:24",          # PR_CAPBSET_DROP: the bounding set
    "prctl:38",          # PR_SET_NO_NEW_PRIVS
    "prctl:22",          # PR_SET_SECCOMP: the filter
    "mount",             # hiding, read-only remounts, the private /dev and /tmp
])
def test_with_namespaces_a_failing_call_refuses_to_load(tmp_path, fail):
    _namespaces()
    reply, stdout = _run(fail, True, tmp_path)
    assert reply["status"] == "cannot-isolate", reply
    assert reply["notes"] and all(n.startswith("UNSAFE: ") for n in reply["notes"]), reply
    assert MARKER not in stdout


@pytest.mark.parametrize("fail", ["prctl:38", "prctl:22"])
def test_without_namespaces_a_failing_call_refuses_to_load(tmp_path, fail):
    reply, stdout = _run(fail, False, tmp_path)
    assert reply["status"] == "cannot-isolate", reply
    assert MARKER not in stdout


class _FakeLibc:
    """Stands in for the C library in the zygote's pid 1: ``prctl`` and ``mount`` give the set results."""

    def __init__(self, prctl: int, mount: int):
        self._prctl, self._mount = prctl, mount

    def prctl(self, *args):
        return self._prctl

    def mount(self, *args):
        return self._mount


@pytest.mark.parametrize("prctl, mount", [(-1, 0), (0, -1)], ids=["pdeathsig", "proc-mount"])
def test_the_zygotes_sandbox_reports_not_isolated_when_a_step_fails(prctl, mount):
    """pid 1 of a zygote-forked sandbox: a failed PR_SET_PDEATHSIG or /proc mount is "not isolated" on
    the status pipe, and the jail's start-up (which would load the submission) never runs."""
    from autograder.sandbox.jail import zygote
    from autograder.sandbox.keeper_protocol import NOT_ISOLATED, STATUS

    status_r, status_w = os.pipe()
    ran_r, ran_w = os.pipe()
    fds = {"status": status_w, "req": 0, "rep": 1, "life": 2}
    pid = os.fork()
    if pid == 0:
        os.close(status_r)
        os.close(ran_r)
        zygote.run_sandbox(_FakeLibc(prctl, mount), {"namespaces": True}, fds, lambda argv: os.write(ran_w, b"ran"))
        os._exit(99)  # not reached: run_sandbox always ends the process
    os.close(status_w)
    os.close(ran_w)
    _, wait_status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(wait_status) == 1
    assert STATUS.unpack(os.read(status_r, STATUS.size)) == (NOT_ISOLATED, 0)
    assert os.read(ran_r, 16) == b""  # the jail's start-up never ran
    os.close(status_r)
    os.close(ran_r)


def test_the_jail_loads_nothing_of_the_graders_side():
    """The sandbox imports only the jail and the shared modules: not the grader's side, its config or
    pydantic (code and data of the grader's that student code has no business sharing a process with)."""
    code = ("import sys, json\nimport autograder.sandbox.jail.main, autograder.sandbox.jail.zygote\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('autograder', 'pydantic', 'yaml')))))")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"}, cwd="/")
    loaded = json.loads(out.stdout)
    assert "autograder.sandbox.jail.main" in loaded
    assert not [m for m in loaded if m.startswith(("autograder.sandbox.host", "pydantic", "yaml"))
                or m in ("autograder.config", "autograder.environment")], loaded


def test_limiting_nested_user_namespaces_is_checked(tmp_path, monkeypatch):
    """The write of user.max_user_namespaces = 0 is a confining step: a failure refuses, a kernel
    without the knob has nothing to limit."""
    from autograder.sandbox.jail import privileges
    from autograder.sandbox.jail.libc import CannotIsolate

    knob = tmp_path / "max_user_namespaces"
    knob.write_text("1000\n")
    monkeypatch.setattr(privileges, "USER_NAMESPACES_LIMIT", str(knob))
    privileges.no_nested_user_namespaces()
    assert knob.read_text() == "0"

    knob.chmod(0o444)
    if os.access(knob, os.W_OK):  # root ignores file modes: stand a folder in for the file instead
        monkeypatch.setattr(privileges, "USER_NAMESPACES_LIMIT", str(tmp_path))
    with pytest.raises(CannotIsolate, match="nested user namespaces"):
        privileges.no_nested_user_namespaces()

    monkeypatch.setattr(privileges, "USER_NAMESPACES_LIMIT", str(tmp_path / "absent"))
    privileges.no_nested_user_namespaces()  # nothing to limit, nothing raised
