"""Collect, while a submission is graded, the plain data its feedback pictures need.

Beside the engine, which calls it in the grading process (a batch worker) right after
the checks, while the sandbox is still open; autograder.feedback only draws what it
returns. An ``Evidence`` record (autograder.base.results) of plain data (numbers, lists,
small float32 arrays) that travels back with the SubmissionResult:

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
from collections.abc import Sequence

import numpy as np

from autograder.base.results import (
    CheckResult,
    Evidence,
    LayerEvidence,
    MatrixEvidence,
    OutcomeData,
    TrainingEvidence,
    WeightsEvidence,
    ZerosEvidence,
)
from autograder.config import GradingConfig
from autograder.rubric.common import EVIDENCE_CASE, EVIDENCE_RANDOM_SCALE, call_text
from autograder.sandbox.probes import Student
from autograder.training.submission_trainer import Run
from autograder.training.trainer import Outcome, Trainer


def expected_std(question: str, n_in: int, extra: tuple) -> float:
    """The standard deviation ``question``'s weights are drawn with, in a layer of fan-in ``n_in``."""
    if question == "random":
        return float(extra[0]) if extra else 0.01
    if question == "he":
        return math.sqrt(2.0 / n_in)
    return 1.0 / math.sqrt(n_in)


def _outcome_data(o: Outcome | None) -> OutcomeData | None:
    if o is None:
        return None
    return {"costs": [float(c) for c in o.costs], "record_every": int(o.record_every),
            "train_accuracy": float(o.train_accuracy), "test_accuracy": float(o.test_accuracy),
            "final_cost": float(o.final_cost),
            "hidden_rows_identical": [bool(x) for x in o.hidden_rows_identical]}


def _weights_call(function: str, question: str) -> tuple[list[int], tuple]:
    """The arguments of the call whose weights the picture of a failed question shows."""
    return list(EVIDENCE_CASE), (EVIDENCE_RANDOM_SCALE,) if question == "random" else ()


def _zeros_dims(runs: list[Run], trainer: Trainer, config: GradingConfig) -> list[int]:
    """The layer sizes of the zeros picture's call: its first training's, else the threshold's."""
    if runs:
        return list(runs[0].args[0])
    threshold = config.thresholds.get("zeros")
    return trainer.layers(threshold.training) if threshold else list(EVIDENCE_CASE)


def evidence_calls(config: GradingConfig, trainer: Trainer, failed: set[str],
                   runs: Sequence[Run]) -> list[tuple[str, tuple, bool]]:
    """The calls ``gather_evidence`` makes for the questions in ``failed`` (once their checks
    have all run), as (function, args, as_tuple): asked in the same round as other late calls."""
    calls: list[tuple[str, tuple, bool]] = []
    for q in sorted(failed):
        question = config.questions.get(q)
        if question is None:
            continue
        if q in ("random", "he", "deep"):
            dims, extra = _weights_call(question.function, q)
            calls.append((question.function, (dims, *extra), False))
        elif q == "zeros":
            dims = _zeros_dims([r for r in runs if r.question == q], trainer, config)
            calls.append((question.function, (dims,), False))
    return calls


def _weights(student: Student, function: str, question: str) -> WeightsEvidence:
    dims, extra = _weights_call(function, question)
    text = f"{function}({', '.join(repr(a) for a in (dims, *extra))})"
    try:
        r = student.call(function, dims, *extra)
    except AssertionError as exc:
        return {"call": text, "error": str(exc), "layers": []}
    layers: list[LayerEvidence] = []
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


def _zeros(student: Student, function: str, runs: list[Run], trainer: Trainer,
           config: GradingConfig) -> ZerosEvidence:
    run = runs[0] if runs else None
    dims = _zeros_dims(runs, trainer, config)
    try:
        r = student.call(function, dims)
    except AssertionError as exc:
        return {"call": f"{function}({dims})", "error": str(exc), "matrices": []}
    outcome = _outcome_data(run.outcome) if run is not None else None
    identical = outcome["hidden_rows_identical"] if outcome is not None else None
    matrices: list[MatrixEvidence] = []
    for l in range(1, len(dims) - 1):  # hidden layers: one row per hidden unit
        w = r.arrays.get(f"W{l}")
        if w is None or w.ndim != 2:
            continue
        rows_same = bool(np.all(w == w[0:1, :])) if w.size else True
        matrices.append({"key": f"W{l}", "values": np.asarray(w, dtype=np.float32), "rows_identical": rows_same,
                         "after_training_identical": identical[l - 1] if identical and l - 1 < len(identical)
                         else None})
    return {"call": call_text(r), "matrices": matrices, "trained": run is not None}


def _training(run: Run, reference: dict, trainer: Trainer) -> TrainingEvidence:
    ref = None
    same = False
    ref_fn = reference.get(run.function)
    if ref_fn is not None:
        try:
            with np.errstate(all="ignore"):
                params = ref_fn(list(run.args[0]), *run.args[1:])
            ref = trainer.cached(run.training, params)  # never trained here
            same = ref is not None and ref == run.outcome
        except Exception:  # noqa: BLE001 - no reference run, no comparison: the picture shows the rest
            ref = None
    label = ""
    if run.question == "random":
        label = f"scale = {run.args[1]:g}" if len(run.args) > 1 else "scale = 0.01 (default)"
    text = f"{run.function}({', '.join(repr(a) for a in run.args)})"
    return {"check": run.check, "training": run.training, "call": text, "label": label,
            "student": _outcome_data(run.outcome), "reference": _outcome_data(ref), "same_as_reference": same}


def gather_evidence(config: GradingConfig, reference: dict, trainer: Trainer, student: Student,
                    checks: Sequence[CheckResult], runs: Sequence[Run]) -> Evidence:
    """Plain data for the pictures of one submission (see the module docstring): ``runs`` are the
    trainings its checks asked for (autograder.training.submission_trainer); nothing on any error."""
    try:
        failed = {c.question for c in checks if not c.passed}
        ev = Evidence()
        for q, question in config.questions.items():
            runs_of_q = [r for r in runs if r.question == q]
            if q in failed and q in ("random", "he", "deep"):
                ev.weights[q] = _weights(student, question.function, q)
            if q in failed and q == "zeros":
                ev.zeros[q] = _zeros(student, question.function, runs_of_q, trainer, config)
            if runs_of_q:
                ev.training[q] = [_training(r, reference, trainer) for r in runs_of_q]
        return ev
    except Exception:  # noqa: BLE001 - pictures are a bonus, never a reason to lose a grade
        return Evidence()
