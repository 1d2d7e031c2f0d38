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


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("initgrade_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_module() -> ModuleType:
    return _load(solutions_file().resolve())


def reference_functions(names: list[str]) -> dict:
    module = reference_module()
    return {n: getattr(module, n) for n in names}
