"""The reference solutions, loaded from ``solutions/init_functions.py`` (trusted code)."""

from __future__ import annotations

import functools
import importlib.util
from types import ModuleType

from autograder.config import PROJECT_ROOT

SOLUTIONS_FILE = PROJECT_ROOT / "solutions" / "init_functions.py"


@functools.lru_cache(maxsize=1)
def reference_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("initgrade_reference", SOLUTIONS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_functions(names: list[str]) -> dict:
    module = reference_module()
    return {n: getattr(module, n) for n in names}
