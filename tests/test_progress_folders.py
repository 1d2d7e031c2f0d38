"""The parallel batch's progress folders (autograder.batch.worker_loss): named after the batch's
process, and those of batches killed outright (which could not remove theirs) removed by the next
batch; a live batch's folder, a link, and anything not named so stay."""

from __future__ import annotations

import os
import subprocess
import sys

from autograder.base import stale_folders
from autograder.batch import worker_loss


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_dead_batch_s_folder_goes_and_the_rest_stays(tmp_path):
    dead = tmp_path / f"initgrade-progress-{dead_pid()}-abc123"
    dead.mkdir()
    (dead / "4242").write_text("student_a")
    live = tmp_path / f"initgrade-progress-{os.getppid()}-def456"  # the test runner's parent: alive
    live.mkdir()
    own = tmp_path / f"initgrade-progress-{os.getpid()}-ghi789"
    own.mkdir()
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("x")
    link = tmp_path / f"initgrade-progress-{dead_pid()}-link00"
    link.symlink_to(target)
    old_style = tmp_path / "initgrade-progress-k2j3h4"  # named before the pid was in it: whose is unknown
    old_style.mkdir()
    other = tmp_path / f"initgrade-progress-{dead_pid()}-x.y"  # not a name progress_folder makes
    other.mkdir()
    assert stale_folders.sweep_dead(worker_loss.PROGRESS_PREFIX, str(tmp_path)) == 1
    assert not dead.exists()
    assert live.is_dir() and own.is_dir() and old_style.is_dir() and other.is_dir()
    assert link.is_symlink() and (target / "keep").exists()


def test_a_batch_s_folder_is_named_after_its_process_and_sweeps_first(tmp_path, monkeypatch):
    monkeypatch.setattr(stale_folders.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(stale_folders.tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / f"initgrade-progress-{dead_pid()}-abc123"
    stale.mkdir()
    folder = worker_loss.progress_folder()
    assert os.path.basename(folder).startswith(f"initgrade-progress-{os.getpid()}-")
    assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
    assert not stale.exists()
    assert stale_folders.sweep_dead(worker_loss.PROGRESS_PREFIX, str(tmp_path)) == 0  # its own folder stays
