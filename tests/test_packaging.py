"""Packaging targets, exercised for real: otter-grader, nbgrader, a fake Gradescope tree, GitHub Classroom.

Every platform grades the same two submissions, a correct one and one with a
mistake in three questions and the fourth left unfinished, and must give the
same score per question as ``initgrade grade`` gives the same notebooks.

The submissions are the platform's own student notebooks with the graded cells
filled in and the long experiment cells removed (students may delete cells; the
full notebook trains networks for about two minutes per run, which would
multiply the test time without testing anything more about packaging).

otter-grader and nbgrader come from the ``integration`` extra. Without them
these tests are skipped, unless INITGRADE_REQUIRE_INTEGRATION=1, which turns a
missing tool into a failure.
"""

from __future__ import annotations

import ast
import base64
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from autograder.config import PROJECT_ROOT, load_config
from autograder.packaging import TARGETS
from autograder.packaging.cli import build
from autograder.packaging.common import fill_notebook, solution_lines
from autograder.packaging.student import hidden_test_lines, leaks
from autograder.platforms.classroom import classroom_payload, log_feedback, one_line

VENV_BIN = Path(sys.executable).parent
CONFIG = load_config()
EXAMPLES = PROJECT_ROOT / "examples"


def _tool(name: str) -> str:
    path = VENV_BIN / name
    if path.is_file():
        return str(path)
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("INITGRADE_REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"{name} is not installed (pip install -e '.[integration]')")
    pytest.skip(f"{name} is not installed: install the integration extra (pip install -e '.[integration]')")


# ---------------------------------------------------------------------------------------
# Gradescope's results.json, as their autograder documentation describes it.

_VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
GRADESCOPE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": _FORMAT,
        "test_output_format": _FORMAT,
        "test_name_format": _FORMAT,
        "visibility": _VISIBILITY,
        "stdout_visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
        "leaderboard": {"type": "array", "items": {
            "type": "object", "required": ["name", "value"], "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "value": {"type": ["number", "string"]},
                           "order": {"enum": ["asc", "desc"]}}}},
        "tests": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "score": {"type": "number"}, "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]}, "name": {"type": "string"},
                "name_format": _FORMAT, "number": {"type": "string"}, "output": {"type": "string"},
                "output_format": _FORMAT, "tags": {"type": "array", "items": {"type": "string"}},
                "visibility": _VISIBILITY, "extra_data": {"type": "object"}}}},
    },
}


# ---------------------------------------------------------------------------------------
# Submissions


def _functions(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    return {n.name: "\n".join(lines[n.lineno - 1:n.end_lineno])
            for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)}


GOOD = _functions(EXAMPLES / "submissions" / "correct_module.py")
BAD = dict(GOOD)
# zeros: 1-D biases; random: ** instead of * (NaN and a numpy RuntimeWarning); he: fan-out; deep: unfinished
BAD["initialize_parameters_zeros"] = _functions(
    EXAMPLES / "mistakes" / "zeros_bias_1d.py")["initialize_parameters_zeros"]
BAD["initialize_parameters_random"] = _functions(
    EXAMPLES / "mistakes" / "random_pow_instead_of_mul.py")["initialize_parameters_random"]
BAD["initialize_parameters_he"] = _functions(EXAMPLES / "mistakes" / "he_fan_out.py")["initialize_parameters_he"]
del BAD["initialize_parameters_deep"]


