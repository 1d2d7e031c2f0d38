"""Write what a grading produces: results.json, feedback.md, feedback.html, gradebook.csv.

``results.json`` follows Gradescope's autograder schema (top-level ``score``,
``execution_time``, ``output``, ``tests[]`` with ``name``, ``score``, ``max_score``,
``status``, ``output``, ``visibility``), so the same file serves Gradescope and
any script; its ``extra_data.diagnoses`` lists the diagnosed mistakes (for the
class summary). ``feedback.html`` (autograder.feedback.page) is the student's page
with pictures; ``feedback.md`` says the same in Markdown, its pictures in
``figures/``. Every file is written atomically (temporary file + rename): an
interrupted batch never leaves a half-written report or gradebook behind.

Student-controlled text goes through autograder.base.escape: every gradebook cell through ``csv_cell``,
output.txt through ``visible``;
results.json is JSON (its encoder escapes everything), with the submission's original name beside its
id (``extra_data.name``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from autograder.base.atomic import write_atomic
from autograder.base.escape import csv_cell, visible
from autograder.base.ids import display_name
from autograder.base.indented_json import dumps_indented
from autograder.base.results import SubmissionResult
from autograder.base.statuses import NOT_GRADED
from autograder.config import GradingConfig
from autograder.diagnose.sections import section_heading
from autograder.feedback.class_figures import figures as class_figures
from autograder.feedback.page import FIGURE_DIR, figures, render_html, render_markdown
from autograder.intake.discovery import Skipped
from autograder.sandbox import isolation_levels

# ``name`` last: scripts that read the columns by position before it keep working.
GRADEBOOK_COLUMNS_TAIL = ["total", "max_total", "status", "name"]


def _fmt(x: float) -> str:
    return f"{x:g}"


def results_json(result: SubmissionResult, cache_key: str = "") -> dict:
    tests = [
        {
            "name": c.name,
            "score": c.score,
            "max_score": c.max_score,
            "status": "passed" if c.passed else "failed",
            "output": c.message or "passed",
            "visibility": "visible",
        }
        for c in result.checks
    ]
    # The visible output is the student's: the isolation level is the instructor's concern
    # (extra_data.isolation, the console, summary.html).
    summary = [f"Score: {_fmt(result.score)} / {_fmt(result.max_score)}"]
    if result.graded_file:
        summary.append(graded_line(result))
    if result.error:
        summary.append(f"Grading error: {result.error}")
    found = diagnoses_data(result)
    if found:
        seen, items = set(), []
        for d in found:
            if d["code"] not in seen:
                seen.add(d["code"])
                items.append(f"  {d['question']}: {d['title']} (notebook section {section_heading(d['section'])})")
        summary.append("Likely mistakes:\n" + "\n".join(items))
    if result.load_messages:
        summary.append("While loading your code:\n" + "\n".join(f"  {m}" for m in result.load_messages))
    elif result.load_note:
        summary.append(result.load_note)
    return {
        "score": result.score,
        "execution_time": round(result.seconds, 3),
        "output": "\n".join(summary),
        # Plain text: Gradescope shows student text (exception messages, printed lines) as it is,
        # never as HTML or Markdown.
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "submission": result.id,
            "name": result.name,
            "status": result.status,
            "kind": result.kind,
            "graded_file": result.graded_file,
            "graded_because": result.graded_because,
            "digest": result.digest,
            "isolation": result.isolation,
            "landlock": result.landlock,
            "grader_version": result.grader_version,
            "cache_key": cache_key,
            "probes": result.probes,
            "call_reuse": result.call_reuse,
            "error": result.error,
            "load_errors_folded": result.load_errors_folded,
            "checks": [[c.question, c.check] for c in result.checks],
            "diagnoses": found,
            "partial_credit": [{"question": c.question, "check": c.check, "score": c.score,
                                "max_score": c.max_score} for c in result.checks if c.partial],
        },
    }


def graded_line(result: SubmissionResult) -> str:
    """Which file was graded and why, as the visible output says it."""
    return f"Graded: {result.graded_file} ({result.graded_because})."


def diagnoses_data(result: SubmissionResult) -> list[dict]:
    """Every diagnosis attached to a check, as plain data (results.json extra_data.diagnoses)."""
    return [{"question": c.question, "check": c.check, "code": d.code, "title": d.title,
             "section": d.notebook_section, "confidence": d.confidence,
             "partial_credit_eligible": bool(d.partial_credit_eligible)}
            for c in result.checks for d in c.diagnoses]


def feedback_markdown(result: SubmissionResult, config: GradingConfig, figs=None) -> str:
    """The student's feedback: score per question, each failed check with what to fix, the
    diagnosed mistakes with the notebook section to re-read, pictures linked from figures/."""
    return render_markdown(result, config, figs)


def gradebook_rows(results: list[SubmissionResult], config: GradingConfig) -> list[dict]:
    rows = []
    for r in sorted(results, key=lambda r: r.id):
        per_q = r.question_scores()
        row = {"submission": r.id}
        if r.status != NOT_GRADED:
            row.update({q: _fmt(per_q.get(q, 0.0)) for q in config.questions})
            row.update(total=_fmt(r.score))
        row.update(max_total=_fmt(config.max_points()), status=r.status, name=r.name)  # no score cells when not graded
        rows.append(row)
    return rows


def gradebook_csv(results: list[SubmissionResult], config: GradingConfig) -> str:
    columns = ["submission", *config.questions, *GRADEBOOK_COLUMNS_TAIL]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    # Every cell through the one CSV rule: the names are the students', the rest cannot hurt.
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in gradebook_rows(results, config))
    return buf.getvalue()


BATCH_SUMMARY_FILE = "summary.json"


def batch_summary(results: list[SubmissionResult], config: GradingConfig, *, isolation: str, interrupted: str = "",
                  reused: int = 0, landlock: bool | None = None, skipped: Sequence[Skipped] = ()) -> dict:
    """The batch in numbers for a CI job or a script (``summary.json``): counts by status, the
    isolation level, whether it was stopped early, one entry per submission, and the entries of the
    input that are not submissions, each with the reason (``not_submissions``). Ids and names are
    plain JSON strings; the reader escapes them for wherever it shows them."""
    f = class_figures(results, config.max_points())
    return {
        "assignment": config.assignment, "grader_version": results[0].grader_version if results else "",
        "isolation": isolation, "landlock": landlock,
        "isolation_label": isolation_levels.label(isolation, landlock),
        "complete": not interrupted, "stopped_by": interrupted or None,
        "submissions": f.submissions, "graded": f.graded, "errors": f.errors,
        "not_graded": f.not_graded, "unchanged_since_last_run": reused,
        "max_total": config.max_points(),
        # The same figures as summary.html (autograder.feedback.class_figures), with what they are over.
        "mean_total": f.mean_total, "median_total": f.median_total, "mean_over": f.over,
        "results": [{"submission": r.id, "name": r.name or r.id, "status": r.status,
                     "total": None if r.status == NOT_GRADED else r.score, "error": r.error or None}
                    for r in sorted(results, key=lambda r: r.id)],
        "not_submissions": [{"path": display_name(str(s.path)), "reason": s.reason} for s in skipped],
    }


def load_report_writers() -> None:
    """Load now what a process's first report loads on first use: Jinja with the pages' compiled
    templates (autograder.feedback.html, .markdown) and the escaping patterns. A batch's parent calls
    it before it forks its workers, which then inherit all of it instead of each loading it again
    (about 30 ms of CPU per worker); the parent needs most of it for summary.html anyway. (numpy.ma,
    which numpy's quantile and median import, is no longer among them: the pictures and diagnoses
    take theirs from base/order_stats.py.)"""
    from autograder.feedback import html, markdown

    for name in ("base.html.j2", "feedback.html.j2", "summary.html.j2"):
        html.environment().get_template(name)
    markdown.environment().get_template("feedback.md.j2")
    # The escaping patterns compile on the first text that is not printable ASCII (the charts' "×"
    # and "—" bring one to every page): "" would return before them.
    visible("\u00d7")
    visible("\u00d7", one_line=True)


def write_submission_reports(out: Path, result: SubmissionResult, config: GradingConfig, cache_key: str) -> None:
    folder = out / result.id
    figs = figures(result, config)
    fig_dir = folder / FIGURE_DIR
    stale = set(fig_dir.glob("*.svg")) if fig_dir.is_dir() else set()
    for f in figs:
        write_atomic(fig_dir / f.name, f.svg)
        stale.discard(fig_dir / f.name)
    for path in stale:
        path.unlink(missing_ok=True)
    write_atomic(folder / "feedback.md", feedback_markdown(result, config, figs))
    write_atomic(folder / "feedback.html", render_html(result, config, figs))
    # Read with cat or less by a TA: escape sequences and other control characters written out.
    write_atomic(folder / "output.txt", visible(result.output))
    # results.json last: its presence (with a matching cache key) marks the submission as done.
    write_atomic(folder / "results.json", dumps_indented(results_json(result, cache_key)))
