"""nbgrader and otter record the engine's grades: forged notebooks through the real tools.

Each forging notebook tries, in the cells a kernel would run, one way to change a grade
given by checks that run in the student's kernel (the kit's otter and nbgrader builds
before the engine recorded their grades, where these gave 40/40 or lowered other
students' grades). The real ``nbgrader autograde`` runs once over the whole class, the
real otter grading (``otter.run.main``, what ``otter run`` calls) once per notebook in
one process, and ``initgrade grade`` once over the same notebooks: every notebook's
per-question scores in the tools must equal the engine's. The forgeries built on the
all-zero code must score exactly what the same code scores without the forgery, and the
honest notebooks graded after the cache poisoner keep their scores.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.config import PROJECT_ROOT, load_config
from autograder.packaging.cli import build
from autograder.packaging.common import fill_notebook, solution_lines
from autograder.platforms.engine_record import from_results

VENV_BIN = Path(sys.executable).parent
CONFIG = load_config()
A = CONFIG.assignment
SOLUTIONS = PROJECT_ROOT / "solutions" / "init_functions.py"
RUBRIC = PROJECT_ROOT / "autograder" / "rubric"


def _tool(name: str) -> str:
    path = VENV_BIN / name
    if path.is_file():
        return str(path)
    if os.environ.get("INITGRADE_REQUIRE_INTEGRATION") == "1":
        pytest.fail(f"{name} is not installed (pip install -e '.[integration]')")
    pytest.skip(f"{name} is not installed: install the integration extra")


def _functions(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    return {n.name: "\n".join(lines[n.lineno - 1:n.end_lineno])
            for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)}


GOOD = _functions(PROJECT_ROOT / "examples" / "submissions" / "correct_module.py")
FUNCTIONS = list(GOOD)
# All-zero code: right shapes, every weight 0 (the engine gives it some points, never all).
ZERO = {fn: textwrap.dedent(f"""\
    def {fn}(layers_dims, *args, **kwargs):
        parameters = {{}}
        for l in range(1, len(layers_dims)):
            parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
            parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
        return parameters""") for fn in FUNCTIONS}
STUB: dict[str, str] = {}  # the release's own stubs: raise NotImplementedError

# name -> (graded cells, a cell run right after the set-up cell). Names sort so that the
# cache poisoner is graded before the honest notebooks and the gradebook writer after all.
FORGERIES: dict[str, tuple[dict[str, str], str]] = {
    "f01_replace_check": (STUB, """\
import autograder.platforms.inkernel as _kit
_kit.run_check = lambda *args, **kwargs: None
run_check = _kit.run_check
import otter.test_files.exception_test as _ot
_ot.ExceptionTestFile.run = lambda self, env: setattr(self, "test_case_results", [])
"""),
    "f02_reference_module": ({fn: textwrap.dedent(f"""\
        def {fn}(*args, **kwargs):
            from autograder.rubric.reference import reference_functions
            return reference_functions(["{fn}"])["{fn}"](*args, **kwargs)""") for fn in FUNCTIONS}, ""),
    "f03_exec_solutions_file": (STUB, f"exec(open({str(SOLUTIONS)!r}).read(), globals())\n"),
    "f04_config_redirect": (STUB, """\
import os, pathlib
pathlib.Path("grading.yaml").write_text("questions: {}\\n")
os.environ["INITGRADE_CONFIG"] = str(pathlib.Path("grading.yaml").resolve())
import autograder.platforms.inkernel as _kit
_kit.reset()
"""),
    "f05_numpy_patch": (ZERO, """\
import numpy as np, numpy.testing
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
np.std = lambda *a, **k: 1.0
"""),
    "f06_exception_and_display_hooks": (STUB, """\
import sys
sys.excepthook = lambda *args: None
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
ip.display_pub.publish = lambda *args, **kwargs: None
sys.displayhook = lambda value: None
"""),
    "f07_cache_poison": (STUB, """\
