"""``initgrade build github``: GitHub Classroom workflows for student repositories.

A workflow in the student's repository runs under the student's control: they can
edit it, print any secret it is given and post any points. So the default workflow,
``OUT/.github/workflows/classroom.yml``, needs no secret at all: it runs the public
checks (``pytest public_tests``, which test the submitted notebook) with what the
student's repository already holds, and reports one Classroom point per check
(``public_tests/classroom_report.py``). Nothing secret exists for it to leak; its
points are a progress signal, and the grade comes from ``initgrade grade`` on the
final commits.

``OUT/optional/classroom-engine.yml`` is the engine workflow, for instructors who
accept its trade: it checks out the grader repository (this kit, with the reference
solutions and the rubric) with a token and grades with the sandboxed engine
(:mod:`autograder.platforms.classroom`). A student who edits it reads that
repository for as long as the token lives; see docs/platforms.md.
"""

from __future__ import annotations

from pathlib import Path

from autograder.config import GradingConfig
from autograder.packaging.common import render_template, write_text

PYTHON = "3.12"


def workflow_text(config: GradingConfig, python: str = PYTHON) -> str:
    """The default workflow: the public checks, no secret."""
    return render_template("github/classroom.yml.j2", title=config.title, python=python)


def engine_workflow_text(config: GradingConfig, python: str = PYTHON) -> str:
    """The optional workflow: the sandboxed engine, with a token to the grader repository."""
    from autograder.platforms import classroom

    return render_template("github/classroom-engine.yml.j2", title=config.title, points=config.max_points(),
                  python=python, entry=classroom.__name__)


def build_github(out: Path, config: GradingConfig) -> dict[str, Path]:
    path = write_text(Path(out) / ".github" / "workflows" / "classroom.yml", workflow_text(config))
    engine = write_text(Path(out) / "optional" / "classroom-engine.yml", engine_workflow_text(config))
    return {"workflow": path, "optional engine workflow (read its header)": engine}
