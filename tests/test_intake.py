"""Intake reads notebooks as nbformat and IPython would, without importing them when it can.

``autograder.intake`` reads a version 4 notebook with ``json`` and turns plain Python cells
(and simple top-level line magics such as ``%matplotlib inline``) into code itself; anything
else goes to nbformat and IPython's input transformer. These tests hold both readings side
by side with the reference reading (nbformat, then IPython on every cell): the code the sandbox
gets, and the messages of refused notebooks, must be the same for every case.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from autograder.config import PROJECT_ROOT
from autograder.intake import (
    IntakeError,
    code,
    code_chunks,
    load_submission,
    notebook_cells,
    notebook_chunks,
    notebooks,
)

NOTEBOOKS = sorted([*PROJECT_ROOT.glob("examples/**/*.ipynb"), *PROJECT_ROOT.glob("assignment/*.ipynb"),
                    *PROJECT_ROOT.glob("solutions/*.ipynb")])


def ipython_cell(source: str) -> str:
    """The reference transformation: IPython's, on every cell."""
    source = notebook_cells.unwrap_cell_magic(source)
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython cannot read it: the cell stays as written
        return source


def nbformat_chunks(raw: bytes, name: str):
    """The reference reading of a notebook: nbformat.reads, then IPython on every code cell."""
    try:
        text = code.source_text(raw, name, "a Jupyter notebook")
        try:
            nb = nbformat.reads(text, as_version=4)
        except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds, all refused alike
            raise IntakeError(f"{name} is not a valid Jupyter notebook ({type(exc).__name__}: "
                              f"{str(exc)[:200]})") from None
        chunks, code_cells = [], []
        cells = nb.get("cells", []) if isinstance(nb, dict) else []
        for position, cell in enumerate(cells if isinstance(cells, list) else [], 1):
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(str(s) for s in source)
            count = cell.get("execution_count")
            code_cells.append((position, count if type(count) is int and 0 < count < 10**6 else None, str(source)))
        counts = [count for _, count, _ in code_cells]
        by_count = all(c is not None for c in counts) and len(set(counts)) == len(counts)
        for position, count, source in code_cells:
            # Named as Jupyter shows the cell: its [count] when every code cell has its own, else
            # its position among all cells; with its first non-blank line, as written.
            origin = f"cell [{count}]" if by_count else f"cell {position}"
            first = next((line.strip() for line in source.splitlines() if line.strip()), "")
            for c in code_chunks(ipython_cell(source), origin):
                if c["code"].strip() or c["dropped"]:
                    chunks.append({**c, "first_line": first[:80]})
        if not any(c["code"].strip() for c in chunks):
            raise IntakeError(f"{name} has no code cells with definitions in them")
        return "ok", chunks
    except IntakeError as exc:
        return "error", str(exc)


def intake_chunks(raw: bytes, name: str):
    """The kit's reading (intake's fast path where it applies), in the form of ``nbformat_chunks``."""
    try:
        return "ok", notebook_chunks(raw, name)
    except IntakeError as exc:
        return "error", str(exc)


