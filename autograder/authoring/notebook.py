"""Build the student and the solved notebook from one content source.

Both notebooks come from :data:`autograder.authoring.content.CELLS`; they differ
only in the graded cells:

* ``variant="student"`` -- each graded cell holds the stub of its function
  (placeholder + ``raise NotImplementedError``), as in the stub module;
* ``variant="solved"`` -- each graded cell holds the reference function, copied
  from ``solutions/init_functions.py`` with its ``BEGIN/END SOLUTION`` markers.

Neither notebook stores outputs, so regeneration is deterministic and
``python -m autograder.authoring --check`` can compare files byte for byte.

Cell marking (what a grader looks for):

* graded cells: ``metadata["initgrade"] == {"graded": <question id>, "function": <name>}``
  and ``"graded"`` in ``metadata["tags"]``; cell id ``graded-<question id>``;
* public-check cells (right after each graded cell):
  ``metadata["initgrade"] == {"check": <question id>}``, tag ``"public-check"``,
  cell id ``check-<question id>``;
* notebook metadata ``metadata["initgrade"] == {"variant": "student" | "solved"}``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import v4

from autograder.config import GradingConfig

from . import (
    CHECK_TAG,
    GRADED_TAG,
    METADATA_KEY,
    STUB_MODULE,
    question_functions,
    repo_root,
    solved_notebook,
    student_notebook,
)
from .content import CELLS, Cell
from .stubs import function_sources, read_solutions, render_stub_module

__all__ = [
    "VARIANTS",
    "build_notebook",
    "render_notebook",
    "generated_files",
    "stale_files",
    "write_generated",
    "graded_cells",
]

#: Notebook variant -> which function sources fill its graded cells.
VARIANTS = {"student": "stub", "solved": "solution"}

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def _cell_id(index: int, cell: Cell) -> str:
    if cell.role == "graded":
        return f"graded-{cell.question}"
    if cell.role == "check":
        return f"check-{cell.question}"
    return f"cell-{index:02d}"


def build_notebook(variant: str = "student", solutions_text: str | None = None, config: GradingConfig | None = None):
    """The notebook (an ``nbformat`` node) for ``variant`` "student" or "solved", for ``config``'s
    questions (the kit's when None)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {sorted(VARIANTS)}, not {variant!r}")
    if solutions_text is None:
        solutions_text = read_solutions()
    sources = function_sources(VARIANTS[variant], solutions_text)
    functions = question_functions(config)
    missing = [fn for fn in functions.values() if fn not in sources]
    if missing:
        raise ValueError(f"solutions module lacks the graded functions {missing}")

    seen: set[str] = set()
    cells = []
    for index, cell in enumerate(CELLS):
        metadata: dict = {}
        tags = list(cell.tags)
        if cell.role == "graded":
            question = cell.question
            if question is None:  # content.graded() always names one; a hand-made Cell may not
                raise ValueError(f"cell {index}: a graded cell names no question")
            function = functions[question]
            source = sources[function]
            metadata[METADATA_KEY] = {"graded": question, "function": function}
            metadata["deletable"] = False
            tags.insert(0, GRADED_TAG)
            if question in seen:
                raise ValueError(f"question {question!r} has two graded cells")
            seen.add(question)
        elif cell.role == "check":
            source = cell.source
            metadata[METADATA_KEY] = {"check": cell.question}
            metadata["deletable"] = False
            metadata["editable"] = False
            tags.insert(0, CHECK_TAG)
        else:
            source = cell.source
        if tags:
            metadata["tags"] = tags
        if cell.kind == "markdown":
            nb_cell = v4.new_markdown_cell(source, metadata=metadata)
        else:
            nb_cell = v4.new_code_cell(source, metadata=metadata)
        nb_cell["id"] = _cell_id(index, cell)
        cells.append(nb_cell)
    if seen != set(functions):
        raise ValueError(f"content has no graded cell for {sorted(set(functions) - seen)}")

    nb = v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": dict(KERNELSPEC),
            "language_info": {"name": "python"},
            METADATA_KEY: {"variant": variant},
        },
    )
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def render_notebook(variant: str = "student", solutions_text: str | None = None,
                    config: GradingConfig | None = None) -> str:
    """The notebook file text (JSON, ending with a newline)."""
    text = nbformat.writes(build_notebook(variant, solutions_text, config))
    return text if text.endswith("\n") else text + "\n"


def graded_cells(nb) -> dict[str, dict]:
    """Question id -> graded cell of a notebook node (for graders and tests)."""
    found = {}
    for cell in nb.cells:
        marker = cell.get("metadata", {}).get(METADATA_KEY, {})
        if "graded" in marker:
            found[marker["graded"]] = cell
    return found


def generated_files(root: Path | None = None, config: GradingConfig | None = None) -> dict[Path, str]:
    """Every generated file (path relative to the repository root) -> its expected text, for
    ``config``'s questions and notebook (the kit's when None)."""
    root = root or repo_root()
    solutions_text = read_solutions(root)
    return {
        STUB_MODULE: render_stub_module(solutions_text, config),
        student_notebook(config): render_notebook("student", solutions_text, config),
        solved_notebook(config): render_notebook("solved", solutions_text, config),
    }


def stale_files(root: Path | None = None) -> list[Path]:
    """Generated files that are missing or differ from what would be generated now."""
    root = root or repo_root()
    stale = []
    for rel, text in generated_files(root).items():
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(rel)
    return stale


def write_generated(root: Path | None = None) -> list[Path]:
    """(Re)write every generated file; returns the ones whose content changed."""
    root = root or repo_root()
    changed = []
    for rel, text in generated_files(root).items():
        path = root / rel
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(rel)
    return changed
