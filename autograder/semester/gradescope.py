"""The semester inside Gradescope's container: one submission's results.json given its late penalty
and its visibility schedule before Gradescope shows it.

Gradescope runs the autograder once per upload and shows what it wrote, so the schedule is written
in Gradescope's terms (autograder.semester.visibility.gradescope_tests), and the late penalty is
computed from ``/autograder/submission_metadata.json`` (``created_at``) against grading.yaml's due
date. The student's Gradescope extension is not in that file's documented fields: an extension is
Gradescope's own (its late due date) or a regrade with ``initgrade semester run``.
"""

from __future__ import annotations

from pathlib import Path

from autograder.base.results import check_from_test
from autograder.config import GradingConfig
from autograder.semester.lateness import lateness
from autograder.semester.times import gradescope_metadata, parse_time
from autograder.semester.visibility import gradescope_tests


def apply_semester(results: dict, config: GradingConfig, root: Path) -> dict:
    """A copy of ``results`` (the engine's) with the schedule and the penalty; as it is when grading.yaml
    has no semester settings to apply."""
    policy = config.semester
    if policy.due is None and not policy.checks and policy.visibility.before_due == "visible":
        return results
    extra = results.get("extra_data") or {}
    tests = results.get("tests") or []
    # Read leniently: whatever the engine wrote here is shown as it is.
    checks = [check_from_test(q, c, {"name": "", "score": 0, "max_score": 0, "status": "", **t})
              for (q, c), t in zip(extra.get("checks") or [], tests)]
    out = dict(results, tests=gradescope_tests(checks, policy))
    meta = gradescope_metadata(root)
    when = parse_time(str(meta.get("created_at", ""))) if meta else None
    late = lateness(when, 0.0, policy, config.max_points())
    raw = float(results.get("score", 0.0))
    out["score"] = late.apply(raw)
    line = (f"Raw score {raw:g}; late penalty -{raw - out['score']:g}: {late.reason}." if out["score"] != raw
            else f"Late policy: {late.reason}.")
    out["output"] = f"{line}\n{results.get('output', '')}"
    out["extra_data"] = dict(extra, raw_score=raw, late_penalty=raw - out["score"], late=late.reason, late_line=line,
                             submitted_at=when.isoformat() if when else None)
    return out


def with_late_line(view: dict) -> dict:
    """The Markdown view (autograder.platforms.gradescope_view) with the raw score and the penalty said
    first: the view rebuilds its text from the results' data, and the penalty is not among them."""
    line = (view.get("extra_data") or {}).get("late_line")
    return dict(view, output=f"{line}\n\n{view.get('output', '')}") if line else view
