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

from autograder.config import PROJECT_ROOT, load_config
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
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "OPENBLAS_NUM_THREADS": "1"}
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
