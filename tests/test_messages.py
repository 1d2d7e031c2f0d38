"""Every message a student reads about a realistic mistake, read one by one.

``examples/realistic-notebooks/`` (made by its make_cases.py from the kit's own notebook) holds one
notebook per mistake a class makes writing the four functions: scales, fan-in and fan-out, shapes,
biases, keys, loops off by one, ``rand``, seeds, ``default_rng``, zeros, lists and tuples returned, a
global for the argument, ``print`` for ``return``, dtypes, integer division, the template's
``raise``, typos, an endless loop, a huge allocation, the argument modified, extra keys, and offsets
on unseeded weights. Graded in one batch with round 3's corpus (tests/corpus_batch.py), each
notebook's messages about its function must:

* name the function, in every failing check that is not a pointer to another check;
* contain the expected and found values, shapes or keys, and the likely mistake
  (``expectations.yaml``'s ``must``), and no wrong diagnosis (``must_not``);
* point at the student's cell as Jupyter shows it (``cell [n] (the cell starting `def ...`)``) when
  the failure is in their code (``cell``);
* show no grader path, no name of the kit's internals, no Python traceback (and meet
  tests/feedback_rating.py's criteria).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from corpus_batch import NOTEBOOKS, corpus, graded
from feedback_rating import problems

from autograder.config import load_config

EXPECT = yaml.safe_load((NOTEBOOKS / "expectations.yaml").read_text(encoding="utf-8"))
FILES = corpus(NOTEBOOKS)
QUESTIONS = load_config().question_functions  # question -> function
# What a student must never read: the grading machine's paths, the kit's own names, tracebacks.
LEAKS = re.compile(r"autograder|/work/|/usr/|/tmp/|site-packages|dist-packages|\brubric\b|SubmissionTrainer|"
                   r"SandboxStudent|ProbeFailure|CheckFailure|_ArrayMemoryError|Traceback|File \"|builtins\.")


@pytest.fixture(scope="module")
def batch(tmp_path_factory, warm_cache_at):
    return graded(tmp_path_factory, warm_cache_at)


def test_corpus_is_large_and_current():
    assert len(FILES) >= 40
    assert sorted(EXPECT) == [p.name for p in FILES]  # regenerate with examples/realistic-notebooks/make_cases.py
    assert all(e["must"] or e["score"] is not None for e in EXPECT.values())


def _read(out: Path, sid: str) -> tuple[dict, str]:
    data = json.loads((out / sid / "results.json").read_text(encoding="utf-8"))
    md = (out / sid / "feedback.md").read_text(encoding="utf-8")
    return data, md


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_each_message_names_the_function_the_values_the_mistake_and_the_place(batch, name):
    out, results = batch
    sid, want = Path(name).stem, EXPECT[name]
    assert results[sid].status == "graded", results[sid].error
    data, md = _read(out, sid)
    if want["score"] is not None:
        assert results[sid].score == want["score"], [t["output"] for t in data["tests"]]
    function = want["function"]
    question = next(q for q, f in QUESTIONS.items() if f == function)
    failing = [t for t in data["tests"] if t["score"] < t["max_score"]]
    if want["must"]:
        assert failing, f"{name}: no check failed"
    mine = [t for t in failing if t["name"].startswith(f"{question}:")]
    for t in failing:  # every message's own sentences name its function
        if not t["output"].startswith("Not run:"):
            assert re.search(r"initialize_parameters_\w+", t["output"]), (name, t["output"])
    told = [t["output"] for t in mine if not t["output"].startswith("Not run:")]
    assert any(function in m for m in told) or not want["must"], (name, told)
    text = " ".join(" ".join([md, data["output"]] + [t["output"] for t in data["tests"]]).split())
    for must in want["must"]:
        assert " ".join(must.split()) in text, f"{name}: the messages lack {must!r}:\n{told}"
    for wrong in want["must_not"]:
        assert " ".join(wrong.split()) not in text, f"{name}: the messages say {wrong!r}"
    if want["cell"]:
        place = re.compile(r"cell \[\d+\] \(the cell starting `def " + re.escape(function) + r"\(")
        assert any(place.search(m) for m in told), (name, told)
    visible = "\n".join([data["output"]] + [t["output"] for t in data["tests"]])
    for where, shown in (("results.json's output", visible), ("feedback.md", md),
                         ("feedback.html", (out / sid / "feedback.html").read_text(encoding="utf-8"))):
        hit = LEAKS.search(shown)
        assert hit is None, f"{name}: {where} shows {hit.group(0)!r}"
    assert problems(out, sid) == []
