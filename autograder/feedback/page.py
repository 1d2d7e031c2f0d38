"""One submission's feedback: a self-contained HTML page and the same content as Markdown.

``feedback.html`` has every question's checks with their messages, the diagnosed
mistakes (each with the notebook section to re-read), and pictures drawn as
inline SVG: the student's weights over the expected distribution (failed
random/He/deep questions), the zero initialization's hidden units (failed zeros
question), and the training cost from the student's initialization beside the
reference's (every question that trained). No script, no stylesheet or font from
anywhere: the page renders offline, as a file.

``feedback.md`` says the same in Markdown, its pictures as ``figures/*.svg``
files next to it (with their key numbers in the text, for viewers that show no
images).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from autograder.feedback import svg
from autograder.feedback.sections import NOTEBOOK, section_heading, section_pointer
from autograder.feedback.svg import esc

FIGURE_DIR = "figures"


@dataclass
class Figure:
    name: str      # file name, e.g. "he-weights.svg"
    question: str
    title: str
    svg: str
    text: str      # the picture's key numbers, in words


def _f(x: float) -> str:
    return f"{x:g}"


def _g(x: float) -> str:
    return f"{x:.4g}" if math.isfinite(x) else str(x)


# ----------------------------------------------------------------------------- data helpers

def by_question(result) -> dict[str, list]:
    out: dict[str, list] = {}
    for c in result.checks:
        out.setdefault(c.question, []).append(c)
    return out


def unique_diagnoses(checks) -> list[tuple[object, list]]:
    """(diagnosis, [checks naming it]) in order of first appearance, one per code."""
    seen: dict[str, tuple[object, list]] = {}
    for c in checks:
        for d in getattr(c, "diagnoses", None) or []:
            if d.code not in seen:
                seen[d.code] = (d, [])
            seen[d.code][1].append(c)
    return list(seen.values())


LOAD_INTRO = ("The grader runs your imports, function definitions and constants, then calls the "
              "graded functions itself. What it could not run or did not use:")


def split_message(check) -> str:
    """The check's own finding, without the diagnosis text appended to it (shown separately)."""
    msg = check.message or ""
    for d in getattr(check, "diagnoses", None) or []:
        cut = msg.find(f" Diagnosis: {d.title}.")
        if cut >= 0:
            tail = msg[cut:]
            keep = ""
            marker = " Partial credit:"
            if marker in tail:
                keep = tail[tail.index(marker):]
            return msg[:cut] + keep
    return msg


# ----------------------------------------------------------------------------- figures

def figures(result, config) -> list[Figure]:
    ev = getattr(result, "evidence", None) or {}
    out: list[Figure] = []
    for q in config.questions:
        w = (ev.get("weights") or {}).get(q)
        if w:
            fig = _weights_figure(q, w)
            if fig:
                out.append(fig)
        z = (ev.get("zeros") or {}).get(q)
        if z:
            fig = _zeros_figure(q, z)
            if fig:
                out.append(fig)
        t = (ev.get("training") or {}).get(q)
        if t:
            fig = _training_figure(q, t, config)
            if fig:
                out.append(fig)
    return out


def _weights_figure(q: str, w: dict) -> Figure | None:
    if w.get("error") and not w.get("layers"):
        return None
    panels, words = [], []
    for layer in w["layers"]:
        vals, shape, want = layer["values"], layer["shape"], layer["expected_shape"]
        name = f"{layer['key']}  (shape {tuple(shape) if shape else '—'}"
        name += ")" if shape == want else f", expected {tuple(want)})"
        note = None if vals is not None else f"{layer['key']} missing or not a numeric array"
        panels.append({"name": name, "values": vals, "expected_std": layer["expected_std"], "note": note})
        if vals is not None and len(vals):
            import numpy as np

            a = np.asarray(vals, dtype=float)
            fin = a[np.isfinite(a)]
            sd = float(np.std(fin)) if fin.size else float("nan")
            extra = f", {a.size - fin.size} NaN/inf" if fin.size < a.size else ""
            words.append(f"{layer['key']}: your std {_g(sd)}, expected {_g(layer['expected_std'])}{extra}")
        else:
            words.append(f"{layer['key']}: missing")
    title = "Your weights over the expected distribution"
    sub = f"from {w['call']}"
    return Figure(f"{q}-weights.svg", q, f"{title}, {sub}",
                  svg.weight_histograms(panels, title, label=f"{q}-weights", subtitle=sub), "; ".join(words) + ".")