import os, pathlib
roots = [os.environ.get(k) for k in ("INITGRADE_INKERNEL_CACHE", "INITGRADE_CACHE", "XDG_CACHE_HOME")]
roots += [str(pathlib.Path.home() / ".cache" / "initgrade")]
for root in filter(None, roots):
    base = pathlib.Path(root)
    for f in list(base.rglob("*"))[:10000] if base.is_dir() else []:
        if f.is_file():
            f.write_bytes(b"poisoned")
    base.mkdir(parents=True, exist_ok=True)
    (base / "poison.npz").write_bytes(b"poisoned")
"""),
    "f08_print_secrets": ({**ZERO, "initialize_parameters_he": textwrap.dedent(f"""\
        def initialize_parameters_he(layers_dims):
            import pathlib
            secrets = [pathlib.Path({str(SOLUTIONS)!r})] + sorted(pathlib.Path({str(RUBRIC)!r}).glob("*.py"))
            raise ValueError("\\n".join(p.read_text() for p in secrets))""")}, f"""\
import pathlib
print(pathlib.Path({str(SOLUTIONS)!r}).read_text())
for p in sorted(pathlib.Path({str(RUBRIC)!r}).glob("*.py")):
    print(p.read_text())
"""),
    "f09_exit_in_a_cell": (STUB, """\
import os, sys
try:
    sys.exit(0)
finally:
    os._exit(0)
"""),
    "f10_builtins_patch": (ZERO, """\
import builtins
builtins.isinstance = lambda obj, cls: True
builtins.AssertionError = type("AssertionError", (Warning,), {})
builtins.abs = lambda x: 0
builtins.max = lambda *a, **k: 0
"""),
    "f11_results_pickle": (STUB, """\
import glob, pickle
from otter.test_files import GradingResults
for path in glob.glob("/tmp/*.pkl"):
    try:
        with open(path, "wb") as f:
            pickle.dump(GradingResults([]), f)
    except OSError:
        pass
"""),
    "f12_fake_grade_cells": (ZERO, ""),  # cells claiming nbgrader grade ids and points: see _FAKE_CELLS
    "z13_gradebook_write": (STUB, """\
import pathlib, sqlite3, subprocess, sys
here = pathlib.Path.cwd()
for db in [p / "gradebook.db" for p in [here, *here.parents]]:
    if db.is_file():
        with sqlite3.connect(db) as con:
            con.execute("UPDATE grade SET auto_score = 0")
        code = f"import time, sqlite3; time.sleep(5); sqlite3.connect({str(db)!r}).execute('DELETE FROM grade')"
        subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
"""),
}
HONEST: dict[str, dict[str, str]] = {"honest_good": GOOD, "honest_zero": ZERO}
# grade_id -> points of code cells placed first in f12_fake_grade_cells: an unknown cell, copies of an
# autograder cell and of a solution cell, and an nbgrader entry with no grade_id (each stopped stock
# nbgrader from grading the notebook at all; the 100 points must never count).
_FAKE_CELLS = {"bonus": 100, "deep-accuracy": 100, "he-solution": 100, None: 50}
# ... and, last in the notebook (so nbgrader keeps them over the real ones), a graded cell marked
# ungraded in an old schema and a solution cell marked graded.
_FAKE_LAST = [{"grade_id": "deep-accuracy", "grade": False, "schema_version": 1},
              {"grade_id": "zeros-solution", "grade": True, "points": 100, "solution": True}]


def _notebooks(release: Path, folder: Path) -> dict[str, Path]:
    """Every forging and honest notebook, made from the student release's notebook."""
    made = {}
    for name, (sources, attack) in FORGERIES.items():
        path = fill_notebook(release, folder / f"{name}.ipynb", sources)
        nb = nbformat.read(path, as_version=4)
        first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        if attack:
            nb.cells.insert(first + 1, nbformat.v4.new_code_cell(attack))
        if name == "f12_fake_grade_cells":
            for grade_id, points in _FAKE_CELLS.items():
                cell = nbformat.v4.new_code_cell("pass")
                cell.metadata["nbgrader"] = {"grade": True, "points": points, "solution": False, "locked": False,
                                             "schema_version": 3, **({"grade_id": grade_id} if grade_id else {})}
                nb.cells.insert(first + 1, cell)
            for meta in _FAKE_LAST:
                cell = nbformat.v4.new_code_cell("pass")
                cell.metadata["nbgrader"] = {"locked": False, "solution": False, "schema_version": 3, **meta}
                nb.cells.append(cell)
        nbformat.write(nb, path)
        made[name] = path
    for name, sources in HONEST.items():
        made[name] = fill_notebook(release, folder / f"{name}.ipynb", sources)
    # An honest notebook whose student answered a question in Markdown with raw HTML in it: the
    # grade ignores Markdown, nbgrader's feedback page shows it (test_nbgrader_feedback_...).
    nb = nbformat.read(made["honest_good"], as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(MARKDOWN_PAYLOAD))
    nbformat.write(nb, made["honest_good"])
    return made


