"""The class summary of a batch: ``DIR/summary.html``.

Score distribution, mean per question, pass rate per check, the most common
diagnosed mistakes (with the submissions that made them) and the submissions
that could not be graded. Self-contained like the students' pages: inline SVG and
CSS, no script, nothing fetched.

Diagnoses come from each result's checks or, for results a batch re-used from an
earlier run (which carry no Diagnosis objects), from ``DIR/<id>/results.json``
(``extra_data.diagnoses``).

Wiring (batch.grade_batch, after the gradebook)::

    from autograder.feedback.summary import write_class_summary
    write_class_summary(out, report.results, config)
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from pathlib import Path

from autograder.engine import NOT_GRADED
from autograder.feedback import svg
from autograder.feedback.page import CSS
from autograder.feedback.sections import section_heading
from autograder.feedback.svg import esc

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
    graded = [r for r in results if r.status == "graded"]
    errored = [r for r in results if r.status != "graded"]
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


def _score_histogram(scores: list[float], max_total: float) -> str:
    nbins = 20 if max_total >= 20 else max(int(max_total), 1)
    width = max_total / nbins if max_total > 0 else 1.0
    edges = [i * width for i in range(nbins + 1)]
    counts = [0] * nbins
    for s in scores:
        i = min(int(s / width), nbins - 1) if width > 0 else 0
        counts[max(i, 0)] += 1
    return svg.histogram_bars(counts, edges, f"Score distribution ({len(scores)} submissions)",
                              f"total score (out of {_f(max_total)})", "submissions", label="scores")


def class_summary_html(results, config, out: Path | None = None, notice: str = "") -> str:
    """``notice``: a warning shown first (a merge of an incomplete set of shards says so)."""
    d = summary_data(results, config, out)
    scores, max_total = d["scores"], d["max_total"]
    h = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
         "<meta name='viewport' content='width=device-width, initial-scale=1'>",
         f"<title>Class summary: {esc(config.title)}</title><style>{CSS}</style></head><body><main>"]
    h.append(f"<header class='card'><h1>Class summary</h1><div>{esc(config.title)}</div>")
    if notice:
        h.append(f"<p class='notice' role='alert'><strong>{esc(notice)}</strong></p>")
    if scores:
        h.append(f"<p class='score'>{len(d['results'])} submissions · {len(d['graded'])} graded · "
                 f"{len(d['errored'])} could not be graded · mean {statistics.fmean(scores):.2f} · median "
                 f"{_f(statistics.median(scores))} / {_f(max_total)} · full marks: "
                 f"{sum(s >= max_total for s in scores)}</p>")
    else:
        h.append("<p>No submissions.</p>")
    if d["not_graded"]:
        h.append(f"<p class='score' id='incomplete'><b>Incomplete:</b> {len(d['not_graded'])} of "
                 f"{len(d['results']) + len(d['not_graded'])} "
                 f"submissions were not graded (the batch was stopped). Run the same command again to grade "
                 f"them; finished submissions are not graded twice.</p>")
    h.append("</header>")
    if scores:
        h.append(f"<section class='card'><figure>{_score_histogram(scores, max_total)}</figure></section>")
    h.append("<section class='card' id='diagnoses'><h2>Most common mistakes</h2>")
    if d["common"]:
        h.append("<table><tr><th>mistake</th><th>submissions</th><th>question</th><th>notebook section</th>"
                 "<th>who</th></tr>")
        for code, subs, info in d["common"]:
            qs = ", ".join(q for q, _ in info["questions"].most_common())
            who = ", ".join(f"<a href='{esc(s)}/feedback.html'>{esc(s)}</a>" for s in subs[:12])
            if len(subs) > 12:
                who += f" and {len(subs) - 12} more"
            h.append(f"<tr data-code='{esc(code)}'><td>{esc(info['title'])}<br><small><code>{esc(code)}</code>"
                     f"</small></td><td class='pts'>{len(subs)}</td><td>{esc(qs)}</td>"
                     f"<td>{'<br>'.join(esc(section_heading(x)) for x in info['sections'])}</td><td>{who}</td></tr>")
        h.append("</table>")
    else:
        h.append("<p>No mistake was diagnosed.</p>")
    h.append("</section>")
    if scores:
        rows = [(q, statistics.fmean(v), config.max_points(q)) for q, v in d["per_question"].items()]
        h.append("<section class='card'><h2>Per question</h2>")
        h.append(f"<figure>{svg.horizontal_bars(rows, 'Mean score per question', label='per-question')}</figure>")
        h.append("<table><tr><th>question</th><th>mean</th><th>max</th><th>full marks</th></tr>")
        for q, mean, mx in rows:
            full = sum(v >= mx for v in d["per_question"][q])
            h.append(f"<tr><td>{esc(config.questions[q].title)} <code>{esc(q)}</code></td><td>{mean:.2f}</td>"
                     f"<td>{_f(mx)}</td><td>{full} / {len(scores)}</td></tr>")
        h.append("</table>")
        h.append("<h3 style='margin-top:14px'>Checks</h3><table><tr><th>check</th><th>passed</th>"
                 "<th>partial credit</th></tr>")
        for (q, c), s in d["checks"].items():
            h.append(f"<tr><td><code>{esc(q)}: {esc(c.replace('_', ' '))}</code></td>"
                     f"<td>{s['passed']} / {s['n']}</td><td>{s['partial'] or ''}</td></tr>")
        h.append("</table></section>")
    h.append("<section class='card' id='errors'><h2>Submissions that could not be graded</h2>")
    if d["errored"]:
        h.append("<table><tr><th>submission</th><th>why</th></tr>")
        for r in d["errored"]:
            h.append(f"<tr><td><a href='{esc(r.id)}/feedback.html'>{esc(r.id)}</a></td><td>{esc(r.error)}</td></tr>")
        h.append("</table>")
    else:
        h.append("<p>None: every submission was graded.</p>")
    h.append("</section>")
    h.append("<section class='card'><h2>All submissions</h2><table><tr><th>submission</th>"
             + "".join(f"<th class='pts'>{esc(q)}</th>" for q in config.questions)
             + "<th class='pts'>total</th><th>diagnosed</th></tr>")
    for r in d["results"]:
        per = r.question_scores()
        h.append(f"<tr><td><a href='{esc(r.id)}/feedback.html'>{esc(r.id)}</a></td>"
                 + "".join(f"<td class='pts'>{_f(per.get(q, 0.0))}</td>" for q in config.questions)
                 + f"<td class='pts'><b>{_f(r.score)}</b></td>"
                 f"<td>{esc('; '.join(d['per_submission'].get(r.id, [])))}</td></tr>")
    h.append("</table></section></main></body></html>\n")
    return "".join(h)


def write_class_summary(out: Path, results, config, notice: str = "") -> Path:
    """Write ``out/summary.html`` for a batch's results; returns its path."""
    from autograder.reports import write_atomic

    path = Path(out) / SUMMARY_FILE
    write_atomic(path, class_summary_html(results, config, Path(out), notice))
    return path
