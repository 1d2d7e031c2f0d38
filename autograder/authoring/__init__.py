"""Authoring tools: generate the student-facing files from one source of truth.

``solutions/init_functions.py`` holds the reference code, with every graded
region fenced by ``# BEGIN SOLUTION`` / ``# END SOLUTION``. From it (and from the
notebook content in :mod:`autograder.authoring.content`) this package produces:

* ``assignment/initlab/init_functions.py`` -- the student stub module
  (:mod:`autograder.authoring.stubs`);
* ``assignment/<notebook>`` -- the student notebook (grading.yaml's ``notebook``), stubs
  in the graded cells, no outputs;
* ``solutions/<notebook stem>_solved.ipynb`` -- the same notebook with the
  reference code in the graded cells (:mod:`autograder.authoring.notebook`).

Regenerate everything with ``python -m autograder.authoring``; check that the
committed copies are current with ``python -m autograder.authoring --check``.

Graded notebook cells carry the metadata
``{"initgrade": {"graded": <question id>, "function": <function name>}}`` and the
tag ``graded``. The question ids, their functions and the notebook's name come from
grading.yaml: the configuration passed in (a build passes its course's), else the kit's own
(:func:`autograder.config.kit_config`).
"""

from __future__ import annotations

from pathlib import Path

from autograder.config import GradingConfig, kit_config

__all__ = [
    "GRADED_TAG",
    "CHECK_TAG",
    "METADATA_KEY",
    "question_functions",
    "repo_root",
    "SOLUTIONS_MODULE",
    "STUB_MODULE",
    "student_notebook",
    "solved_notebook",
]

#: Cell tag on every graded cell.
GRADED_TAG = "graded"
#: Cell tag on every public-check cell (the cell right after a graded cell).
CHECK_TAG = "public-check"
#: Key of this project's entry in a cell's metadata.
METADATA_KEY = "initgrade"

# Paths relative to the repository root.
SOLUTIONS_MODULE = Path("solutions/init_functions.py")
STUB_MODULE = Path("assignment/initlab/init_functions.py")


def question_functions(config: GradingConfig | None = None) -> dict[str, str]:
    """Question id -> the function the student writes for it, in notebook order (grading.yaml)."""
    return (config or kit_config()).question_functions


def student_notebook(config: GradingConfig | None = None) -> Path:
    """The student notebook, relative to the repository root: grading.yaml's ``notebook``."""
    return Path("assignment") / (config or kit_config()).notebook


def solved_notebook(config: GradingConfig | None = None) -> Path:
    """The solved notebook, relative to the repository root, named after the student one."""
    return Path("solutions") / f"{Path((config or kit_config()).notebook).stem}_solved.ipynb"


def repo_root() -> Path:
    """The kit's course root: the repository root in a checkout, the packaged course files in a wheel."""
    from autograder.config import PROJECT_ROOT

    return PROJECT_ROOT