# Raw HTML a student may type in a Markdown cell: each part would run in a page that renders it.
MARKDOWN_PAYLOAD = ("My answer: <script>alert('xssmark-md')</script> <img src=x onerror=alert('xssmark-img')> "
                    "[see](javascript:alert('xssmark-link')) <b onmouseover=alert('xssmark-b')>bold</b> **kept**")


UNREADABLE = "zz_unreadable"  # a student whose notebook is not JSON


def _run(cmd: list[str], env: dict, cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def setup(tmp_path_factory, warm_cache_at):
    tmp = tmp_path_factory.mktemp("record")
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["INITGRADE_CACHE"] = str(warm_cache_at(tmp / "engine-cache"))  # the reference trainings made
    env["INITGRADE_INKERNEL_CACHE"] = str(tmp / "inkernel-cache")
    env["XDG_CACHE_HOME"] = str(tmp / "xdg-cache")
    result = CliRunner().invoke(build, ["all", "--out", str(tmp / "build")])
    assert result.exit_code == 0, result.output + repr(result.exception)
    release = sorted((tmp / "build" / "student").glob("*/assignment/initialization.ipynb"))[0]
    notebooks = _notebooks(release, tmp / "notebooks")
    out = tmp / "engine-out"
    _run([str(VENV_BIN / "initgrade"), "grade", str(tmp / "notebooks"), "--out", str(out), "--no-progress"], env)
    with open(out / "gradebook.csv", newline="") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    engine = {name: {q: float(rows[name][q]) for q in CONFIG.questions} for name in notebooks}
    return {"tmp": tmp, "env": env, "notebooks": notebooks, "engine": engine}


def test_the_engine_is_not_fooled(setup):
    """The baseline the tools must match: forged stubs score 0, forged all-zero code what plain zero code does."""
    engine = setup["engine"]
    assert sum(engine["honest_good"].values()) == CONFIG.max_points()
    assert 0 < sum(engine["honest_zero"].values()) < CONFIG.max_points()
    for name, (sources, _) in FORGERIES.items():
        if sources is ZERO:
            assert engine[name] == engine["honest_zero"], name
        elif name != "f08_print_secrets":
            assert sum(engine[name].values()) == 0, (name, engine[name])
    assert sum(engine["f08_print_secrets"].values()) < CONFIG.max_points()


def _secrets() -> list[str]:
    lines = [s for s in solution_lines(CONFIG) if len(s) >= 12]
    for f in sorted(RUBRIC.glob("*.py")):
        lines += [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip().startswith("def test_")]
    assert len(lines) > 20
    return lines


def _leaked(text: str) -> list[str]:
    return [s for s in _secrets() if s in text]


@pytest.fixture(scope="module")
def nbgrader_class(setup):
    nbgrader, env, tmp = _tool("nbgrader"), setup["env"], setup["tmp"]
    course = tmp / "build" / "nbgrader"
    _run([nbgrader, "generate_assignment", A, "--force"], env, cwd=course)
    for name, path in setup["notebooks"].items():
        target = course / "submitted" / name / A / "initialization.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)
    # A notebook nbgrader itself cannot read fails before the kit sees it: nbgrader grades the others
    # and exits 1, so docs/platforms.md runs export whatever autograde's status (an `&&` there let one
    # student keep the whole class's grades.csv stale).
    unreadable = course / "submitted" / UNREADABLE / A / "initialization.ipynb"
    unreadable.parent.mkdir(parents=True)
    unreadable.write_text('{"cells": [')
    done = subprocess.run([nbgrader, "autograde", A, "--force"], cwd=course, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 1 and f"for student '{UNREADABLE}'" in done.stdout + done.stderr, done.stderr[-3000:]
    _run([nbgrader, "generate_feedback", A, "--force"], env, cwd=course)
    _run([nbgrader, "export"], env, cwd=course)
    from nbgrader.api import Gradebook

    scores, flagged = {}, set()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for name in setup["notebooks"]:
            per_q = {q: 0.0 for q in CONFIG.questions}
            for grade in gb.find_submission_notebook("initialization", A, name).grades:
                per_q[grade.name.split("-", 1)[0]] += float(grade.score or 0)
                if grade.needs_manual_grade:
                    flagged.add((name, grade.name))
            scores[name] = per_q
    with open(course / "grades.csv", newline="") as f:
        totals = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    assert totals.pop(UNREADABLE, 0.0) == 0.0
    return {"course": course, "scores": scores, "totals": totals, "flagged": flagged}


def test_nbgrader_feedback_shows_a_students_markdown_html_as_text(nbgrader_class):
    """nbgrader's feedback template renders Markdown cells whatever HTMLExporter.sanitize_html says;
    the generated config's safe_markdown leaves no tag, handler or javascript: link of the student's live."""
    course = nbgrader_class["course"]
    page = (course / "feedback" / "honest_good" / A / "initialization.html").read_text(encoding="utf-8")
    assert "<strong>kept</strong>" in page  # the Markdown is still rendered
    assert "&lt;script&gt;alert('xssmark-md')&lt;/script&gt;" in page
    live = re.search(r"<[A-Za-z][^<>]*xssmark-[^<>]*>", page)  # a real tag carrying the payload's marker
    assert live is None, live.group(0)
    assert "<script>alert('xssmark" not in page and 'href="javascript:' not in page and "<img src=x" not in page


def test_safe_markdown_keeps_formatting_and_writes_html_out():
    from autograder.platforms.nbgrader_feedback import safe_markdown

    html = safe_markdown(MARKDOWN_PAYLOAD + "\n\n| a | b |\n|---|---|\n| 1 | `x < y` |\n\n<iframe src=x></iframe>")
    assert "<strong>kept</strong>" in html and "<td><code>x &lt; y</code></td>" in html
    assert "<script" not in html and "<iframe" not in html and "<img" not in html and "<b " not in html
    assert "javascript:" not in html.replace("alert('xssmark-link')", "")
    assert "&lt;script&gt;" in html and "&lt;iframe" in html


def test_nbgrader_records_the_engines_scores_for_every_forgery(nbgrader_class, setup):
    engine = setup["engine"]
    assert nbgrader_class["scores"] == engine
    assert nbgrader_class["totals"] == {name: sum(s.values()) for name, s in engine.items()}
    assert not nbgrader_class["flagged"]


def test_nbgrader_graded_result_shows_the_engines_feedback_and_no_secret(nbgrader_class, setup):
    course = nbgrader_class["course"]
    for name in setup["notebooks"]:
        graded = nbformat.read(course / "autograded" / name / A / "initialization.ipynb", as_version=4)
        outputs = json.dumps([c.get("outputs", []) for c in graded.cells])
        feedback = (course / "feedback" / name / A / "initialization.html").read_text(encoding="utf-8")
        assert not _leaked(outputs) and not _leaked(feedback), name
        assert "graded by the initgrade engine" in feedback and "Grade from the initgrade engine" in feedback, name
        # nothing of the notebook ran: only autograder cells have outputs, all written by the engine step
        ran = [c for c in graded.cells if c.cell_type == "code" and c.get("outputs")
               and not c.metadata.get("nbgrader", {}).get("grade")]
        assert not ran, name
    feedback = (course / "feedback" / "honest_zero" / A / "initialization.html").read_text(encoding="utf-8")
    assert "not passed, 0 / " in feedback
    assert not (course / "autograded" / "f04_config_redirect" / A / "grading.yaml").exists()


@pytest.fixture(scope="module")
def otter_class(setup):
    otter, env, tmp = _tool("otter"), setup["env"], setup["tmp"]
    work = tmp / "build" / "otter"
    # otter assign runs the tests on the solved notebook: through the plugin, the engine grades it.
    _run([otter, "assign", "initialization.ipynb", "dist"], env, cwd=work)
    ag_zip = sorted((work / "dist" / "autograder").glob("*-autograder_*.zip"))[0]
    out = tmp / "otter-results"
    jobs = {name: str(path) for name, path in setup["notebooks"].items()}
    # A zip submission may carry an .OTTER_LOG, which otter unpickles in its own process, and modules
    # that would shadow otter's own in its kernel (which starts in the submission's folder).
    marker = tmp / "submitted-files-ran"
    marker.mkdir()
    evil = tmp / "evil-log.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.write(setup["notebooks"]["honest_good"], "initialization.ipynb")
        zf.writestr(".OTTER_LOG", pickle.dumps(_OpenOnLoad(str(marker / "otter-log"))))
        for module in ("ipykernel_launcher.py", "dill.py", "otter/__init__.py", "numpy.py", "sitecustomize.py"):
            zf.writestr(module, f"open({str(marker / module.replace('/', '-'))!r}, 'w').close()\n")
    jobs["zip_with_otter_log_and_modules"] = str(evil)
    # otter run grades one submission per call; otter.run.main is what the command calls, so
    # one process runs it for every notebook (one otter start-up instead of fourteen).
    driver = textwrap.dedent("""\
        import json, pathlib, sys
        import otter.run
        ag_zip, out, jobs = sys.argv[1], pathlib.Path(sys.argv[2]), json.loads(sys.argv[3])
        for name, path in jobs.items():
            (out / name).mkdir(parents=True)
            otter.run.main(path, autograder=ag_zip, output_dir=str(out / name), no_logo=True)
    """)
    # -I: no current folder on the driver's sys.path, as for the otter command's script.
    proc = _run([sys.executable, "-I", "-c", driver, str(ag_zip), str(out), json.dumps(jobs)], env, cwd=tmp)
    scores, outputs = {}, {}
    for name in jobs:
        data = json.loads((out / name / "results.json").read_text())
        tests = {t["name"]: t for t in data["tests"] if "max_score" in t}
        scores[name] = {q: float(tests[q]["score"]) for q in CONFIG.questions}
        outputs[name] = json.dumps(data)
    return {"scores": scores, "outputs": outputs, "marker": marker, "log": proc.stdout + proc.stderr}


class _OpenOnLoad:
    """Unpickling it creates a file: proof that the unpickling process ran submitted code."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_otter_records_the_engines_scores_for_every_forgery(otter_class, setup):
    engine = setup["engine"]
    got = otter_class["scores"]
    assert {name: got[name] for name in engine} == engine
    assert got["zip_with_otter_log_and_modules"] == engine["honest_good"]
    assert not list(otter_class["marker"].iterdir())  # no submitted file was unpickled or imported
    assert "scores recorded from the sandboxed engine" in otter_class["log"]


def test_otter_results_show_the_engines_feedback_and_no_secret(otter_class):
    for name, text in otter_class["outputs"].items():
        assert not _leaked(text), name
        assert json.loads(text)["output"].startswith("Score: "), name  # the engine's summary
    assert f"Score: {CONFIG.max_points():g} / {CONFIG.max_points():g}" in otter_class["outputs"]["honest_good"]
    assert "graded by the initgrade engine" in otter_class["outputs"]["honest_zero"]
    assert "not passed, 0 / " in otter_class["outputs"]["honest_zero"]


def test_an_engine_result_that_does_not_match_grading_yaml_grades_nothing():
    expected = {(q, c): float(p) for q, question in CONFIG.questions.items() for c, p in question.checks.items()}
    (q, c), points = next(iter(expected.items()))
    good = {"tests": [{"score": p, "max_score": p, "status": "passed", "output": "passed"} for p in expected.values()],
            "extra_data": {"status": "graded", "checks": [list(k) for k in expected]}, "output": "Score"}
    assert not from_results(good, expected).error
    assert from_results(good, expected).record(q, c, points).score == points
    too_high = json.loads(json.dumps(good))
    too_high["tests"][0]["score"] = points + 1
    missing = json.loads(json.dumps(good))
    del missing["tests"][0], missing["extra_data"]["checks"][0]
    other = json.loads(json.dumps(good))
    other["extra_data"]["checks"][0] = ["nope", "nope"]
    crashed = {"tests": [], "extra_data": {"status": "error", "error": "the grader stopped"}}
    for bad in (too_high, missing, other, crashed, None, {"tests": "x"}):
        graded = from_results(bad, expected)
        assert graded.error, bad
        record = graded.record(q, c, points)
        assert record.score == 0 and not record.passed and "Not graded" in record.message


def test_nbgrader_cells_nothing_graded_score_zero_and_are_flagged():
    """RecordEngineGrades without an engine grade (EngineGrade not configured) and a cell of no check."""
    from nbformat import v4

    from autograder.platforms.engine_record import nbgrader_grade_id
    from autograder.platforms.nbgrader_engine import _SCORES, RecordEngineGrades

    q, check = next((q, c) for q, question in CONFIG.questions.items() for c in question.checks)
    cells = []
    for gid in (nbgrader_grade_id(q, check), "instructor-extra"):
        cell = v4.new_code_cell("pass")
        cell.outputs = [v4.new_output("stream", name="stdout", text="All checks passed")]  # a kernel's word
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": gid, "points": 2, "solution": False,
                                     "locked": True, "schema_version": 3}
        cells.append(cell)
    resources = {"nbgrader": {"db_url": "sqlite:///nowhere.db", "assignment": A, "student": "s",
                              "notebook": "initialization"}}
    nb, resources = RecordEngineGrades().preprocess(v4.new_notebook(cells=cells), resources)
    assert resources[_SCORES] == {nbgrader_grade_id(q, check): (0.0, True), "instructor-extra": (0.0, True)}
    for cell in nb.cells[:2]:
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "All checks passed" not in text and "Not graded" in text and "needs a look" in text
    assert nb.cells[-1].cell_type == "markdown" and "EngineGrade is missing" in nb.cells[-1].source


def test_generated_hidden_checks_never_pass_without_the_engine_step():
    """Run by a tool configured without the engine step (stock nbgrader, otter without the plugin), every
    generated hidden check fails: no build gives points nothing checked."""
    from autograder.packaging import nbgrader as nbgrader_build
    from autograder.packaging import otter as otter_build

    for q, question in CONFIG.questions.items():
        for check, points in question.checks.items():
            cell = nbgrader_build.test_cell_source(q, check, points, "title")
            body = cell.split("### BEGIN HIDDEN TESTS\n", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            with pytest.raises(AssertionError, match="initgrade engine"):
                exec(compile(body, "<nbgrader hidden cell>", "exec"), {})  # noqa: S102 - the kit's own build
            ns: dict = {}
            exec(compile(otter_build.test_cell_source(q, check, points), "<otter test>", "exec"), ns)  # noqa: S102
            with pytest.raises(AssertionError, match="plugin"):
                ns[f"test_{q}_{check}"]({f"initialize_parameters_{q}": lambda *a, **k: {}})
