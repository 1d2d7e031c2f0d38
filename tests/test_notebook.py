"""Execute the solved notebook and check the numbers it publishes.

The solved notebook (``solutions/initialization_solved.ipynb``) is run top to
bottom with nbclient, kernel ``python3``, from the ``assignment/`` folder (where a
student runs it: ``initlab`` and, one level up, ``public_tests`` are importable).
One extra cell is appended that prints the notebook's ``results`` (circles) and
``deep_results`` (image set) as JSON; the assertions read that printout, so they do
not depend on how the notebook formats its tables.

The kernel runs with ``MPLBACKEND=Agg`` and one BLAS thread: the matrices are
small, and on a busy two-core machine OpenBLAS's spinning threads can make the
image experiment ten times slower.
"""

from __future__ import annotations

import json
import math
import time

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.authoring import METADATA_KEY, question_functions, repo_root, solved_notebook

ROOT = repo_root()
LN2 = 0.6931471805599453
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

DUMP = ('import json\nprint("INITGRADE_RESULTS " + json.dumps({"circles": results, "deep": deep_results, '
        '"figures": _initgrade_figures, "empty_panels": _initgrade_empty}))')

# Inserted after the notebook's imports: every figure is checked for empty panels
# (tests/figure_checks.py, run in the kernel) just before plt.show() displays it.
FIGURE_HOOK = """
exec(compile({source!r}, "figure_checks.py", "exec"))
_initgrade_figures, _initgrade_empty = 0, []
_initgrade_show = plt.show


def _initgrade_checked_show(*args, **kwargs):
    global _initgrade_figures
    for number in plt.get_fignums():
        figure = plt.figure(number)
        _initgrade_figures += 1
        name = figure.get_suptitle() or " / ".join(ax.get_title() for ax in figure.axes[:2])
        _initgrade_empty.extend(f"{{name}}: {{problem}}" for problem in empty_panels(figure))
    return _initgrade_show(*args, **kwargs)


plt.show = _initgrade_checked_show
"""


@pytest.fixture(scope="module")
def executed():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "Agg")
        for var in THREAD_VARS:
            mp.setenv(var, "1")
        nb = nbformat.read(ROOT / solved_notebook(), as_version=4)
        setup = next(i for i, cell in enumerate(nb.cells) if "import matplotlib.pyplot as plt" in cell.source)
        hook = FIGURE_HOOK.format(source=(ROOT / "tests" / "figure_checks.py").read_text(encoding="utf-8"))
        nb.cells.insert(setup + 1, nbformat.v4.new_code_cell(hook))
        nb.cells.append(nbformat.v4.new_code_cell(DUMP))
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=300,
            resources={"metadata": {"path": str(ROOT / "assignment")}},
        )
        start = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    line = next(l for l in text.splitlines() if l.startswith("INITGRADE_RESULTS "))
    return {"nb": nb, "results": json.loads(line.split(" ", 1)[1]), "seconds": elapsed}


def test_runs_without_errors_and_quickly(executed):
    for cell in executed["nb"].cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
    # "well under 60 s" on an idle machine (about 15 s); leave room for a busy one
    assert executed["seconds"] < 120, f"notebook took {executed['seconds']:.1f} s"


def test_public_checks_pass_in_the_notebook(executed):
    nb = executed["nb"]
    checked = []
    for cell in nb.cells:
        question = cell.metadata.get(METADATA_KEY, {}).get("check")
        if question:
            out = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert f"All checks passed for {question_functions()[question]}." in out
            checked.append(question)
    assert checked == list(question_functions())


def test_zeros_learns_nothing(executed):
    zeros = executed["results"]["circles"]["zeros"]
    assert zeros["train_accuracy"] == 0.5
    assert zeros["test_accuracy"] == 0.5
    costs = zeros["costs"]
    assert len(costs) == 15
    # exactly ln 2 at every recorded iteration: nothing moves, not even the last bias
    assert costs == [LN2] * 15


def test_random_scale_10(executed):
    r = executed["results"]["circles"]["random_10"]
    assert r["train_accuracy"] == pytest.approx(0.83, abs=1e-12)
    assert r["test_accuracy"] == pytest.approx(0.86, abs=1e-12)
    assert math.isinf(r["costs"][0])  # saturated sigmoid: log(0) in the first cost


def test_random_scale_001(executed):
    r = executed["results"]["circles"]["random_0.01"]
    assert r["train_accuracy"] == pytest.approx(0.46, abs=0.01)
    assert all(abs(c - LN2) < 1e-5 for c in r["costs"])


def test_he(executed):
    r = executed["results"]["circles"]["he"]
    assert r["train_accuracy"] == 0.9933333333333333
    assert r["test_accuracy"] == 0.96
    assert r["costs"][-1] < 0.1


def test_deep_experiment(executed):
    deep = executed["results"]["deep"]
    assert deep["deep"]["train_accuracy"] >= 0.95
    assert deep["deep"]["costs"][-1] < deep["deep"]["costs"][0]
    # tiny weights stall at the majority-class rate
    small = deep["random_0.01"]
    assert small["train_accuracy"] <= 0.70
    assert small["costs"][-1] > 0.6


def test_results_table_is_displayed(executed):
    tables = []
    for cell in executed["nb"].cells:
        if "results" in cell.metadata.get("tags", []):
            for output in cell.outputs:
                if output.output_type == "display_data" and "text/markdown" in output.data:
                    tables.append(output.data["text/markdown"])
    assert len(tables) == 2
    assert "| he | 0.9933 | 0.9600 |" in tables[0]


def test_every_figure_panel_shows_data(executed):
    """The solved notebook's figures, checked in its kernel as plt.show() displays them."""
    results = executed["results"]
    assert results["figures"] >= 11  # every plt.show() of the notebook was seen
    assert results["empty_panels"] == []
