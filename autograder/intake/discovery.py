"""Which paths of a command line are submissions: files and package folders as given, folders of
submissions opened one level."""

from __future__ import annotations

from pathlib import Path

SUBMISSION_SUFFIXES = {".ipynb", ".py", ".zip"}


def is_package_dir(path: Path) -> bool:
    """A folder named on the command line is one submission when it looks like the student package."""
    return any((path / name).exists() for name in ("init_functions.py", "__init__.py", "initlab"))


def discover(paths: list[Path]) -> list[Path]:
    """Expand the command line: files and package folders as given; any other folder is a
    folder of submissions, whose files and subfolders (one per student) are each one submission."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
        if not p.is_dir() or is_package_dir(p):
            found.append(p)
            continue
        for entry in sorted(p.iterdir()):
            if entry.name.startswith((".", "_")):
                continue
            # Links and special files are listed too, and refused one by one with a message
            # (autograder.intake.files): silently skipping them would hide a row.
            if entry.suffix in SUBMISSION_SUFFIXES or entry.is_dir():
                found.append(entry)
    return found
