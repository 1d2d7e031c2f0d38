"""Which file ``pytest public_tests`` tests: the one you submit.

By default the notebook, ``initialization.ipynb``: in ``assignment/`` next to this
folder (the student release, the course repository) or beside this folder (the
otter and nbgrader layouts). Without a notebook, ``assignment/initlab/init_functions.py``.
To test another file::

    pytest public_tests --notebook path/to/initialization.ipynb
    pytest public_tests --module path/to/init_functions.py
    INITGRADE_PUBLIC_TARGET=path/to/file pytest public_tests     # either kind

From a notebook only its definitions are run (imports, functions, classes), the way
the grader reads it: the experiment cells, which train networks for minutes, are not.
This file also puts ``assignment/`` on ``sys.path`` so ``import initlab`` works
without installing anything.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import sys
import types
from pathlib import Path

import pytest

ENV_VAR = "INITGRADE_PUBLIC_TARGET"
ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "assignment"
NOTEBOOK = "initialization.ipynb"
DEFAULT_MODULE = ASSIGNMENT / "initlab" / "init_functions.py"
# What a notebook contributes: everything the graded functions may rely on, nothing that runs work.
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

if ASSIGNMENT.is_dir() and str(ASSIGNMENT) not in sys.path:
    sys.path.insert(0, str(ASSIGNMENT))

_chosen: Path | None = None


def pytest_addoption(parser):
    group = parser.getgroup("initgrade public tests")
    group.addoption("--notebook", default=None, help="the notebook to test (default: your initialization.ipynb)")
    group.addoption("--module", default=None, help="a .py file with the four functions, instead of the notebook")


def pytest_configure(config):
    global _chosen
    given = config.getoption("--notebook", None) or config.getoption("--module", None)
    _chosen = _resolve(given) if given else None


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def default_target() -> Path:
    for candidate in (ASSIGNMENT / NOTEBOOK, ROOT / NOTEBOOK):
        if candidate.is_file():
            return candidate
    return DEFAULT_MODULE


def target_path() -> Path:
    """The file under test: --notebook/--module, else ``$INITGRADE_PUBLIC_TARGET``, else your notebook."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get(ENV_VAR)
    return _resolve(value) if value else default_target()


def _cell_definitions(source: str, label: str) -> list[ast.stmt]:
    # IPython lines (magics, shell escapes) are not Python; the definitions never need them.
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines), filename=label)
    except SyntaxError as exc:
        raise SyntaxError(f"{label}, line {exc.lineno}: {exc.msg}") from None
    return [node for node in tree.body if isinstance(node, _DEFINITIONS)]


def notebook_module(path: Path) -> types.ModuleType:
    """The definitions of the notebook's code cells, run in order as one fresh module."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    module = types.ModuleType(f"initgrade_public_notebook_{abs(hash(path))}")
    module.__file__ = str(path)
    code_cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, 1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        label = f"{path.name}, code cell {number}"
        for node in _cell_definitions(source, label):
            code = compile(ast.Module(body=[node], type_ignores=[]), label, "exec")
            try:
                exec(code, module.__dict__)  # noqa: S102 - the student's own code, on their machine
            except ImportError:
                # A display-only import (IPython, a plotting helper) missing here: the four
                # functions need numpy only; one that uses the name fails with its own message.
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    raise
    return module


def load_target(path: Path):
    """The functions of the file at ``path``: a notebook's definitions or a fresh import of a .py file."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not a file (choose one with --notebook or --module)")
    if path.suffix == ".ipynb":
        return notebook_module(path)
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
