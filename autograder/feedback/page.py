"""One submission's feedback: a self-contained HTML page and the same content as Markdown.

``feedback.html`` has every question's checks with their messages, the diagnosed
mistakes (each with the notebook section to re-read), and pictures drawn as
inline SVG: the student's weights over the expected distribution (failed
random/He/deep questions), the zero initialization's hidden units (failed zeros
question), and the training cost from the student's initialization beside the
reference's (every question that trained). No script, no stylesheet or font from
anywhere: the page renders offline, as a file. It is rendered from templates/feedback.html.j2 with
autoescaping (autograder.feedback.html).

``feedback.md`` says the same in Markdown, its pictures as ``figures/*.svg``
files next to it (with their key numbers in the text, for viewers that show no
images). It is rendered from templates/feedback.md.j2, every value through a filter, student
text only through md_code, md_block and md_item (autograder.feedback.markdown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autograder.base.results import (
    CheckResult,
    OutcomeData,
    SubmissionResult,
    TrainingEvidence,
    WeightsEvidence,
    ZerosEvidence,
)
from autograder.diagnose.sections import section_heading, section_pointer
from autograder.feedback import svg
from autograder.feedback.chart_memo import remembered
from autograder.feedback.svg_elements import Svg
from autograder.limits import FEEDBACK_OUTPUT_CHARS

if TYPE_CHECKING:
    from autograder.config import GradingConfig
    from autograder.diagnose import Diagnosis

FIGURE_DIR = "figures"


@dataclass
class Figure:
    name: str      # file name, e.g. "he-weights.svg"
    question: str
    title: str
    svg: Svg
    text: str      # the picture's key numbers, in words


def _g(x: float) -> str:
    return f"{x:.4g}" if math.isfinite(x) else str(x)


# ----------------------------------------------------------------------------- data helpers

def by_question(result: SubmissionResult) -> dict[str, list[CheckResult]]:
    out: dict[str, list[CheckResult]] = {}
    for c in result.checks:
        out.setdefault(c.question, []).append(c)
    return out


def unique_diagnoses(checks: list[CheckResult]) -> list[tuple[Diagnosis, list[CheckResult]]]:
    """(diagnosis, [checks naming it]) in order of first appearance, one per code."""
    seen: dict[str, tuple[Diagnosis, list[CheckResult]]] = {}
    for c in checks:
        for d in c.diagnoses:
            if d.code not in seen:
                seen[d.code] = (d, [])
            seen[d.code][1].append(c)
    return list(seen.values())


LOAD_INTRO = ("The grader runs your imports, function definitions and constants, then calls the "
              "graded functions itself. What it could not run or did not use:")


def split_message(check: CheckResult) -> str:
    """The check's own finding, without the diagnosis text appended to it (shown separately)."""
    msg = check.message
    for d in check.diagnoses:
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

# The charts, each drawn once per process for the same data (a batch's submissions share most of them).
_weight_histograms = remembered(svg.weight_histograms)
_heatmaps = remembered(svg.heatmaps)
_line_chart = remembered(svg.line_chart)


def figures(result: SubmissionResult, config: GradingConfig) -> list[Figure]:
    ev = result.evidence
    out: list[Figure] = []
    for q in config.questions:
        w = ev.weights.get(q)
        if w:
            fig = _weights_figure(q, w)
            if fig:
                out.append(fig)
        z = ev.zeros.get(q)
        if z:
            fig = _zeros_figure(q, z)
            if fig:
                out.append(fig)
        t = ev.training.get(q)
        if t:
            fig = _training_figure(q, t, config)
            if fig:
                out.append(fig)
    return out


def _weights_figure(q: str, w: WeightsEvidence) -> Figure | None:
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
            # the shape says which layer sizes this expected std is for (other calls have others)
            words.append(f"{layer['key']} of shape {tuple(want)}: your std {_g(sd)}, "
                         f"expected {_g(layer['expected_std'])}{extra}")
        else:
            words.append(f"{layer['key']}: missing")
    title = "Your weights over the expected distribution"
    sub = f"from {w['call']}"
    return Figure(f"{q}-weights.svg", q, f"{title}, {sub}",
                  _weight_histograms(panels, title, label=f"{q}-weights", subtitle=sub), "; ".join(words) + ".")


def _zeros_figure(q: str, z: ZerosEvidence) -> Figure | None:
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
                  _heatmaps(shown, title, label=f"{q}-hidden-units", subtitle=sub), "; ".join(words) + ".")


def _final(run: OutcomeData) -> float:
    """The cost after the last iteration (autograder.training.Outcome.final_cost), the figure the
    README and the notebook state too."""
    return float(run.get("final_cost", run["costs"][-1]))


def _training_figure(q: str, runs: list[TrainingEvidence], config: GradingConfig) -> Figure | None:
    series: list[dict[str, object]] = []
    words: list[str] = []
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
        txt = f"yours{label}: final cost {_g(_final(st))}, training accuracy {st['train_accuracy']:.3f}"
        if rf and rf["costs"]:
            series.append({"label": f"reference{label}", "x": [k * rf["record_every"] for k in range(len(rf["costs"]))],
                           "y": rf["costs"], "colour": ref, "dash": True})
            txt += f" (reference: {_g(_final(rf))}, {rf['train_accuracy']:.3f})"
            if run.get("same_as_reference"):
                txt += ", identical to the reference"
        words.append(txt)
    if not series:
        return None
    dataset = config.training[training].dataset if training in config.training else training
    title = "Training cost: your initialization vs the reference's"
    sub = f"the provided model trained on the {dataset} data ({runs[0]['call'].split('(')[0]})"
    return Figure(f"{q}-training.svg", q, f"{title} ({dataset} data)",
                  _line_chart(series, title, "iteration", "cost", label=f"{q}-training", subtitle=sub),
                  "; ".join(words) + ".")