# ---------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def env(tmp_path_factory, warm_cache_at):
    """Environment for the grading tools: this venv first on PATH, separate training caches (the
    engine's with the reference trainings made)."""
    caches = tmp_path_factory.mktemp("caches")
    e = dict(os.environ)
    e["PATH"] = f"{VENV_BIN}{os.pathsep}{e.get('PATH', '')}"
    e["INITGRADE_INKERNEL_CACHE"] = str(caches / "inkernel")  # in-kernel checks: never the engine's cache
    e["INITGRADE_CACHE"] = str(warm_cache_at(caches / "engine"))
    e.pop("INITGRADE_PUBLIC_TARGET", None)
    return e


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    result = CliRunner().invoke(build, ["all", "--out", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out


@pytest.fixture(scope="module")
def kit_subs(built, env, tmp_path_factory):
    """The two submissions made from the kit's own student notebook, the repository's notebook (no
    release metadata, no nbgrader cells) filled with the correct code, and the engine's scores for
    the three: one `initgrade grade` that every platform's scores are compared with."""
    tmp = tmp_path_factory.mktemp("kit-subs")
    subs = release_submissions(built, tmp)
    # The kit's repository notebook carries no nbgrader cells (as the bundled examples); its
    # experiment cells are dropped as in the other submissions (minutes of training otherwise).
    subs["bare"] = fill_notebook(PROJECT_ROOT / "assignment" / "initialization.ipynb",
                                 tmp / "bare" / "initialization.ipynb", GOOD)
    scores = engine_scores(subs, env, tmp)
    assert_expected_shape(scores)
    return {"subs": subs, "scores": scores}


def release_notebook(built: Path) -> Path:
    """The notebook of the student release: the one every platform must grade alike."""
    found = sorted((built / "student").glob("*/assignment/initialization.ipynb"))
    assert len(found) == 1, (built, found)
    return found[0]


def release_submissions(built: Path, folder: Path) -> dict[str, Path]:
    """The student release's notebook filled with the correct code and with the typical mistakes."""
    nb = release_notebook(built)
    return {name: fill_notebook(nb, folder / name / "initialization.ipynb", src)
            for name, src in (("good", GOOD), ("bad", BAD))}


def run(cmd: list[str], env: dict, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def engine_scores(notebooks: dict[str, Path], env: dict, tmp: Path) -> dict[str, dict[str, float]]:
    """Per-question scores that `initgrade grade` gives these notebooks."""
    folder = tmp / "engine-input"
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in notebooks.items():
        shutil.copyfile(path, folder / f"{name}.ipynb")
    out = tmp / "engine-out"
    run([str(VENV_BIN / "initgrade"), "grade", str(folder), "--out", str(out), "--no-progress",
         "--cache", env["INITGRADE_CACHE"]], env)
    with open(out / "gradebook.csv", newline="") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    return {name: {q: float(rows[name][q]) for q in CONFIG.questions} for name in notebooks}


def assert_expected_shape(scores: dict[str, dict[str, float]]) -> None:
    """The correct notebook gets every point; the mistaken one loses some in each question, all of deep."""
    for q in CONFIG.questions:
        assert scores["good"][q] == CONFIG.max_points(q), scores
    for q in ("zeros", "random", "he"):
        assert 0 < scores["bad"][q] < CONFIG.max_points(q), scores
    assert scores["bad"]["deep"] == 0, scores


# ---------------------------------------------------------------------------------------
# build command


def test_build_command_lists_targets_and_rejects_unknown(tmp_path):
    assert set(TARGETS) == {"student", "otter", "nbgrader", "gradescope", "github"}
    result = CliRunner().invoke(build, ["moodle", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "moodle" in result.output
    bad = tmp_path / "grading.yaml"
    bad.write_text("assignment: x\n")
    result = CliRunner().invoke(build, ["student", "--out", str(tmp_path / "o"), "--config", str(bad)])
    assert result.exit_code == 2 and "invalid grading configuration" in result.output


def test_builds_are_reproducible(built, tmp_path):
    """Building again from the same sources gives the same bytes (the tools only add files to `built`)."""
    again = tmp_path / "again"
    result = CliRunner().invoke(build, ["all", "--out", str(again)])
    assert result.exit_code == 0, result.output
    second = {p.relative_to(again): p.read_bytes() for p in sorted(again.rglob("*")) if p.is_file()}
    assert len(second) > 50
    assert [k for k, v in second.items() if not (built / k).is_file() or (built / k).read_bytes() != v] == []


# ---------------------------------------------------------------------------------------
# student


def _zip_texts(path: Path) -> dict[str, str]:
    texts = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            try:
                texts[name] = zf.read(name).decode("utf-8")
            except UnicodeDecodeError:
                pass
    return texts


def test_student_release_holds_no_solution_and_no_hidden_test_text(built, tmp_path, env):
    folder = built / "student" / CONFIG.assignment
    zip_path = built / "student" / f"{CONFIG.assignment}.zip"
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
    rel = {n.split("/", 1)[1] for n in names}
    assert {"README.md", "assignment/initialization.ipynb", "assignment/initlab/init_functions.py",
            "public_tests/checks.py", "data/train_circles.h5"} <= rel
    assert not any(r.startswith(("solutions/", "autograder/", "examples/", "tests/")) or r == "grading.yaml"
                   for r in rel), rel

    secrets = solution_lines() + hidden_test_lines()
    assert len(solution_lines()) >= 8 and len(hidden_test_lines()) >= 20
    for name, text in _zip_texts(zip_path).items():
        haystacks = [text]
        if name.endswith(".ipynb"):
            haystacks += [cell.source for cell in nbformat.reads(text, as_version=4).cells]
        assert not [s for s in secrets if any(s in h for h in haystacks)], name
    assert leaks(folder) == []

    # The detector is not vacuous: one planted solution line is found.
    planted = tmp_path / "planted"
    shutil.copytree(folder, planted)
    with open(planted / "assignment" / "initlab" / "model.py", "a") as f:
        f.write("\n# " + solution_lines()[0] + "\n")
    assert any("solution line" in x for x in leaks(planted))

    # The release works on its own: its public tests pass on the reference and fail on its stubs.
    ok = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "public_tests"],
                        cwd=folder, env=dict(env, INITGRADE_PUBLIC_TARGET=str(PROJECT_ROOT / "solutions"
                                                                             / "init_functions.py")),
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout[-2000:]
    stub = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "public_tests"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert stub.returncode == 1 and "NotImplementedError" in stub.stdout
    # By default they test the release's notebook, the file students submit, wherever the release
    # sits (here inside the course repository, as its build/ folder would).
    assert f"target: {folder / 'assignment' / 'initialization.ipynb'}" in stub.stdout
    inside = PROJECT_ROOT / "build" / f"test-release-{os.getpid()}"
    shutil.copytree(folder, inside)
    try:
        filled = fill_notebook(inside / "assignment" / "initialization.ipynb",
                               inside / "assignment" / "initialization.ipynb", GOOD)
        good = subprocess.run([sys.executable, "-m", "pytest", "public_tests"], cwd=inside, env=env,
                              capture_output=True, text=True, timeout=120)
        assert good.returncode == 0 and "4 passed" in good.stdout and f"target: {filled}" in good.stdout, good.stdout
    finally:
        shutil.rmtree(inside)


# ---------------------------------------------------------------------------------------
# otter-grader


def _graded_sources(nb_path: Path) -> dict[str, str]:
    nb = nbformat.read(nb_path, as_version=4)
    return {c.metadata["initgrade"]["graded"]: c.source for c in nb.cells
            if "graded" in c.get("metadata", {}).get("initgrade", {})}


@pytest.fixture(scope="module")
def otter_results(built, env, kit_subs, tmp_path_factory):
    otter = _tool("otter")
    work = built / "otter"
    master = nbformat.read(work / "initialization.ipynb", as_version=4)
    first = master.cells[0]
    assert first.cell_type == "raw" and first.source.startswith("# ASSIGNMENT CONFIG")
    assert yaml.safe_load(first.source)["tests"] == {"files": False, "ok_format": False}
    # run_tests would execute the whole solved notebook (minutes of training); otter run below
    # executes the correct submission against the same tests instead.
    run([otter, "assign", "--no-run-tests", "initialization.ipynb", "dist"], env, cwd=work)
    zips = sorted((work / "dist" / "autograder").glob("*-autograder_*.zip"))
    assert len(zips) == 1
    student_nb = work / "dist" / "student" / "initialization.ipynb"
    tmp = tmp_path_factory.mktemp("otter-run")
    # What students hand in is the kit's release notebook, not otter's own student notebook.
    subs = {name: kit_subs["subs"][name] for name in ("good", "bad")}
    scores, outputs, seconds = {}, {}, {}
    for name, path in subs.items():
        out = tmp / f"results-{name}"
        out.mkdir()
        t0 = time.monotonic()
        run([otter, "run", "--no-logo", "-a", str(zips[0]), "-o", str(out), str(path)], env, timeout=900)
        seconds[name] = time.monotonic() - t0
        data = json.loads((out / "results.json").read_text())
        tests = {t["name"]: t for t in data["tests"] if "max_score" in t}
        scores[name] = {q: float(tests[q]["score"]) for q in CONFIG.questions}
        outputs[name] = tests
        assert {q: float(tests[q]["max_score"]) for q in CONFIG.questions} == \
            {q: CONFIG.max_points(q) for q in CONFIG.questions}
    return {"zip": zips[0], "student_nb": student_nb, "subs": subs, "scores": scores, "outputs": outputs,
            "tmp": tmp}


def test_otter_student_notebook_is_the_kits_student_notebook(otter_results, built):
    ours = _graded_sources(PROJECT_ROOT / "assignment" / "initialization.ipynb")
    otters = _graded_sources(otter_results["student_nb"])
    assert otters == ours
    text = otter_results["student_nb"].read_text()
    assert not [s for s in solution_lines() if s in {ln.strip() for c in nbformat.reads(text, 4).cells
                                                     for ln in c.source.splitlines()}]
    assert "run_check" not in text  # the tests are hidden: not even their calls reach students
    with zipfile.ZipFile(otter_results["zip"]) as zf:
        zeros = zf.read("tests/zeros.py").decode()
        assert "OK_FORMAT = False" in zeros
        assert zeros.count("@test_case(") == len(CONFIG.questions["zeros"].checks)
        assert f"points={CONFIG.questions['zeros'].checks['symmetry']:.1f}, hidden=True" in zeros


def test_otter_scores_equal_engine_scores(otter_results, kit_subs):
    engine = {name: kit_subs["scores"][name] for name in otter_results["subs"]}  # the same notebooks
    assert_expected_shape(engine)
    assert otter_results["scores"] == engine
    out = otter_results["outputs"]["bad"]["he"]["output"]
    assert "expected seeded values" in out  # the kit's feedback reaches otter's report


def test_otter_refuses_a_notebook_of_no_assignment_naming_the_right_one(otter_results, env):
    """A notebook without the release's metadata (the repository's own) is refused, never scored 0."""
    bare = fill_notebook(PROJECT_ROOT / "assignment" / "initialization.ipynb",
                         otter_results["tmp"] / "bare" / "initialization.ipynb", GOOD)
    out = otter_results["tmp"] / "results-bare"
    out.mkdir()
    proc = subprocess.run([_tool("otter"), "run", "--no-logo", "-a", str(otter_results["zip"]), "-o", str(out),
                           str(bare)], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    said = proc.stdout + proc.stderr
    assert proc.returncode != 0 or "results.json" not in {p.name for p in out.iterdir()}, said
    assert f"this is assignment '{CONFIG.assignment}'" in said, said[-2000:]


# ---------------------------------------------------------------------------------------
# nbgrader


@pytest.fixture(scope="module")
def nbgrader_results(built, env, kit_subs):
    nbgrader = _tool("nbgrader")
    course = built / "nbgrader"
    a = CONFIG.assignment
    run([nbgrader, "generate_assignment", a, "--force"], env, cwd=course)
    release = course / "release" / a / "initialization.ipynb"
    assert release.is_file() and (course / "release" / a / "public_tests" / "checks.py").is_file()
    # What students hand in is the kit's release notebook, not nbgrader's own release; and a
    # notebook with no nbgrader cells at all must not get a silent zero.
    subs = release_submissions(built, course / "submitted")
    for name in list(subs):
        target = course / "submitted" / name / a / "initialization.ipynb"
        target.parent.mkdir(parents=True)
        shutil.move(subs[name], target)
        subs[name] = target
    subs["bare"] = course / "submitted" / "bare" / a / "initialization.ipynb"
    subs["bare"].parent.mkdir(parents=True)
    shutil.copyfile(kit_subs["subs"]["bare"], subs["bare"])
    assert not any("nbgrader" in c.metadata for c in nbformat.read(subs["bare"], as_version=4).cells)
    run([nbgrader, "autograde", a, "--force"], env, cwd=course, timeout=900)
    run([nbgrader, "export"], env, cwd=course)
    with open(course / "grades.csv", newline="") as f:
        totals = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for name in subs:
            notebook = gb.find_submission_notebook("initialization", a, name)
            per_q = {q: 0.0 for q in CONFIG.questions}
            for grade in notebook.grades:
                q = grade.name.split("-", 1)[0]
                per_q[q] += float(grade.score or 0)
            scores[name] = per_q
    return {"course": course, "release": release, "subs": subs, "totals": totals, "scores": scores}


def test_nbgrader_release_hides_tests_and_solutions(nbgrader_results):
    nb = nbformat.read(nbgrader_results["release"], as_version=4)
    lines = {ln.strip() for c in nb.cells for ln in c.source.splitlines()}
    assert not [s for s in solution_lines() if s in lines]
    assert not any("run_check" in c.source for c in nb.cells)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(tests) == sum(len(q.checks) for q in CONFIG.questions.values())
    assert sum(c.metadata["nbgrader"]["points"] for c in tests) == CONFIG.max_points()


def test_nbgrader_scores_equal_engine_scores(nbgrader_results, kit_subs):
    # The engine graded the same notebooks (byte for byte) in kit_subs.
    assert {n: p.read_bytes() for n, p in nbgrader_results["subs"].items()} == \
        {n: kit_subs["subs"][n].read_bytes() for n in nbgrader_results["subs"]}
    engine = {name: kit_subs["scores"][name] for name in nbgrader_results["subs"]}
    assert_expected_shape(engine)
    assert engine["bare"] == engine["good"]
    assert nbgrader_results["scores"] == engine
    assert nbgrader_results["totals"] == {n: sum(s.values()) for n, s in engine.items()}


def test_nbgrader_passing_check_with_numpy_warning_keeps_its_points(nbgrader_results):
    """The mistaken random function emits a RuntimeWarning, yet its structure check passes: no stderr, points kept."""
    ns: dict = {"np": np}
    exec(BAD["initialize_parameters_random"], ns)  # noqa: S102 - the kit's own example mistake, not a submission
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ns["initialize_parameters_random"]([5, 4, 3])
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)
    graded = nbgrader_results["course"] / "autograded" / "bad" / CONFIG.assignment / "initialization.ipynb"
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(graded, as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    structure = cells["random-structure"]
    assert not [o for o in structure.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not [o for o in structure.outputs if o.output_type == "error"]


# ---------------------------------------------------------------------------------------
# Gradescope


def _fake_autograder(tmp: Path, zip_path: Path) -> Path:
    root = tmp / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, root / "source")
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                (root / "source" / info.filename).chmod(mode)
    return root


def test_gradescope_zip_runs_the_engine_in_a_fake_autograder_tree(built, env, kit_subs, tmp_path):
    zip_path = built / "gradescope" / "gradescope-autograder.zip"
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "kit/pyproject.toml", "kit/grading.yaml",
            "kit/solutions/init_functions.py", "kit/autograder/engine.py", "kit/data/train_images.h5"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not any(n.startswith(("kit/tests/", "kit/examples/", "kit/.git")) for n in names)

    root = _fake_autograder(tmp_path, zip_path)
    subprocess.run(["bash", "-n", str(root / "source" / "setup.sh")], check=True)
    gs_env = dict(env, INITGRADE_AG_ROOT=str(root), INITGRADE_PYTHON=sys.executable)
    validator = jsonschema.Draft202012Validator(GRADESCOPE_SCHEMA)

    # A submission with a notebook: graded by the engine, one results.json, Gradescope's schema.
    shutil.copyfile(kit_subs["subs"]["bad"], root / "submission" / "initialization.ipynb")
    (root / "submission" / "notes.txt").write_text("not graded")
    run(["bash", str(root / "source" / "run_autograder")], gs_env, cwd=root / "source", timeout=600)
    results = json.loads((root / "results" / "results.json").read_text())
    validator.validate(results)
    per_q = {q: 0.0 for q in CONFIG.questions}
    for t in results["tests"]:
        per_q[t["name"].split(":")[0]] += t["score"]
    assert per_q == kit_subs["scores"]["bad"]
    assert results["score"] == sum(per_q.values())
    assert len(results["tests"]) == sum(len(q.checks) for q in CONFIG.questions.values())
    # What the student sees renders as Markdown: the diagnoses, every check's message; the isolation
    # level is the instructor's (extra_data), not in the student's view.
    assert results["output_format"] == results["test_output_format"] == "md"
    assert all(t["output_format"] == "md" and t["output"].startswith("```") for t in results["tests"])
    assert results["extra_data"]["isolation"]
    assert "isolation" not in results["output"].lower() and "Warning:" not in results["output"]
    titles = {d["title"] for d in results["extra_data"]["diagnoses"]}
    assert titles and all(t in results["output"] for t in titles)
    he = [t for t in results["tests"] if t["name"] == "he: seeded values"][0]
    assert "expected seeded values" in he["output"]

    # Nothing gradable uploaded: still a valid results.json, zero points, a reason.
    for f in (root / "submission").iterdir():
        f.unlink()
    (root / "submission" / "essay.docx").write_bytes(b"PK\x03\x04")
    run(["bash", str(root / "source" / "run_autograder")], gs_env, cwd=root / "source")
    results = json.loads((root / "results" / "results.json").read_text())
    validator.validate(results)
    assert results["score"] == 0 and "no notebook" in results["output"]


# ---------------------------------------------------------------------------------------
# GitHub Classroom


def test_gradescope_view_keeps_student_text_literal():
    from autograder.base.escape import md_block as fenced
    from autograder.platforms.gradescope_view import gradescope_view

    hostile = "```\n# heading\n<img src=x onerror=alert(1)> [link](http://evil) ````"
    block = fenced(hostile)
    fence = block.splitlines()[0].removesuffix("text")
    assert len(fence) == 5 and block.endswith("\n" + fence)
    assert all(not line.startswith(fence) for line in hostile.splitlines())
    view = gradescope_view({"score": 0, "output": "x", "tests": [
        {"name": "he: structure", "score": 0, "max_score": 2, "status": "failed", "output": hostile}],
        "extra_data": {"isolation": "uid+rlimits", "error": hostile, "diagnoses": []}})
    assert view["tests"][0]["output"] == block
    assert "Warning:" not in view["output"] and "namespaces" not in view["output"]  # the instructor's concern
    assert fenced(hostile) in view["output"]  # the error, fenced, not rendered


def test_github_workflow_shape(built):
    text = (built / "github" / ".github" / "workflows" / "classroom.yml").read_text()
    wf = yaml.safe_load(text)
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers
    assert wf["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    job = wf["jobs"]["run-autograding-tests"]
    # The default workflow holds and reads no secret: nothing a student can edit it to leak.
    assert "${{ secrets" not in text and "INITGRADE_GRADER" not in text
    assert not [s for s in job["steps"] if "token" in s.get("with", {})]
    assert [s.get("with", {}).get("repository") for s in job["steps"]] == [None] * len(job["steps"])
    steps = {s.get("id") or s["name"]: s for s in job["steps"]}
    assert "pytest public_tests" in steps["Public checks"]["run"]
    assert "public_tests/classroom_report.py" in steps["initgrade"]["run"]
    reporter = next(s for s in job["steps"] if "autograding-grading-reporter" in s.get("uses", ""))
    assert reporter["with"]["runners"] == "initgrade"
    assert reporter["env"]["INITGRADE_RESULTS"] == "${{ steps.initgrade.outputs.result }}"
    for s in job["steps"]:  # expressions only in `with`/`env`, never spliced into a shell script
        assert "${{" not in s.get("run", "")

    engine_text = (built / "github" / "optional" / "classroom-engine.yml").read_text()
    assert "read the grader repository" in engine_text.split("\nname:")[0]  # the warning comes first
    engine = yaml.safe_load(engine_text)["jobs"]["run-autograding-tests"]
    grade = {s.get("id") or s["name"]: s for s in engine["steps"]}["initgrade"]
    assert "autograder.platforms.classroom" in grade["run"] and "${{" not in grade["run"]


def test_classroom_public_checks_report(built, env, tmp_path):
    """The default workflow's steps, run here: the public checks on the student's notebook, then the points."""
    repo = tmp_path / "repo"
    shutil.copytree(built / "student" / CONFIG.assignment, repo)
    fill_notebook(repo / "assignment" / "initialization.ipynb", repo / "assignment" / "initialization.ipynb", BAD)
    junit, out_file, summary_file = tmp_path / "public.xml", tmp_path / "github_output", tmp_path / "summary.md"
    subprocess.run([sys.executable, "-m", "pytest", "public_tests", "-p", "no:cacheprovider", "--junitxml",
                    str(junit)], cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    gh_env = dict(env, GITHUB_OUTPUT=str(out_file), GITHUB_STEP_SUMMARY=str(summary_file))
    run([sys.executable, "public_tests/classroom_report.py", str(junit)], gh_env, cwd=repo)
    (key, value), = [line.split("=", 1) for line in out_file.read_text().splitlines()]
    payload = json.loads(base64.b64decode(value))
    assert key == "result" and payload["max_score"] == 4 and payload["status"] == "fail"
    by_name = {t["name"]: t for t in payload["tests"]}
    # zeros (1-D biases), random (** for *), he (fan-out) fail their public checks; deep is unfinished.
    assert sum(t["score"] for t in payload["tests"]) == sum(t["status"] == "pass" for t in payload["tests"]) == 0
    assert all("\n" not in t["message"] and "::" not in t["message"] for t in payload["tests"])
    assert "not written yet" in by_name["test_function[initialize_parameters_deep]"]["message"]
    assert "Public checks: 0 / 4 passed" in summary_file.read_text()


def test_classroom_step_grades_reports_and_blocks_workflow_commands(built, env, tmp_path, kit_subs):
    repo = tmp_path / "repo"
    shutil.copytree(built / "student" / CONFIG.assignment, repo)
    shutil.copyfile(kit_subs["subs"]["bad"], repo / "assignment" / "initialization.ipynb")
    out_file, summary_file = tmp_path / "github_output", tmp_path / "summary.md"
    gh_env = dict(env, GITHUB_OUTPUT=str(out_file), GITHUB_STEP_SUMMARY=str(summary_file),
                  INITGRADE_SUBMISSION_FILE="assignment/initialization.ipynb")
    proc = run([sys.executable, "-m", "autograder.platforms.classroom", "--submission", str(repo),
                "--out", str(tmp_path / "out")], gh_env)
    (key, value), = [line.split("=", 1) for line in out_file.read_text().splitlines()]
    assert key == "result"
    payload = json.loads(base64.b64decode(value))
    assert payload["version"] == 1 and payload["status"] == "fail"
    assert payload["max_score"] == CONFIG.max_points()
    assert sum(t["score"] for t in payload["tests"]) == sum(kit_subs["scores"]["bad"].values())
    assert all("\n" not in t["message"] and "::" not in t["message"] for t in payload["tests"])
    summary = summary_file.read_text()
    assert f"{sum(kit_subs['scores']['bad'].values()):g} / {CONFIG.max_points():g} points" in summary
    _assert_commands_stopped(proc.stdout)


def _assert_commands_stopped(log: str) -> None:
    """Outside the stop-commands window, no line of the log may look like a workflow command."""
    lines = log.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.startswith("::stop-commands::")]
    assert len(starts) == 1
    token = lines[starts[0]].split("::stop-commands::", 1)[1]
    assert len(token) >= 32
    ends = [i for i, ln in enumerate(lines) if ln == f"::{token}::"]
    assert len(ends) == 1 and ends[0] > starts[0]
    outside = lines[:starts[0]] + lines[ends[0] + 1:]
    assert not [ln for ln in outside if ln.lstrip().startswith("::")], outside


def test_classroom_feedback_cannot_inject_commands():
    hostile = "returned a str: '\n::add-mask::x\n::error title=pwned::owned\n::endgroup::'"
    results = {"score": 0.0, "tests": [{"name": "zeros: structure", "score": 0.0, "max_score": 2.0,
                                        "status": "failed", "output": hostile}]}
    buf = io.StringIO()
    token = log_feedback(results, 40.0, stream=buf)
    _assert_commands_stopped(buf.getvalue())
    assert token not in hostile
    payload = classroom_payload(results, 40.0)
    message = payload["tests"][0]["message"]
    assert "\n" not in message and "::" not in message and "pwned" in message
    assert one_line("a\r\n::b") == "a : :b"


# ---------------------------------------------------------------------------------------
# In-kernel checks (what otter and nbgrader run)


def test_inkernel_check_silences_stderr_and_limits_each_call(monkeypatch, capfd, tmp_path):
    from autograder.platforms import inkernel

    monkeypatch.setenv("INITGRADE_INKERNEL_CACHE", str(tmp_path))
    monkeypatch.setenv("INITGRADE_CHECK_SECONDS", "1")
    inkernel.reset()
    try:
        ns: dict = {"np": np}
        exec(GOOD["initialize_parameters_zeros"], ns)  # noqa: S102 - the kit's own example solution
        real = ns["initialize_parameters_zeros"]

        def noisy(layers_dims):
            warnings.warn("a warning from student code", RuntimeWarning, stacklevel=1)
            np.log(np.zeros(1))  # numpy divide-by-zero warning
            print("to stderr", file=sys.stderr)
            os.write(2, b"straight to fd 2\n")
            return real(layers_dims)

        inkernel.run_check("zeros", "structure", {"initialize_parameters_zeros": noisy})
        captured = capfd.readouterr()
        assert captured.err == ""

        def hangs(layers_dims):
            while True:
                try:
                    time.sleep(0.05)
                except Exception:  # noqa: BLE001 - a student loop that swallows errors
                    pass

        t0 = time.monotonic()
        with pytest.raises(AssertionError, match="did not return within 1 s"):
            inkernel.run_check("zeros", "structure", {"initialize_parameters_zeros": hangs})
        with pytest.raises(AssertionError, match="not called again"):
            inkernel.run_check("zeros", "types", {"initialize_parameters_zeros": hangs})
        assert time.monotonic() - t0 < 5
        with pytest.raises(AssertionError, match="not defined"):
            inkernel.run_check("zeros", "structure", {})
    finally:
        inkernel.reset()


def test_submission_finder_prefers_the_notebook_and_refuses_links(tmp_path):
    from autograder.platforms.upload import NoSubmission, find_submission

    name = CONFIG.notebook
    nb = tmp_path / "assignment" / "initialization.ipynb"
    nb.parent.mkdir()
    nb.write_text("{}")
    (tmp_path / "public_tests").mkdir()
    (tmp_path / "public_tests" / "example.ipynb").write_text("{}")  # never the submission
    assert find_submission(tmp_path, notebook=name) == nb
    (tmp_path / "scratch.ipynb").write_text("{}")
    assert find_submission(tmp_path, notebook=name) == nb  # among several notebooks, the assignment's name wins
    assert find_submission(tmp_path, notebook="scratch.ipynb") == tmp_path / "scratch.ipynb"  # grading.yaml's name
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "initialization.ipynb").write_text("{}")
    with pytest.raises(NoSubmission, match="several notebooks"):
        find_submission(tmp_path, notebook=name)
    assert find_submission(tmp_path, "assignment/initialization.ipynb", notebook=name) == nb

    solved = PROJECT_ROOT / "solutions" / "initialization_solved.ipynb"
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "initialization.ipynb").symlink_to(solved)
    with pytest.raises(NoSubmission):
        find_submission(linked, notebook=name)
    with pytest.raises(NoSubmission):
        find_submission(linked, "initialization.ipynb", notebook=name)
    with pytest.raises(NoSubmission):
        find_submission(tmp_path, "../../etc/passwd", notebook=name)


# ---------------------------------------------------------------------------------------
# Templates of the generated files (autograder.base.text_templates)


def test_template_values_need_a_format_filter_and_a_value(tmp_path, monkeypatch):
    import jinja2

    from autograder.base import text_templates

    env = text_templates.environment("autograder.packaging")
    assert env.from_string("x={{ v | sh }}").render(v="a b") == "x='a b'"
    with pytest.raises(text_templates.UnquotedValue):
        env.from_string("x={{ v }}").render(v="a b")  # no filter: refused, not written raw
    with pytest.raises(text_templates.UnquotedValue):
        env.from_string("x={{ n }}").render(n=3)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("x={{ v | sh }}").render()  # forgotten: refused, not an empty string
    with pytest.raises(jinja2.UndefinedError):
        text_templates.render("autograder.packaging", "gradescope/setup.sh.j2")


@pytest.mark.parametrize("value", ["3.12", "plain/path.ipynb", "yes", "null", "a: b", "a #c", "- x", "[1]", "{a}",
                                   "'q'", '"q"', " lead", "trail ", "line\nbreak", "tab\there", "*ref", "&anchor",
                                   "!tag", "%dir", "@at", "`tick`", "", "~", "0x1F", "1e3", "..."])
def test_yaml_filter_reads_back_as_the_same_string(value):
    from autograder.base.text_templates import FILTERS

    assert yaml.safe_load(f"key: {FILTERS['yaml'](value)}\n") == {"key": value}


def test_shell_filter_is_one_word():
    from autograder.base.text_templates import FILTERS

    for value in ["a b", "$(id)", "`id`", "x'y", "a;b", "-n", "", "new\nline"]:
        out = subprocess.run(["bash", "-c", f"printf '%s\\0' {FILTERS['sh'](value)}"], capture_output=True,
                             check=True).stdout
        assert out == value.encode() + b"\0", value


def test_workflows_stay_valid_yaml_for_any_title(tmp_path):
    """The title lands in the workflows' header comment: no title can end the comment or the file's shape."""
    from autograder.packaging.github import engine_workflow_text, workflow_text

    plain = {f: yaml.safe_load(f(CONFIG)) for f in (workflow_text, engine_workflow_text)}
    for title in ["a\nname: pwned\non: [pull_request_target]", 'quote " and \' and {{ x }} ${{ secrets.T }}',
                  "a\r\njobs: {}", "tail\u2028name: x"]:
        config = CONFIG.model_copy(update={"title": title})
        for f in (workflow_text, engine_workflow_text):
            text = f(config)
            assert yaml.safe_load(text) == plain[f], (title, text[:400])
            assert text.split("\nname:")[0].count("\n") == plain_header_lines(f)


def plain_header_lines(f) -> int:
    return f(CONFIG).split("\nname:")[0].count("\n")


def test_builds_made_before_the_platforms_package_still_import_the_check():
    """Hidden cells of earlier nbgrader/otter builds name autograder.packaging.inkernel."""
    from autograder.packaging import inkernel as legacy
    from autograder.platforms import inkernel

    assert legacy.run_check is inkernel.run_check
    assert legacy.CheckTimeout is inkernel.CheckTimeout
