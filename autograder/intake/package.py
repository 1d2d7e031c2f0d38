"""A package (a folder or an unpacked zip, as relative path -> bytes): which of its files is the
submission."""

from __future__ import annotations

from pathlib import PurePosixPath

from autograder.intake.bounds import NO_BOUNDS, ReadingBounds
from autograder.intake.modules import module_chunks
from autograder.intake.notebooks import notebook_chunks
from autograder.intake.submission import IntakeError


def _from_tree(files: dict[str, bytes], label: str,
               bounds: ReadingBounds = NO_BOUNDS) -> tuple[str, list[dict], dict[str, str]]:
    """A package folder (or unpacked zip) given as relative path -> bytes."""
    notebooks = sorted(p for p in files if p.endswith(".ipynb") and ".ipynb_checkpoints" not in p)
    modules = sorted(p for p in files if p.endswith(".py"))
    extra = {}
    for p in modules:
        try:
            extra[p] = files[p].decode("utf-8")
        except UnicodeDecodeError:
            pass
    preferred = [p for p in modules if PurePosixPath(p).name == "init_functions.py"]
    if preferred:
        main = min(preferred, key=len)
        return "package", module_chunks(files[main], main, bounds), extra
    if notebooks:
        if len(notebooks) > 1:
            raise IntakeError(f"{label} holds several notebooks ({', '.join(notebooks[:5])}); submit one")
        return "notebook", notebook_chunks(files[notebooks[0]], notebooks[0], bounds), extra
    candidates = [p for p in modules if PurePosixPath(p).name not in ("__init__.py", "conftest.py", "setup.py")]
    if len(candidates) == 1:
        return "package", module_chunks(files[candidates[0]], candidates[0], bounds), extra
    if not candidates:
        raise IntakeError(f"{label} holds no notebook and no Python module")
    # Several modules: the one that defines the graded functions, by name, found by parsing.
    for p in candidates:
        if b"def initialize_parameters_" in files[p]:
            return "package", module_chunks(files[p], p, bounds), extra
    raise IntakeError(f"{label}: none of its modules defines initialize_parameters_*")
