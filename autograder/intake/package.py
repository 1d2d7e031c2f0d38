"""A package (a folder or an unpacked zip, as relative path -> bytes): which of its files is the
submission, by the one rule of autograder.intake.work."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from autograder.intake.bounds import ReadingBounds
from autograder.intake.modules import module_chunks
from autograder.intake.notebooks import notebook_chunks
from autograder.intake.submission import IntakeError
from autograder.intake.work import DEFAULT_NOTEBOOK, NoWork, choose, is_module_file, is_notebook, written_functions
from autograder.limits import OTHER_MODULES_BYTES


@dataclass(frozen=True)
class PackageWork:
    """What a package folder or zip hands on: the chunks of its work, the modules beside it
    (importable helpers), the file that is the work and why (autograder.intake.work)."""

    kind: str
    chunks: list[dict]
    extra: dict[str, str]
    graded_file: str
    reason: str


def package_chunks(files: dict[str, bytes], label: str, bounds: ReadingBounds | None = None,
                   functions: Sequence[str] = (), notebook: str = DEFAULT_NOTEBOOK) -> PackageWork:
    """A package folder (or unpacked zip) given as relative path -> bytes. ``notebook``: the
    notebook grading.yaml names; ``functions``: the graded functions (grading.yaml), which tell a
    written notebook from an untouched one and pick the module when there are several.

    The package's other modules go to the sandbox with the work (a helper it imports), unparsed: at
    most OTHER_MODULES_BYTES of them (199 modules of 58 KB cost the grader 11 times a normal
    submission's CPU; a classroom clone's kit modules are some tens of KB)."""
    bounds = bounds or ReadingBounds()  # a fresh one: bounds count what one submission has used
    work = _package_chunks(files, label, bounds, functions, notebook)
    others = sum(len(text.encode()) for p, text in work.extra.items() if p != work.graded_file)
    if others > OTHER_MODULES_BYTES:
        raise IntakeError(f"{label} holds {others >> 10} KB of Python modules beside {work.graded_file}; the grader "
                          f"hands at most {OTHER_MODULES_BYTES >> 10} KB of them to your code. Submit the "
                          "assignment's files without generated or copied bulk.")
    return work


def _package_chunks(files: dict[str, bytes], label: str, bounds: ReadingBounds, functions: Sequence[str],
                    notebook: str) -> PackageWork:
    notebooks = sorted(p for p in files if is_notebook(p))
    modules = sorted(p for p in files if p.casefold().endswith(".py"))
    extra = {}
    for p in modules:
        try:
            extra[p] = files[p].decode("utf-8")
        except UnicodeDecodeError:
            pass
    preferred = [p for p in modules if is_module_file(p)]
    if notebooks or preferred:
        read: dict[str, list[dict]] = {}
        failed: dict[str, IntakeError] = {}

        def chunks_of(p: str) -> list[dict]:
            if p not in read:
                reader = notebook_chunks if is_notebook(p) else module_chunks
                read[p] = reader(files[p], p, bounds)
            return read[p]

        def written(p: str) -> bool:
            try:
                return bool(written_functions(chunks_of(p), functions))
            except IntakeError as exc:  # unreadable: still the student's work, graded to say why
                failed[p] = exc
                return True

        try:
            choice = choose(notebooks, preferred, notebook, written)
        except NoWork as exc:
            raise IntakeError(f"{label}: {exc}") from None
        if choice.path in failed:
            raise failed[choice.path]
        kind = "notebook" if choice.kind == "notebook" else "package"
        return PackageWork(kind, chunks_of(choice.path), extra, choice.path, choice.reason)
    candidates = [p for p in modules if PurePosixPath(p).name not in ("__init__.py", "conftest.py", "setup.py")]
    if len(candidates) == 1:
        return PackageWork("package", module_chunks(files[candidates[0]], candidates[0], bounds), extra,
                           candidates[0], "it is the only Python module")
    if not candidates:
        raise IntakeError(f"{label} holds no notebook and no Python module")
    # Several modules: the first that defines a graded function, found by its `def` line
    # (nothing is parsed or run for modules that are not the submission).
    wanted = [f"def {name}".encode() for name in functions]
    for p in candidates:
        if any(w in files[p] for w in wanted):
            return PackageWork("package", module_chunks(files[p], p, bounds), extra, p,
                               "it is the first module that defines a graded function")
    raise IntakeError(f"{label}: none of its modules defines {_graded_names(functions)}")


def _graded_names(functions: Sequence[str]) -> str:
    """``initialize_parameters_*`` for functions that share a prefix up to a ``_``, else their names."""
    prefix = os.path.commonprefix(list(functions))
    prefix = prefix[: prefix.rfind("_") + 1]
    if len(functions) > 1 and prefix:
        return prefix + "*"
    return ", ".join(functions) or "the graded functions"
