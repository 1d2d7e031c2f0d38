"""Reading one submission, whatever its form, within its bounds (size, code, time)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from autograder.base.deadline import OutOfTime, time_limit
from autograder.base.ids import submission_id
from autograder.intake.archives import read_zip
from autograder.intake.bounds import ReadingBounds, collector_paused
from autograder.intake.files import read_regular
from autograder.intake.folders import read_folder
from autograder.intake.modules import module_chunks
from autograder.intake.notebooks import notebook_chunks
from autograder.intake.package import package_chunks
from autograder.intake.submission import IntakeError, Submission
from autograder.intake.work import DEFAULT_NOTEBOOK


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def load_submission(path: Path, max_bytes: int, max_seconds: float | None = None,
                    max_code_bytes: int | None = None, functions: Sequence[str] = (), *,
                    max_members: int | None = None, max_entries: int | None = None,
                    max_cells: int | None = None, notebook: str = DEFAULT_NOTEBOOK) -> Submission:
    """Read one submission; raises IntakeError with a message for the student.

    ``max_seconds`` (grading.yaml's ``limits.intake_seconds``) bounds the reading: past it,
    the submission gets an IntakeError that names the limit (autograder.base.deadline).
    ``max_code_bytes`` (``limits.code_kb``) bounds the code handed to the parsers.
    ``functions`` (grading.yaml's graded functions) and ``notebook`` (its ``notebook:``) pick the
    file of a folder or zip that is the work (autograder.intake.work).
    ``max_members`` / ``max_entries`` (``limits.archive_members`` / ``folder_entries``; their
    shipped values when None) bound the files of a .zip and the entries of a folder, ``max_cells``
    (``limits.code_cells``) the code cells of a notebook.
    """
    bounds = ReadingBounds(max_code_bytes)
    if max_members is not None:
        bounds.max_members = max_members
    if max_entries is not None:
        bounds.max_entries = max_entries
    if max_cells is not None:
        bounds.max_cells = max_cells
    try:
        with collector_paused():
            if max_seconds is None:
                return _load_submission(path, max_bytes, bounds, functions, notebook)
            with time_limit(max_seconds) as deadline:
                bounds.deadline = deadline
                return _load_submission(path, max_bytes, bounds, functions, notebook)
    except OutOfTime:
        raise IntakeError(f"reading {Path(path).name} took more than {max_seconds:g} s, the most the grader spends "
                          "reading one submission (intake_seconds in grading.yaml). Is it unusually large, with "
                          "thousands of ! or % lines, or very long lines? Submit the notebook with only the "
                          "assignment's cells.") from None


def _load_submission(path: Path, max_bytes: int, bounds: ReadingBounds, functions: Sequence[str],
                     notebook: str) -> Submission:
    path = Path(path)
    sid = submission_id(path)
    if path.is_dir() and not path.is_symlink():
        files = read_folder(path, max_bytes, bounds.max_entries)
        work = package_chunks(files, path.name, bounds, functions, notebook)
        return Submission(sid, path, work.kind, work.chunks, work.extra, _digest(files),
                          graded_file=work.graded_file, graded_because=work.reason)
    raw = read_regular(path, max_bytes)
    digest = _digest({path.name: raw})
    suffix = path.suffix.casefold()  # heidi.IPYNB, as Windows and some LMS downloads write it
    alone = "it is the file submitted"
    if suffix == ".ipynb":
        return Submission(sid, path, "notebook", notebook_chunks(raw, path.name, bounds), {}, digest,
                          graded_file=path.name, graded_because=alone)
    if suffix == ".py":
        return Submission(sid, path, "module", module_chunks(raw, path.name, bounds), {}, digest,
                          graded_file=path.name, graded_because=alone)
    if suffix == ".zip":
        files = read_zip(raw, path.name, max_bytes, bounds.max_members, bounds.max_code_bytes)
        work = package_chunks(files, path.name, bounds, functions, notebook)
        return Submission(sid, path, "zip:" + work.kind, work.chunks, work.extra, digest,
                          graded_file=f"{path.name}/{work.graded_file}", graded_because=work.reason)
    raise IntakeError(f"{path.name}: expected a .ipynb, .py or .zip file, or a folder")
