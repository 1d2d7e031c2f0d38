"""Feedback on code as real students write it (examples/realistic, made by its make_cases.py).

One batch (two workers, shared with the other realistic corpora: tests/corpus_batch.py) grades
notebooks and modules in the style of the well-known MOOC versions of these exercises: their
helper imports, magics and ``rcParams``, signatures without ``scale``, seeds 1 and 42,
``np.float``, module-level helpers and RandomState objects, definitions in ``if``/``try``,
redefinitions, hard-coded factors. Each submission's feedback must contain the text
``expectations.yaml`` gives it (and its score where fixed), and no report a student sees may
show a path of the grading machine or a name of the kit's internals. Every feedback meets the rating criteria of
tests/feedback_rating.py (the real mistake named, in the student's terms, no false claim,
something to do, one message per cause).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml
from corpus_batch import REALISTIC
from corpus_batch import graded as graded_corpora
from feedback_rating import problems

import autograder
from autograder.config import PROJECT_ROOT

CORPUS = REALISTIC
EXPECT = yaml.safe_load((CORPUS / "expectations.yaml").read_text(encoding="utf-8"))


def environment_paths() -> list[str]:
    """Folders of the grading machine: the kit's checkout, the Pythons, the home folder."""
    kit = str(Path(autograder.__file__).resolve().parents[1])
    return [p for p in {kit, sys.prefix, sys.base_prefix, os.path.expanduser("~")} if p and p != "/"]


# Names of the kit's internals and traces of the grading machine a student must never see.
LEAKS = re.compile(r"_Quiet|DisplayStandIn|DisplayModule|autograder|site-packages|dist-packages|"
                   r"/usr/lib/python|\.venv|initgrade-|autograder/sandbox|Traceback \(most recent")


@pytest.fixture(scope="module")
def graded(tmp_path_factory, warm_cache_at):
    return graded_corpora(tmp_path_factory, warm_cache_at)  # one batch with the other realistic corpora


def test_corpus_is_large_and_current():
    files = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".ipynb", ".py") and p.name != "make_cases.py")
    assert len(files) >= 30
    assert sorted(EXPECT) == files  # regenerate with examples/realistic/make_cases.py


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_feedback_says_what_it_must(graded, name):
    out, results = graded
    sid = Path(name).stem
    result = results[sid]
    assert result.status == "graded", result.error
    text = (out / sid / "feedback.md").read_text(encoding="utf-8")
    flat = " ".join(text.split())
    for message in EXPECT[name]["messages"]:
        assert " ".join(message.split()) in flat, f"{name}: feedback lacks {message!r}"
    if EXPECT[name]["score"] is not None:
        assert result.score == EXPECT[name]["score"], text
    # the repeated error is said once, and no label nests backticks
    assert "``" not in text.replace("```", "")
    assert "unavailable import" not in text and "failed and were skipped" not in text


def test_no_grader_path_or_internal_name_in_any_report(graded):
    out, results = graded
    paths = [p for p in environment_paths() + [str(out), str(PROJECT_ROOT)] if len(p) > 4]
    for sid in results:
        for report in ("results.json", "feedback.md", "feedback.html"):
            text = (out / sid / report).read_text(encoding="utf-8")
            if report == "results.json":  # what the student sees of it: the messages
                data = json.loads(text)
                text = "\n".join([data["output"]] + [t["output"] for t in data["tests"]])
            hit = LEAKS.search(text)
            assert hit is None, (f"{sid}/{report} shows {hit.group(0)!r}: "
                                 f"...{text[max(hit.start() - 200, 0):hit.end() + 100]}")
            for p in paths:
                assert p not in text, f"{sid}/{report} shows the path {p}"


def test_scores_unchanged_by_the_notebook_around_the_functions(graded):
    """A correct notebook full of plots, helper imports and training cells gets every point."""
    _, results = graded
    for sid in ("correct_full_notebook", "correct_dnn_style", "correct_plot_settings_in_defs", "defs_in_try"):
        assert results[sid].score == results[sid].max_score == 40


def test_every_feedback_meets_the_rating_criteria(graded):
    out, results = graded
    rated = {sid: problems(out, sid) for sid in results if f"{sid}.ipynb" in EXPECT or f"{sid}.py" in EXPECT}
    assert len(rated) == len(EXPECT)
    assert {sid: found for sid, found in rated.items() if found} == {}