CELLS = [
    "import numpy as np\n\ndef f(x):\n    return x\n",
    "x = 1",  # no trailing newline
    "\n\n   \nx = 1\n",  # leading blank lines are dropped by IPython
    "    x = 1\n    y = 2\n",  # common indentation removed
    "  x = 1\n\n      \n  def f():\n      return 1\n",
    "x = 1\r\ny = 2\r\n",
    "%matplotlib inline\nimport numpy as np\n",
    "import numpy as np\n%matplotlib inline",
    "%load_ext autoreload\n%autoreload 2\n%matplotlib  inline  \n",
    "%config InlineBackend.figure_format = 'retina'\nx = 1\n",  # quotes: IPython decides
    "%matplotlib inline\r\nx = 1\r\n",
    "%matplotlib inline\x0cx = 1\n",
    "s = '''\n%matplotlib inline\n'''\n",  # inside a string: not a magic
    "x = (1,\n%matplotlib inline\n)\n",
    "x = 1 + \\\n%matplotlib inline\n",
    "def f():\n    return 1\n%time f()\n",
    "def f():\n    %time pass\n    return 1\n",
    "%%time\ndef f():\n    return 1\n",
    "%%timeit -n1\nx = 1\n",
    "!pip install numpy\nx = 1\n",
    "files = !ls\nx = %pwd\n",
    "np.zeros?\n",
    "x = '%d' % 3\nprint(f'{x!r}?')\ny = a != b\n",
    "def f():\n    \"\"\"\n    >>> f()\n    1\n    \"\"\"\n    return 1\n",
    ">>> x = 1\n>>> y = 2\n",
    "In [1]: x = 1\n",
    "In[1]: int = 5\n",
    "def f():\n    ...\n",
    "x = [\n    1,\n    2,\n]\n",
    "def broken(:\n    pass\n\ndef ok():\n    return 1\n",
    "",
    "   ",
    "x = '\0'\n",
    # escaped lines at any depth, with quotes, brackets and comments in them
    "def f():\n    !ls -l\n    %time x = (1,\n    return 1\n",
    "if True:\n\t!echo 'a b' \"c\"\n\t!!date\n",
    "!\n%\n!!\n%config InlineBackend.figure_format = 'retina'  # (\n",
    "!echo a \\\n  b\nx = 1\n",  # continued: IPython joins the lines
    "!ls foo?\n",  # help syntax first
    "def f():\n    %%time\n    return 1\n",
    "x = 1\n!= 2\n",
    "!echo (\nx = (1,\n2))\ny = 3\n",
    "!echo \"\"\"\nfoo\n\"\"\"\n!ls\n",
    # blocks: lines only IPython rewrites among many the fast path rewrites
    "import os\n" + "!ls\n" * 40 + "files = !ls\n" + "%pwd\n" * 40 + "def f():\n    !ls\n    return 1\n",
    "def f():\n" + "    !ls\n" * 30 + "    x = !ls\n    return x\n" + "np.zeros?\n" + "!ls\n" * 5,
    "@dec\ndef f():\n    !ls\n    return 1\nelse_ = 1\nif x:\n    !ls\nelse:\n    y = %pwd\n",
    "%%bash\n" + "echo hi\n" * 30,
    "def f():\n    \"\"\"\n!not a command\n\"\"\"\n    return 1\nz = !ls\n",
    # cell magics, rewritten without IPython: blank lines and indentation before, arguments, quotes, help
    "\n\n  %%writefile out.txt\n  hello '''\n  x = !ls\n",
    "%%bash -s \"a b\"\necho \"$1\" '\\n'\n",
    "%%html?\n",
    "%%\nx = 1\n",
    "%%capture --no-stderr out\nx = 1\n",
]


def _blank_lines_emptied(code):
    """Code with whitespace-only lines made empty: Python reads both the same, and IPython 8 (the
    last release for Python 3.10) keeps such a line's spaces where IPython 9 drops them."""
    if isinstance(code, str):
        return re.sub(r"(?m)^[ \t]+$", "", code)
    if isinstance(code, dict):
        return {k: _blank_lines_emptied(v) for k, v in code.items()}
    if isinstance(code, (list, tuple)):
        return type(code)(_blank_lines_emptied(v) for v in code)
    return code


@pytest.mark.parametrize("cell", CELLS)
def test_cells_become_the_code_ipython_makes_of_them(cell):
    assert _blank_lines_emptied(notebook_cells.python_from_cell(cell)) == _blank_lines_emptied(ipython_cell(cell))


def test_plain_python_and_escaped_lines_need_no_ipython():
    for cell in (CELLS[0], CELLS[2], CELLS[6], CELLS[8], CELLS[9], CELLS[16], CELLS[19], CELLS[33], CELLS[34],
                 CELLS[35]):
        assert notebook_cells.plain_python_cell(cell) is not None, cell
    for cell in (CELLS[12], CELLS[13], CELLS[14], CELLS[21], CELLS[24], CELLS[36], CELLS[37]):
        assert notebook_cells.plain_python_cell(cell) is None, cell


def _count_ipython_tokenized_lines(monkeypatch) -> list[int]:
    from IPython.core import inputtransformer2

    seen: list[int] = []
    real = inputtransformer2.make_tokens_by_line

    def counting(lines):
        seen.append(len(lines))
        return real(lines)

    monkeypatch.setattr(inputtransformer2, "make_tokens_by_line", counting)
    return seen


def test_cell_magics_need_no_ipython():
    for cell in ("%%bash\n" + "echo hi\n" * 30, CELLS[-5], CELLS[-4], CELLS[-2]):
        assert notebook_cells.plain_python_cell(cell) is not None, cell
    assert notebook_cells.plain_python_cell(CELLS[-3]) is None  # %%html?: IPython's help syntax


