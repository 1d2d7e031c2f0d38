"""The engine's grade of one submitted file, per check, for graders that record it (nbgrader, otter).

nbgrader and otter would otherwise score a notebook by running hidden checks in the
student's own kernel, where the notebook can replace the checks, read the solutions
or write the grader's files. Their generated configurations instead call
:func:`grade_file` from the tool's own process, on the submitted file, before any
kernel starts: it runs ``initgrade grade`` (the sandboxed engine) in a subprocess
through :func:`autograder.platforms.upload.grade_upload` and turns the engine's
``results.json`` into one :class:`CheckRecord` per check of grading.yaml. The tool
then stores those points and messages as its own.

Every failure is a grade of zero that says why (:attr:`EngineGrades.error`): an engine
that could not run, a result that does not name exactly grading.yaml's checks, or a
check the engine did not report. The messages hold student text (exception text,
printed output); :func:`autograder.base.escape.visible` writes out invisible and
display-changing characters so they cannot restyle or hide what the tool shows.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder.base.escape import visible
from autograder.base.statuses import GRADED
from autograder.limits import ENGINE_LOG_TAIL_CHARS

# The otter plugin's import path, as the otter build names it (building needs no otter installed).
OTTER_PLUGIN = "autograder.platforms.otter_plugin.EngineGrades"


def nbgrader_grade_id(question: str, check: str) -> str:
    """nbgrader's ``grade_id`` of the autograder cell of one check (build and autograde agree on it)."""
    return f"{question}-{check}".replace("_", "-")


@dataclass(frozen=True)
class CheckRecord:
    """One check's outcome as the engine gave it."""

    question: str
    check: str
    score: float
    max_score: float
    passed: bool
    message: str

    def describe(self, title: str) -> str:
        """What a student reads about this check: outcome, points, the engine's feedback."""
        verdict = "passed" if self.passed else "not passed"
        head = (f"{title}: {verdict}, {self.score:g} / {self.max_score:g} points "
                "(graded by the initgrade engine, outside the notebook)")
        return head + ("\n" + self.message if self.message and self.message != "passed" else "")


@dataclass(frozen=True)
class EngineGrades:
    """The engine's grade of one file: every check of grading.yaml, or the reason there is none."""

    checks: dict[tuple[str, str], CheckRecord] = field(default_factory=dict)
    error: str = ""  # why the engine gave no usable grade ("" when it graded)
    summary: str = ""  # the engine's overall feedback text (score, isolation, likely mistakes)
    isolation: str = ""
    log: str = ""  # when it gave no grade: the end of the engine's own output, for the instructor's log

    def record(self, question: str, check: str, max_score: float) -> CheckRecord:
        """The check's record; a failed, zero-point one that says why when the engine has none."""
        found = self.checks.get((question, check))
        if found is not None:
            return found
        reason = self.error or "the grader did not report this check; please tell your instructor"
        return CheckRecord(question, check, 0.0, max_score, False, f"Not graded: {reason}")


def failed(reason: str) -> EngineGrades:
    """No grade: every check scores zero with ``reason``."""
    return EngineGrades(error=reason, summary=f"Your submission could not be graded: {reason}")


def from_results(data: object, expected: dict[tuple[str, str], float]) -> EngineGrades:
    """Read the engine's ``results.json`` (Gradescope's format, ``extra_data.checks`` naming each test).

    ``expected`` maps each (question, check) of grading.yaml to its points: a result that
    names other checks, other points, or scores outside ``[0, points]`` is refused.
    """
    if not isinstance(data, dict):
        return failed("the grader's result is not readable; please tell your instructor")
    found = data.get("extra_data")
    extra: dict = found if isinstance(found, dict) else {}
    summary = visible(data.get("output", "")) if isinstance(data.get("output"), str) else ""
    isolation = str(extra.get("isolation") or "")
    if extra.get("status") != GRADED:
        reason = extra.get("error") or "the grader could not grade this submission"
        return EngineGrades(error=visible(str(reason)), summary=summary, isolation=isolation)
    tests, names = data.get("tests"), extra.get("checks")
    if not isinstance(tests, list) or not isinstance(names, list) or len(tests) != len(names):
        return failed("the grader's result lists no checks; please tell your instructor")
    checks: dict[tuple[str, str], CheckRecord] = {}
    for test, name in zip(tests, names):
        if not (isinstance(test, dict) and isinstance(name, list) and len(name) == 2):
            return failed("the grader's result is malformed; please tell your instructor")
        key = (str(name[0]), str(name[1]))
        score, top = test.get("score"), test.get("max_score")
        if key not in expected or key in checks or not isinstance(score, (int, float)) \
                or isinstance(score, bool) or top != expected[key] or not 0 <= score <= top:
            return failed(f"the grader's result does not match grading.yaml at {key[0]}.{key[1]} "
                          "(built from another configuration?); please tell your instructor")
        checks[key] = CheckRecord(key[0], key[1], float(score), float(top), test.get("status") == "passed",
                                  visible(str(test.get("output") or "")))
    if set(checks) != set(expected):
        missing = ", ".join(f"{q}.{c}" for q, c in sorted(set(expected) - set(checks)))
        return failed(f"the grader did not report {missing}; please tell your instructor")
    return EngineGrades(checks=checks, summary=summary, isolation=isolation)


def expected_checks() -> dict[tuple[str, str], float]:
    """Every (question, check) of the pinned grading.yaml, with its points."""
    from autograder.config import load_config
    from autograder.platforms.upload import pinned_config

    config = load_config(pinned_config())
    return {(q, c): float(p) for q, question in config.questions.items() for c, p in question.checks.items()}


def grade_file(path: Path, secrets: Sequence[Path] = ()) -> EngineGrades:
    """Grade the file at ``path`` with ``initgrade grade`` (sandboxed, in a subprocess); ``secrets``: the
    platform's folders no sandbox may read (nbgrader's course folder). When the engine gave no grade,
    ``log`` holds the end of what it said (a refusal names the folder to close): the instructor's to read,
    never the student's."""
    from autograder.config import ConfigError
    from autograder.platforms.upload import grade_upload

    try:
        expected = expected_checks()
    except ConfigError as exc:
        return failed(f"the grading configuration cannot be read ({exc}); please tell your instructor")
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="initgrade-log-") as folder:
        said = Path(folder) / "engine.log"
        grades = from_results(grade_upload(path.parent, explicit=path.name, secrets=secrets, log=said), expected)
        if grades.error and said.is_file():
            tail = said.read_text(encoding="utf-8", errors="replace")[-ENGINE_LOG_TAIL_CHARS:]
            grades = dataclasses.replace(grades, log=visible(tail))
    return grades
