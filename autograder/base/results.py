"""What grading one submission produces, as typed records: its checks and the diagnoses behind
them, the grader's work, the pictures' evidence and the submission's result.

The ground floor: the engine fills these records; reports, JUnit, feedback pages, the class
summary, merge and the semester read them (never by duck typing). A status is one of
autograder.statuses. Nothing here runs a check or reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from autograder import __version__

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Diagnosis:
    """One explanation of a failed check.

    code -- stable id (a key of autograder.diagnose.findings.CODES), for instructors and scripts: a student
            reads the title
    title -- short, for a class summary
    message -- for the student: what was found, with numbers, the likely mistake,
               and what to change
    notebook_section -- one of autograder.diagnose.findings.SECTIONS
    confidence -- "high" (exact evidence) or "medium" (statistical or partial)
    partial_credit_eligible -- True only for the right distribution drawn with the
               wrong seeding or order
    """

    code: str
    title: str
    message: str
    notebook_section: str
    confidence: str
    partial_credit_eligible: bool = False


class Resumable(Protocol):
    """What a submission waiting on queued trainings carries to its second pass: the answers its calls
    gave (the engine fills them in) and the gradient steps already trained for it. The training room's
    Carried is the one kind; the ground floor names only what the engine reads and writes of it."""

    memo: dict
    held_bytes: int
    hung: dict
    fatal: dict
    iterations: int
    waits_for: set  # the keys of the trainings it queued (a batch grades first those not run elsewhere)
    # What grades the second pass without a sandbox when every call it makes has a saved answer.
    submission: Any
    load: Any
    planned: dict
    fresh: dict
    fresh_bytes: int
    output: list[str]


@dataclass
class CheckResult:
    question: str
    check: str
    name: str
    score: float
    max_score: float
    passed: bool
    message: str = ""
    # The diagnoses behind a failure (autograder.diagnose), most likely first.
    diagnoses: list[Diagnosis] = field(default_factory=list)
    # A call error behind the failure, without the call's arguments (told once per submission).
    cause: str = ""

    @property
    def partial(self) -> bool:
        """Failed, but with partial credit."""
        return not self.passed and self.score > 0


@dataclass
class Work:
    """The grader's own work for one submission, counted (never seconds of wall clock): trainings
    started and their gradient steps, and the bytes of returned arrays held (the bounds of
    grading.yaml). Not persisted."""

    trainings: int = 0
    training_iterations: int = 0
    training_cpu_seconds: float = 0.0
    reply_bytes_held: int = 0
    sandbox_exchanges: int = 0


# The pictures' data (autograder.evidence gathers it, autograder.feedback draws it): plain numbers,
# lists and small float32 arrays, as typed dictionaries (the figures index them by key).


class OutcomeData(TypedDict):
    """A training's outcome as the cost-curve picture needs it (autograder.training.Outcome)."""

    costs: list[float]
    record_every: int
    train_accuracy: float
    test_accuracy: float
    final_cost: float
    hidden_rows_identical: list[bool]


class LayerEvidence(TypedDict):
    key: str  # "W1"
    expected_shape: list[int]
    shape: list[int] | None  # None: missing or not an array
    values: np.ndarray | None  # float32, flattened
    expected_std: float


class _Weights(TypedDict):
    call: str
    layers: list[LayerEvidence]


class WeightsEvidence(_Weights, total=False):
    """A failed random/he/deep question: the student's weights for one mid-size call."""

    error: str  # the call failed: why (no layers then)


class MatrixEvidence(TypedDict):
    key: str
    values: np.ndarray  # float32, one row per hidden unit
    rows_identical: bool
    after_training_identical: bool | None  # None: not trained


class _Zeros(TypedDict):
    call: str
    matrices: list[MatrixEvidence]


class ZerosEvidence(_Zeros, total=False):
    """A failed zeros question: the hidden layers' initial weight matrices."""

    trained: bool
    error: str


class TrainingEvidence(TypedDict):
    """One training a check ran: the student's cost curve and the reference's (cached only)."""

    check: str | None
    training: str
    call: str
    label: str
    student: OutcomeData | None
    reference: OutcomeData | None
    same_as_reference: bool


@dataclass
class Evidence:
    """Plain data for the feedback pictures of one submission, by question; not persisted."""

    weights: dict[str, WeightsEvidence] = field(default_factory=dict)
    zeros: dict[str, ZerosEvidence] = field(default_factory=dict)
    training: dict[str, list[TrainingEvidence]] = field(default_factory=dict)


@dataclass
class SubmissionResult:
    id: str  # safe everywhere (autograder.base.ids); the folder of its reports
    path: str
    status: str  # one of autograder.base.statuses
    checks: list[CheckResult] = field(default_factory=list)
    error: str = ""
    load_messages: list[str] = field(default_factory=list)
    # What the grader left out, in one line, when no graded function needed it (else in load_messages).
    load_note: str = ""
    # Statements that failed while loading, left out of the student's view at a full score (they
    # did not matter): kept for the instructor (results.json extra_data), so a submission that
    # exits or raises while loading is still on record.
    load_errors_folded: list[str] = field(default_factory=list)
    output: str = ""
    kind: str = ""
    digest: str = ""
    isolation: str = ""
    # Whether Landlock confined the sandbox's files (the fallback levels); None with namespaces.
    landlock: bool | None = None
    seconds: float = 0.0
    probes: int = 0
    call_reuse: str = ""  # "on" or "off: <why>" (autograder.sandbox.call_reuse_mode)
    grader_version: str = __version__
    # The file or folder name as submitted (autograder.ids.display_name): what the id stands for.
    name: str = ""
    # The file graded (relative to the submitted folder or zip) and why (autograder.intake.work).
    graded_file: str = ""
    graded_because: str = ""
    # Plain data for the feedback pictures; not persisted.
    evidence: Evidence = field(default_factory=Evidence)
    # The grader's work for this submission; None when its checks never ran (not read, not loaded).
    work: Work | None = None
    # Set when a check's training was queued (autograder.training.queue): the result is not
    # final; grade the submission again with ``resume=`` this once the queue is trained.
    waiting: Resumable | None = None

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


def check_from_test(question: str, check: str, test: Mapping[str, Any]) -> CheckResult:
    """One check read back from a results.json the kit wrote (``tests[i]`` with ``extra_data.checks[i]``):
    its message is the test's output when it failed (student text, read as data)."""
    passed = test["status"] == "passed"
    return CheckResult(str(question), str(check), str(test["name"]), float(test["score"]), float(test["max_score"]),
                       passed, "" if passed else str(test.get("output", "")))