@pytest.mark.parametrize("n", [40, 300])
def test_ipython_never_retokenizes_a_whole_cell_per_escape(monkeypatch, n):
    """A cell of n escaped lines plus lines only IPython rewrites: the lines IPython tokenizes
    grow with n, not with n squared (its own loop tokenizes the whole cell once per rewrite)."""
    cell = "import os\n" + "".join(f"!echo {i}\n%time x = {i}\nfiles{i} = !ls\n" for i in range(n))
    cell += "def f():\n    !ls\n    return 1\n"
    if n <= 150:  # within IPython's own loop limit (500 rewrites), the result is IPython's
        assert notebook_cells.python_from_cell(cell) == ipython_cell(cell)
    seen = _count_ipython_tokenized_lines(monkeypatch)
    code = notebook_cells.python_from_cell(cell)
    assert "files0 = get_ipython().getoutput('ls')" in code and "get_ipython().system('echo 7')" in code
    assert code.count("\n") == cell.count("\n")
    assert sum(seen) <= 6 * cell.count("\n")  # one tokenization of the cell, then a few of each small block


@pytest.mark.parametrize("shape", ["one block", "many blocks", "many cells"])
def test_a_submissions_ipython_work_is_bounded_whatever_its_shape(monkeypatch, shape):
    """Blocks only IPython can rewrite cost it a tokenization per rewrite: one block of many, many
    small blocks, or many cells of them add up to at most the submission's allowance; what is left
    over is passed on as it stands (the sandbox reports its syntax error)."""
    from autograder.intake.bounds import ReadingBounds
    from autograder.limits import IPYTHON_CALL_WORK, IPYTHON_SUBMISSION_WORK

    block = "def g():\n" + "    x = !ls\n" * 60 + "    return x\n"
    cells = {"one block": [block * 40], "many blocks": ["x = !ls\ny?\n" * 3000],
             "many cells": [block] * 400}[shape]
    seen = _count_ipython_tokenized_lines(monkeypatch)
    bounds = ReadingBounds()
    code = [notebook_cells.python_from_cell(c, bounds.check_time, bounds.spend_ipython) for c in cells]
    assert sum(seen) <= IPYTHON_SUBMISSION_WORK + IPYTHON_CALL_WORK
    assert "x = !ls" in code[-1]  # the rest, unrewritten
    assert [c.count("\n") for c in code] == [c.count("\n") for c in cells]


def _variants() -> dict[str, bytes]:
    base = json.loads((PROJECT_ROOT / "examples" / "submissions" / "correct_notebook.ipynb").read_text())
    code = [i for i, c in enumerate(base["cells"]) if c["cell_type"] == "code"]
    edits = {
        "minor 99": lambda nb: nb.update(nbformat_minor=99),
        "minor as text": lambda nb: nb.update(nbformat_minor="5"),
        "no minor": lambda nb: nb.pop("nbformat_minor"),
        "major 4.0": lambda nb: nb.update(nbformat=4.0),
        "major as text": lambda nb: nb.update(nbformat="4"),
        "major 5": lambda nb: nb.update(nbformat=5),
        "no metadata": lambda nb: nb.pop("metadata"),
        "no cells": lambda nb: nb.pop("cells"),
        "cells a dict": lambda nb: nb.update(cells={"a": 1}),
        "cell without metadata": lambda nb: nb["cells"][code[0]].pop("metadata"),
        "cell type a number": lambda nb: nb["cells"][code[0]].update(cell_type=3),
        "source a number": lambda nb: nb["cells"][code[0]].update(source=3),
        "source lines not text": lambda nb: nb["cells"][code[0]].update(source=["a = 1\n", 2]),
        "no source": lambda nb: nb["cells"][code[0]].pop("source"),
        "ids numbers": lambda nb: [c.update(id=1) for c in nb["cells"]],
        "id a list": lambda nb: nb["cells"][code[0]].update(id=[1]),
        "duplicate ids": lambda nb: [c.update(id="x") for c in nb["cells"]],
        "no ids": lambda nb: [c.pop("id", None) for c in nb["cells"]],
        "outputs text": lambda nb: nb["cells"][code[0]].update(outputs="abc"),
        "output lines not text": lambda nb: nb["cells"][code[0]].update(
            outputs=[{"output_type": "stream", "text": ["a", 1]}]),
        "outputs": lambda nb: nb["cells"][code[0]].update(outputs=[
            {"output_type": "stream", "name": "stdout", "text": ["a\n", "b"]},
            {"output_type": "display_data", "data": {"text/plain": ["x", "y"]}, "metadata": {}}]),
        "attachment not a bundle": lambda nb: nb["cells"][0].update(attachments={"a.png": 3}),
        "deep metadata": lambda nb: nb["metadata"].update(deep=json.loads("[" * 600 + "]" * 600)),
        "a list": lambda nb: [nb],
        "magics": lambda nb: nb["cells"][code[0]].update(source="%matplotlib inline\n!ls\nx = %time 1\nhelp?\n"),
    }
    out = {}
    for name, edit in edits.items():
        nb = copy.deepcopy(base)
        changed = edit(nb)
        out[name] = json.dumps(changed if isinstance(changed, list) and name == "a list" else nb).encode()
    out["not JSON"] = b"{not json"
    out["empty object"] = b"{}"
    out["null"] = b"null"
    return out


