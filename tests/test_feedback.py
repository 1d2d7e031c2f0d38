"""Feedback a student can act on: diagnosed mistakes, pictures, partial credit, class summary.

One batch grades the 28 mistaken submissions of examples/mistakes (each with one
known mistake, named on its first line) and two correct ones, two workers, fresh
training cache. Then: every mistake's results.json and feedback.md name the
expected diagnosis, the correct ones none; partial credit where the diagnosis
allows it; feedback.html and summary.html are self-contained and render in
headless Chromium (Debian package ``chromium``, installed by ``make test``) with
their pictures and without any console message.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from autograder.base.results import CheckResult, SubmissionResult
from autograder.batch.grading import grade_batch
from autograder.config import PROJECT_ROOT, ConfigError, load_config
from autograder.diagnose.sections import SECTIONS
from autograder.feedback.summary import class_summary_html, write_class_summary
from autograder.outputs.reports import write_submission_reports

MISTAKES = sorted((PROJECT_ROOT / "examples" / "mistakes").glob("*.py"))
CORRECT = [PROJECT_ROOT / "examples" / "submissions" / "correct_module.py",
           PROJECT_ROOT / "examples" / "submissions" / "correct_package"]
HEADER = re.compile(r"^# expect: (?P<code>\S+)\s+\(question: (?P<question>\w+)\)")
# The right distribution drawn with the wrong seeding or order: half the seeded-values points.
PARTIAL = {"deep_seed_in_loop": "deep", "he_default_rng": "he", "he_reversed_order": "he",
           "random_seed_42": "random", "he_no_seed": "he"}
SVG_NS = "http://www.w3.org/2000/svg"


def _expected(path: Path) -> tuple[str, str]:
    m = HEADER.match(path.read_text().splitlines()[0])
    assert m, path
    return m["question"], m["code"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory, warm_cache_at):
    assert len(MISTAKES) == 28
    out = tmp_path_factory.mktemp("out")
    config = load_config()
    cache = warm_cache_at(tmp_path_factory.mktemp("cache") / "training")  # the reference trainings made
    t0 = time.monotonic()
    report = grade_batch([*MISTAKES, *CORRECT], out, config, jobs=2, cache_dir=cache)
    seconds = time.monotonic() - t0
    write_class_summary(out, report.results, config)
    by_id = {r.id: r for r in report.results}
    assert len(by_id) == 30
    return out, config, by_id, seconds


def _results(out: Path, sid: str) -> dict:
    return json.loads((out / sid / "results.json").read_text())


@pytest.mark.parametrize("path", MISTAKES, ids=lambda p: p.stem)
def test_each_mistake_is_named_in_results_and_feedback(batch, path):
    out, config, by_id, _ = batch
    question, code = _expected(path)
    title = next(d.title for c in by_id[path.stem].checks for d in c.diagnoses if d.code == code)
    data = _results(out, path.stem)
    # results.json (Gradescope): a failed test of that question says what the mistake is...
    failed = [t for t in data["tests"] if t["name"].startswith(f"{question}:") and t["status"] == "failed"]
    assert failed, data["tests"]
    assert any(title in t["output"] or code in t["output"] for t in failed)
    assert title in data["output"]  # ...and so does the summary at the top
    # ...and only that question lost points or got a diagnosis: one mistake, one question.
    assert {d["question"] for d in data["extra_data"]["diagnoses"]} == {question}
    assert code in {d["code"] for d in data["extra_data"]["diagnoses"]}
    scores = by_id[path.stem].question_scores()
    for q in config.questions:
        assert (scores[q] < config.max_points(q)) == (q == question), scores
    md = (out / path.stem / "feedback.md").read_text()
    assert f"Likely mistake: {title}" in md
    assert "Re-read section" in md
    html = (out / path.stem / "feedback.html").read_text()
    assert f"data-code='{code}'" in html  # for scripts and the instructor's tools...
    # ...never in what a student reads: the title says it in words
    for name, shown in (("feedback.md", md), ("feedback.html", re.sub(r"<[^>]*>", " ", html)),
                        ("results.json", data["output"] + " ".join(t["output"] for t in data["tests"]))):
        assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", shown), f"{name} shows {code!r}"


def test_correct_submissions_have_no_diagnosis(batch):
    out, config, by_id, _ = batch
    for path in CORRECT:
        sid = path.stem if path.is_file() else path.name
        r = by_id[sid]
        assert r.score == config.max_points()
        assert not any(c.diagnoses for c in r.checks)
        data = _results(out, sid)
        assert data["extra_data"]["diagnoses"] == [] and "Likely mistakes" not in data["output"]
        assert "Likely mistake" not in (out / sid / "feedback.md").read_text()
        assert "class='diagnosis'" not in (out / sid / "feedback.html").read_text()


def test_partial_credit_for_the_right_distribution_with_the_wrong_seeding(batch):
    out, config, by_id, _ = batch
    assert config.partial_credit == {"seeded_values": 0.5}
    assert "partial_credit:" in (PROJECT_ROOT / "grading.yaml").read_text()  # documented where it is set
    for sid, r in by_id.items():
        for c in r.checks:
            if c.check != "seeded_values":
                continue
            if PARTIAL.get(sid) == c.question:
                assert (c.score, c.passed, c.partial) == (1.5, False, True), (sid, c.message)
                assert "Partial credit" in c.message
                assert all(d.partial_credit_eligible and d.confidence == "high" for d in c.diagnoses)
                data = _results(out, sid)
                assert {"question": c.question, "check": "seeded_values", "score": 1.5,
                        "max_score": 3.0} in data["extra_data"]["partial_credit"]
                assert "🟡" in (out / sid / "feedback.md").read_text()
            else:
                assert c.score in (0.0, c.max_score), (sid, c.question, c.score)


def test_partial_credit_configuration_is_validated(tmp_path):
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    for bad, words in (({"seeded_values": 1.5}, "between 0 and 1"), ({"no_such_check": 0.5}, "no such check"),
                       ({"he.nope": 0.5}, "no such check")):
        raw["partial_credit"] = bad
        (tmp_path / "g.yaml").write_text(yaml.safe_dump(raw))
        with pytest.raises(ConfigError, match=words):
            load_config(tmp_path / "g.yaml")
    raw["partial_credit"] = {"he.seeded_values": 0.25}
    (tmp_path / "g.yaml").write_text(yaml.safe_dump(raw))
    config = load_config(tmp_path / "g.yaml")
    assert config.partial_fraction("he", "seeded_values") == 0.25
    assert config.partial_fraction("deep", "seeded_values") == 0.0


def _figures(html: str) -> set[str]:
    return set(re.findall(r"data-figure='([^']+)'", html))


def test_pages_are_self_contained_with_the_right_pictures(batch):
    out, config, by_id, _ = batch
    for sid, r in by_id.items():
        html = (out / sid / "feedback.html").read_text()
        assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
        assert not re.search(r"(?:src|href)\s*=\s*['\"]?(?:https?:|//)", html), sid
        assert not re.search(r"url\(", html), sid
        assert "http" not in html.replace(SVG_NS, "").replace("http-equiv", ""), sid
        figs = _figures(html)
        failed = {c.question for c in r.checks if not c.passed}
        for q in config.questions:
            trained = any(c.question == q and c.passed for c in r.checks
                          if c.check.startswith("accuracy") or c.check == "symmetry")
            if trained:  # a passed training check: its cost curve beside the reference's
                assert f"{q}-training.svg" in figs, (sid, q, figs)
            if q in failed and q != "zeros" and not sid.endswith("lowercase_keys"):
                assert f"{q}-weights.svg" in figs, (sid, q, figs)
            if q not in failed:
                assert f"{q}-weights.svg" not in figs and f"{q}-hidden-units.svg" not in figs, (sid, q)
        if "zeros" in failed:
            assert "zeros-hidden-units.svg" in figs, sid
        # the Markdown links the same pictures, written next to it
        md = (out / sid / "feedback.md").read_text()
        for name in figs:
            assert f"](figures/{name})" in md and (out / sid / "figures" / name).is_file()
        assert {p.name for p in (out / sid / "figures").glob("*.svg")} == figs
    # a correct submission still sees its cost curves, identical to the reference's
    assert "identical to the reference" in (out / "correct_module" / "feedback.md").read_text()


def test_class_summary(batch):
    out, config, by_id, _ = batch
    html = (out / "summary.html").read_text()
    assert "<script" not in html.lower() and "http" not in html.replace(SVG_NS, "").replace("http-equiv", "")
    counts = dict(re.findall(r"<tr data-code='([^']+)'>.*?<td class='pts'>(\d+)</td>", html))
    assert counts["transposed-weights"] == "2" and counts["wrong-scale-fan-out"] == "2"
    assert counts["not-seeded"] == "1" and len(counts) == 26
    first = re.search(r"<tr data-code='([^']+)'>", html)[1]
    assert first in ("transposed-weights", "wrong-scale-fan-out")  # the most common come first
    assert "None: every submission was graded." in html
    for sid in by_id:
        assert f"href='./{sid}/feedback.html'" in html
    # an errored submission is listed with its reason
    broken = SubmissionResult(id="broken", path="broken.py", status="error", error="could not be read: bad zip")
    fine = SubmissionResult(id="fine", path="fine.py", status="graded",
                            checks=[CheckResult("he", "structure", "he: structure", 2.0, 2.0, True)])
    page = class_summary_html([broken, fine], config)
    assert "could not be read: bad zip" in page and "1 could not be graded" in page


def test_notebook_sections_exist():
    from autograder.authoring import student_notebook
    from autograder.diagnose import SECTIONS as DIAGNOSE_SECTIONS

    notebook = (PROJECT_ROOT / student_notebook()).read_text()

    assert set(DIAGNOSE_SECTIONS) == set(SECTIONS)
    for number, heading, _ in SECTIONS.values():
        assert f"## {number}. {heading}" in notebook


def test_page_generation_is_cheap(batch, tmp_path):
    out, config, by_id, _ = batch
    times = []
    for r in by_id.values():
        t0 = time.perf_counter()
        write_submission_reports(tmp_path, r, config, "key")
        times.append(time.perf_counter() - t0)
    times.sort()
    assert times[len(times) // 2] < 0.05 and times[-1] < 0.25, times  # measured: ~5 ms median, ~12 ms max


# --------------------------------------------------------------------------- headless Chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(page: Path, profile: Path, *mode: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", *mode, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_pages_render_in_headless_chromium(batch, tmp_path):
    # Not skipped when missing: `make test` installs Debian's chromium, and a silent skip would hide that.
    assert CHROMIUM is not None, "headless Chromium is not installed: run `make test` (it installs chromium)"
    out, config, by_id, _ = batch
    pages = {"he_no_seed": 3, "zeros_random": 3, "random_scale_ignored": 5, "correct_module": 4}
    jobs = [(out / sid / "feedback.html", n) for sid, n in pages.items()] + [(out / "summary.html", 2)]

    def dump(job):
        page, _ = job
        return _chromium(page, tmp_path / f"profile-{page.parent.name}", "--dump-dom")

    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(dump, jobs))
    for (page, n_svg), run in zip(jobs, runs):
        assert run.returncode == 0, run.stderr[-2000:]
        dom = run.stdout
        assert dom.count("<svg") >= n_svg, (page, dom.count("<svg"))
        assert "<script" not in dom
        console = [l for l in run.stderr.splitlines() if ":CONSOLE" in l]
        assert not console, console  # no JavaScript error, no message of any kind
        assert "Uncaught" not in run.stderr
    dom = runs[0].stdout  # he_no_seed: its histogram bars and its cost curves are in the rendered page
    assert dom.count("class=\"bar\"") > 20 and dom.count("class=\"series\"") >= 2
    # a screenshot: the charts are drawn (the student's colour is on the page)
    shot = tmp_path / "he_no_seed.png"
    run = _chromium(out / "he_no_seed" / "feedback.html", tmp_path / "profile-shot", f"--screenshot={shot}",
                    "--window-size=1100,3200")
    assert run.returncode == 0 and shot.stat().st_size > 20_000
    import numpy as np
    from PIL import Image

    px = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    orange = int(np.count_nonzero((r > 200) & (g > 70) & (g < 160) & (b < 130)))  # bars and curve, #e4572e
    assert orange > 3000, orange


# ---------------------------------------------------------------------------------------
# feedback.md from its template (autograder/feedback/templates/feedback.md.j2)


def test_markdown_template_fails_loudly_on_a_missing_value():
    import jinja2

    from autograder.feedback.markdown import render

    with pytest.raises(jinja2.UndefinedError, match="score"):
        render("feedback.md.j2", sid="x", name="", error="", fixes=[], load_intro="", load_messages=[],
               questions=[], figure_dir="figures", output="")


def test_markdown_page_has_every_section_in_order_and_ends_with_one_newline():
    from autograder.feedback.page import render_markdown

    config = load_config()
    checks = [CheckResult("he", "structure", "he: structure", 2.0, 2.0, True),
              CheckResult("he", "types", "he: types", 0.0, 1.0, False, "got `int`\nnot ndarray"),
              CheckResult("zeros", "symmetry", "zeros: symmetry", 1.0, 3.0, False, "half")]
    result = SubmissionResult(id="s1", path="s1.py", status="graded", checks=checks, name="s1 (2).py",
                              load_messages=["cell 2, line 1: `import sklearn`"], output="hello\n",
                              error="")
    md = render_markdown(result, config, figs=[])
    assert md.endswith("*\n") or md.endswith("```\n")
    assert not md.endswith("\n\n"), "the page ends with one newline"
    order = ["# Feedback for `s1`", "Submitted as `s1 (2).py`", "**Score: 3 / 6**", "## While loading your code",
             f"## {config.questions['he'].title} (`{config.questions['he'].function}`): 2 / 3",
             "- ✅ **he: structure** (2/2)", "- ❌ **he: types** (0/1)", "  ```text\n  got `int`\n  not ndarray\n  ```",
             f"## {config.questions['zeros'].title}", "- 🟡 **zeros: symmetry** (1/3)",
             "## What your code printed (first part)", "```text\nhello\n```"]
    at = [md.find(part) for part in order]
    assert -1 not in at and at == sorted(at), dict(zip(order, at))
    # A failed check's block sits in its list item, between blank lines; the question ends with one more.
    assert "- ❌ **he: types** (0/1)\n\n  ```text\n  got `int`\n  not ndarray\n  ```\n\n\n## " in md


def test_markdown_kit_text_has_invisible_characters_written_out_as_on_the_html_page():
    from autograder.feedback.page import render_markdown

    config = load_config()
    he = config.questions["he"].model_copy(update={"title": "He\u202e initialization\x1b[2J"})
    config = config.model_copy(update={"questions": {**config.questions, "he": he}})
    result = SubmissionResult(id="s1", path="s1.py", status="graded",
                              checks=[CheckResult("he", "structure", "he: structure", 2.0, 2.0, True)])
    md = render_markdown(result, config, figs=[])
    assert "## He\\u202e initialization\\x1b[2J (`" in md
    assert "\u202e" not in md and "\x1b" not in md


def test_markdown_values_need_a_filter_that_says_what_they_are():
    import jinja2

    from autograder.base.text_templates import UnquotedValue
    from autograder.feedback.markdown import environment

    env = environment()
    assert env.from_string("{{ x|md_code }} {{ n|num }} {{ t|kit }}").render(x="a`b", n=2.50, t="T\u202e") == \
        "``a`b`` 2.5 T\\u202e"
    for source in ("{{ x }}", "{{ (x|md_code)[1:] }}", "{{ x ~ (y|kit) }}", "{{ 'literal' }}"):
        with pytest.raises(UnquotedValue):  # an unfiltered (or re-cut) value stops the render
            env.from_string(source).render(x="a", y="b")
    with pytest.raises(jinja2.TemplateError):  # the generated files' formats are not Markdown's
        env.from_string("{{ x|sh }}").render(x="a")


def test_one_place_builds_the_jinja_environments():
    """Every Jinja environment of the kit comes from text_templates.jinja_environment, and the compiled
    templates of the autoescaped pages and of the text formats are cached apart."""
    from autograder.base.text_templates import environment
    from autograder.config import PROJECT_ROOT
    from autograder.feedback import html, markdown

    builders = sorted(str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "autograder").rglob("*.py")
                      if re.search(r"\bEnvironment\(", p.read_text()))
    assert builders == ["autograder/base/text_templates.py"]
    pages, text = html.environment(), markdown.environment()
    assert pages.autoescape is True and text.autoescape is False
    assert environment("autograder.platforms").autoescape is False
    assert pages.bytecode_cache.pattern != text.bytecode_cache.pattern


def test_html_shows_code_spans_as_code_and_names_the_submitted_file_kind():
    """feedback.html: a diagnosis's `np.zeros((n, 1))` is <code>, never raw backticks (and student text
    inside stays escaped); the footer names the kind of file submitted, not the notebook of the
    assignment; the left-out statements no call needed are one collapsed line."""
    from autograder.diagnose import Diagnosis
    from autograder.feedback.page import render_html

    config = load_config()
    d = Diagnosis("bias-shape", "Biases of the wrong shape", "Use `np.zeros((layers_dims[l], 1))` for `<b1>`.",
                  "shapes", "high")
    checks = [CheckResult("he", "structure", "he: structure", 0.0, 2.0, False, "b1 has shape `(4,)`", [d])]
    for kind, words in (("module", "Python file"), ("notebook", "Notebook"), ("zip:package", "Folder in a zip file")):
        result = SubmissionResult(id="s1", path="s1.py", status="graded", checks=checks, name="s1.py", kind=kind,
                                  load_note="Not used for grading: the imports of `sklearn`.")
        html = render_html(result, config, figs=[])
        assert "<code>np.zeros((layers_dims[l], 1))</code>" in html and "<code>&lt;b1&gt;</code>" in html
        assert "<code>(4,)</code>" in html and "`" not in html.split("<footer>")[0].split("<main")[-1]
        assert f"<footer>{words}: <code>s1.py</code>" in html
        assert "While loading your code" not in html and "<code>sklearn</code>" in html


def test_the_class_summary_words_a_submissions_error_for_the_instructor():
    from autograder.feedback.summary import for_instructor

    said = for_instructor("the process running your code ended while loading it (killed; did your code call "
                          "sys.exit?); please tell your instructor")
    assert "your" not in said.lower() and "instructor" not in said
    assert said.startswith("the process running the submission's code ended") and "did the code call" in said


def test_a_weights_figure_says_the_shape_each_expected_std_is_for():
    from autograder.feedback.page import _weights_figure

    layer = {"key": "W1", "values": [0.1, -0.2, 0.3], "shape": [25, 40], "expected_shape": [25, 40],
             "expected_std": 0.2236}
    figure = _weights_figure("he", {"call": "initialize_parameters_he([40, 25, 10])", "layers": [layer]})
    assert figure is not None and "W1 of shape (25, 40): your std" in figure.text
