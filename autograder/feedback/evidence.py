"""Collect, while a submission is graded, the plain data its feedback pictures need.

Runs in the grading process (a batch worker) right after the checks, while the
sandbox is still open, and returns plain data (numbers, lists, small float32
arrays) that travels back with the SubmissionResult:

``weights[question]``
    for a failed random/he/deep question: the student's weights for one mid-size
    call (``EVIDENCE_CASE``, memoised by the seeded-values check when it failed)
    and, per matrix, the standard deviation the expected distribution has.
``zeros[question]``
    for a failed zeros question: the initial weight matrices of the training call
    and, when the model was trained, whether each hidden layer's rows were still
    identical afterwards.
``training[question]``
    for every training a check ran: the student's cost curve and the reference's,
    the latter fetched from the trainer's cache only (never trained here).

Nothing here may fail a grading: any error leaves the evidence out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from autograder.rubric.common import EVIDENCE_CASE, EVIDENCE_RANDOM_SCALE, call_text


@dataclass
class Run:
    question: str | None
    check: str | None
    training: str
    function: str
    args: tuple
    outcome: object


class TrainingLog:
    """The trainer the checks of one submission see: the real one, plus a record of
    every training a check asked for (which call's parameters, which outcome)."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.runs: list[Run] = []
        self.current: tuple[str | None, str | None] = (None, None)

    def begin(self, question: str, check: str) -> None:
        self.current = (question, check)

    def outcome(self, training: str, params):
        return self.trainer.outcome(training, params)

    def record_run(self, training: str, function: str, args: tuple, outcome) -> None:
        self.runs.append(Run(self.current[0], self.current[1], training, function, tuple(args), outcome))

    def __getattr__(self, name):  # layers(), data(), config, cache_dir, trainings_run...
        return getattr(self.trainer, name)


def cached_outcome(trainer, training: str, params: dict):
    """The trainer's outcome for these parameters if it is cached (memory or disk), else None."""
    return getattr(trainer, "trainer", trainer).cached(training, params)


def expected_std(question: str, n_in: int, extra: tuple) -> float:
    """The standard deviation ``question``'s weights are drawn with, in a layer of fan-in ``n_in``."""
    if question == "random":
        return float(extra[0]) if extra else 0.01
    if question == "he":
        return math.sqrt(2.0 / n_in)
    return 1.0 / math.sqrt(n_in)


def _outcome_data(o) -> dict | None:
    if o is None:
        return None
    return {"costs": [float(c) for c in o.costs], "record_every": int(o.record_every),
            "train_accuracy": float(o.train_accuracy), "test_accuracy": float(o.test_accuracy),
            "final_cost": float(o.final_cost),
            "hidden_rows_identical": [bool(x) for x in o.hidden_rows_identical]}


def _weights(student, function: str, question: str) -> dict:
    dims = list(EVIDENCE_CASE)
    extra = (EVIDENCE_RANDOM_SCALE,) if question == "random" else ()
    text = f"{function}({', '.join(repr(a) for a in (dims, *extra))})"
    try:
        r = student.call(function, dims, *extra)
    except AssertionError as exc:
        return {"call": text, "error": str(exc), "layers": []}
    layers = []
    for l in range(1, len(dims)):
        w = r.arrays.get(f"W{l}")
        layers.append({
            "key": f"W{l}",
            "expected_shape": [dims[l], dims[l - 1]],
            "shape": list(w.shape) if w is not None else None,
            "values": None if w is None else np.asarray(w, dtype=np.float32).ravel(),
            "expected_std": expected_std(question, dims[l - 1], extra),
        })
    return {"call": call_text(r), "layers": layers}


def _zeros(student, function: str, runs: list[Run], trainer, config) -> dict:
    run = runs[0] if runs else None
    if run is not None:
        dims = list(run.args[0])
    else:
        threshold = config.thresholds.get("zeros")
        dims = trainer.layers(threshold.training) if threshold else list(EVIDENCE_CASE)
    try:
        r = student.call(function, dims)
    except AssertionError as exc:
        return {"call": f"{function}({dims})", "error": str(exc), "matrices": []}
    outcome = _outcome_data(run.outcome) if run is not None else None
    identical = outcome["hidden_rows_identical"] if outcome is not None else None
    matrices = []
    for l in range(1, len(dims) - 1):  # hidden layers: one row per hidden unit
        w = r.arrays.get(f"W{l}")
        if w is None or w.ndim != 2:
            continue
        rows_same = bool(np.all(w == w[0:1, :])) if w.size else True
        matrices.append({"key": f"W{l}", "values": np.asarray(w, dtype=np.float32), "rows_identical": rows_same,
                         "after_training_identical": identical[l - 1] if identical and l - 1 < len(identical)
                         else None})
    return {"call": call_text(r), "matrices": matrices, "trained": run is not None}


def _training(run: Run, grader) -> dict:
    ref = None
    same = False
    ref_fn = grader.reference.get(run.function)
    if ref_fn is not None:
        try:
            with np.errstate(all="ignore"):
                params = ref_fn(list(run.args[0]), *run.args[1:])
            ref = cached_outcome(grader.trainer, run.training, params)
            same = ref is not None and ref == run.outcome
        except Exception:  # noqa: BLE001 - no reference run, no comparison: the picture shows the rest
            ref = None
    label = ""
    if run.question == "random":
        label = f"scale = {run.args[1]:g}" if len(run.args) > 1 else "scale = 0.01 (default)"
    text = f"{run.function}({', '.join(repr(a) for a in run.args)})"
    return {"check": run.check, "training": run.training, "call": text, "label": label,
            "student": _outcome_data(run.outcome), "reference": _outcome_data(ref), "same_as_reference": same}


def gather_evidence(grader, student, checks, log: TrainingLog) -> dict:
    """Plain data for the pictures of one submission (see the module docstring); {} on any error."""
    try:
        config = grader.config
        failed = {c.question for c in checks if not c.passed}
        ev: dict = {"weights": {}, "zeros": {}, "training": {}}
        for q, question in config.questions.items():
            runs = [r for r in log.runs if r.question == q]
            if q in failed and q in ("random", "he", "deep"):
                ev["weights"][q] = _weights(student, question.function, q)
            if q in failed and q == "zeros":
                ev["zeros"][q] = _zeros(student, question.function, runs, grader.trainer, config)
            if runs:
                ev["training"][q] = [_training(r, grader) for r in runs]
        return ev
    except Exception:  # noqa: BLE001 - pictures are a bonus, never a reason to lose a grade
        return {}
