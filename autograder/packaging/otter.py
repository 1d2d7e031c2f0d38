"""``initgrade build otter``: an otter-grader master notebook built from grading.yaml.

The master notebook is the solved notebook in otter-grader's assignment format
(otter-grader 7; format checked against its ``otter.assign`` sources):

* a raw ``# ASSIGNMENT CONFIG`` cell: exception-based tests (``tests.ok_format:
  false``) kept in the notebook metadata (``tests.files: false``), no otter
  init/check/export cells (students need no otter installed), ``public_tests/``
  shipped with the autograder;
* per question of grading.yaml: raw ``# BEGIN QUESTION`` (``name``), ``# BEGIN
  SOLUTION`` around the graded cell, ``# BEGIN TESTS`` with one hidden test cell
  per check (``points`` from grading.yaml), then the ``# END ...`` cells.

In the graded cell the kit's fence ``# BEGIN SOLUTION`` becomes ``# BEGIN SOLUTION
NO PROMPT`` and is followed by an in-cell ``# BEGIN PROMPT`` string holding the
kit's own placeholder, so ``otter assign`` gives students exactly the stub of the
kit's student notebook (``# YOUR CODE HERE`` + ``raise NotImplementedError``).

The assignment config names the kit's otter plugin
(:mod:`autograder.platforms.otter_plugin`): ``otter run`` grades the submitted file with
the kit's sandboxed engine, runs none of the submission in its kernel, and records the
engine's outcome for every test and the engine's points per question. The tests
themselves only fail (they never pass without the plugin).

Then: ``otter assign initialization.ipynb dist`` writes ``dist/student/`` (the
notebook for students) and ``dist/autograder/`` (the autograder zip, usable with
``otter run -a <zip> <submission.ipynb>``).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from nbformat import v4

from autograder.config import GradingConfig
from autograder.packaging.common import (
    check_notebook_matches,
    clean_cell,
    copy_tree,
    graded_question,
    placeholder_for,
    refence_solution,
    render_template,
    solved_notebook,
    write_notebook,
    write_text,
)
from autograder.platforms.engine_record import OTTER_PLUGIN


def assignment_config(config: GradingConfig) -> dict:
    return {
        "name": config.assignment,
        "requirements": "requirements.txt",
        "init_cell": False,
        "check_all_cell": False,
        "export_cell": False,
        "run_tests": True,
        "files": ["public_tests"],
        "tests": {"files": False, "ok_format": False},
        "generate": {"show_hidden": True, "pdf": False, "filtering": False},
        "plugins": [OTTER_PLUGIN],
    }


def _raw(text: str, cell_id: str):
    cell = v4.new_raw_cell(text)
    cell["id"] = cell_id
    return cell


def otter_solution_source(config: GradingConfig, source: str, function: str) -> str:
    """The graded cell's code with otter's fences: the kit's stub as the in-cell prompt."""
    placeholder = placeholder_for(config, function)

    def end(line: str, indent: str) -> list[str]:
        return [line, f'{indent}""" # BEGIN PROMPT', *(indent + p for p in placeholder), f'{indent}""" # END PROMPT']

    return refence_solution(source, function, begin=lambda indent: [f"{indent}# BEGIN SOLUTION NO PROMPT"], end=end,
                            forbidden=("# SOLUTION", "# SEED", "# IGNORE"), tool="otter directive")


def test_cell_source(question: str, check: str, points: float) -> str:
    """A hidden otter test of one check: its outcome comes from the engine (the plugin), never the kernel."""
    config = yaml.safe_dump({"points": points, "hidden": True}, sort_keys=True).strip()
    return (
        '""" # BEGIN TEST CONFIG\n'
        f"{config}\n"
        '""" # END TEST CONFIG\n'
        f"def test_{question}_{check}(env):\n"
        f"    # {question}.{check}: graded by the initgrade engine outside the notebook; the plugin\n"
        "    # records its outcome. Run without the plugin, the test fails rather than pass unchecked.\n"
        "    raise AssertionError(\"this check is recorded by the initgrade engine plugin \"\n"
        f"                         \"({OTTER_PLUGIN}), which did not run\")\n"
    )


def master_notebook(config: GradingConfig):
    solved = solved_notebook(config)
    check_notebook_matches(solved, config)
    header = "# ASSIGNMENT CONFIG\n" + yaml.safe_dump(assignment_config(config), sort_keys=False).strip()
    cells = [_raw(header, "otter-assignment-config")]
    for cell in solved.cells:
        q = graded_question(cell)
        if q is None:
            cells.append(clean_cell(cell))
            continue
        question = config.questions[q]
        graded = clean_cell(cell)
        graded["source"] = otter_solution_source(config, cell.source, question.function)
        question_config = yaml.safe_dump({"name": q, "check_cell": False}, sort_keys=False).strip()
        cells.append(_raw("# BEGIN QUESTION\n" + question_config, f"otter-{q}-begin-question"))
        cells.append(_raw("# BEGIN SOLUTION", f"otter-{q}-begin-solution"))
        cells.append(graded)
        cells.append(_raw("# END SOLUTION", f"otter-{q}-end-solution"))
        cells.append(_raw("# BEGIN TESTS", f"otter-{q}-begin-tests"))
        for check, points in question.checks.items():
            test = v4.new_code_cell(test_cell_source(q, check, points))
            test["id"] = f"otter-{q}-test-{check}".replace("_", "-")
            cells.append(test)
        cells.append(_raw("# END TESTS", f"otter-{q}-end-tests"))
        cells.append(_raw("# END QUESTION", f"otter-{q}-end-question"))
    nb = v4.new_notebook(cells=cells, metadata=dict(solved.metadata))
    nb.metadata.pop("initgrade", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def build_otter(out: Path, config: GradingConfig) -> dict[str, Path]:
    """Write the master notebook, public_tests/, requirements.txt and a README into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    master = write_notebook(out / config.notebook, master_notebook(config))
    public = out / "public_tests"
    if public.exists():
        import shutil

        shutil.rmtree(public)
    copy_tree(config.course_path("public_tests"), public, suffixes=(".py",))
    write_text(out / "requirements.txt", render_template("otter/requirements.txt.j2"))
    per_question = ", ".join(f"{q} {config.max_points(q):g}" for q in config.questions)
    write_text(out / "README.md", render_template("otter/README.md.j2", title=config.title, notebook=config.notebook,
                                                  points=config.max_points(), per_question=per_question))
    return {"master": master, "public_tests": public}
