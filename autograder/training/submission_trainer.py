"""The one trainer a submission's checks see: the shared Trainer, this submission's budget, and a
record of every training a check asked for.

One type whatever the grading does with a training that is not cached (``how``):

``train``   train it now, within the submission's budget (a batch graded in one pass, a check
            run by ``initgrade check`` or pytest, where the budget is ``None``: no bound);
``queue``   queue it in the chunk's TrainingQueue and stop the check with TrainingDeferred (the
            first pass of a cold batch; autograder.training.queue);
``resume``  the second pass: train within the budget carried from the first, whose refusals
            are said again in the same words;
``plan``    leave every training out, cached or not (the engine's call plan, recorded on the
            reference before any training).

The runs it records (``runs``) are what the feedback's cost curves are drawn from
(autograder.evidence).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from autograder.config import GradingConfig
from autograder.training.trainer import Outcome, Trainer, TrainingBudget, TrainingLimit

if TYPE_CHECKING:
    from autograder.training.queue import TrainingQueue


class TrainingDeferred(Exception):
    """A training was queued; the check asking for it runs again once the queue is trained.

    Not an AssertionError, so no check mistakes it for a failure of the submission."""


@dataclass
class Carried:
    """What one submission's first pass leaves for its second: its training budget, the
    gradient steps trained for it, the trainings refused or stopped at a bound (by key), and
    its calls' answers (the student's memo, held bytes, functions that hung or ended the
    sandbox: the engine fills these), so the second pass sees the very answers the queued
    trainings were made from, even from a function that draws new numbers at every call.

    The engine also keeps what it needs to grade the second pass without a sandbox when every
    call it makes was answered in the first (autograder.engine): the submission as read, its
    load report, the planned and fresh answers no check used yet (raw, each still used at most
    once), and the sandbox's printed output; a call with no answer starts a sandbox then."""

    budget: TrainingBudget
    iterations: int = 0
    failures: dict[str, TrainingLimit] = field(default_factory=dict)
    memo: dict = field(default_factory=dict)
    held_bytes: int = 0
    hung: dict = field(default_factory=dict)
    fatal: dict = field(default_factory=dict)
    submission: Any = None  # autograder.intake.Submission, read once
    load: Any = None  # the first sandbox's LoadReport (autograder.sandbox.host.sandbox)
    planned: dict = field(default_factory=dict)
    fresh: dict = field(default_factory=dict)
    fresh_bytes: int = 0
    output: list[str] = field(default_factory=list)  # the first pass's sandbox output, raw pieces
    waits_for: set[str] = field(default_factory=set)  # keys of the trainings it queued (TrainingQueue.request)


@dataclass
class Run:
    """One training a check asked for: which check, which call's parameters, which outcome."""

    question: str | None
    check: str | None
    training: str
    function: str
    args: tuple
    outcome: Outcome


How = Literal["train", "queue", "resume", "plan"]


class SubmissionTrainer:
    """The trainer of one submission's checks (see the module docstring)."""

    def __init__(self, trainer: Trainer, how: How = "train", *, budget: TrainingBudget | None = None,
                 queue: TrainingQueue | None = None, carried: Carried | None = None):
        if (how == "queue") != (queue is not None) or (how == "resume") != (carried is not None):
            raise ValueError(f"a {how!r} trainer needs {'a queue' if how == 'queue' else 'what was carried'}")
        self.trainer = trainer
        self.how = how
        self.queue = queue
        self.budget = carried.budget if carried is not None else budget
        # What a first pass leaves for the second (a queueing trainer fills it; a resumed one reads it).
        self.carried = carried if carried is not None else (Carried(budget) if budget is not None else None)
        self.runs: list[Run] = []
        self.current: tuple[str | None, str | None] = (None, None)

    @classmethod
    def bounded(cls, trainer: Trainer) -> SubmissionTrainer:
        """Training now, within a fresh per-submission budget (grading.yaml's limits)."""
        return cls(trainer, budget=TrainingBudget.from_limits(trainer.config.limits))

    @property
    def config(self) -> GradingConfig:
        return self.trainer.config

    def layers(self, training: str) -> list[int]:
        return self.trainer.layers(training)

    def begin(self, question: str, check: str) -> None:
        """The check whose trainings are recorded from now on."""
        self.current = (question, check)

    def outcome(self, training: str, params: dict[str, np.ndarray]) -> Outcome:
        if self.how == "plan":
            raise TrainingDeferred(training)
        if self.queue is not None:
            return self.queue.request(training, params, self)
        if self.how == "resume" and self.carried is not None:
            failed = self.carried.failures.get(self.trainer.cache_key(training, params))
            if failed is not None:
                raise TrainingLimit(str(failed), failed.bound)
        return self.trainer.outcome(training, params, self.budget)

    def record_run(self, training: str, function: str, args: tuple, outcome: Outcome) -> None:
        self.runs.append(Run(self.current[0], self.current[1], training, function, tuple(args), outcome))
