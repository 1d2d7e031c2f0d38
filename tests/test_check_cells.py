"""Check cells agree with the grader: in a real Jupyter kernel (nbclient), a notebook whose kernel
state differs from what the grader loads gets a check that names the name and never says "All checks
passed" for code the engine fails; the engine is run on the same notebooks to prove it fails them.

Each case is a notebook: a setup cell, the cells the student wrote, and the public check of he.
``scratch`` cells run in the kernel and are then removed from the saved file (a helper the student
tried, then deleted), as a student's kernel keeps what the saved notebook no longer has.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import v4

ROOT = Path(__file__).resolve().parents[1]
SETUP = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport numpy as np\n"
         "from public_tests.checks import check_he\n%matplotlib inline")
CHECK = "check_he(initialize_parameters_he)"


def he(factor: str, extra: str = "", params: str = "layers_dims") -> str:
    return (f"def initialize_parameters_he({params}):\n"
            f"{extra}"
            "    np.random.seed(3)\n"
            "    parameters = {}\n"
            "    for l in range(1, len(layers_dims)):\n"
            f"        parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * {factor}\n"
            "        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))\n"
            "    return parameters\n")


CORRECT = he("np.sqrt(2 / layers_dims[l - 1])")

# name -> (cells before the check, cells after it, scratch cells, the names the check's message must hold)
CASES = {
    "non_literal_constant": (["TWO = float(np.log(np.e) * 2)\n" + he("np.sqrt(TWO / layers_dims[l - 1])")], [], [],
                             ["`TWO`", "TWO = float(np.log(np.e) * 2)", "inside the function"]),
    "helper_in_deleted_cell": ([he("fan_in_scale(layers_dims[l - 1])")], [],
                               ["def fan_in_scale(n):\n    return np.sqrt(2 / n)\n"],
                               ["`fan_in_scale`", "not in your saved notebook"]),
    "global_changed_by_later_cell": (["FACTOR = 2.0\n" + he("np.sqrt(FACTOR / layers_dims[l - 1])")],
                                     ["FACTOR = 1.0"], [], ["`FACTOR`", "2.0", "1.0"]),
    "redefined_in_later_cell": ([CORRECT], [he("0.01")], [], ["cell 4", "the last one in the notebook"]),
    "import_in_non_graded_cell": (["try: import math\nexcept ImportError: math = None",
                                   he("math.sqrt(2 / layers_dims[l - 1])")], [], [],
                                  ["`math`", "try: import math"]),
    "name_shadowed_later": (["def scale(n):\n    return np.sqrt(2 / n)\n\n" + he("scale(layers_dims[l - 1])")],
                            ["scale = 10"], [], ["`scale`", "10"]),
    "lambda_at_top_level": (["he_factor = lambda n: np.sqrt(2 / n)", he("he_factor(layers_dims[l - 1])")], [], [],
                            ["`he_factor`", "he_factor = lambda n: np.sqrt(2 / n)"]),
    "class_instance_at_top_level": (["class Settings:\n    def __init__(self):\n        self.gain = 2.0\n",
                                     "settings = Settings()",
                                     he("np.sqrt(settings.gain / layers_dims[l - 1])")], [], [],
                                    ["`settings`", "settings = Settings()"]),
    "mutable_default_changed": ([he("np.sqrt(options.get('gain', 1.0) / layers_dims[l - 1])",
                                    params="layers_dims, options={}"),
                                 "initialize_parameters_he.__defaults__[0]['gain'] = 2.0"], [], [],
                                ["default value of initialize_parameters_he", "{'gain': 2.0}", "None as the default"]),
}


def _notebook(cells: list[str]):
    nb = v4.new_notebook(cells=[v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _text(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        out.append(o.get("text", "") if o.get("output_type") == "stream" else "\n".join(
            [o.get("evalue", "")] + list(o.get("traceback", []))))
    return "\n".join(out)


def run_in_kernel(folder: Path, before: list[str], after: list[str], scratch: list[str]) -> tuple[str, Path]:
    """Run SETUP, the scratch cells, ``before`` and the check in a real kernel, with the saved
    notebook (initialization.ipynb in the kernel's folder) holding SETUP, ``before``, the check and
    ``after`` (cells below the check, not run yet). Returns the check cell's output."""
    saved = [SETUP, *before, CHECK, *after]
    path = folder / "initialization.ipynb"
    nbformat.write(_notebook(saved), path)
    run = _notebook([SETUP, *scratch, *before, CHECK])
    client = NotebookClient(run, kernel_name="python3", timeout=180, allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    with client.setup_kernel():
        for index, cell in enumerate(run.cells):
            client.execute_cell(cell, index)
    return _text(run.cells[-1]), path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every case's saved notebook, plus a correct one, graded once by the engine."""
    folder = tmp_path_factory.mktemp("check-cells")
    outputs = {}
    subs = folder / "subs"
    subs.mkdir()
    for name, (before, after, scratch, _) in CASES.items():
        case = folder / name
        case.mkdir()
        outputs[name], path = run_in_kernel(case, before, after, scratch)
        shutil.copyfile(path, subs / f"{name}.ipynb")
    case = folder / "correct"
    case.mkdir()
    outputs["correct"], path = run_in_kernel(case, [CORRECT], [], [])
    shutil.copyfile(path, subs / "correct.ipynb")
    out = folder / "out"
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--no-progress"],
                   check=True, capture_output=True, timeout=900)
    scores = {}
    for name in [*CASES, "correct"]:
        data = json.loads((out / name / "results.json").read_text())
        scores[name] = sum(t["score"] for t in data["tests"] if t["name"].startswith("he:"))
    return outputs, scores


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_cell_names_what_the_grader_does_not_load(graded, case):
    outputs, scores = graded
    text = outputs[case]
    # The engine fails it (he loses points), so the check cell must not pass it...
    assert scores[case] < scores["correct"], (case, scores)
    assert "All checks passed" not in text, text
    # ...and says which name differs, with the statement or value behind it.
    for needle in CASES[case][3]:
        assert needle in text, (case, needle, text)


def test_correct_notebook_passes_without_notes(graded):
    outputs, scores = graded
    assert scores["correct"] == 10
    assert "All checks passed for initialize_parameters_he." in outputs["correct"]
    assert "Note:" not in outputs["correct"]


def test_public_tests_name_the_left_out_statement(tmp_path):
    """``pytest public_tests`` loads the notebook the grader's way and names the statement it leaves out."""
    before, after, _, needles = CASES["non_literal_constant"]
    path = tmp_path / "initialization.ipynb"
    nbformat.write(_notebook([SETUP, *before, CHECK, *after]), path)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "public_tests"),
                           "--notebook", str(path), "-k", "he"], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout
    assert "`TWO`" in proc.stdout and "TWO = float(np.log(np.e) * 2)" in proc.stdout, proc.stdout


