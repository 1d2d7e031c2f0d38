"""Grade one submission: intake, sandbox, hidden tests, scores.

The flow never lets one failure end the grading: a submission that cannot be read
gets status ``error`` with the reason; one that loads but whose functions fail
gets every check it truly passed. Student code runs only inside the sandbox; the
checks, trainings and scores run here on plain data.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import __version__
from autograder.config import GradingConfig
from autograder.hidden_tests import check_title, collect_checks
from autograder.intake import IntakeError, Submission, load_submission
from autograder.probes import ProbeFailure, SandboxStudent
from autograder.reference import reference_functions
from autograder.sandbox.hiding import hide_paths
from autograder.sandbox.runner import Sandbox, SandboxError, detect_isolation
from autograder.training import Trainer


@dataclass
class CheckResult:
    question: str
    check: str
    name: str
    score: float
    max_score: float
    passed: bool
    message: str = ""


@dataclass
class SubmissionResult:
    id: str
    path: str
    status: str  # graded | error
    checks: list[CheckResult] = field(default_factory=list)
    error: str = ""
    load_messages: list[str] = field(default_factory=list)
    output: str = ""
    kind: str = ""
    digest: str = ""
    isolation: str = ""
    seconds: float = 0.0
    probes: int = 0
    grader_version: str = __version__

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)

    def question_scores(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for c in self.checks:
            out[c.question] = out.get(c.question, 0.0) + c.score
        return out


class Grader:
    """Grades submissions against one grading configuration; reusable across a batch."""

    def __init__(self, config: GradingConfig, trainer: Trainer | None = None, hide_extra: list = ()):
        self.config = config
        self.checks = collect_checks(config)
        self.trainer = trainer or Trainer(config)
        self.reference = reference_functions(config.functions)
        self.hide = hide_paths(list(hide_extra))
        self.isolation = detect_isolation()

    def _zero_checks(self, message: str) -> list[CheckResult]:
        return [CheckResult(q, c, check_title(q, c), 0.0, float(self.config.questions[q].checks[c]), False, message)
                for (q, c) in self.checks]

    def grade(self, path: Path, submission: Submission | None = None) -> SubmissionResult:
        t0 = time.monotonic()
        path = Path(path)
        result = SubmissionResult(id=path.stem if path.is_file() else path.name, path=str(path), status="graded",
                                  isolation=self.isolation.level)
        try:
            sub = submission or load_submission(path, self.config.limits.submission_mb << 20)
        except (IntakeError, OSError) as exc:
            result.status, result.error = "error", str(exc)
            result.checks = self._zero_checks(f"the submission could not be read: {exc}")
            result.seconds = time.monotonic() - t0
            return result
        result.kind, result.digest = sub.kind, sub.digest
        sandbox = Sandbox(sub.chunks, sub.files, self.config.functions, self.config.limits, self.hide,
                          self.config.sandbox.stub_modules, self.isolation)
        try:
            try:
                load = sandbox.start()
            except SandboxError as exc:
                result.status, result.error = "error", str(exc)
                result.checks = self._zero_checks(str(exc))
                return result
            result.load_messages = load.messages
            student = SandboxStudent(sandbox)
            result.checks = [self._run_check(q, c, fn, student) for (q, c), fn in self.checks.items()]
            result.probes = student.calls_made
        finally:
            sandbox.close()
            result.output = sandbox.output()
            result.seconds = time.monotonic() - t0
        return result

    def _run_check(self, question: str, check: str, fn, student) -> CheckResult:
        points = float(self.config.questions[question].checks[check])
        fixtures = {"student": student, "reference": self.reference, "trainer": self.trainer, "config": self.config}
        kwargs = {name: fixtures[name] for name in inspect.signature(fn).parameters}
        name = check_title(question, check)
        try:
            fn(**kwargs)
        except ProbeFailure as exc:
            return CheckResult(question, check, name, 0.0, points, False, str(exc))
        except AssertionError as exc:
            return CheckResult(question, check, name, 0.0, points, False, str(exc) or "check failed")
        except Exception as exc:  # noqa: BLE001 - a bug in a check must not sink the batch
            return CheckResult(question, check, name, 0.0, points, False,
                               f"the grader could not run this check ({type(exc).__name__}: {exc}); "
                               "please tell your instructor")
        return CheckResult(question, check, name, points, points, True, "")
