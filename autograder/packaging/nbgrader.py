"""``initgrade build nbgrader``: an nbgrader course-directory fragment built from grading.yaml.

Layout (run every nbgrader command from ``OUT``)::

    OUT/nbgrader_config.py
    OUT/source/<assignment>/initialization.ipynb
    OUT/source/<assignment>/public_tests/...

The source notebook is the solved notebook with nbgrader cell metadata (schema 3):

* each graded cell is a solution cell (``solution: true``); its fences become
  ``### BEGIN SOLUTION`` / ``### END SOLUTION``, which ``nbgrader generate_assignment``
  replaces with ``# YOUR CODE HERE`` / ``raise NotImplementedError()``;
* each public-check cell is locked (read-only, restored at autograding);
* after it, one locked autograder test cell per check of grading.yaml, worth the
  check's points, whose body sits between ``### BEGIN HIDDEN TESTS`` and ``### END
  HIDDEN TESTS``: students see only a comment, ``nbgrader autograde`` restores the
  hidden body from its database.

The test cells' points come from the kit's sandboxed engine: the generated
``nbgrader_config.py`` makes ``nbgrader autograde`` grade each submitted notebook with
the engine and record each test cell's outcome, points and feedback, without running
the notebook in a kernel (:mod:`autograder.platforms.nbgrader_engine`). A hidden body
only fails, so a cell never scores under a configuration without that step.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from nbformat import v4

from autograder.config import GradingConfig, course_path
from autograder.packaging.common import (
    BuildError,
    check_notebook_matches,
    check_question,
    clean_cell,
    copy_tree,
    graded_question,
    refence_solution,
    render_template,
    solutions_text,
    solved_notebook,
    write_notebook,
    write_text,
)
from autograder.platforms.engine_record import nbgrader_grade_id

SCHEMA_VERSION = 3

def _nbgrader_meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
                   points: float | None = None) -> dict:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", grade_id):
        raise BuildError(f"invalid nbgrader grade_id {grade_id!r}")
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def nbgrader_solution_source(source: str, function: str) -> str:
    """The graded cell's code with nbgrader's ``### BEGIN/END SOLUTION`` fences."""
    return refence_solution(source, function, begin=lambda indent: [f"{indent}### BEGIN SOLUTION"],
                            end=lambda line, indent: [f"{indent}### END SOLUTION"],
                            forbidden=("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"), tool="nbgrader fence")


def test_cell_placeholder(points: float, title: str) -> str:
    """What students see of a hidden-check cell (all that nbgrader's release keeps of it)."""
    return (f"# Hidden check \"{title}\" ({points:g} point{'s' if points != 1 else ''}): "
            "it runs when your notebook is graded.")


def test_cell_source(question: str, check: str, points: float, title: str) -> str:
    """An autograder cell: its points come from the engine (``autograder.platforms.nbgrader_engine``).

    The hidden body never runs in a kernel: ``nbgrader autograde`` with the generated
    configuration executes nothing and writes the engine's outcome as the cell's output.
    Run under another configuration, it fails, so the cell never scores without the engine.
    """
    return (
        test_cell_placeholder(points, title) + "\n"
        "### BEGIN HIDDEN TESTS\n"
        f"# {question}.{check}: graded by the initgrade engine outside the notebook (nbgrader_config.py).\n"
        "raise AssertionError(\"this check is recorded by the initgrade engine: run nbgrader autograde \"\n"
        "                     \"from the folder of the nbgrader_config.py that initgrade build wrote\")\n"
        "### END HIDDEN TESTS"
    )


def source_notebook(config: GradingConfig, release: bool = False):
    """nbgrader's source notebook; with ``release``, the notebook students get from it.

    The release is what ``nbgrader generate_assignment`` makes of the source (stubs in
    the graded cells, hidden checks reduced to their one-line comment), built from the
    kit's student notebook so its graded cells are the kit's own stubs.
    """
    from autograder.authoring.notebook import build_notebook
    from autograder.rubric import check_title

    solved = build_notebook("student", solutions_text()) if release else solved_notebook()
    check_notebook_matches(solved, config)
    cells = []
    pending: str | None = None  # question whose tests still have to be placed

    def place_tests(q: str) -> None:
        for check, points in config.questions[q].checks.items():
            title = check_title(q, check)
            cell = v4.new_code_cell(test_cell_placeholder(points, title) if release
                                    else test_cell_source(q, check, points, title))
            grade_id = nbgrader_grade_id(q, check)
            cell["id"] = f"test-{grade_id}"
            cell.metadata["nbgrader"] = _nbgrader_meta(grade_id, grade=True, locked=True, points=points)
            cell.metadata["tags"] = ["hidden-check"]
            cells.append(cell)

    for cell in solved.cells:
        cell = clean_cell(cell)
        q, checked = graded_question(cell), check_question(cell)
        if pending is not None and checked != pending:
            place_tests(pending)
            pending = None
        if q is not None:
            if not release:
                cell["source"] = nbgrader_solution_source(cell.source, config.questions[q].function)
            cell.metadata["nbgrader"] = _nbgrader_meta(f"{q}-solution", solution=True)
            pending = q
        elif checked is not None:
            cell.metadata["nbgrader"] = _nbgrader_meta(f"{checked}-public-check", locked=True)
        cells.append(cell)
        if checked is not None and checked == pending:
            place_tests(pending)
            pending = None
    if pending is not None:
        place_tests(pending)
    nb = v4.new_notebook(cells=cells, metadata=dict(solved.metadata))
    nb.metadata.pop("initgrade", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def build_nbgrader(out: Path, config: GradingConfig) -> dict[str, Path]:
    out = Path(out)
    assignment = config.assignment
    if not re.fullmatch(r"[A-Za-z0-9_-]+", assignment):
        raise BuildError(f"assignment name {assignment!r} is not usable as an nbgrader assignment id")
    folder = out / "source" / assignment
    if folder.exists():
        shutil.rmtree(folder)
    notebook = write_notebook(folder / config.notebook, source_notebook(config))
    copy_tree(course_path("public_tests"), folder / "public_tests", suffixes=(".py",))
    write_text(out / "nbgrader_config.py", render_template(
        "nbgrader/nbgrader_config.py.j2", assignment=assignment, course=assignment, notebook=config.notebook,
        probe_seconds=config.limits.probe_seconds))
    per_question = ", ".join(f"{q} {config.max_points(q):g}" for q in config.questions)
    write_text(out / "README.md", render_template("nbgrader/README.md.j2", title=config.title, assignment=assignment,
                                                  notebook=config.notebook, points=config.max_points(),
                                                  per_question=per_question))
    return {"config": out / "nbgrader_config.py", "notebook": notebook}
