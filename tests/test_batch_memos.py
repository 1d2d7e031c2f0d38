"""What a batch's grader computes once per process for equal inputs, counted (never timed).

* A chart (autograder.feedback.chart_memo) is drawn once for arguments equal bit for bit, and the
  text kept is the text a fresh drawing writes; arguments that differ in a bit, a type or a key
  are drawn apart; the memo holds at most ENTRIES charts, and data past KEY_BYTES is never kept.
* A plain Python notebook cell (autograder.intake.notebooks._cell_chunks) is parsed once for its
  source; every later notebook holding it gets the same chunks as a fresh reading, on every example
  notebook; a cell that spends a submission's bounds (code that does not parse) is read every time.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from autograder.config import PROJECT_ROOT, load_config
from autograder.feedback import chart_memo, page, svg
from autograder.intake import notebook_cells, notebooks
from autograder.intake.bounds import ReadingBounds

EXAMPLES = PROJECT_ROOT / "examples"


def _counted(drawn: list):
    def draw(*args, **kwargs):
        drawn.append(1)
        return svg.line_chart(*args, **kwargs)

    return chart_memo.remembered(draw)


def _series(ys, xs=None):
    xs = list(range(len(ys))) if xs is None else xs
    return [{"label": "yours", "x": xs, "y": ys, "colour": svg.STUDENT}]


def test_a_chart_is_drawn_once_for_equal_data_and_is_the_fresh_drawing():
    drawn: list = []
    chart = _counted(drawn)
    ys = [0.69, 0.5, 0.25, 0.125]
    first = chart(_series(list(ys)), "Training cost", "iteration", "cost", label="q-training")
    again = chart(_series(list(ys)), "Training cost", "iteration", "cost", label="q-training")  # equal, new lists
    assert len(drawn) == 1
    assert first == again == svg.line_chart(_series(ys), "Training cost", "iteration", "cost", label="q-training")


@pytest.mark.parametrize("other", [
    lambda ys: ([-0.0 if y == 0 else y for y in ys], {}),            # -0.0 is not 0.0
    lambda ys: ([math.nextafter(ys[1], 1.0) if i == 1 else y for i, y in enumerate(ys)], {}),  # one bit
    lambda ys: (ys, {"label": "r-training"}),                        # another keyword's value
    lambda ys: (ys, {"subtitle": ""}),                               # a keyword given that was left out
    lambda ys: ([float("nan")] + ys[1:], {}),                        # a NaN
])
def test_charts_of_data_that_differ_in_a_bit_or_a_key_are_drawn_apart(other):
    drawn: list = []
    chart = _counted(drawn)
    ys = [0.0, 0.5, 0.25, 0.125]
    base = chart(_series(ys), "t", "x", "y", label="q-training")
    ys2, kwargs = other(list(ys))
    kwargs = {"label": "q-training", **kwargs}
    text = chart(_series(ys2), "t", "x", "y", **kwargs)
    assert len(drawn) == 2
    assert text == svg.line_chart(_series(ys2), "t", "x", "y", **kwargs)
    assert chart(_series(ys), "t", "x", "y", label="q-training") == base and len(drawn) == 2


def test_keys_tell_types_apart():
    assert chart_memo._key([1, 2], [1 << 20]) != chart_memo._key([1.0, 2.0], [1 << 20])
    assert chart_memo._key([True], [1 << 20]) != chart_memo._key([1], [1 << 20])
    assert chart_memo._key((1, 2), [1 << 20]) != chart_memo._key([1, 2], [1 << 20])
    a = np.arange(4, dtype=np.float64)
    assert chart_memo._key(a, [1 << 20]) != chart_memo._key(a.astype(np.float32), [1 << 20])
    assert chart_memo._key(a, [1 << 20]) != chart_memo._key(a.reshape(2, 2), [1 << 20])
    assert chart_memo._key(a, [1 << 20]) == chart_memo._key(a.copy(), [1 << 20])
    assert chart_memo._key([1 << 70], [1 << 20]) != chart_memo._key([1 << 71], [1 << 20])  # past 64 bits


def test_the_memo_is_bounded(monkeypatch):
    drawn: list = []
    chart = _counted(drawn)
    for i in range(chart_memo.ENTRIES + 5):
        chart(_series([1.0, float(i)]), "t", "x", "y")
    assert len(chart.memo) == chart_memo.ENTRIES and len(drawn) == chart_memo.ENTRIES + 5
    big = [0.5] * (chart_memo.KEY_BYTES // 8 + 1)  # data past KEY_BYTES: drawn every time, never kept
    kept = dict(chart.memo)
    chart(_series(big), "t", "x", "y")
    chart(_series(big), "t", "x", "y")
    assert len(drawn) == chart_memo.ENTRIES + 7 and chart.memo == kept
    weights = np.zeros(chart_memo.KEY_BYTES // 8 + 1)
    with pytest.raises(chart_memo._TooLarge):
        chart_memo._key(weights, [chart_memo.KEY_BYTES])


def _training_runs(costs: list[float]) -> list:
    outcome = {"costs": costs, "record_every": 150, "train_accuracy": 0.5, "test_accuracy": 0.5,
               "final_cost": costs[-1], "hidden_rows_identical": [True]}
    return [{"check": "zeros_symmetry", "training": "circles", "call": "initialize_parameters_zeros([2, 10, 5, 1])",
             "label": "", "student": dict(outcome), "reference": {**outcome, "costs": [0.6, 0.3, 0.1]},
             "same_as_reference": False}]


def test_a_pages_training_figure_is_drawn_once_per_batch_for_equal_outcomes(monkeypatch):
    config = load_config()
    drawn: list = []
    real = svg.line_chart

    def counted(*args, **kwargs):
        drawn.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(page, "_line_chart", chart_memo.remembered(counted))
    costs = [0.6931471805599453] * 3
    figures = [page._training_figure("zeros", _training_runs(list(costs)), config) for _ in range(5)]
    assert len(drawn) == 1
    assert len({f.svg for f in figures}) == 1
    monkeypatch.setattr(page, "_line_chart", real)  # the figure as drawn without the memo
    assert page._training_figure("zeros", _training_runs(list(costs)), config) == figures[0]


# ----------------------------------------------------------------------------- notebook cells

def _example_notebooks() -> list:
    return sorted(p for p in EXAMPLES.rglob("*.ipynb") if "hostile" not in p.parts)


def _read(path):
    return notebooks.notebook_chunks(path.read_bytes(), path.name, ReadingBounds())


def test_plain_cells_are_parsed_once_and_read_as_fresh(monkeypatch):
    paths = _example_notebooks()
    assert len(paths) > 30
    monkeypatch.setattr(notebooks, "_PLAIN_CELLS", {})
    monkeypatch.setattr(notebooks, "PLAIN_CELLS_KEPT", 100_000)  # every cell kept, for the count below
    fresh = {}
    for p in paths:
        notebooks._PLAIN_CELLS.clear()
        try:
            fresh[p] = json.dumps(_read(p))
        except Exception as exc:  # noqa: BLE001 - a notebook the reader refuses is refused again below
            fresh[p] = repr(exc)
    parsed: list[str] = []
    real = notebook_cells.python_and_tree

    def counted(source, *args):
        parsed.append(source)
        return real(source, *args)

    monkeypatch.setattr(notebook_cells, "python_and_tree", counted)
    notebooks._PLAIN_CELLS.clear()
    for _ in range(2):
        for p in paths:
            try:
                got = json.dumps(_read(p))
            except Exception as exc:  # noqa: BLE001
                got = repr(exc)
            assert got == fresh[p], p
    cells = [c for p in paths for c in _code_cells(p)]
    distinct = set(cells)
    # Every distinct cell once (a cell that does not parse every time it is met), never all of them.
    assert len(parsed) < len(cells) / 3, (len(parsed), len(cells))
    assert distinct <= set(parsed)
    # A cell parsed again is one that was not kept: code that does not parse, or a cell magic's call.
    again = {s for s in parsed if parsed.count(s) > 1}
    assert again and not again & set(notebooks._PLAIN_CELLS)


def _code_cells(path) -> list[str]:
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError, TypeError):
        return []
    return ["".join(c["source"]) if isinstance(c.get("source"), list) else str(c.get("source", ""))
            for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]


def test_a_kept_cells_chunk_is_a_copy(monkeypatch):
    monkeypatch.setattr(notebooks, "_PLAIN_CELLS", {})
    bounds = ReadingBounds()
    source = "import numpy as np\nx = 3\nprint(x)\n\ndef f(a):\n    return a\n"
    first = notebooks._cell_chunks(source, "cell [1]", bounds)
    first[0]["dropped"].append({"line": 99})
    first[0]["defined"][0]["line"] = 42
    second = notebooks._cell_chunks(source, "cell [7]", bounds)
    assert second[0]["origin"] == "cell [7]"
    assert {"line": 99} not in second[0]["dropped"] and second[0]["defined"][0]["line"] == 5
    assert [d["text"] for d in second[0]["dropped"]] == ["print(x)"]


def test_a_cell_that_spends_the_submissions_bounds_is_read_every_time(monkeypatch):
    monkeypatch.setattr(notebooks, "_PLAIN_CELLS", {})
    broken = "def f(:\n    pass\n\ndef g():\n    return 1\n"
    for _ in range(2):
        bounds = ReadingBounds()
        before = bounds.pieces_left[0]
        chunks = notebooks._cell_chunks(broken, "cell [2]", bounds)
        assert bounds.pieces_left[0] == before - 2 and len(chunks) == 2  # the bad piece and g's
    assert notebooks._PLAIN_CELLS == {}
    big = "x = 1\n" * (notebooks.PLAIN_CELL_CHARS // 6 + 1)  # past PLAIN_CELL_CHARS: not kept
    notebooks._cell_chunks(big, "cell [3]", ReadingBounds())
    assert notebooks._PLAIN_CELLS == {}
