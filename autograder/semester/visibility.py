"""What a student sees, and when: grading.yaml's ``semester.visibility`` / ``semester.checks`` applied.

Per check, before and after the student's due date (with grace and extension): ``visible`` (score and
message), ``score_only`` (score and passed/failed, no text), ``hidden`` (not listed; its points still
count in the total, which says how many points come from checks not shown yet). With
``hold_fixes_until_due``, a visible check's "how to fix" part (the diagnosis after "Diagnosis:", or
"To fix it, ...") is held back until the due date: a student with unlimited resubmissions learns
what is wrong, not the line that makes it pass.

Gradescope computes nothing after the grading, so its results.json carries the schedule in its own
terms (``tests[].visibility``): visible before -> "visible"; hidden before, visible after ->
"after_due_date"; hidden both -> "hidden". A check shown as score only before the due date is a
visible test without text plus a 0-point test "(details)" with the text, visible "after_due_date";
the fix of a visible check, when held back, goes to the same kind of companion test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from autograder.base.results import CheckResult
from autograder.semester_settings import Semester

HELD = "(how to fix: shown after the due date)"
_FIX_MARKERS = (" Diagnosis: ", "To fix it")


def split_fix(message: str) -> tuple[str, str]:
    """(what was found, how to fix it): the message cut where its diagnosis or fix starts."""
    cuts = [i for i in (message.find(m) for m in _FIX_MARKERS) if i >= 0]
    if not cuts:
        return message, ""
    i = min(cuts)
    return message[:i].rstrip(), message[i:].strip()


def is_after_due(due: str, now: datetime) -> bool:
    """Whether ``now`` is past this student's due date (an entry's ISO ``due``); no due date: never."""
    return bool(due) and now >= datetime.fromisoformat(due)


@dataclass(frozen=True)
class Shown:
    check: CheckResult
    level: str  # visible, score_only, hidden
    text: str  # what the student reads of the message ("" for score only)
    held: bool  # a fix part was held back


def student_view(checks: list[CheckResult], policy: Semester, after_due: bool) -> list[Shown]:
    """Each check as the student sees it now."""
    out = []
    for c in checks:
        rule = policy.shown(c.question, c.check)
        level = rule.after_due if after_due else rule.before_due
        found, fix = split_fix(c.message if not c.passed else "passed")
        held = level == "visible" and bool(fix) and policy.hold_fixes_until_due and not after_due
        text = "" if level != "visible" else (found if held else c.message if not c.passed else "passed")
        out.append(Shown(c, level, text, held))
    return out


def gradescope_tests(checks: list[CheckResult], policy: Semester) -> list[dict]:
    """results.json ``tests`` for Gradescope: one schedule written once, at submission time."""
    tests = []
    for c in checks:
        rule = policy.shown(c.question, c.check)
        message = c.message if not c.passed else "passed"
        found, fix = split_fix(message)
        base = {"name": c.name, "score": c.score, "max_score": c.max_score,
                "status": "passed" if c.passed else "failed"}
        if rule.before_due == "visible":
            held = bool(fix) and policy.hold_fixes_until_due and rule.after_due == "visible"
            tests.append({**base, "output": found + ("\n" + HELD if held else "") if held else message,
                          "visibility": "visible"})
            if held:
                tests.append({"name": f"{c.name} (how to fix)", "score": 0.0, "max_score": 0.0,
                              "output": fix, "visibility": "after_due_date"})
        elif rule.before_due == "score_only":
            tests.append({**base, "output": "", "visibility": "visible"})
            if rule.after_due == "visible":
                tests.append({"name": f"{c.name} (details)", "score": 0.0, "max_score": 0.0,
                              "output": message, "visibility": "after_due_date"})
        else:
            tests.append({**base, "output": message if rule.after_due == "visible" else "",
                          "visibility": "after_due_date" if rule.after_due != "hidden" else "hidden"})
    return tests
