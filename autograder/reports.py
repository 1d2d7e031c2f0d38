"""Write what a grading produces: results.json, feedback.md, gradebook.csv.

``results.json`` follows Gradescope's autograder schema (top-level ``score``,
``execution_time``, ``output``, ``tests[]`` with ``name``, ``score``, ``max_score``,
``status``, ``output``, ``visibility``), so the same file serves Gradescope and
any script. Every file is written atomically (temporary file + rename): an
interrupted batch never leaves a half-written report or gradebook behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from autograder.config import GradingConfig
from autograder.engine import CheckResult, SubmissionResult

GRADEBOOK_COLUMNS_TAIL = ["total", "max_total", "status"]


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    summary = [f"Score: {_fmt(result.score)} / {_fmt(result.max_score)}"]
    if result.error:
        summary.append(f"Grading error: {result.error}")
    if result.load_messages:
        summary.append("While loading your code:\n" + "\n".join(f"  {m}" for m in result.load_messages))
    return {
        "score": result.score,
        "execution_time": round(result.seconds, 3),
        "output": "\n".join(summary),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "submission": result.id,
            "status": result.status,
            "kind": result.kind,
            "digest": result.digest,
            "isolation": result.isolation,
            "grader_version": result.grader_version,
            "cache_key": cache_key,
            "probes": result.probes,
            "error": result.error,
            "checks": [[c.question, c.check] for c in result.checks],
        },
    }


def _by_question(checks: list[CheckResult]) -> dict[str, list[CheckResult]]:
    out: dict[str, list[CheckResult]] = {}
    for c in checks:
        out.setdefault(c.question, []).append(c)
    return out


def feedback_markdown(result: SubmissionResult, config: GradingConfig) -> str:
    """The student's feedback: score per question, each failed check with what to fix."""
    lines = [f"# Feedback for `{result.id}`", "",
             f"**Score: {_fmt(result.score)} / {_fmt(result.max_score)}**", ""]
    if result.error:
        lines += ["## Your submission could not be graded", "", result.error, ""]
    if result.load_messages:
        lines += ["## While loading your code", "",
                  "These top-level statements failed and were skipped:", ""]
        lines += [f"- `{m}`" for m in result.load_messages] + [""]
    for q, checks in _by_question(result.checks).items():
        got, total = sum(c.score for c in checks), sum(c.max_score for c in checks)
        title = config.questions[q].title if q in config.questions else q
        lines += [f"## {title} (`{config.questions[q].function}`): {_fmt(got)} / {_fmt(total)}", ""]
        for c in checks:
            mark = "✅" if c.passed else "❌"
            lines.append(f"- {mark} **{c.name}** ({_fmt(c.score)}/{_fmt(c.max_score)})")
            if not c.passed:
                lines.append(f"  - {c.message}")
        lines.append("")
    if result.output.strip():
        lines += ["## What your code printed (first part)", "", "```", result.output.strip()[:3000], "```", ""]
    return "\n".join(lines)


def gradebook_rows(results: list[SubmissionResult], config: GradingConfig) -> list[dict]:
    rows = []
    for r in sorted(results, key=lambda r: r.id):
        per_q = r.question_scores()
        row = {"submission": r.id}
        row.update({q: _fmt(per_q.get(q, 0.0)) for q in config.questions})
        row.update(total=_fmt(r.score), max_total=_fmt(config.max_points()), status=r.status)
        rows.append(row)
    return rows


def gradebook_csv(results: list[SubmissionResult], config: GradingConfig) -> str:
    columns = ["submission", *config.questions, *GRADEBOOK_COLUMNS_TAIL]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(gradebook_rows(results, config))
    return buf.getvalue()


def write_submission_reports(out: Path, result: SubmissionResult, config: GradingConfig, cache_key: str) -> None:
    folder = out / result.id
    write_atomic(folder / "feedback.md", feedback_markdown(result, config))
    write_atomic(folder / "output.txt", result.output)
    # results.json last: its presence (with a matching cache key) marks the submission as done.
    write_atomic(folder / "results.json", json.dumps(results_json(result, cache_key), indent=2))
