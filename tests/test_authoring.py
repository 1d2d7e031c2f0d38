"""Tests of the authoring pipeline: stubs, notebooks and public checks.

* the committed generated files are exactly what ``python -m autograder.authoring``
  would write (the ``--check`` logic, also through the CLI);
* no line of any solution region leaks into the stub module or the student notebook;
* the stubs raise ``NotImplementedError`` naming their function;
* graded cells match the stubs (student notebook) and the solutions (solved
  notebook), and carry the grader's metadata, followed by a public-check cell;
* the public tests pass on the solutions and fail on the stubs.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.authoring import (
    CHECK_TAG,
    GRADED_TAG,
    METADATA_KEY,
    SOLUTIONS_MODULE,
    STUB_MODULE,
    content,
    notebook,
    question_functions,
    repo_root,
    solved_notebook,
    stubs,
    student_notebook,
)

ROOT = repo_root()
# The assignment's facts, from grading.yaml as the authoring tools read them.
QUESTIONS = question_functions()
STUDENT_NOTEBOOK = student_notebook()
SOLVED_NOTEBOOK = solved_notebook()


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def checks():
    return content.load_checks()


@pytest.fixture(scope="module")
def stub_module():
    return load_module(ROOT / STUB_MODULE, "initgrade_test_stubs")


@pytest.fixture(scope="module")
def solution_module():
    return load_module(ROOT / SOLUTIONS_MODULE, "initgrade_test_solutions")


@pytest.fixture(scope="module")
def student_nb():
    return nbformat.read(ROOT / STUDENT_NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def solved_nb():
    return nbformat.read(ROOT / SOLVED_NOTEBOOK, as_version=4)


# --------------------------------------------------------------------------- up to date


def test_generated_files_are_up_to_date():
    stale = notebook.stale_files()
    assert not stale, f"run `python -m autograder.authoring` to regenerate: {stale}"


def test_cli_check_passes_on_the_repository():
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.authoring", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_check_fails_on_an_edited_copy_and_regeneration_fixes_it(tmp_path):
    for rel in (SOLUTIONS_MODULE, STUB_MODULE, STUDENT_NOTEBOOK, SOLVED_NOTEBOOK):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    cli = [sys.executable, "-m", "autograder.authoring", "--root", str(tmp_path)]
    assert subprocess.run(cli + ["--check"], cwd=ROOT, capture_output=True).returncode == 0

    stub = tmp_path / STUB_MODULE
    stub.write_text(stub.read_text() + "\n# hand edit\n")
    (tmp_path / SOLVED_NOTEBOOK).unlink()
    proc = subprocess.run(cli + ["--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    assert str(STUB_MODULE) in proc.stderr and str(SOLVED_NOTEBOOK) in proc.stderr
    assert str(STUDENT_NOTEBOOK) not in proc.stderr

    assert subprocess.run(cli, cwd=ROOT, capture_output=True).returncode == 0
    assert subprocess.run(cli + ["--check"], cwd=ROOT, capture_output=True).returncode == 0
    assert (tmp_path / STUB_MODULE).read_text() == (ROOT / STUB_MODULE).read_text()


def test_generation_is_deterministic():
    assert notebook.generated_files() == notebook.generated_files()


# --------------------------------------------------------------------------- stubs


def test_every_graded_function_has_a_solution_region():
    regions = stubs.parse_regions(stubs.read_solutions())
    assert {r.function for r in regions} == set(QUESTIONS.values())


def test_no_solution_line_leaks_into_student_files(student_nb):
    leaked_into = {
        "stub module": (ROOT / STUB_MODULE).read_text(),
        "student notebook": "\n".join(cell.source for cell in student_nb.cells),
    }
    lines = stubs.solution_lines()
    assert lines
    for where, text in leaked_into.items():
        present = [line for line in lines if line in text]
        assert not present, f"solution text found in the {where}: {present}"
    assert stubs.BEGIN_MARKER not in leaked_into["stub module"]
    assert stubs.END_MARKER not in leaked_into["student notebook"]


def test_stub_module_says_it_is_generated():
    tree = ast.parse((ROOT / STUB_MODULE).read_text())
    doc = ast.get_docstring(tree)
    assert "GENERATED" in doc and "python -m autograder.authoring" in doc
    assert "NotImplementedError" in doc and "pytest public_tests" in doc


@pytest.mark.parametrize("function", list(QUESTIONS.values()))
def test_stub_raises_not_implemented_with_its_name(stub_module, function):
    with pytest.raises(NotImplementedError, match=function):
        getattr(stub_module, function)([3, 2, 1])


def test_stubs_keep_signatures_and_docstrings(stub_module, solution_module):
    import inspect

    for function in QUESTIONS.values():
        stub, ref = getattr(stub_module, function), getattr(solution_module, function)
        assert inspect.signature(stub) == inspect.signature(ref)
        assert stub.__doc__ == ref.__doc__


def test_placeholder_keeps_the_loop_valid():
    source = (
        '"""doc"""\n'
        "def f(n):\n"
        "    total = 0\n"
        "    for i in range(n):\n"
        "        # BEGIN SOLUTION\n"
        "        total += i\n"
        "        # END SOLUTION\n"
        "    return total\n"
    )
    stub = stubs.render_stub_module(source)
    assert "total += i" not in stub
    assert "        # YOUR CODE HERE (about 1 line)" in stub
    assert '        raise NotImplementedError("f is not implemented yet")' in stub
    namespace: dict = {}
    exec(compile(stub, "stub", "exec"), namespace)  # noqa: S102 - a stub the test just rendered from its own source
    assert namespace["f"](0) == 0  # loop body never runs: the loop is intact
    with pytest.raises(NotImplementedError, match="f is not implemented yet"):
        namespace["f"](2)
    assert stubs.function_sources("solution", source)["f"].count("# BEGIN SOLUTION") == 1


@pytest.mark.parametrize(
    "body",
    [
        "    # BEGIN SOLUTION\n    x = 1\n",  # never closed
        "    x = 1\n    # END SOLUTION\n",  # no BEGIN
        "    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION\n",  # nested
        "    # BEGIN SOLUTION\n\n    # END SOLUTION\n",  # empty
    ],
)
def test_malformed_markers_are_rejected(body):
    with pytest.raises(stubs.StubError):
        stubs.parse_regions("def f():\n" + body + "    return 1\n")


# --------------------------------------------------------------------------- notebooks


def _graded_cells(nb):
    return [c for c in nb.cells if METADATA_KEY in c.metadata and "graded" in c.metadata[METADATA_KEY]]


@pytest.mark.parametrize("which", ["student", "solved"])
def test_graded_cells_are_marked_and_followed_by_a_check(which, student_nb, solved_nb):
    nb = student_nb if which == "student" else solved_nb
    nbformat.validate(nb)
    assert nb.metadata[METADATA_KEY] == {"variant": which}
    assert nb.metadata.kernelspec.name == "python3"
    graded = _graded_cells(nb)
    assert [c.metadata[METADATA_KEY]["graded"] for c in graded] == list(QUESTIONS)
    for cell in graded:
        question = cell.metadata[METADATA_KEY]["graded"]
        assert cell.cell_type == "code"
        assert cell.metadata[METADATA_KEY] == {"graded": question, "function": QUESTIONS[question]}
        assert GRADED_TAG in cell.metadata.tags
        assert cell.id == f"graded-{question}"
        assert cell.source.startswith(f"def {QUESTIONS[question]}(")
        following = nb.cells[nb.cells.index(cell) + 1]
        assert following.metadata[METADATA_KEY] == {"check": question}
        assert CHECK_TAG in following.metadata.tags
        assert f"check_{question}({QUESTIONS[question]})" in following.source
    # only graded cells carry the graded tag
    tagged = [c for c in nb.cells if GRADED_TAG in c.metadata.get("tags", [])]
    assert tagged == graded
    assert notebook.graded_cells(nb).keys() == set(QUESTIONS)


def test_student_graded_cells_match_the_stubs(student_nb):
    sources = stubs.function_sources("stub")
    module_text = (ROOT / STUB_MODULE).read_text()
    for cell in _graded_cells(student_nb):
        function = cell.metadata[METADATA_KEY]["function"]
        assert cell.source == sources[function]
        assert cell.source in module_text
        assert f'raise NotImplementedError("{function} is not implemented yet")' in cell.source


def test_solved_graded_cells_match_the_solutions(solved_nb):
    sources = stubs.function_sources("solution")
    module_text = (ROOT / SOLUTIONS_MODULE).read_text()
    for cell in _graded_cells(solved_nb):
        assert cell.source == sources[cell.metadata[METADATA_KEY]["function"]]
        assert cell.source in module_text
        assert "NotImplementedError" not in cell.source


def test_notebooks_differ_only_in_graded_cells(student_nb, solved_nb):
    assert len(student_nb.cells) == len(solved_nb.cells)
    for a, b in zip(student_nb.cells, solved_nb.cells):
        assert a.id == b.id and a.metadata == b.metadata
        if "graded" not in a.metadata.get(METADATA_KEY, {}):
            assert a.source == b.source


@pytest.mark.parametrize("path", [STUDENT_NOTEBOOK, SOLVED_NOTEBOOK])
def test_notebooks_have_no_outputs(path):
    nb = nbformat.read(ROOT / path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_notebook_shows_the_public_check_examples(student_nb, checks):
    markdown = "\n".join(c.source for c in student_nb.cells if c.cell_type == "markdown")
    for question, example in checks.EXAMPLES.items():
        assert example["function"] == QUESTIONS[question]
        assert checks.format_parameters(example["expected"]) in markdown


def test_notebook_imports(student_nb):
    imports = next(c.source for c in student_nb.cells if "import numpy as np" in c.source)
    for needed in ("from initlab.model import", "from initlab.data import",
                   "from initlab.plots import", "%matplotlib inline", "from public_tests.checks import"):
        assert needed in imports


# --------------------------------------------------------------------------- public checks


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_checks_pass_on_the_solutions(question, checks, solution_module, capsys):
    getattr(checks, f"check_{question}")(getattr(solution_module, QUESTIONS[question]))
    assert "All checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_checks_fail_on_the_stubs_with_a_friendly_message(question, checks, stub_module):
    with pytest.raises(AssertionError) as info:
        getattr(checks, f"check_{question}")(getattr(stub_module, QUESTIONS[question]))
    message = str(info.value)
    assert QUESTIONS[question] in message and "NotImplementedError" in message


def _variant(kind):
    """A wrong initializer, the kind of mistake a student makes."""

    def fn(dims, scale=0.01):
        np.random.seed(3)
        params = {}
        for l in range(1, len(dims)):
            n, n_prev = dims[l], dims[l - 1]
            if kind == "xavier":
                W = np.random.randn(n, n_prev) * np.sqrt(1 / n_prev)
            elif kind == "transposed":
                W = np.random.randn(n_prev, n) * np.sqrt(2 / n_prev)
            elif kind == "no_scale":
                W = np.random.randn(n, n_prev)
            else:
                W = np.random.randn(n, n_prev) * np.sqrt(2 / n_prev)
            params[f"W{l}"] = W
            params[f"b{l}"] = np.zeros(n) if kind == "flat_bias" else np.zeros((n, 1))
        return None if kind == "no_return" else params

    return fn


@pytest.mark.parametrize(
    ("question", "kind", "phrase"),
    [
        ("he", "xavier", "sqrt(1 / fan_in), the LeCun rule"),
        ("he", "transposed", "swapped"),
        ("he", "flat_bias", "column vector"),
        ("random", "no_scale", "did not scale the draws at all"),
        ("deep", "he", "(He)"),
        ("zeros", "no_return", "return parameters"),
    ],
)
def test_checks_explain_common_mistakes(checks, question, kind, phrase):
    with pytest.raises(AssertionError) as info:
        getattr(checks, f"check_{question}")(_variant(kind))
    assert phrase in str(info.value)
    assert QUESTIONS[question] in str(info.value)


def _run_public_tests(target: Path):
    env = dict(os.environ, INITGRADE_PUBLIC_TARGET=str(target))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "public_tests", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_public_tests_pass_on_the_solutions():
    proc = _run_public_tests(ROOT / SOLUTIONS_MODULE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout


@pytest.mark.parametrize("stub", [STUB_MODULE, STUDENT_NOTEBOOK])
def test_public_tests_fail_on_the_stubs(stub):
    proc = _run_public_tests(ROOT / stub)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "4 failed" in proc.stdout
    for function in QUESTIONS.values():
        assert f"{function} is not written yet" in proc.stdout


def test_public_tests_in_the_repository_test_the_students_notebook_not_the_solutions():
    env = {k: v for k, v in os.environ.items() if k != "INITGRADE_PUBLIC_TARGET"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "public_tests", "-p", "no:cacheprovider"],
                          cwd=ROOT, env=env, capture_output=True, text=True)  # not -q: the header names the target
    assert proc.returncode == 1 and "4 failed" in proc.stdout, proc.stdout
    assert f"target: {ROOT / STUDENT_NOTEBOOK}" in proc.stdout


@pytest.mark.parametrize("option", ["--notebook", "--module"])
def test_public_tests_take_the_file_to_test_as_an_option(option, tmp_path):
    source = (ROOT / SOLUTIONS_MODULE).read_text()
    if option == "--notebook":  # the reference in the notebook, with a magic and an experiment that must not run
        target = tmp_path / "mine.ipynb"
        cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
                 for src in ("%matplotlib inline\nimport numpy as np", source, "raise SystemExit('experiment ran')")]
        target.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    else:
        target = tmp_path / "mine.py"
        target.write_text(source)
    env = {k: v for k, v in os.environ.items() if k != "INITGRADE_PUBLIC_TARGET"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "public_tests", "-q", "-p", "no:cacheprovider",
                           option, str(target)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and "4 passed" in proc.stdout, proc.stdout + proc.stderr


def test_public_tests_default_to_the_students_notebook(monkeypatch):
    conftest = load_module(ROOT / "public_tests" / "conftest.py", "initgrade_public_conftest")
    monkeypatch.delenv("INITGRADE_PUBLIC_TARGET", raising=False)
    assert conftest.target_path() == ROOT / STUDENT_NOTEBOOK
    monkeypatch.setenv("INITGRADE_PUBLIC_TARGET", str(ROOT / SOLUTIONS_MODULE))
    assert conftest.target_path() == ROOT / SOLUTIONS_MODULE


def test_notebook_json_is_stable_text():
    text = (ROOT / STUDENT_NOTEBOOK).read_text()
    assert text.endswith("\n")
    assert json.loads(text)["nbformat"] == 4


# --------------------------------------------------------------------------- offline-readable prose

# An offline HTML export (nbconvert without network) does not load MathJax, so TeX math shows
# as typed. The rule: formulas are plain Unicode text (W[l], n[l−1], √(2/n), ln 2), never TeX.
TEX_DELIMITERS = ("$", "\\(", "\\)", "\\[", "\\]", "\\begin{", "\\end{")
TEX_COMMAND = re.compile(r"\\[A-Za-z]+")


def _prose_pieces(markdown: str):
    """(kind, text) of what a CommonMark renderer shows as prose: code spans and blocks excluded."""
    from markdown_it import MarkdownIt  # a dependency of rich

    parser = MarkdownIt("commonmark").enable("table")
    for token in parser.parse(markdown):
        for child in token.children or []:
            if child.type == "text":
                yield "text", child.content
            elif child.type in ("em_open", "strong_open"):
                yield child.type, child.markup


@pytest.mark.parametrize("path", [STUDENT_NOTEBOOK, SOLVED_NOTEBOOK], ids=["student", "solved"])
def test_notebook_prose_has_no_tex_math(path):
    nb = nbformat.read(ROOT / path, as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for kind, text in _prose_pieces(cell.source):
            if kind == "text":
                bad = [d for d in TEX_DELIMITERS if d in text] + TEX_COMMAND.findall(text)
                if bad:
                    found.append(f"cell {index}: {bad} in {text!r}")
            elif kind in ("em_open", "strong_open") and "_" in text:
                # n_in, n_out: an underscore that a renderer would turn into emphasis
                found.append(f"cell {index}: emphasis made by {text!r}")
    assert not found, "\n".join(found)


def test_the_tex_check_sees_tex_and_ignores_code():
    pieces = list(_prose_pieces("A factor $\\sqrt{2/n}$ and `cost = $5`\n\n```\n$x$\n```"))
    text = " ".join(t for k, t in pieces if k == "text")
    assert "$" in text and TEX_COMMAND.search(text) and "$5" not in text and "$x$" not in text


def test_initializations_are_named_consistently(student_nb):
    """LeCun for variance 1/n, Glorot for 2/(n_in + n_out); "Xavier" only where the notebook
    says which rule other courses call by that name."""
    markdown = "\n".join(c.source for c in student_nb.cells if c.cell_type == "markdown")
    assert "**LeCun initialization**" in markdown and "**Glorot initialization**" in markdown
    xavier = [line for line in markdown.splitlines() if "Xavier" in line]
    assert xavier and all("call" in line or "after Xavier Glorot" in line for line in xavier), xavier
    assert "(LeCun), 2/n for ReLU units (He), 2/(n_in + n_out) as the Glorot" in markdown
