"""Reading a package folder from disk: its .py and .ipynb files, within the size cap."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from autograder.intake.files import read_regular, walk_regular
from autograder.intake.submission import IntakeError


def read_folder(path: Path, max_bytes: int, max_entries: int) -> dict[str, bytes]:
    files, total = {}, 0
    for rel, f in walk_regular(path, max_entries):
        if PurePosixPath(rel).suffix.casefold() not in (".py", ".ipynb"):  # HEIDI.IPYNB too
            continue
        files[rel] = read_regular(f, max_bytes, f"{path.name}/{rel}")
        total += len(files[rel])
        if total > max_bytes:
            raise IntakeError(f"{path.name} is larger than {max_bytes >> 20} MiB")
    return files
