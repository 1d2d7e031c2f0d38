"""The grading engine end to end: bundled examples, forms of submission, limits, reports, CLI."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.batch.grading import grade_batch
from autograder.config import PROJECT_ROOT, ConfigError, load_config
from autograder.engine import Grader
from autograder.intake import definitions_only, load_submission
from autograder.outputs.junit import junit_xml
from autograder.rubric import collect_checks
from autograder.sandbox import detect_isolation
from autograder.training.trainer import Trainer

EXAMPLES = PROJECT_ROOT / "examples" / "submissions"
SOLUTIONS = PROJECT_ROOT / "solutions" / "init_functions.py"
STUBS = PROJECT_ROOT / "assignment" / "initlab" / "init_functions.py"


@pytest.fixture(scope="module")
def fast_config(tmp_path_factory):
    """The real grading.yaml with shorter timeouts, so hanging examples cost seconds."""
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    raw["limits"].update(probe_seconds=3, load_seconds=8, submission_seconds=60)
    path = tmp_path_factory.mktemp("config") / "grading.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def engine_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def demo_batch(tmp_path_factory, fast_config, engine_cache):
    out = tmp_path_factory.mktemp("out")
    cache = engine_cache  # cold: test_identical_initializations_are_trained_once counts
    config = load_config(fast_config)
    report = grade_batch([EXAMPLES], out, config, jobs=2, cache_dir=cache)
    return report, out, config, {r.id: r for r in report.results}


def test_namespaces_are_available_here():
    # The fresh-machine CI is the same kind of machine: if this fails, the sandbox fell back silently.
    assert detect_isolation().namespaces


def test_correct_submissions_get_full_marks_in_every_form(demo_batch):
    _, _, config, by_id = demo_batch
    for sid in ("correct_module", "correct_package", "correct_zip"):
        r = by_id[sid]
        failed = [c.message for c in r.checks if not c.passed]
        assert (r.status, r.score) == ("graded", config.max_points()), (sid, failed)


def test_each_typical_mistake_loses_only_its_question(demo_batch):
    _, _, config, by_id = demo_batch
    expected_loser = {"he_xavier_scale": "he", "random_uniform_rand": "random", "deep_transposed": "deep",
                      "zeros_drawn_at_random": "zeros", "he_loop_stops_early": "he", "hostile_endless_loop": "deep"}
    for sid, question in expected_loser.items():
        scores = by_id[sid].question_scores()
        for q in config.questions:
            full = config.max_points(q)
            assert (scores[q] < full) == (q == question), (sid, scores)


def test_messages_name_function_expectation_and_likely_mistake(demo_batch):
    _, _, _, by_id = demo_batch
    msgs = {c.name: c.message for c in by_id["he_loop_stops_early"].checks if not c.passed}
    assert "initialize_parameters_he([5, 4, 3])" in msgs["he: structure"]
    assert "stops one layer early" in msgs["he: structure"]
    transposed = {c.name: c.message for c in by_id["deep_transposed"].checks if not c.passed}
    assert "dimensions are swapped" in transposed["deep: structure"]
    loop = {c.name: c.message for c in by_id["hostile_endless_loop"].checks if not c.passed}
    first, *later = loop.values()  # said once; the later checks point to it (one message per cause)
    assert "did not return within 3 s" in first and later, loop
    assert all(m.startswith("Not run: the function failed as described in") for m in later), loop


def test_hostile_examples_gain_nothing(demo_batch):
    _, _, config, by_id = demo_batch
    exit_early = by_id["hostile_exit_at_import"]
    assert exit_early.status == "error" and exit_early.score == 0
    assert "ended while loading" in exit_early.error
    thief = by_id["hostile_reads_solutions"]
    assert thief.score == 0 and "solutions not found" in thief.checks[0].message
    patcher = by_id["hostile_patches_numpy"].question_scores()
    assert patcher["he"] < config.max_points("he")  # patched np.allclose did not help


def test_reports_and_gradebook(demo_batch):
    report, out, config, by_id = demo_batch
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["submission"] for r in rows] == sorted(by_id)
    assert list(rows[0]) == ["submission", "zeros", "random", "he", "deep", "total", "max_total", "status", "name"]
    for row in rows:
        data = json.loads((out / row["submission"] / "results.json").read_text())
        assert data["score"] == float(row["total"])
        assert all(t["name"].split(": ")[0] in config.questions for t in data["tests"])
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(data["tests"][0])
        assert (out / row["submission"] / "feedback.md").read_text().startswith("# Feedback")


def test_identical_initializations_are_trained_once(demo_batch, fast_config, tmp_path):
    report, _, _, _ = demo_batch
    # 5 reference trainings (zeros, random x10, random x0.01, he, deep) + 1 per distinct mistaken init.
    # zeros_drawn_at_random, random_uniform_rand (x10 and x0.01), he_xavier_scale, hostile_patches_numpy
    # (He with sqrt(5/n)): 5 more. Three correct submissions and every mistake's untouched questions: none.
    assert report.trainings == 10
    again = grade_batch([EXAMPLES / "correct_module.py", EXAMPLES / "correct_zip.zip"], tmp_path / "o",
                        load_config(fast_config), jobs=1, cache_dir=tmp_path / "c")
    assert again.trainings == 5  # the second correct submission trained nothing


def test_rerun_reuses_results_and_regrades_changed(demo_batch, fast_config, tmp_path):
    config = load_config(fast_config)
    folder = tmp_path / "subs"
    folder.mkdir()
    shutil.copy(EXAMPLES / "correct_module.py", folder / "a.py")
    shutil.copy(EXAMPLES / "he_xavier_scale.py", folder / "b.py")
    first = grade_batch([folder], tmp_path / "out", config, cache_dir=tmp_path / "c")
    gradebook = (tmp_path / "out" / "gradebook.csv").read_text()
    second = grade_batch([folder], tmp_path / "out", config, cache_dir=tmp_path / "c")
    assert (first.graded, second.graded, second.reused) == (2, 0, 2)
    assert (tmp_path / "out" / "gradebook.csv").read_text() == gradebook
    shutil.copy(EXAMPLES / "correct_module.py", folder / "b.py")
    third = grade_batch([folder], tmp_path / "out", config, cache_dir=tmp_path / "c")
    assert (third.graded, third.reused) == (1, 1)
    assert "b,10,10,10,10,40,40,graded" in (tmp_path / "out" / "gradebook.csv").read_text()


def _notebook_from_module(module: Path, path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# My work"),
                nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt"),
                nbformat.v4.new_code_cell(module.read_text()),
                nbformat.v4.new_code_cell("params = initialize_parameters_he([2, 4, 1])\nprint(params)\n!ls\n"
                                          "plt.plot([1, 2])\nget_ipython().run_line_magic('time', '1')")]
    nbformat.write(nb, path)
    return path


def test_notebook_and_module_of_the_same_code_score_the_same(tmp_path, fast_config):
    grader = Grader(load_config(fast_config), Trainer(load_config(fast_config), tmp_path / "cache"))
    for name in ("correct_module.py", "he_xavier_scale.py", "random_uniform_rand.py"):
        module = EXAMPLES / name
        as_nb = grader.grade(_notebook_from_module(module, tmp_path / (module.stem + ".ipynb")))
        as_py = grader.grade(module)
        assert as_nb.status == as_py.status == "graded"
        assert [(c.name, c.score) for c in as_nb.checks] == [(c.name, c.score) for c in as_py.checks]
        # the notebook's experiment cells are listed as not used, never as errors
        assert all(m.startswith("Not used for grading:") for m in as_nb.load_messages), as_nb.load_messages


def test_stubs_score_zero_saying_not_implemented(tmp_path, fast_config):
    config = load_config(fast_config)
    result = Grader(config, Trainer(config, tmp_path)).grade(STUBS)
    assert result.status == "graded" and result.score == 0
    # each function's unfinished template is told once, by its first check; the others point to it
    for question in config.questions:
        first, *later = [c for c in result.checks if c.question == question]
        assert "is not implemented yet" in first.message
        assert all(c.message == f"Not run: the function failed as described in \"{first.name}\"." for c in later)


def test_unreadable_submissions_get_an_error_result(tmp_path, fast_config):
    config = load_config(fast_config)
    grader = Grader(config, Trainer(config, tmp_path))
    (tmp_path / "empty.ipynb").write_text("")
    (tmp_path / "broken.ipynb").write_text("{not json")
    (tmp_path / "binary.py").write_bytes(b"\xff\xfe\x00\x01")
    for name, words in (("empty.ipynb", "empty"), ("broken.ipynb", "not a valid Jupyter notebook"),
                        ("binary.py", "not UTF-8")):
        r = grader.grade(tmp_path / name)
        assert r.status == "error" and r.score == 0 and words in r.error, (name, r.error)
        assert len(r.checks) == len(grader.checks)


def test_definitions_only_keeps_defs_imports_constants_and_line_numbers():
    code = "import numpy as np\nX = 3\nprint('hi')\ntrain()\n\n@dec\ndef f():\n    return X\nY = f()\n"
    kept = definitions_only(code).splitlines()
    assert kept[0] == "import numpy as np" and kept[1] == "X = 3"
    assert kept[2] == kept[3] == "" and kept[8] == ""
    assert kept[5] == "@dec" and kept[7] == "    return X"


def test_zip_with_path_traversal_is_refused(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as z:
        z.writestr("../../etc/evil.py", "x = 1")
    with pytest.raises(Exception, match="unsafe path"):
        load_submission(tmp_path / "evil.zip", 1 << 20)


def test_config_errors_name_the_key(tmp_path):
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    raw["limits"]["probe_seconds"] = -1
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ConfigError, match=r"limits\.probe_seconds"):
        load_config(bad)
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    raw["questions"]["he"]["checks"]["bogus"] = 1
    bad.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ConfigError, match="test_he_bogus"):
        collect_checks(load_config(bad))


def test_junit_xml(demo_batch):
    report, _, _, _ = demo_batch
    root = ET.fromstring(junit_xml(report.results))
    suites = {s.get("name"): s for s in root}
    assert suites["correct_module"].get("failures") == "0"
    assert int(suites["he_xavier_scale"].get("failures")) >= 1
    assert suites["hostile_exit_at_import"].get("errors") == "1"


def test_cli_exit_codes(tmp_path, fast_config):
    cmd = [sys.executable, "-m", "autograder", "grade", str(EXAMPLES / "correct_module.py"), str(STUBS),
           "--out", str(tmp_path / "out"), "--config", str(fast_config), "--cache", str(tmp_path / "c"),
           "--junit", str(tmp_path / "junit.xml")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "correct_module" in done.stdout and (tmp_path / "junit.xml").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("assignment: x\n")
    done = subprocess.run(cmd[:-6] + ["--config", str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "invalid grading configuration" in done.stderr


def test_a_worker_killed_mid_batch_costs_only_the_submission_it_was_on(demo_batch, engine_cache, tmp_path,
                                                                       monkeypatch):
    """A pool worker killed outright (the OOM killer, a signal) breaks the pool: the batch starts a new
    one, grades again alone the submission the worker was on (killed once: graded; killed again: its own
    error row naming the cause), and every other submission is graded; a worker killed in the warm-up
    costs nothing."""
    import os
    import signal

    _, _, config, _ = demo_batch
    subs = tmp_path / "subs"
    subs.mkdir()
    names = ["a", "b", "once", "poison", "d", "e"]
    for name in names:
        shutil.copy(EXAMPLES / "correct_module.py", subs / f"{name}.py")
    killed_once = tmp_path / "killed-once"
    real = Grader.grade

    def grade(self, path, *args, **kwargs):  # in the forked workers: the test's stand-in for the OOM killer
        stem = Path(path).stem
        if stem == "poison" or (stem == "once" and not killed_once.exists()):
            killed_once.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(Grader, "grade", grade)
    import autograder.batch.grading as grading

    warmed_once = tmp_path / "warm-killed-once"
    real_warm = grading._warm

    def warm(trainings):  # a worker killed during the warm-up, before any submission: all graded in a new pool
        if not warmed_once.exists():
            warmed_once.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real_warm(trainings)

    monkeypatch.setattr(grading, "_warm", warm)
    out = tmp_path / "out"
    report = grade_batch([subs], out, config, jobs=2, cache_dir=engine_cache)
    by_id = {r.id: r for r in report.results}
    assert warmed_once.exists() and killed_once.exists()  # each death happened
    assert sorted(by_id) == sorted(names) and not report.not_graded
    assert [n for n in names if by_id[n].status == "graded" and by_id[n].score == 40] == \
        ["a", "b", "once", "d", "e"]
    assert by_id["poison"].status == "error"
    assert "died twice" in by_id["poison"].error and "SIGKILL" in by_id["poison"].error
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert len(rows) == len(names)
