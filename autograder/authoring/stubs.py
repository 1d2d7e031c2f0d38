"""Turn the reference solutions into the student stub module.

The reference file (``solutions/init_functions.py``) fences every piece of graded
code with two marker comments::

    for l in range(1, L):
        # BEGIN SOLUTION
        ...reference code...
        # END SOLUTION
    return parameters

In the stub each fenced region becomes a placeholder at the same indentation::

    for l in range(1, L):
        # YOUR CODE HERE (about 2 lines)
        raise NotImplementedError("initialize_parameters_zeros is not implemented yet")
    return parameters

so the surrounding code stays valid Python and calling an unfinished function
fails loudly with its own name. Everything outside the markers (signatures,
docstrings, seeds, loop layout) is copied unchanged, except the module docstring,
which is replaced by one telling the student what the file is and what to do.

Public API:

* :func:`parse_regions` -- the fenced regions, each tied to its enclosing function;
* :func:`render_stub_module` / :func:`render_solution_module` -- whole-module text;
* :func:`function_sources` -- per-function source text (``variant="stub"`` or
  ``"solution"``), used for the graded notebook cells;
* :func:`solution_lines` -- the non-blank lines inside the fences (tests use it to
  prove that no solution text leaks into student files).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder.config import GradingConfig

from . import SOLUTIONS_MODULE, repo_root, student_notebook

__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "STUB_DOCSTRING",
    "Region",
    "StubError",
    "read_solutions",
    "parse_regions",
    "placeholder_lines",
    "render_stub_module",
    "render_solution_module",
    "function_sources",
    "solution_lines",
]

BEGIN_MARKER = "# BEGIN SOLUTION"
END_MARKER = "# END SOLUTION"

# ``{notebook}``: the student notebook's name (grading.yaml).
STUB_DOCSTRING = '''"""The four initialization functions you write for this assignment.

GENERATED FILE: produced by ``python -m autograder.authoring`` from the reference
solutions; in the course repository, do not edit it by hand.

What to do: in every function below, delete the line
``raise NotImplementedError(...)`` under ``# YOUR CODE HERE`` and write your own
code in its place. Leave everything else as it is: the signatures, the docstrings
and, above all, the ``np.random.seed(3)`` lines (the checks compare the exact
numbers a seeded generator produces).

The same four functions are the graded cells of ``{notebook}``; keep the
two copies identical. Check this file with ``pytest public_tests`` (run from the
folder that holds ``public_tests/``), or call the checks from the notebook.
"""'''


class StubError(ValueError):
    """The reference file's solution markers are malformed."""


@dataclass(frozen=True)
class Region:
    """One fenced solution region.

    ``begin`` and ``end`` are the 0-based indices of the marker lines; the code
    is ``lines[begin + 1 : end]``.
    """

    function: str
    begin: int
    end: int
    indent: str
    code: tuple[str, ...]

    @property
    def n_code_lines(self) -> int:
        return sum(1 for line in self.code if line.strip() and not line.strip().startswith("#"))


def read_solutions(root: Path | None = None) -> str:
    """Text of the reference module."""
    return ((root or repo_root()) / SOLUTIONS_MODULE).read_text(encoding="utf-8")


def _functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [node for node in tree.body if isinstance(node, ast.FunctionDef)]


def parse_regions(text: str) -> list[Region]:
    """Find every ``BEGIN``/``END`` pair and the top-level function holding it."""
    lines = text.splitlines()
    tree = ast.parse(text)
    functions = _functions(tree)
    regions: list[Region] = []
    begin: int | None = None
    for i, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN_MARKER:
            if begin is not None:
                raise StubError(f"line {i + 1}: {BEGIN_MARKER!r} inside another solution region")
            begin = i
        elif marker == END_MARKER:
            if begin is None:
                raise StubError(f"line {i + 1}: {END_MARKER!r} without a matching {BEGIN_MARKER!r}")
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            end_indent = line[: len(line) - len(line.lstrip())]
            if indent != end_indent:
                raise StubError(f"line {i + 1}: solution markers at different indentation")
            # ast.parse always sets end_lineno (the AST's types allow None for hand-built nodes)
            owner = [f for f in functions if f.lineno - 1 < begin and i <= (f.end_lineno or f.lineno) - 1]
            if not owner:
                raise StubError(f"line {begin + 1}: solution region outside any top-level function")
            code = tuple(lines[begin + 1 : i])
            if not any(c.strip() for c in code):
                raise StubError(f"line {begin + 1}: empty solution region")
            regions.append(Region(owner[0].name, begin, i, indent, code))
            begin = None
    if begin is not None:
        raise StubError(f"line {begin + 1}: {BEGIN_MARKER!r} is never closed")
    return regions


def placeholder_lines(region: Region) -> list[str]:
    """The lines that replace one region (markers included) in the stub."""
    n = region.n_code_lines
    size = f"about {n} line{'s' if n != 1 else ''}"
    return [
        f"{region.indent}# YOUR CODE HERE ({size})",
        f'{region.indent}raise NotImplementedError("{region.function} is not implemented yet")',
    ]


def _replace_module_docstring(lines: list[str], text: str, docstring: str) -> list[str]:
    tree = ast.parse(text)
    first = tree.body[0] if tree.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return lines[: first.lineno - 1] + docstring.splitlines() + lines[first.end_lineno :]
    return docstring.splitlines() + [""] + lines


def render_stub_module(text: str | None = None, config: GradingConfig | None = None) -> str:
    """The student stub module generated from the reference text (naming ``config``'s notebook)."""
    if text is None:
        text = read_solutions()
    lines = text.splitlines()
    regions = parse_regions(text)
    out: list[str] = []
    cursor = 0
    for region in regions:
        out.extend(lines[cursor : region.begin])
        out.extend(placeholder_lines(region))
        cursor = region.end + 1
    out.extend(lines[cursor:])
    stub_body = "\n".join(out) + "\n"
    docstring = STUB_DOCSTRING.format(notebook=student_notebook(config).name)
    result = "\n".join(_replace_module_docstring(out, stub_body, docstring)) + "\n"
    compile(result, str(SOLUTIONS_MODULE), "exec")  # a broken stub must never be written
    return result


def render_solution_module(text: str | None = None) -> str:
    """The reference module itself (markers kept), normalised to end with one newline."""
    if text is None:
        text = read_solutions()
    parse_regions(text)  # validate the markers
    return text.rstrip("\n") + "\n"


def function_sources(variant: str = "stub", text: str | None = None) -> dict[str, str]:
    """Source text of every top-level function, in file order, without a trailing newline.

    ``variant="stub"`` gives the placeholder versions (for the student notebook),
    ``variant="solution"`` the reference versions with their markers (for the
    solved notebook).
    """
    if variant == "stub":
        module = render_stub_module(text)
    elif variant == "solution":
        module = render_solution_module(text)
    else:
        raise ValueError(f"variant must be 'stub' or 'solution', not {variant!r}")
    lines = module.splitlines()
    sources = {}
    for node in _functions(ast.parse(module)):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        sources[node.name] = "\n".join(lines[start : node.end_lineno])
    return sources


def solution_lines(text: str | None = None) -> list[str]:
    """Every non-blank, stripped line inside a solution region (comments included)."""
    if text is None:
        text = read_solutions()
    return [line.strip() for r in parse_regions(text) for line in r.code if line.strip()]
