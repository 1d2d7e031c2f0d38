"""The class summary of a batch: ``DIR/summary.html``.

Score distribution, mean per question, pass rate per check, the most common
diagnosed mistakes (with the submissions that made them) and the submissions
that could not be graded. Self-contained like the students' pages: inline SVG and
CSS, no script, nothing fetched; rendered from templates/summary.html.j2 with autoescaping, and every
link to a submission's page relative and percent-encoded (autograder.feedback.html).

Diagnoses come from each result's checks or, for results a batch re-used from an
earlier run (which carry no Diagnosis objects), from ``DIR/<id>/results.json``
(``extra_data.diagnoses``).

Wiring (batch.grade_batch, after the gradebook)::

    from autograder.feedback.summary import write_class_summary
    write_class_summary(out, report.results, config)
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from pathlib import Path

from autograder.base.atomic import write_atomic
from autograder.base.statuses import GRADED, NOT_GRADED
from autograder.feedback import svg
from autograder.feedback.class_figures import figures as class_figures
from autograder.feedback.sections import section_heading
from autograder.limits import SUMMARY_IDS_SHOWN

SUMMARY_FILE = "summary.html"


def _f(x: float) -> str:
    return f"{x:g}"


def result_diagnoses(result, out: Path | None = None) -> list[dict]:
    """Plain diagnoses of one result: {question, check, code, title, section}."""
    found = [{"question": c.question, "check": c.check, "code": d.code, "title": d.title,
              "section": d.notebook_section}
             for c in result.checks for d in (getattr(c, "diagnoses", None) or [])]
    if found or out is None:
        return found
    path = Path(out) / result.id / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [d for d in data.get("extra_data", {}).get("diagnoses", []) if isinstance(d, dict) and "code" in d]
    except (OSError, ValueError, AttributeError):
        return []


def summary_data(results, config, out: Path | None = None) -> dict:
    not_graded = sorted((r for r in results if r.status == NOT_GRADED), key=lambda r: r.id)
    results = sorted((r for r in results if r.status != NOT_GRADED), key=lambda r: r.id)
    graded = [r for r in results if r.status == GRADED]
    errored = [r for r in results if r.status != GRADED]
    scores = [r.score for r in results]
    max_total = config.max_points()
    per_q = {q: [r.question_scores().get(q, 0.0) for r in results] for q in config.questions}
    checks: dict[tuple[str, str], dict] = {}
    for r in results:
        for c in r.checks:
            s = checks.setdefault((c.question, c.check), {"passed": 0, "partial": 0, "n": 0})
            s["n"] += 1
            s["passed"] += bool(c.passed)
            s["partial"] += bool(not c.passed and c.score > 0)
    diag_subs: dict[str, set] = {}
    diag_info: dict[str, dict] = {}
    per_sub: dict[str, list[str]] = {}
    for r in results:
        codes = []
        for d in result_diagnoses(r, out):
            subs = diag_subs.setdefault(d["code"], set())
            info = diag_info.setdefault(d["code"], {"title": d["title"], "sections": [], "questions": Counter()})
            if d.get("section") and d["section"] not in info["sections"]:
                info["sections"].append(d["section"])
            if r.id not in subs:  # count submissions, not checks
                subs.add(r.id)
                info["questions"][d["question"]] += 1
            if d["title"] not in codes:
                codes.append(d["title"])
        per_sub[r.id] = codes
    common = sorted(diag_subs, key=lambda c: (-len(diag_subs[c]), c))
    return {
        "results": results, "graded": graded, "errored": errored, "scores": scores, "max_total": max_total,
        "per_question": per_q, "checks": checks, "common": [(c, sorted(diag_subs[c]), diag_info[c]) for c in common],
        "per_submission": per_sub, "not_graded": not_graded,
    }


def _score_histogram(scores: list[float], max_total: float) -> svg.Svg:
    nbins = 20 if max_total >= 20 else max(int(max_total), 1)
    width = max_total / nbins if max_total > 0 else 1.0
    edges = [i * width for i in range(nbins + 1)]
    counts = [0] * nbins
    for s in scores:
        i = min(int(s / width), nbins - 1) if width > 0 else 0
        counts[max(i, 0)] += 1
    return svg.histogram_bars(counts, edges, f"Score distribution ({len(scores)} submissions)",
                              f"total score (out of {_f(max_total)})", "submissions", label="scores")


def class_summary_html(results, config, out: Path | None = None, notice: str = "", skipped=()) -> str:
    """summary.html, from templates/summary.html.j2 (autoescaped, relative links only). ``notice``: a
    warning shown first (a merge of an incomplete set of shards says so); ``skipped``: the entries of
    the input that are not submissions (autograder.intake.discovery.Skipped), listed with the reason."""
    from autograder.base.ids import display_name, renamed
    from autograder.feedback.html import render, trusted_svg

    d = summary_data(results, config, out)
    scores, max_total = d["scores"], d["max_total"]
    common = [{"code": code, "title": info["title"], "count": len(subs),
               "questions": ", ".join(q for q, _ in info["questions"].most_common()),
               "sections": [section_heading(x) for x in info["sections"]],
               "who": subs[:SUMMARY_IDS_SHOWN], "more": max(len(subs) - SUMMARY_IDS_SHOWN, 0)}
              for code, subs, info in d["common"]]
    per_question, checks, histogram, chart = [], [], "", ""
    if scores:
        means = [(q, statistics.fmean(v), config.max_points(q)) for q, v in d["per_question"].items()]
        per_question = [{"key": q, "title": config.questions[q].title, "mean": mean, "max": mx,
                         "full": sum(v >= mx for v in d["per_question"][q])} for q, mean, mx in means]
        checks = [{"question": q, "label": c.replace("_", " "), **s} for (q, c), s in d["checks"].items()]
        histogram = trusted_svg(_score_histogram(scores, max_total))
        chart = trusted_svg(svg.horizontal_bars(means, "Mean score per question", label="per-question"))
    rows = [{"id": r.id, "name": r.name if renamed(r.id, r.name) else "",
             "scores": [r.question_scores().get(q, 0.0) for q in config.questions], "total": r.score,
             "diagnosed": "; ".join(d["per_submission"].get(r.id, []))} for r in d["results"]]
    f = class_figures(results, max_total)  # the figures summary.json states too
    return render("summary.html.j2", title=config.title, n=f.with_total, n_graded=f.graded,
                  n_errored=f.errors, mean=f.mean_total or 0.0, median=f.median_total or 0.0, max_total=max_total,
                  full_marks=f.full_marks, over=f.over, histogram=histogram, common=common,
                  not_graded=f.not_graded, not_graded_rows=d["not_graded"], notice=notice,
                  isolation=_isolation_line(d["results"]),
                  per_question_chart=chart, per_question=per_question, checks=checks,
                  errored=[{"id": r.id, "error": for_instructor(r.error)} for r in d["errored"]],
                  questions=list(config.questions), rows=rows,
                  skipped=[{"path": display_name(str(x.path)), "reason": x.reason} for x in skipped])


# A submission's error is worded for its student ("your code", "tell your instructor"); the class
# summary is the instructor's page: the same facts, about the submission.
_TO_INSTRUCTOR = [
    (re.compile(r"[;,]?\s*(?:please )?tell your instructor(?: if it looks wrong)?\.?", re.I), "."),
    (re.compile(r"\bdid your code\b"), "did the code"),
    (re.compile(r"\b[Yy]our code\b"), "the submission's code"),
    (re.compile(r"\b[Yy]our submission\b"), "the submission"),
    (re.compile(r"\b[Yy]our functions\b"), "its functions"),
    (re.compile(r"\b[Yy]our\b"), "its"),
    (re.compile(r"\.\.+$"), "."),
]


def for_instructor(error: str) -> str:
    """A submission's error as the instructor reads it in the class summary: why it was not graded,
    said of the submission rather than to its student."""
    text = str(error or "")
    for pattern, words in _TO_INSTRUCTOR:
        text = pattern.sub(words, text)
    return text


def _isolation_line(results) -> str:
    """How the batch's sandboxes were isolated, from the results themselves (a merge shows its shards')."""
    from autograder.sandbox import isolation_levels

    found = isolation_levels.batch_label(results)
    if not found:
        return ""
    levels = {(r.isolation, r.landlock) for r in results if r.isolation}
    if len(levels) == 1:
        level, landlock = next(iter(levels))
        weak = isolation_levels.warning(level, landlock)
        return f"Sandbox isolation: {found}" + (f". WARNING: {weak}" if weak else "")
    return f"WARNING: these results were graded at different sandbox isolation levels: {found}"


def write_class_summary(out: Path, results, config, notice: str = "", skipped=()) -> Path:
    """Write ``out/summary.html`` for a batch's results; returns its path."""
    path = Path(out) / SUMMARY_FILE
    write_atomic(path, class_summary_html(results, config, Path(out), notice, skipped))
    return path
