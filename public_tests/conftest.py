"""Which file ``pytest public_tests`` tests, and how it is loaded.

The tests exercise the module named by the environment variable
``INITGRADE_PUBLIC_TARGET``: a path to a ``.py`` file holding the four
``initialize_parameters_*`` functions. When it is not set, the default is the
student's own ``assignment/initlab/init_functions.py`` (next to this folder), so
in a student release ``pytest public_tests`` simply tests your work.

In the course repository, the root ``conftest.py`` sets the variable (unless it is
already set) to ``solutions/init_functions.py``, so that ``make test`` checks that
the reference solutions pass the public tests; the repository's own tests run
``pytest public_tests`` once more with the variable pointing at the generated
stubs, to prove the public tests fail on unfinished code. To test another file::

    INITGRADE_PUBLIC_TARGET=path/to/init_functions.py pytest public_tests

This file also puts ``assignment/`` on ``sys.path`` so ``import initlab`` works
without installing anything.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ENV_VAR = "INITGRADE_PUBLIC_TARGET"
ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "assignment"
DEFAULT_TARGET = ASSIGNMENT / "initlab" / "init_functions.py"

if ASSIGNMENT.is_dir() and str(ASSIGNMENT) not in sys.path:
    sys.path.insert(0, str(ASSIGNMENT))


def target_path() -> Path:
    """The file under test: ``$INITGRADE_PUBLIC_TARGET`` or the student's module."""
    value = os.environ.get(ENV_VAR)
    if not value:
        return DEFAULT_TARGET
    path = Path(value)
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def load_target(path: Path):
    """Import the file at ``path`` as a fresh module (never cached under a real name)."""
    if not path.is_file():
        raise FileNotFoundError(f"{ENV_VAR} points to {path}, which is not a file")
    spec = importlib.util.spec_from_file_location(f"initgrade_public_target_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_report_header(config):
    return f"initgrade public tests target: {target_path()}"


@pytest.fixture(scope="session")
def target_module():
    """The module whose functions the public tests check."""
    return load_target(target_path())
