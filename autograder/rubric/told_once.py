"""What a submission's checks say, across checks: one problem told in full once, one cause named alike.

Each check runs on its own (autograder.rubric.runner) and words its own failure; the engine then
reads the checks of one submission together, before the feedback is written:

* a training check that cannot train for the problem a structure or types check of its question
  already told (a transposed W, an int dtype: the same finding with the training's sizes) points to
  that check (:func:`say_each_untrainable_once`);
* a check whose only diagnosis is the last resort ("values differ") takes the mistake another check
  of its question named with more evidence (:func:`prefer_the_named_mistake`).

The engine's own passes (a call error told once, a wrong default preferred, a diagnosis explained
once) sit beside its grading loop (autograder.engine).
"""

from __future__ import annotations

import re

from autograder.base.results import CheckResult
from autograder.rubric.common import UNTRAINABLE, with_diagnosis

_CALLED = re.compile(r"^(\w+)\(([^()]*)\):? ")  # "initialize_parameters_he([2, 10, 5, 1]): " opening a message


def _problem_key(message: str) -> str:
    """A check's finding without its call, its numbers and its diagnosis: the same problem seen in
    two calls of other sizes has the same key."""
    return re.sub(r"\d+", "#", _CALLED.sub("", message.split(" Diagnosis: ", 1)[0]))


def say_each_untrainable_once(checks: list[CheckResult]) -> None:
    """A training check that cannot train for the problem a structure or types check of its question
    already told in full (a transposed W, an int dtype: the same finding with the training's sizes)
    points to that check instead of telling it again."""
    told: dict[tuple[str, str], str] = {}
    for c in checks:
        if c.passed or c.message.startswith("Not run:"):
            continue
        if not c.message.startswith(UNTRAINABLE):
            told.setdefault((c.question, _problem_key(c.message)), c.name)
            continue
        rest = c.message[len(UNTRAINABLE):]
        first = told.get((c.question, _problem_key(rest)))
        called = _CALLED.match(rest)
        if first is not None and called is not None:
            c.message = (f"{UNTRAINABLE}{called.group(1)}({called.group(2)}) returned them with the problem told "
                         f"under \"{first}\"; fix that first.")


def prefer_the_named_mistake(checks: list[CheckResult], notebook: str) -> None:
    """A check whose only diagnosis is the last resort ("values differ": no known mistake matched the
    one call it saw) gets the mistake another check of its question named from more evidence (the
    seeded calls, a repeated call): a question's checks never disagree about the cause."""
    named: dict[str, list] = {}
    for c in checks:
        specific = [d for d in c.diagnoses if d.code != "values-differ"]
        if specific:
            named.setdefault(c.question, specific)
    for c in checks:
        if c.question not in named or not c.diagnoses or any(d.code != "values-differ" for d in c.diagnoses):
            continue
        marker = f" Diagnosis: {c.diagnoses[0].title}. "
        if marker in c.message:
            c.diagnoses = list(named[c.question])
            c.message = with_diagnosis(c.message.split(marker, 1)[0], c.diagnoses, notebook)