def test_public_tests_keep_literal_constants(tmp_path):
    """A plain-valued constant is kept by the grader, so ``pytest public_tests`` keeps it too."""
    path = tmp_path / "initialization.ipynb"
    nbformat.write(_notebook([SETUP, "GAIN = 2.0\n" + he("np.sqrt(GAIN / layers_dims[l - 1])"), CHECK]), path)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "public_tests"),
                           "--notebook", str(path), "-k", "he"], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


def test_grader_view_keeps_what_intake_keeps():
    """public_tests/grader_view.py carries the grader's rule for students (who have no kit): it keeps
    exactly the code autograder.intake.code keeps, on every code cell and module of the repository."""
    from autograder.config import load_config
    from autograder.intake.code import definitions_only
    from public_tests.grader_view import kept_code

    sources = []
    for nb_path in sorted(ROOT.glob("**/*.ipynb")):
        if ".venv" in nb_path.parts or ".ipynb_checkpoints" in nb_path.parts:
            continue
        try:
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                src = cell.get("source", "")
                sources.append("".join(src) if isinstance(src, list) else str(src))
    for py in sorted((ROOT / "examples").glob("**/*.py")):
        try:
            sources.append(py.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
    sources += [case[0][i] for case in CASES.values() for i in range(len(case[0]))]
    assert len(sources) > 300
    # The grader reads no more code than code_kb (the hostile cases past it, built to exhaust a
    # parser, are refused before any reading); a student's notebook is far below it.
    cap = load_config().limits.code_kb << 10
    compared = 0
    for src in (s for s in sources if len(s.encode()) <= cap):
        try:
            expected = definitions_only(src)
        except (MemoryError, RecursionError):
            continue  # nesting built to exhaust the parser: the grader refuses it in a child process
        assert kept_code(src)[0] == expected, src[:300]
        compared += 1
    assert compared > 300


def test_without_a_saved_notebook_the_kernels_cells_are_read_the_graders_way(tmp_path):
    """No notebook file to read (a notebook never saved, or under another name): the check rebuilds the
    function from the cells run in the kernel, with the same rule, and still names the name."""
    before, _, _, needles = CASES["non_literal_constant"]
    run = _notebook([SETUP, *before, CHECK])
    client = NotebookClient(run, kernel_name="python3", timeout=180, allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    assert not list(tmp_path.glob("*.ipynb"))
    text = _text(run.cells[-1])
    assert "All checks passed" not in text
    assert "`TWO`" in text and "the cell you ran as In [" in text, text
