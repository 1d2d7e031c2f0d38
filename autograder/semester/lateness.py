"""The late policy: how late a submission is and what it costs, from grading.yaml's ``semester``.

A pure function of the submission time, the student's extension (the roster) and the policy. A
started day counts whole: 1 minute past the due date (after grace and extension) is day 1. The
penalty is a share of the assignment's maximum points, capped; past the cut-off the score is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from autograder.semester_settings import Semester


@dataclass(frozen=True)
class Lateness:
    due: datetime | None  # this student's due date: grading.yaml's, plus grace and extension
    days_late: int  # started days
    penalty: float  # points taken (a score after a cut-off loses everything: see ``zeroed``)
    zeroed: bool  # past the cut-off
    reason: str  # said in the gradebook, the feedback and the regrade report

    def apply(self, points: float) -> float:
        return 0.0 if self.zeroed else max(0.0, points - self.penalty)


def lateness(when: datetime | None, extension_hours: float, policy: Semester, max_points: float) -> Lateness:
    if policy.due is None or policy.on_time_until is None:
        return Lateness(None, 0, 0.0, False, "no due date")
    due = policy.on_time_until + timedelta(hours=extension_hours)
    ext = f" (extension {extension_hours:g} h)" if extension_hours else ""
    if when is None:
        return Lateness(due, 0, 0.0, False, "submission time unknown: no penalty applied")
    late = (when - due).total_seconds()
    if late <= 0:
        return Lateness(due, 0, 0.0, False, f"on time{ext}")
    days = math.ceil(late / 86400)
    rule = policy.late
    if rule.zero_after_days is not None and late > rule.zero_after_days * 86400:
        return Lateness(due, days, max_points, True,
                        f"{days} day{'s' * (days != 1)} late{ext}: past the cut-off of {rule.zero_after_days:g} "
                        "days, scored 0")
    percent = min(rule.per_day_percent * days, rule.cap_percent)
    penalty = round(max_points * percent / 100, 6)
    return Lateness(due, days, penalty, False,
                    f"{days} day{'s' * (days != 1)} late{ext}: -{percent:g}% of {max_points:g} points")
