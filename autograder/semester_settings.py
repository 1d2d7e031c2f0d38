"""grading.yaml's ``semester`` section: the due date, the late policy, what students see when,
and the LMS columns the exports fill. Every field is described where it is declared.

Kept apart from autograder.config (which embeds it as ``GradingConfig.semester``) so that the
semester's models import nothing of the grader, and beside it, below every room: the configuration
reads it, and autograder/semester/ (which stands above the pipeline) imports it from here. None of
it changes a submission's grade: the grade cache key leaves this section out
(autograder.batch.grading.config_digest), so moving the due date or changing the penalty never
regrades anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: What a student sees of a check: everything (score and what to fix), its score only, or nothing.
Shown = Literal["visible", "score_only", "hidden"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LatePenalty(_Strict):
    """How a late submission loses points. A day is 24 hours after the due date (plus grace and the
    student's extension); a started day counts whole."""

    per_day_percent: float = Field(default=0.0, ge=0, le=100,
                                   description="Percent of the maximum points taken per started day late.")
    cap_percent: float = Field(default=100.0, ge=0, le=100,
                               description="The most a late submission can lose, percent of the maximum points.")
    zero_after_days: float | None = Field(default=None, gt=0,
                                          description="A submission more than this many days late scores 0 "
                                                      "(the cut-off); none: no cut-off.")


class Visibility(_Strict):
    """What a student sees of one check (or every check of a question) before and after the due date."""

    before_due: Shown = "visible"
    after_due: Shown = "visible"

    @model_validator(mode="after")
    def _never_less_after(self):
        order = {"hidden": 0, "score_only": 1, "visible": 2}
        if order[self.after_due] < order[self.before_due]:
            raise ValueError(f"after_due ({self.after_due}) shows less than before_due ({self.before_due}): "
                             "what a student has seen cannot be taken back")
        return self


class Exports(_Strict):
    """The gradebook columns of each LMS, exactly as its own export names them."""

    canvas_column: str = Field(default="", description="The assignment's column in Canvas's gradebook export, "
                               "with its id: 'Initialization (123456)'. Empty: the assignment's title (Canvas "
                               "then creates a new assignment on import).")
    moodle_column: str = Field(default="", description="The grade item's column in Moodle's grade export: "
                               "'Assignment: Initialization (Real)'. Empty: the assignment's title (Moodle then "
                               "offers to map it to a grade item, or to create one).")


class Semester(_Strict):
    """grading.yaml's ``semester``: deadlines, late policy, visibility, LMS columns."""

    due: datetime | None = Field(default=None, description="The due date with its time zone "
                                 "(2026-10-01T23:59:00+02:00). None: nothing is late, and 'after the due date' "
                                 "never comes.")
    grace_minutes: float = Field(default=0.0, ge=0, description="Minutes after the due date still on time "
                                 "(an upload that took a while).")
    late: LatePenalty = LatePenalty()
    classroom_prefix: str = Field(default="", description="GitHub Classroom's repository prefix "
                                  "(<prefix>-<github username>); empty: the assignment's name.")
    visibility: Visibility = Visibility()
    checks: dict[str, Visibility] = Field(default={}, description="Per question ('he') or check ('he.scale'): "
                                          "what students see of it; a check's entry wins over its question's.")
    hold_fixes_until_due: bool = Field(default=True, description="Before the due date, a check shown as score "
                                       "only keeps its 'how to fix' text back (the message, the diagnosed "
                                       "mistake); after it, the text follows the after_due setting.")
    exports: Exports = Exports()

    @field_validator("due")
    @classmethod
    def _aware(cls, value: datetime | None):
        if value is not None and value.utcoffset() is None:
            raise ValueError("the due date needs a time zone (2026-10-01T23:59:00+02:00, or Z for UTC): "
                             "a naive time means a different instant on every machine")
        return value

    @property
    def on_time_until(self) -> datetime | None:
        """The due date plus the grace period (before any student's extension)."""
        return None if self.due is None else self.due + timedelta(minutes=self.grace_minutes)

    def shown(self, question: str, check: str) -> Visibility:
        """What students see of ``question.check``: its own entry, else its question's, else the default."""
        return self.checks.get(f"{question}.{check}") or self.checks.get(question) or self.visibility
