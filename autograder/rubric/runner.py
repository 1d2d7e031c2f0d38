"""Run one check of the rubric, the one way every caller does: fixtures by parameter name, a typed outcome.

A check is a plain pytest-style function (autograder/rubric) whose parameters name the
fixtures it needs (``student``, ``reference``, ``trainer``, ``config``). What it does comes
back as one of four outcomes, never as an exception:

``Passed``   it returned;
``Partial``  it raised PartialCredit: nearly right, a fraction of its points (the caller caps
             it with grading.yaml's ``partial_credit``);
``Failed``   an AssertionError (a CheckFailure or ProbeFailure with the diagnoses and the call
             error behind it, a TrainingLimit, a plain assert): the submission's fault;
``Broken``   anything else: a bug in the check or the grader, never the student's.

TrainingDeferred (a queued training) is not an outcome: it goes through to the engine, which
runs the check again once the training is done. The engine, ``initgrade check`` (the reference
solutions), the reference warm-up and the in-kernel checks of older builds all run checks here.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from autograder.rubric.common import CheckFailure, PartialCredit
from autograder.sandbox.probes import ProbeFailure
from autograder.training.submission_trainer import TrainingDeferred

if TYPE_CHECKING:
    from autograder.diagnose.findings import Diagnosis


@dataclass(frozen=True)
class Passed:
    pass


@dataclass(frozen=True)
class Partial:
    fraction: float  # as the check asked, before grading.yaml's cap
    message: str
    diagnoses: list[Diagnosis] = field(default_factory=list)


@dataclass(frozen=True)
class Failed:
    message: str  # "" when the check raised without one
    diagnoses: list[Diagnosis] = field(default_factory=list)
    cause: str = ""  # the call error behind it, without the call's arguments


@dataclass(frozen=True)
class Broken:
    error: str  # "TypeError: ...": the grader's problem

    @property
    def message(self) -> str:
        """What the student reads: not their fault, and whom to tell."""
        return f"the grader could not run this check ({self.error}); please tell your instructor"


CheckOutcome = Passed | Partial | Failed | Broken


@functools.cache
def _parameters(test: Callable[..., object]) -> tuple[str, ...]:
    """The names of ``test``'s parameters, read once per check (not once per check and submission)."""
    return tuple(inspect.signature(test).parameters)


def run_check(test: Callable[..., object], fixtures: Mapping[str, object]) -> CheckOutcome:
    """Call ``test`` with the fixtures its parameters name; what happened, as an outcome."""
    kwargs = {name: fixtures[name] for name in _parameters(test)}
    try:
        test(**kwargs)
    except TrainingDeferred:
        raise  # not an outcome: the check runs again once its training is done
    except ProbeFailure as exc:
        return Failed(str(exc), list(exc.diagnoses), exc.cause)
    except PartialCredit as exc:
        return Partial(exc.fraction, str(exc) or "check failed", list(exc.diagnoses))
    except CheckFailure as exc:
        return Failed(str(exc) or "check failed", list(exc.diagnoses))
    except AssertionError as exc:
        return Failed(str(exc) or "check failed")
    except Exception as exc:  # noqa: BLE001 - a bug in a check must not sink the batch
        return Broken(f"{type(exc).__name__}: {exc}")
    return Passed()
