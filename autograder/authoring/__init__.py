"""Authoring tools: generate the student-facing files from one source of truth.

``solutions/init_functions.py`` holds the reference code, with every graded
region fenced by ``# BEGIN SOLUTION`` / ``# END SOLUTION``. From it (and from the
notebook content in :mod:`autograder.authoring.content`) this package produces:

* ``assignment/initlab/init_functions.py`` -- the student stub module
  (:mod:`autograder.authoring.stubs`);
* ``assignment/initialization.ipynb`` -- the student notebook, stubs in the graded
  cells, no outputs;
* ``solutions/initialization_solved.ipynb`` -- the same notebook with the
  reference code in the graded cells (:mod:`autograder.authoring.notebook`).

Regenerate everything with ``python -m autograder.authoring``; check that the
committed copies are current with ``python -m autograder.authoring --check``.

Graded notebook cells carry the metadata
``{"initgrade": {"graded": <question id>, "function": <function name>}}`` and the
tag ``graded``; :data:`QUESTIONS` maps question ids to function names.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "QUESTIONS",
    "GRADED_TAG",
    "CHECK_TAG",
    "METADATA_KEY",
    "repo_root",
    "SOLUTIONS_MODULE",
    "STUB_MODULE",
    "STUDENT_NOTEBOOK",
    "SOLVED_NOTEBOOK",
]

#: Question id -> name of the function the student writes for it (notebook order).
QUESTIONS: dict[str, str] = {
    "zeros": "initialize_parameters_zeros",
    "random": "initialize_parameters_random",
    "he": "initialize_parameters_he",
    "deep": "initialize_parameters_deep",
}

#: Cell tag on every graded cell.
GRADED_TAG = "graded"
#: Cell tag on every public-check cell (the cell right after a graded cell).
CHECK_TAG = "public-check"
#: Key of this project's entry in a cell's metadata.
METADATA_KEY = "initgrade"

# Paths relative to the repository root.
SOLUTIONS_MODULE = Path("solutions/init_functions.py")
STUB_MODULE = Path("assignment/initlab/init_functions.py")
STUDENT_NOTEBOOK = Path("assignment/initialization.ipynb")
SOLVED_NOTEBOOK = Path("solutions/initialization_solved.ipynb")


def repo_root() -> Path:
    """The kit's course root: the repository root in a checkout, the packaged course files in a wheel."""
    from autograder.config import PROJECT_ROOT

    return PROJECT_ROOT
