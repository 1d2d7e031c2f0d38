"""A package (a folder or an unpacked zip, as relative path -> bytes): which of its files is the
submission."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import PurePosixPath

from autograder.intake.bounds import NO_BOUNDS, ReadingBounds
from autograder.intake.modules import module_chunks
from autograder.intake.notebooks import notebook_chunks
from autograder.intake.submission import IntakeError


def package_chunks(files: dict[str, bytes], label: str, bounds: ReadingBounds = NO_BOUNDS,
                   functions: Sequence[str] = ()) -> tuple[str, list[dict], dict[str, str]]:
    """A package folder (or unpacked zip) given as relative path -> bytes. ``functions``: the
    graded functions (grading.yaml), which pick the module when there are several."""
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
    # Several modules: the first that defines a graded function, found by its `def` line
    # (nothing is parsed or run for modules that are not the submission).
    wanted = [f"def {name}".encode() for name in functions]
    for p in candidates:
        if any(w in files[p] for w in wanted):
            return "package", module_chunks(files[p], p, bounds), extra
    raise IntakeError(f"{label}: none of its modules defines {_graded_names(functions)}")


def _graded_names(functions: Sequence[str]) -> str:
    """``initialize_parameters_*`` for functions that share a prefix up to a ``_``, else their names."""
    prefix = os.path.commonprefix(list(functions))
    prefix = prefix[: prefix.rfind("_") + 1]
    if len(functions) > 1 and prefix:
        return prefix + "*"
    return ", ".join(functions) or "the graded functions"