# The grader-work cases (examples/hostile/bound_*) go past IPython's own limit of 500 rewrites
# a cell, where IPython gives up and the cell's definitions are lost, and IPython's way of
# reading them takes minutes: they are graded by tests/test_hostile.py instead.
SAME_AS_IPYTHON = [p for p in NOTEBOOKS if not p.name.startswith("bound_")]


@pytest.mark.parametrize("path", SAME_AS_IPYTHON, ids=lambda p: p.name)
def test_notebooks_give_the_code_nbformat_and_ipython_give(path):
    raw = path.read_bytes()
    assert _blank_lines_emptied(intake_chunks(raw, path.name)) == _blank_lines_emptied(nbformat_chunks(raw, path.name))


def _same_refusal(outcome):
    """Where a RecursionError is raised (so its message) depends on the depth of the caller's stack."""
    kind, value = outcome
    return (kind, value.split("RecursionError")[0]) if kind == "error" else outcome


@pytest.mark.parametrize("name,raw", list(_variants().items()), ids=list(_variants()))
def test_unusual_and_broken_notebooks_read_or_refused_as_the_reference_does(name, raw):
    assert _same_refusal(intake_chunks(raw, "nb.ipynb")) == _same_refusal(nbformat_chunks(raw, "nb.ipynb"))


def test_notebooks_as_jupyter_writes_them_skip_nbformat(monkeypatch):
    asked = []
    real = notebooks.import_nbformat
    monkeypatch.setattr(notebooks, "import_nbformat", lambda: asked.append(True) or real())
    for name in ("correct_notebook.ipynb", "he_xavier_notebook.ipynb"):
        raw = (PROJECT_ROOT / "examples" / "submissions" / name).read_bytes()
        assert notebooks.notebook_chunks(raw, name)
    assert asked == []
    old = (PROJECT_ROOT / "examples" / "hostile" / "broken_notebook_nbformat3.ipynb").read_bytes()
    notebooks.notebook_chunks(old, "broken_notebook_nbformat3.ipynb")
    assert asked == [True]


def test_fast_path_is_taken_for_the_example_notebooks():
    """Every code cell of the bundled notebooks is read without IPython, but the one with odd magics
    and, in the two notebooks made to hold one, the cell that is not Python at all (IPython decides
    what a syntax error holds)."""
    left_to_ipython = []
    for path in NOTEBOOKS:
        if path.name.startswith(("broken_", "bound_")):
            continue
        nb = json.loads(Path(path).read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                unwrapped = notebook_cells.unwrap_cell_magic(source)
                if notebook_cells.plain_python_cell(unwrapped) is None:
                    with pytest.raises(SyntaxError):
                        compile(unwrapped, path.name, "exec")
                    left_to_ipython.append(path.name)
    assert sorted(left_to_ipython) == ["nb_cell_does_not_compile.ipynb", "nb_correct_broken_experiment.ipynb"]


def test_reading_bounds_are_grading_yamls(tmp_path):
    """archive_members and folder_entries reach intake; unset, they are the config model's defaults."""
    import io
    import zipfile

    from autograder.config import Limits
    from autograder.intake.bounds import ReadingBounds

    shipped = ReadingBounds()
    assert shipped.max_members == Limits.model_fields["archive_members"].default
    assert shipped.max_entries == Limits.model_fields["folder_entries"].default
    module = (PROJECT_ROOT / "examples" / "submissions" / "correct_module.py").read_text()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("init_functions.py", module)
        for i in range(3):
            zf.writestr(f"notes{i}.txt", "x")
    archive = tmp_path / "sub.zip"
    archive.write_bytes(buf.getvalue())
    assert load_submission(archive, 1 << 20, max_members=4).kind == "zip:package"
    with pytest.raises(IntakeError, match="holds 4 files; at most 3 are accepted"):
        load_submission(archive, 1 << 20, max_members=3)
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "init_functions.py").write_text(module)
    for i in range(5):
        (folder / f"data{i}.csv").write_text("1")
    assert load_submission(folder, 1 << 20, max_entries=6).kind == "package"
    with pytest.raises(OSError, match="holds more than 5 files and folders"):
        load_submission(folder, 1 << 20, max_entries=5)
