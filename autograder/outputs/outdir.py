"""The output folder and the JUnit file, checked before any grading starts.

An output folder inside an input folder would be graded as a submission on the next run; an input
inside the output folder would be overwritten by reports; a folder the grader cannot write would
only fail after the whole batch was graded. Each case is refused up front with a message that says
what to do (the command exits with status 2, see README "Exit status").
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from autograder.base.ids import RESERVED_SUFFIXES


class OutputFolderError(Exception):
    """The output folder or the JUnit file cannot be used; the message is for the instructor."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_folder(out: Path, inputs: list[Path], junit: Path | None = None) -> None:
    """Refuse an output folder that overlaps an input, then create it and prove it writable."""
    out = Path(out)
    where = out.resolve()
    for given in inputs:
        src = Path(given).resolve()
        if src.is_dir() and _inside(where, src):
            raise OutputFolderError(
                f"the output folder {out} is inside the input folder {given}: its reports would be graded "
                f"as a submission on the next run. Choose an output folder outside {given}.")
        if _inside(src, where):
            raise OutputFolderError(
                f"the submission {given} is inside the output folder {out}, where the reports are written. "
                "Choose an output folder that holds no submission.")
    if junit is not None:
        _check_junit(Path(junit), out, where, inputs)
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"the output folder {out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out, prefix=".initgrade-write-check."):
            pass
    except OSError as exc:
        raise OutputFolderError(f"cannot write to the output folder {out}: "
                                f"{exc.strerror or exc}. Choose a folder you can write to.") from None


def _check_junit(junit: Path, out: Path, where: Path, inputs: list[Path]) -> None:
    target = junit.resolve()
    if target.is_dir():
        raise OutputFolderError(f"--junit {junit} is a folder; give a file name such as {junit / 'junit.xml'}")
    for given in inputs:
        if _inside(target, Path(given).resolve()):
            raise OutputFolderError(f"--junit {junit} would be written over or inside the submissions {given}; "
                                    "write it elsewhere")
    if _inside(target, where) and (target.parent != where or target.suffix.casefold() not in RESERVED_SUFFIXES):
        # A submission's folder is named after the student's file: only a name it can never take is safe.
        raise OutputFolderError(f"--junit {junit} is inside the output folder {out}: put it directly in it "
                                f"with a .xml name ({out / 'junit.xml'}), or outside it")
    parent = target.parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise OutputFolderError(f"cannot write the JUnit file {junit}: {probe} is not a folder you can write to")