def _zeros_figure(q: str, z: dict) -> Figure | None:
    mats = z.get("matrices") or []
    if not mats:
        return None
    shown, words = [], []
    for m in mats:
        rows, cols = m["values"].shape
        same = "all rows identical" if m["rows_identical"] else "rows differ"
        after = m.get("after_training_identical")
        after_txt = "" if after is None else ("; after training: still identical" if after
                                                 else "; after training: rows differ")
        shown.append({"name": f"{m['key']}: {rows} hidden units × {cols} inputs",
                      "values": m["values"],
                      "caption": f"at the start: {same}" + ("\n" + after_txt[2:] if after_txt else "")})
        words.append(f"{m['key']}: at the start {same}{after_txt}")
    title = "Your hidden units' initial weights (one row per unit)"
    sub = f"from {z['call']}; identical rows = units that compute the same thing"
    return Figure(f"{q}-hidden-units.svg", q, f"{title}, {sub}",
                  svg.heatmaps(shown, title, label=f"{q}-hidden-units", subtitle=sub), "; ".join(words) + ".")


def _training_figure(q: str, runs: list[dict], config) -> Figure | None:
    series, words = [], []
    palette = [(svg.STUDENT, svg.REFERENCE), (svg.ALT_STUDENT, svg.ALT_REFERENCE)]
    training = runs[0]["training"]
    for i, run in enumerate(runs):
        you, ref = palette[i % 2]
        label = f", {run['label']}" if run.get("label") else ""
        st = run.get("student")
        if not st or not st["costs"]:
            continue
        step = st["record_every"]
        series.append({"label": f"yours{label}", "x": [k * step for k in range(len(st["costs"]))],
                       "y": st["costs"], "colour": you})
        rf = run.get("reference")
        txt = f"yours{label}: final cost {_g(st['costs'][-1])}, training accuracy {st['train_accuracy']:.3f}"
        if rf and rf["costs"]:
            series.append({"label": f"reference{label}", "x": [k * rf["record_every"] for k in range(len(rf["costs"]))],
                           "y": rf["costs"], "colour": ref, "dash": True})
            txt += f" (reference: {_g(rf['costs'][-1])}, {rf['train_accuracy']:.3f})"
            if run.get("same_as_reference"):
                txt += ", identical to the reference"
        words.append(txt)
    if not series:
        return None
    dataset = config.training[training].dataset if training in config.training else training
    title = "Training cost: your initialization vs the reference's"
    sub = f"the provided model trained on the {dataset} data ({runs[0]['call'].split('(')[0]})"
    return Figure(f"{q}-training.svg", q, f"{title} ({dataset} data)",
                  svg.line_chart(series, title, "iteration", "cost", label=f"{q}-training", subtitle=sub),
                  "; ".join(words) + ".")


# ----------------------------------------------------------------------------- HTML

CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1f2328;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 0 0 10px; display: flex; justify-content: space-between; gap: 12px; }
h3 { font-size: 1.02em; margin: 0 0 4px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em;
       background: #eef0f3; padding: 1px 4px; border-radius: 4px; }
.card { background: white; border: 1px solid #dde1e6; border-radius: 10px; padding: 16px 18px; margin: 16px 0; }
.score { font-size: 1.15em; font-weight: 600; }
.chips { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; padding: 0; list-style: none; }
.chips a { display: inline-block; padding: 3px 10px; border-radius: 999px; text-decoration: none;
           color: inherit; border: 1px solid #dde1e6; background: #fafbfc; }
.full { border-color: #7cc48d !important; background: #eefaf1 !important; }
.lost { border-color: #f0a48c !important; background: #fff3ef !important; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; vertical-align: top; padding: 6px 8px; border-top: 1px solid #eceff2; }
th { font-weight: 600; font-size: 0.9em; color: #5b6470; border-top: none; }
.pts { white-space: nowrap; text-align: right; }
table.checks td:first-child { width: 1.4em; } table.checks td:nth-child(2) { width: 10em; }
.ok { color: #1a7f37; font-weight: 700; } .ko { color: #cf222e; font-weight: 700; }
.half { color: #9a6700; font-weight: 700; }
.diagnosis { border-left: 4px solid #e4572e; background: #fff8f5; padding: 10px 14px; margin: 12px 0;
             border-radius: 0 8px 8px 0; }
.diagnosis p { margin: 4px 0; }
.pointer { color: #2e6fba; }
.badge { font-size: 0.78em; padding: 1px 7px; border-radius: 999px; background: #eef0f3; margin-left: 6px;
         font-weight: 500; vertical-align: middle; }
.badge.partial { background: #fff1c2; }
figure { margin: 14px 0 4px; overflow-x: auto; }
figcaption { color: #5b6470; font-size: 0.9em; margin-top: 4px; }
svg.chart { max-width: 100%; height: auto; border: 1px solid #eceff2; border-radius: 6px; }
pre { background: #f3f4f6; padding: 10px; border-radius: 6px; overflow-x: auto; font-size: 0.85em; }
footer { color: #5b6470; font-size: 0.85em; margin-top: 24px; }
ul.fix { margin: 6px 0 0; padding-left: 20px; }
"""


def _status_icon(c) -> str:
    if c.passed:
        return "<span class='ok' title='passed'>✓</span>"
    if c.score > 0:
        return "<span class='half' title='partial credit'>½</span>"
    return "<span class='ko' title='failed'>✗</span>"


def _diagnosis_html(d, checks, question_title: str) -> str:
    names = ", ".join(c.check.replace("_", " ") for c in checks)
    badges = f"<span class='badge'>{esc(d.confidence)} confidence</span>"
    if d.partial_credit_eligible and d.confidence == "high" and any(c.score > 0 for c in checks):
        badges += "<span class='badge partial'>partial credit given</span>"
    return (f"<div class='diagnosis' data-code='{esc(d.code)}'>"
            f"<h3>Likely mistake: {esc(d.title)}{badges}</h3>"
            f"<p>{esc(d.message)}</p>"
            f"<p class='pointer'>§ {esc(section_pointer(d.notebook_section))}</p>"
            f"<p><small>Code <code>{esc(d.code)}</code> · behind: {esc(names)}</small></p></div>")


def render_html(result, config, figs: list[Figure] | None = None) -> str:
    figs = figures(result, config) if figs is None else figs
    groups = by_question(result)
    per_q = result.question_scores()
    title = f"Feedback for {result.id}"
    h = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
         "<meta name='viewport' content='width=device-width, initial-scale=1'>",
         f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"]
    # header
    h.append("<header class='card'>")
    h.append(f"<h1>Feedback for <code>{esc(result.id)}</code></h1>")
    h.append(f"<div class='muted'>{esc(config.title)}</div>")
    h.append(f"<p class='score'>Score: {_f(result.score)} / {_f(result.max_score)}</p>")
    h.append("<ul class='chips'>")
    for q in groups:
        got, total = per_q.get(q, 0.0), sum(c.max_score for c in groups[q])
        cls = "full" if got >= total else "lost"
        h.append(f"<li><a class='{cls}' href='#q-{esc(q)}'>{esc(q)}: {_f(got)} / {_f(total)}</a></li>")
    h.append("</ul></header>")
    if result.error:
        h.append(f"<section class='card'><h2>Your submission could not be graded</h2><p>{esc(result.error)}</p>"
                 "</section>")
    # what to fix first
    all_diag = unique_diagnoses(result.checks)
    if all_diag:
        h.append("<section class='card' id='to-fix'><h2>What to fix</h2><ul class='fix'>")
        for d, checks in all_diag:
            q = checks[0].question
            h.append(f"<li><a href='#q-{esc(q)}'><b>{esc(q)}</b></a>: {esc(d.title)} — re-read section "
                     f"<i>{esc(section_heading(d.notebook_section))}</i></li>")
        h.append("</ul></section>")
    if result.load_messages:
        h.append("<section class='card'><h2>While loading your code</h2>"
                 f"<p>{esc(LOAD_INTRO)}</p><ul>")
        h += [f"<li>{esc(m)}</li>" for m in result.load_messages]
        h.append("</ul></section>")
    figs_by_q: dict[str, list[Figure]] = {}
    for f in figs:
        figs_by_q.setdefault(f.question, []).append(f)
    for q, checks in groups.items():
        question = config.questions.get(q)
        qtitle = question.title if question else q
        fn = question.function if question else ""
        got, total = sum(c.score for c in checks), sum(c.max_score for c in checks)
        h.append(f"<section class='card question' id='q-{esc(q)}'>")
        h.append(f"<h2><span>{esc(qtitle)} <code>{esc(fn)}</code></span><span>{_f(got)} / {_f(total)}</span></h2>")
        h.append("<table class='checks'><tr><th></th><th>check</th><th>result</th><th class='pts'>points</th></tr>")
        for c in checks:
            msg = "passed" if c.passed else split_message(c)
            h.append(f"<tr><td>{_status_icon(c)}</td><td>{esc(c.check.replace('_', ' '))}</td>"
                     f"<td>{esc(msg)}</td><td class='pts'>{_f(c.score)} / {_f(c.max_score)}</td></tr>")
        h.append("</table>")
        for d, dchecks in unique_diagnoses(checks):
            h.append(_diagnosis_html(d, dchecks, qtitle))
        for f in figs_by_q.get(q, []):
            h.append(f"<figure data-figure='{esc(f.name)}'>{f.svg}<figcaption>{esc(f.text)}</figcaption></figure>")
        h.append("</section>")
    if result.output.strip():
        h.append(f"<section class='card'><h2>What your code printed (first part)</h2>"
                 f"<pre>{esc(result.output.strip()[:3000])}</pre></section>")
    h.append(f"<footer>Notebook: <code>{esc(NOTEBOOK)}</code> · grader {esc(result.grader_version)}"
             f" · graded in {result.seconds:.1f} s</footer>")
    h.append("</main></body></html>\n")
    return "".join(h)


# ----------------------------------------------------------------------------- Markdown

def _md_escape(text: str) -> str:
    return text.replace("\n", " ")


def render_markdown(result, config, figs: list[Figure] | None = None, figure_dir: str = FIGURE_DIR) -> str:
    """feedback.md: the same content as the HTML page, pictures linked from ``figure_dir``."""
    figs = figures(result, config) if figs is None else figs
    groups = by_question(result)
    lines = [f"# Feedback for `{result.id}`", "",
             f"**Score: {_f(result.score)} / {_f(result.max_score)}**", ""]
    if result.error:
        lines += ["## Your submission could not be graded", "", result.error, ""]
    all_diag = unique_diagnoses(result.checks)
    if all_diag:
        lines += ["## What to fix", ""]
        for d, checks in all_diag:
            lines.append(f"- **{checks[0].question}**: {d.title} (`{d.code}`): re-read section "
                         f"*{section_heading(d.notebook_section)}*")
        lines.append("")
    if result.load_messages:
        lines += ["## While loading your code", "", LOAD_INTRO, ""]
        lines += [f"- {_md_escape(m)}" for m in result.load_messages] + [""]
    for q, checks in groups.items():
        got, total = sum(c.score for c in checks), sum(c.max_score for c in checks)
        question = config.questions.get(q)
        title = question.title if question else q
        fn = f" (`{question.function}`)" if question else ""
        lines += [f"## {title}{fn}: {_f(got)} / {_f(total)}", ""]
        for c in checks:
            mark = "✅" if c.passed else ("🟡" if c.score > 0 else "❌")
            lines.append(f"- {mark} **{c.name}** ({_f(c.score)}/{_f(c.max_score)})")
            if not c.passed:
                lines.append(f"  - {_md_escape(split_message(c))}")
        lines.append("")
        for d, dchecks in unique_diagnoses(checks):
            partial = " Partial credit given." if (d.partial_credit_eligible and d.confidence == "high"
                                                   and any(c.score > 0 for c in dchecks)) else ""
            lines += [f"> **Likely mistake: {d.title}** (`{d.code}`, {d.confidence} confidence).{partial}",
                      ">", f"> {_md_escape(d.message)}", ">",
                      f"> § {section_pointer(d.notebook_section)}", ""]
        for f in [f for f in figs if f.question == q]:
            lines += [f"![{f.title}]({figure_dir}/{f.name})", "", f"*{f.text}*", ""]
    if result.output.strip():
        lines += ["## What your code printed (first part)", "", "```", result.output.strip()[:3000], "```", ""]
    return "\n".join(lines)
