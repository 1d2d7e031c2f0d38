"""The batch's figures, computed once for every report that states them (summary.html, summary.json).

Each figure is said with what it is over. The mean and median are over the submissions that have a
total in the gradebook: graded ones and those that could not be graded (their total is what they
earned before the error, usually 0); a submission a stopped batch did not reach has no total and
is in neither. So the two summaries and the gradebook's total column always agree.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from autograder.base.statuses import ERROR, GRADED, NOT_GRADED


@dataclass(frozen=True)
class Figures:
    submissions: int  # every row of the gradebook
    graded: int
    errors: int
    not_graded: int
    with_total: int  # graded + errors: the rows with a total
    mean_total: float | None
    median_total: float | None
    full_marks: int

    @property
    def over(self) -> str:
        """What the mean and median are over, in words (said once, beside them)."""
        return (f"over the {self.with_total} submission{'s' * (self.with_total != 1)} with a total in the gradebook "
                f"({self.graded} graded, {self.errors} could not be graded)"
                + (f"; {self.not_graded} not graded have none" if self.not_graded else ""))


def figures(results, max_total: float) -> Figures:
    statuses = [r.status for r in results]
    totals = [r.score for r in results if r.status != NOT_GRADED]
    return Figures(submissions=len(results), graded=statuses.count(GRADED), errors=statuses.count(ERROR),
                   not_graded=statuses.count(NOT_GRADED), with_total=len(totals),
                   mean_total=round(statistics.fmean(totals), 4) if totals else None,
                   median_total=statistics.median(totals) if totals else None,
                   full_marks=sum(t >= max_total for t in totals))
