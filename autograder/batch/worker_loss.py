"""A parallel batch's workers that die: which submission each was on, and the row it gets.

A pool worker killed from outside (the kernel's OOM killer, a signal) breaks the whole
``ProcessPoolExecutor``: every chunk not yet handed back fails with ``BrokenProcessPool``. The
batch (autograder/batch/grading.py) then reads back what the workers had written, grades the submission
each worker was on again alone (a worker notes it in a private folder before each one), and the
rest in a new pool. A submission whose lone worker dies too gets the error row made here, naming
the cause; nothing is tried a third time.

The notes' folder is named after the batch's process (``progress_folder``); a batch killed
outright (SIGKILL) cannot remove its own, so the next batch removes those whose process is gone.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from autograder.base.ids import display_name
from autograder.base.stale_folders import folder_of_this_process
from autograder.base.statuses import ERROR
from autograder.engine import SubmissionResult

PROGRESS_PREFIX = "initgrade-progress-"


def progress_folder() -> str:
    """A new private folder for the workers' notes, named after this process; first, the folders
    of batches killed before they could remove theirs (autograder.base.stale_folders)."""
    return folder_of_this_process(PROGRESS_PREFIX)


def suspects_of(progress: str, unfinished: set[str]) -> set[str]:
    """The unfinished submissions some worker was grading when the pool broke (its notes are cleared)."""
    found = set()
    for entry in os.scandir(progress):
        try:
            with open(entry.path) as f:
                sid = f.read()
            os.unlink(entry.path)
        except OSError:
            continue
        if sid in unfinished:
            found.add(sid)
    return found


def death_cause(workers) -> str:
    """How a pool's worker processes ended, in words ("killed by SIGKILL"); empty when unknown."""
    for proc in workers:
        code = getattr(proc, "exitcode", None)
        if code is None:
            try:
                proc.join(1)
                code = proc.exitcode
            except (AssertionError, OSError, ValueError):
                continue
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            extra = " (the kernel's out-of-memory killer sends it)" if -code == signal.SIGKILL else ""
            return f"killed by {name}{extra}"
        if code:
            return f"ended with exit status {code}"
    return ""


def lost_row(path: Path, sid: str, cause: str, *, gave_up: bool = False) -> SubmissionResult:
    """The error row of a submission whose grading worker died (``gave_up``: workers kept dying on others)."""
    if gave_up:
        error = ("not graded: the grader's worker processes kept dying during this batch (out of memory? killed?); "
                 "grade this submission again")
    else:
        error = ("the grader's worker process died twice while grading this submission"
                 f"{' (' + cause + ')' if cause else ''}; it was not graded. Tell your instructor: the grader's "
                 "machine may be short of memory")
    return SubmissionResult(id=sid, name=display_name(Path(path).name), path=str(path), status=ERROR, error=error)
