"""Which paths of a command line are submissions: files and package folders as given, folders of
submissions opened one level. Every entry of an opened folder is accounted for: a submission, or
listed as not one with the reason (the console, summary.html and summary.json show the list)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SUBMISSION_SUFFIXES = {".ipynb", ".py", ".zip"}
#: What a batch writes at the top of its output folder: a folder holding one is an earlier batch's output.
_BATCH_OUTPUTS = ("gradebook.csv", "summary.json")
#: Files a batch or a merge writes at the top of its output folder.
_OWN_FILES = frozenset({*_BATCH_OUTPUTS, "summary.html", "shard.json", "merge.json", "junit.xml"})
#: What a batch writes for each submission: a folder holding both is a report, not a submission.
_REPORT_FILES = ("results.json", "feedback.md")
#: Folders tools leave beside submissions, never a student's (Python's bytecode, macOS zip debris).
_TOOL_FOLDERS = {"__pycache__": "Python's bytecode cache", "__MACOSX": "macOS archive metadata"}


@dataclass(frozen=True)
class Skipped:
    """An entry of an input folder that is not a submission, and why (for the instructor)."""

    path: Path
    reason: str


@dataclass
class Discovery:
    found: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def is_package_dir(path: Path) -> bool:
    """A folder named on the command line is one submission when it looks like the student package,
    or like the student release (a repository clone: ``assignment/`` with the notebook and initlab)."""
    if any((path / name).exists() for name in ("init_functions.py", "__init__.py", "initlab")):
        return True
    return (path / "assignment").is_dir() and not (path / "assignment").is_symlink()


def is_submission_name(name: str) -> bool:
    """A file a submission can be, by its extension in any case (``heidi.IPYNB``)."""
    return Path(name).suffix.casefold() in SUBMISSION_SUFFIXES


def _not_a_submission(entry: Path) -> str | None:
    """Why an entry of a folder of submissions is not one; None when it is one."""
    name = entry.name
    if name.startswith("."):
        return "hidden (its name starts with '.'), skipped unread"
    if name in _TOOL_FOLDERS and entry.is_dir() and not entry.is_symlink():
        return f"{_TOOL_FOLDERS[name]}, not a student's folder"
    if entry.is_dir() and not entry.is_symlink():
        if any((entry / out).is_file() for out in _BATCH_OUTPUTS):
            return "the output folder of an earlier initgrade batch (it holds a gradebook or summary.json)"
        if all((entry / out).is_file() for out in _REPORT_FILES):
            return "one submission's reports written by initgrade (results.json, feedback.md), not a submission"
        return None
    # Links and special files are submissions here, refused one by one with a message on their
    # own row (autograder.intake.files): skipping them would hide a row.
    if is_submission_name(name):
        return None
    if entry.is_file() and not entry.is_symlink() and name in _OWN_FILES:
        return "a file initgrade writes (an earlier batch's output), not a submission"
    if entry.is_file() and not entry.is_symlink():
        return f"not a .ipynb, .py or .zip file (a {entry.suffix or 'file without an extension'})"
    return None


def discover_all(paths: list[Path]) -> Discovery:
    """Expand the command line: files and package folders as given; any other folder is a folder of
    submissions, whose files and subfolders (one per student) are each one submission, and whose
    other entries are listed in ``skipped`` with the reason."""
    out = Discovery()
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
        if not p.is_dir() or is_package_dir(p):
            out.found.append(p)
            continue
        for entry in sorted(p.iterdir()):
            reason = _not_a_submission(entry)
            if reason is None:
                out.found.append(entry)
            else:
                out.skipped.append(Skipped(entry, reason))
    return out


def discover(paths: list[Path]) -> list[Path]:
    """The submissions of the command line (``discover_all`` without the list of what is not one)."""
    return discover_all(paths).found
