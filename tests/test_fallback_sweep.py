"""The uid fallback's second line, on its own: with Landlock turned off (as on a kernel without
it), what a sandbox leaves in world-writable folders, its processes and its System V IPC objects
are all gone once the sandbox is closed, and its working folder is closed to other uids.

(Seccomp refuses the IPC calls; here the test makes a segment as the sandbox uid itself, to prove
the grader's removal too.)
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT, load_config
from autograder.intake import load_submission
from autograder.sandbox import Sandbox, hide_paths
from autograder.sandbox.host import isolation, uid_cleanup

CONFIG = load_config()
SANDBOX_VENV_PYTHON = PROJECT_ROOT / ".venv-sandbox" / "bin" / "python"
LEAVE = PROJECT_ROOT / "examples" / "hostile" / "ipc_files_in_scratch_folders_import.py"
DAEMON = PROJECT_ROOT / "examples" / "hostile" / "ipc_daemon_keeps_segment_import.py"


@pytest.fixture
def uid_fallback(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("the uid fallback needs a root grader; `make test` runs as root")
    monkeypatch.setenv("INITGRADE_NO_NAMESPACES", "1")
    monkeypatch.setenv("INITGRADE_NO_LANDLOCK", "1")
    if not os.environ.get("INITGRADE_SANDBOX_PYTHON") and SANDBOX_VENV_PYTHON.exists():
        monkeypatch.setenv("INITGRADE_SANDBOX_PYTHON", str(SANDBOX_VENV_PYTHON))
    # Whatever happens here (a failed probe, a failed assertion), the level detected under these
    # switches is cleared: no later test of the session may see it.
    isolation.detect_isolation.cache_clear()
    try:
        iso = isolation.detect_isolation()
        assert iso.level == "uid+rlimits", (f"the fallback here is {iso.level!r} ({'; '.join(iso.reasons)}); "
                                            "make .venv-sandbox/.installed gives the uid a Python it can run")
        yield iso
    finally:
        isolation.detect_isolation.cache_clear()


def _owned_by(uid: int) -> list[str]:
    found = []
    for folder in uid_cleanup.world_writable_dirs():
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:  # removed since the list was made (another test's, or another run's, on this machine)
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    found.append(entry.path)
            except OSError:
                pass
    return found


def _processes_of(uid: int, wait: float = 3.0) -> list[int]:
    """Live processes of ``uid`` (killed ones may take a moment to be reaped by their new parent)."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                status = (entry / "status").read_text().splitlines()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status if ":" in line)
            dead = fields.get("State", "").strip().startswith(("Z", "X"))
            if fields.get("Uid", "").split()[:1] == [str(uid)] and not dead:
                found.append(int(entry.name))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _segment_as(uid: int) -> None:
    """A shared-memory segment created by ``uid`` (outside the sandbox, past its seccomp filter)."""
    code = "import ctypes; l = ctypes.CDLL('libc.so.6'); assert l.shmget(0, 4096, 0o1000 | 0o600) >= 0"
    subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "/usr/bin/python3", "-c",
                    code], check=True, env={"PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("case", [LEAVE, DAEMON], ids=["files", "daemon"])
def test_without_landlock_the_uid_leaves_nothing_behind(uid_fallback, tmp_path, case):
    sub = load_submission(case, 1 << 20)
    sb = Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide_paths([str(tmp_path)]),
                        CONFIG.sandbox.stub_modules, isolation=uid_fallback)
    uid = sb.uid
    try:
        load = sb.start()
        assert "Landlock turned off" in load.notes
        workdir = Path(sb.scratch_dir)
        assert workdir.stat().st_uid == uid and workdir.stat().st_mode & 0o077 == 0  # no other uid reads it
        if case == LEAVE:
            left = _owned_by(uid)
            assert any("/run/lock/" in p for p in left) and any(p.startswith("/var/tmp/") for p in left), left
        _segment_as(uid)
        assert uid_cleanup.uid_ipc_objects(uid)
    finally:
        sb.close()
    assert _owned_by(uid) == []
    assert uid_cleanup.uid_ipc_objects(uid) == []
    assert _processes_of(uid) == []
    assert sb.uid != Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, [], [],
                                    isolation=uid_fallback).uid  # each sandbox its own uid


def test_a_folder_made_world_writable_later_is_swept_in_the_next_batch(uid_fallback, tmp_path):
    """The world-writable folders are found again per batch (a ``Grader``): one made after an earlier
    batch (here: after the first search) is swept of what the next batch's sandbox left in it."""
    import shutil
    import tempfile

    from autograder.engine import Grader

    uid_cleanup.world_writable_dirs()  # an earlier batch's search
    late = tempfile.mkdtemp(prefix="initgrade-late-", dir="/tmp")
    try:
        os.chmod(late, 0o1777)
        assert late not in uid_cleanup.world_writable_dirs()  # one search per batch, not per submission
        grader = Grader(CONFIG, isolation=uid_fallback, hide_extra=[str(tmp_path)])
        assert late in uid_cleanup.world_writable_dirs()
        module = tmp_path / "late.py"
        module.write_text(f"def init_zeros(sizes, _left=open({late + '/left'!r}, 'w').write('x')):\n    pass\n")
        sub = load_submission(module, 1 << 20)
        sb = Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide_paths([str(tmp_path)]),
                     CONFIG.sandbox.stub_modules, isolation=uid_fallback)
        try:
            sb.start()
            assert os.listdir(late) == ["left"]  # the sandbox uid did leave it there
        finally:
            sb.close()
            grader.close()
        assert os.listdir(late) == []
    finally:
        shutil.rmtree(late, ignore_errors=True)
