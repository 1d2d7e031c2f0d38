"""What one student receives from the semester step: ``results.json`` (Gradescope's schema, with the
visibility schedule) and ``feedback.md`` (the kit's page, as the student sees it at a given time).

Both put the late penalty and the overrides beside the raw score. Student text (check messages
quote the submission) lands in Markdown only inside code blocks it cannot close
(autograder.base.escape.md_block); names in code spans (md_code); results.json is JSON.
"""

from __future__ import annotations

from datetime import datetime

from autograder.base.escape import md_block, md_code, md_text
from autograder.config import GradingConfig
from autograder.semester.ledger import Entry
from autograder.semester.visibility import HELD, gradescope_tests, is_after_due, student_view


def _f(x: float | None) -> str:
    return "-" if x is None else f"{round(x, 4):g}"


def score_line(e: Entry) -> str:
    """The score as every student-facing output says it: final, and what made it so."""
    if e.total is None:
        return f"No score: {e.status}."
    line = f"Score: {_f(e.total)} / {_f(e.max_total)} (raw {_f(e.raw_total)}"
    if e.penalty:
        line += f", late penalty -{_f(e.penalty)}: {e.late_reason}"
    for o in e.overrides:
        line += f"; override: {o}"
    return line + ")"


def results_json(e: Entry, config: GradingConfig) -> dict:
    checks = e.grade.checks if e.grade else []
    lines = [score_line(e)]
    if e.submitted:
        lines.append(f"Submitted {e.submitted} (source: {e.time_source}); due {e.due or 'none'}.")
    return {
        "score": e.total if e.total is not None else 0.0,
        "output": "\n".join(lines),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": gradescope_tests(checks, config.semester),
        "extra_data": {"student": e.student.id if e.student else None, "submission": e.submission,
                       "status": e.status, "raw_total": e.raw_total, "late_penalty": e.penalty,
                       "late": e.late_reason, "overrides": e.overrides, "flagged_overrides": len(e.flagged),
                       "total": e.total, "submitted_at": e.submitted, "time_source": e.time_source},
    }


def feedback_markdown(e: Entry, config: GradingConfig, now: datetime) -> str:
    after = is_after_due(e.due, now)
    # The instructor's words (title, override reasons) as running text: escaped like any other.
    out = [f"# {md_text(config.title)}", "", md_text(score_line(e)), ""]
    if e.submitted:
        out += [md_text(f"Submitted {e.submitted} ({e.time_source}); due {e.due or 'none'}: {e.late_reason}."), ""]
    checks = e.grade.checks if e.grade and e.total is not None else []
    shown = student_view(checks, config.semester, after)
    not_yet = sum(s.check.score for s in shown if s.level == "hidden")
    if shown:
        out += ["## Checks", ""]
    for s in shown:
        if s.level == "hidden":
            continue
        c = s.check
        out.append(f"- {md_code(c.name)}: {_f(c.score)} / {_f(c.max_score)}, {'passed' if c.passed else 'failed'}")
        if s.text and not c.passed:
            out.append(md_block(s.text, indent="  "))
        if s.held:
            out.append(f"  {HELD}")
    hidden = [s for s in shown if s.level == "hidden"]
    if hidden:
        out += ["", f"{len(hidden)} more check{'s' * (len(hidden) != 1)} ({_f(not_yet)} points, in the score "
                "above) are shown after the due date."]
    return "\n".join(out) + "\n"

