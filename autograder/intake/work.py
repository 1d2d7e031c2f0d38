"""Which file of a student's folder is their work: the one rule every entry point follows.

A student's repository (the release layout: ``assignment/initialization.ipynb`` beside
``assignment/initlab/init_functions.py``), a Gradescope upload, a Classroom checkout, a package
folder or a zip all hold the same two candidates. The rule:

1. the notebook grading.yaml names (``notebook:``) is the work; with no notebook of that name,
   the only notebook there is;
2. the module (``init_functions.py``) is the work only when the notebook is absent, or untouched
   (none of its graded functions written: each still raises ``NotImplementedError``, as the
   release's stubs do, or none is defined) while the module has a written one;
3. when neither has a written function, the notebook is graded (and scores what the stubs score).

A function is "written" when its last definition in the file (the one the grader keeps) does
not raise ``NotImplementedError``. Deciding reads the code intake keeps; nothing is run.

The decision comes with its reason, in words for the student's feedback and results.json
(``extra_data.graded_file`` / ``graded_because``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

MODULE_NAME = "init_functions.py"
#: Which rule picked the file; part of a batch's result key (autograder.batch.grading.cache_key), so a result
#: kept from a kit that picked by another rule (init_functions.py first) is graded again, not reused.
RULE = "work-rule-1"
#: grading.yaml's default ``notebook:`` (autograder.config), for callers without a configuration.
DEFAULT_NOTEBOOK = "initialization.ipynb"


@dataclass(frozen=True)
class Choice:
    """The file that is the work (relative to the folder) and why, in the student's terms."""

    path: str
    kind: str  # "notebook" | "module"
    reason: str


def is_notebook(name: str) -> bool:
    """A notebook by its extension, in any case (``heidi.IPYNB``), outside Jupyter's checkpoints."""
    return name.casefold().endswith(".ipynb") and ".ipynb_checkpoints" not in name


def is_module_file(name: str) -> bool:
    return PurePosixPath(name).name == MODULE_NAME


def _raises_not_implemented(fn: ast.AST) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
    return False


def written_functions(chunks: Sequence[dict], functions: Sequence[str]) -> set[str]:
    """The graded functions whose last kept definition is written (does not raise NotImplementedError)."""
    last: dict[str, bool] = {}
    wanted = set(functions)
    for chunk in chunks:
        try:
            tree = ast.parse(chunk.get("code", ""))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # a part that does not parse defines nothing the grader can call
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in wanted:
                last[node.name] = not _raises_not_implemented(node)
    return {name for name, done in last.items() if done}


def _shallowest(paths: list[str]) -> list[str]:
    """The paths nearest the folder's top (``assignment/x.ipynb`` before ``old/copy/x.ipynb``)."""
    if not paths:
        return []
    depth = min(len(PurePosixPath(p).parts) for p in paths)
    return sorted(p for p in paths if len(PurePosixPath(p).parts) == depth)


class NoWork(Exception):
    """No file of the folder can be the work; the message is for the student."""


def choose(notebooks: list[str], modules: list[str], notebook_name: str,
           written: Callable[[str], bool]) -> Choice:
    """Apply the rule to a folder's notebooks and ``init_functions.py`` files (relative paths).

    ``written(path)`` tells whether that file has a graded function written; a file that cannot
    be read counts as written (it is the student's work, and grading it says what is wrong)."""
    named = _shallowest([p for p in notebooks if PurePosixPath(p).name == notebook_name])
    notebook = None
    if len(named) == 1:
        notebook = named[0]
        why = f"it is the notebook the assignment names ({notebook_name})"
    elif len(named) > 1:
        raise NoWork(f"it holds several notebooks named {notebook_name} ({', '.join(named[:5])}); keep one")
    elif len(notebooks) == 1:
        notebook = notebooks[0]
        why = f"it is the only notebook (the assignment's is named {notebook_name})"
    elif len(notebooks) > 1:
        raise NoWork(f"it holds several notebooks ({', '.join(sorted(notebooks)[:5])}) and none is named "
                     f"{notebook_name}; submit {notebook_name}")
    module = _shallowest(modules)[0] if modules else None
    if notebook is None:
        if module is None:
            raise NoWork(f"it holds neither {notebook_name} nor {MODULE_NAME}")
        return Choice(module, "module", f"there is no notebook, and {MODULE_NAME} holds the functions")
    if written(notebook):
        return Choice(notebook, "notebook", why)
    if module is not None and written(module):
        return Choice(module, "module", f"the notebook {notebook} is untouched (none of its graded functions is "
                                        f"written: each still raises NotImplementedError) and {module} has them")
    if module is not None:
        return Choice(notebook, "notebook", f"{why}; neither it nor {module} has a graded function written yet")
    return Choice(notebook, "notebook", f"{why}; none of its graded functions is written yet")
