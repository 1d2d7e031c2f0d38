"""The reference solutions, loaded from the course's ``solutions/init_functions.py`` (trusted code).

The course is the folder of the grading.yaml loaded last (:func:`autograder.config.course_path`),
so an instructor's own course folder grades against its own solutions.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

from autograder.config import course_path


def solutions_file() -> Path:
    return course_path("solutions", "init_functions.py")


def load_module_file(name: str, path: Path) -> ModuleType:
    """Import one of the kit's own (trusted) Python files by path, as module ``name``; never
    student code, which only the sandbox runs."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # a path that does not name a Python source file
        raise ImportError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> ModuleType:
    return load_module_file("initgrade_reference", path)


def reference_module() -> ModuleType:
    return _load(solutions_file().resolve())


def reference_functions(names: list[str]) -> dict:
    module = reference_module()
    return {n: getattr(module, n) for n in names}
