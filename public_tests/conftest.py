"""Which file ``pytest public_tests`` tests: the one you submit.

By default the notebook, ``initialization.ipynb``: in ``assignment/`` next to this
folder (the student release, the course repository) or beside this folder (the
otter and nbgrader layouts). ``assignment/initlab/init_functions.py`` when there is no
notebook, or when the notebook is untouched (none of the four functions written) and the
module has one written: the grader's rule for which file is your work.
To test another file::

    pytest public_tests --notebook path/to/initialization.ipynb
    pytest public_tests --module path/to/init_functions.py
    INITGRADE_PUBLIC_TARGET=path/to/file pytest public_tests     # either kind

From a notebook only what the grader keeps is run, the way the grader reads it
(``grader_view.py``: imports, functions, classes and names set to plain values): the
experiment cells, which train networks for minutes, are not.
This file also puts ``assignment/`` on ``sys.path`` so ``import initlab`` works
without installing anything.
"""

from __future__ import annotations

import ast
import importlib.util
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
    """The file the grader grades, by its rule: the notebook; ``init_functions.py`` only when there
    is no notebook, or the notebook is untouched (no function written) and the module has one."""
    from public_tests.checks import EXAMPLES
    from public_tests.grader_view import written_functions

    functions = [example["function"] for example in EXAMPLES.values()]
    for candidate in (ASSIGNMENT / NOTEBOOK, ROOT / NOTEBOOK):
        if candidate.is_file():
            if DEFAULT_MODULE.is_file() and not written_functions(candidate, functions) \
                    and written_functions(DEFAULT_MODULE, functions):
                return DEFAULT_MODULE
            return candidate
    return DEFAULT_MODULE


def target_path() -> Path:
    """The file under test: --notebook/--module, else ``$INITGRADE_PUBLIC_TARGET``, else your notebook."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get(ENV_VAR)
    return _resolve(value) if value else default_target()


def _ipython_transform():
    """IPython's own reading of ``%magic`` and ``!cmd`` lines when IPython is installed (Jupyter
    brings it), else None: the grader view then blanks those lines."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return None
    return TransformerManager().transform_cell


def notebook_module(path: Path) -> types.ModuleType:
    """The notebook's code cells loaded the grader's way (``grader_view.py``): imports, definitions
    and names set to plain values, in notebook order, as one fresh module."""
    from public_tests.grader_view import load_cells, notebook_cells

    module = types.ModuleType(f"initgrade_public_notebook_{abs(hash(path))}")
    module.__file__ = str(path)
    for label, source in notebook_cells(path, _ipython_transform()):
        try:
            ast.parse(source)
        except SyntaxError as exc:
            raise SyntaxError(f"{path.name}, {label}, line {exc.lineno}: {exc.msg}") from None
    load_cells([(f"{path.name}, {label}", src) for label, src in notebook_cells(path, _ipython_transform())],
               module.__dict__)
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