# ----------------------------------------------------------------------------- HTML

def _question_title(config, q: str) -> tuple[str, str]:
    question = config.questions.get(q)
    return (question.title, question.function) if question else (q, "")


def question_words(config, q: str) -> str:
    """A question as its student knows it: the function they wrote (grading.yaml), not the question's key."""
    question = config.questions.get(q)
    return question.function if question else q


_KIND_WORDS = {"notebook": "Notebook", "module": "Python file", "package": "Folder"}


def submitted_kind(result: SubmissionResult) -> str:
    """What was submitted, as the footer says it: the kind of the file actually graded (a .py file is
    not called a notebook)."""
    kind = result.kind
    zipped = kind.startswith("zip:")
    words = _KIND_WORDS.get(kind.removeprefix("zip:"), "Submission")
    return f"{words} in a zip file" if zipped else words


def _diagnosis_context(d, checks, notebook: str) -> dict:
    return {"code": d.code, "title": d.title, "confidence": d.confidence, "message": d.message,
            "partial": bool(d.partial_credit_eligible and d.confidence == "high" and any(c.score > 0 for c in checks)),
            "pointer": section_pointer(d.notebook_section, notebook),
            "behind": ", ".join(c.check.replace("_", " ") for c in checks)}


def render_html(result: SubmissionResult, config: GradingConfig, figs: list[Figure] | None = None) -> str:
    """feedback.html, from templates/feedback.html.j2 (autoescaped: see autograder.feedback.html)."""
    from autograder.feedback.html import render, trusted_svg

    figs = figures(result, config) if figs is None else figs
    questions = []
    for q, checks in by_question(result).items():
        title, function = _question_title(config, q)
        questions.append({
            "key": q, "anchor": f"q-{q}", "title": title, "function": function,
            "got": sum(c.score for c in checks), "total": sum(c.max_score for c in checks),
            "checks": [{"passed": c.passed, "score": c.score, "max_score": c.max_score,
                        "label": c.check.replace("_", " "), "message": "passed" if c.passed else split_message(c)}
                       for c in checks],
            "diagnoses": [_diagnosis_context(d, dchecks, config.notebook) for d, dchecks in unique_diagnoses(checks)],
            "figures": [{"name": f.name, "svg": trusted_svg(f.svg), "text": f.text} for f in figs if f.question == q],
        })
    fixes = [{"where": question_words(config, checks[0].question), "anchor": f"q-{checks[0].question}",
              "title": d.title, "section": section_heading(d.notebook_section)}
             for d, checks in unique_diagnoses(result.checks)]
    return render("feedback.html.j2", sid=result.id, name=result.name, title=config.title,
                  graded_file=result.graded_file, graded_because=result.graded_because,
                  score=result.score, max_score=result.max_score, questions=questions, error=result.error,
                  fixes=fixes, load_intro=LOAD_INTRO, load_messages=result.load_messages,
                  load_note=result.load_note,
                  output=result.output.strip()[:FEEDBACK_OUTPUT_CHARS], submitted_as=submitted_kind(result),
                  grader_version=result.grader_version, seconds=result.seconds)


# ----------------------------------------------------------------------------- Markdown

def render_markdown(result: SubmissionResult, config: GradingConfig, figs: list[Figure] | None = None,
                    figure_dir: str = FIGURE_DIR) -> str:
    """feedback.md, from templates/feedback.md.j2 (every value through a filter, student text only
    through md_code, md_block and md_item: see autograder.feedback.markdown), pictures linked from
    ``figure_dir``."""
    from autograder.feedback.markdown import render

    figs = figures(result, config) if figs is None else figs
    questions = []
    for q, checks in by_question(result).items():
        title, function = _question_title(config, q)
        questions.append({
            "title": title, "function": function,
            "got": sum(c.score for c in checks), "total": sum(c.max_score for c in checks),
            "checks": [{"passed": c.passed, "score": c.score, "max_score": c.max_score, "name": c.name,
                        "message": "" if c.passed else split_message(c)} for c in checks],
            "diagnoses": [_diagnosis_context(d, dchecks, config.notebook) for d, dchecks in unique_diagnoses(checks)],
            "figures": [{"name": f.name, "title": f.title, "text": f.text} for f in figs if f.question == q],
        })
    fixes = [{"where": question_words(config, checks[0].question), "title": d.title,
              "section": section_heading(d.notebook_section)} for d, checks in unique_diagnoses(result.checks)]
    page = render("feedback.md.j2", sid=result.id, name=result.name, score=result.score,
                  graded_file=result.graded_file, graded_because=result.graded_because,
                  max_score=result.max_score, error=result.error, fixes=fixes, load_intro=LOAD_INTRO,
                  load_messages=result.load_messages, load_note=result.load_note,
                  questions=questions, figure_dir=figure_dir,
                  output=result.output.strip()[:FEEDBACK_OUTPUT_CHARS])
    return page.removesuffix("\n")
