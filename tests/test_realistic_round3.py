"""Feedback round 3 (issue 24): a corpus of its mistake classes, each told as such.

``examples/realistic-round3/`` (made by its make_cases.py) holds one submission per case: key and
index typos, signatures of every shape, several mistakes at once, offsets and constant factors, the
student's own ``assert``, unfinished templates, ``None`` or an ``int`` returned, the same unseeded
function alone and inside modules, pages as a student reads them. One batch (two workers, shared
with the other realistic corpora: tests/corpus_batch.py) grades them; each feedback must contain
the texts ``expectations.yaml`` lists under ``must``, none of those under ``must_not``, have its
fixed score where one is given, and meet the rating criteria of
tests/feedback_rating.py (the same criteria tests/test_realistic.py applies to examples/realistic).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from corpus_batch import ROUND3, corpus
from corpus_batch import graded as graded_corpora
from feedback_rating import problems

from autograder.config import PROJECT_ROOT, load_config

CORPUS = ROUND3
EXPECT = yaml.safe_load((CORPUS / "expectations.yaml").read_text(encoding="utf-8"))
FILES = corpus(CORPUS)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, warm_cache_at):
    return graded_corpora(tmp_path_factory, warm_cache_at)  # one batch with the other realistic corpora


def test_corpus_is_large_and_current():
    assert len(FILES) >= 30
    assert sorted(EXPECT) == [p.name for p in FILES]  # regenerate with examples/realistic-round3/make_cases.py
    assert all(EXPECT[name]["must"] or EXPECT[name]["must_not"] for name in EXPECT)


def _student_text(out: Path, sid: str) -> str:
    md = (out / sid / "feedback.md").read_text(encoding="utf-8")
    data = json.loads((out / sid / "results.json").read_text(encoding="utf-8"))
    return " ".join("\n".join([md, data["output"]] + [t["output"] for t in data["tests"]]).split())


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_feedback_names_the_mistake_and_nothing_false(graded, name):
    out, results = graded
    sid = Path(name).stem
    assert results[sid].status == "graded", results[sid].error
    text = _student_text(out, sid)
    for message in EXPECT[name]["must"]:
        assert " ".join(message.split()) in text, f"{name}: feedback lacks {message!r}"
    for message in EXPECT[name]["must_not"]:
        assert " ".join(message.split()) not in text, f"{name}: feedback says {message!r}"
    if EXPECT[name]["score"] is not None:
        assert results[sid].score == EXPECT[name]["score"], text
    assert problems(out, sid) == []


def test_partial_credit_depends_only_on_the_function(graded):
    """The same unseeded He function: alone, after a module-level seed, inside a notebook, and after
    another question's unseeded function restarted the sandbox, the same points."""
    _, results = graded
    he = {sid: r.question_scores()["he"] for sid, r in results.items() if sid.startswith("he_unseeded")}
    assert len(he) >= 4 and set(he.values()) == {8.5}, he


def test_a_cell_is_named_as_the_student_sees_it_in_the_kit_notebook_and_the_release(tmp_path):
    """The same unfinished He cell (a parenthesis left open) in the kit's student notebook and in the
    release every platform hands out, which has more cells: each feedback names the cell by its
    position among all the notebook's cells (Jupyter numbers no code cells on their own) and by its
    first line, which both builds share."""
    import nbformat

    from autograder.engine import Grader
    from autograder.packaging.student import release_notebook
    from autograder.training.trainer import Trainer

    config = load_config()
    broken = ("def initialize_parameters_he(layers_dims):\n    np.random.seed(3)\n    parameters = {}\n"
              "    for l in range(1, len(layers_dims)):\n"
              "        parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l-1]\n"
              "    return parameters\n")
    kit = nbformat.read(str(PROJECT_ROOT / "assignment" / "initialization.ipynb"), as_version=4)
    told = {}
    grader = Grader(config, Trainer(config, tmp_path / "cache"))
    try:
        for name, nb in (("kit", kit), ("release", release_notebook(config))):
            position = next(i for i, c in enumerate(nb.cells, 1)
                            if c.cell_type == "code" and c.source.startswith("def initialize_parameters_he("))
            nb.cells[position - 1].source = broken
            path = tmp_path / name / "initialization.ipynb"
            path.parent.mkdir()
            nbformat.write(nb, str(path))
            result = grader.grade(path)
            message = next(c.message for c in result.checks if c.question == "he")
            where = f"cell {position} (the cell starting `def initialize_parameters_he(layers_dims):`), line 5"
            assert where in message, message
            told[name] = position
    finally:
        grader.close()
    assert told["kit"] != told["release"]  # the release holds more cells: only the first line is shared
