"""Reading a notebook: its code cells, read with ``json`` as Jupyter writes them (nbformat for
anything else), IPython syntax turned into Python, then chunks."""

from __future__ import annotations

import json
import sys

from autograder.base.deadline import uninterrupted
from autograder.intake import notebook_cells
from autograder.intake.bounds import ReadingBounds
from autograder.intake.code import code_chunks, source_text, useful_chunk
from autograder.intake.submission import IntakeError
from autograder.limits import (
    NBFORMAT_BYTES,
    NBFORMAT_CONTAINERS,
    NOTEBOOK_CELL_CHARS,
    NOTEBOOK_CELLS_KEPT,
    NOTEBOOK_CONTAINERS,
)

# nbformat validates notebooks with jsonschema, whose format checkers import every
# optional helper installed: ``rfc3987_syntax`` alone builds a grammar at import time,
# 1.3 s of a 2.7 s ``initgrade grade one.ipynb``, and the others (arrow, isoduration, ...)
# 65 ms more. Notebook schemas use no ``format`` keyword, so these checkers are left
# out, for this import only: later imports of the modules still work.
_FORMAT_HELPERS = ("rfc3987_syntax", "rfc3987", "rfc3986_validator", "rfc3339_validator", "fqdn", "idna",
                   "webcolors", "jsonpointer", "uri_template", "isoduration")


def import_nbformat():
    """nbformat, with jsonschema imported without its format helpers (see _FORMAT_HELPERS).

    Import nbformat through this wherever jsonschema may not be imported yet.
    """
    if "jsonschema" not in sys.modules:
        blocked = [m for m in _FORMAT_HELPERS if m not in sys.modules]
        for m in blocked:
            sys.modules[m] = None  # type: ignore[assignment]  # makes the import fail
        try:
            import jsonschema._format  # noqa: F401  # pyflakes: imported for its side effect
        except ImportError:
            pass
        finally:
            for m in blocked:
                if m in sys.modules and sys.modules[m] is None:
                    del sys.modules[m]
    with uninterrupted():
        import nbformat

    return nbformat


def _is_text(value) -> bool:
    """A multi-line string field as nbformat accepts it: a string, or a list of strings."""
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(x, str) for x in value))


def _tame(value, depth: int = 64) -> bool:
    """No deeper than ``depth`` levels (nbformat converts the whole tree recursively), and no
    ``cell_type`` that is not a string (nbformat's schema error message for it fails).

    Walked a level at a time with comprehensions: a per-node loop cost 0.7 s for 2 MB of nested lists."""
    level = [value] if type(value) in (dict, list) else []
    for _ in range(depth):  # levels 0 to depth - 1 may hold containers
        if not level:
            return True
        dicts = [v for v in level if type(v) is dict]
        if any(type(d.get("cell_type", "")) is not str for d in dicts):
            return False
        level = [x for v in level for x in (v.values() if type(v) is dict else v) if type(x) in (dict, list)]
    return not level


def _plain_v4_cells(text: str) -> list | None:
    """The cells of a version 4 notebook as Jupyter writes it, read with ``json`` alone;
    None for anything else (other versions, damaged or unusual files), which nbformat reads.

    nbformat would read these files without error and give the same cells: it only
    joins list-of-lines sources and, when validating, logs schema problems without
    refusing the notebook. Its schema validation costs 65 ms to import and 70 ms to
    compile per process, so it is left out. Everything nbformat would trip over
    (missing ``metadata``, non-string ``source`` lines or ids, odd outputs,
    attachments, very deep nesting) sends the file to nbformat, which refuses it with
    its own message.
    """
    try:
        nb = json.loads(text)
    except Exception:  # noqa: BLE001 - nbformat reports it, with its own message
        return None
    if not isinstance(nb, dict) or type(nb.get("nbformat")) is not int or nb["nbformat"] != 4:
        return None
    if type(nb.get("nbformat_minor", 0)) is not int or not isinstance(nb.get("metadata"), dict):
        return None
    cells = nb.get("cells")
    if not isinstance(cells, list) or not _tame(nb):
        return None
    for cell in cells:
        if not isinstance(cell, dict) or not isinstance(cell.get("metadata"), dict):
            return None
        if not _is_text(cell.get("source", "")) or not isinstance(cell.get("id", ""), str):
            return None
        attachments = cell.get("attachments", {})
        if not isinstance(attachments, dict) or not all(isinstance(a, dict) for a in attachments.values()):
            return None
        if cell.get("cell_type") == "code":
            outputs = cell.get("outputs", [])
            if not isinstance(outputs, list):
                return None
            for out in outputs:
                if not isinstance(out, dict) or not isinstance(out.get("output_type", ""), str):
                    return None
                if not isinstance(out.get("data", {}), dict) or not isinstance(out.get("text", ""), (str, list)):
                    return None
                if isinstance(out.get("text"), list) and not _is_text(out["text"]):
                    return None
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return cells


# Characters of a cell's first line kept to name the cell in feedback ("cell [4] `def f(...):`").
FIRST_LINE_CHARS = 80


def cell_names(cells: list[tuple[int, int | None]]) -> list[str]:
    """Each code cell named as the student sees it: ``cell [5]`` by its execution count, Jupyter's
    ``[5]:`` beside it, when every code cell has its own; else ``cell 12``, its position among all
    the notebook's cells (markdown included), the same whichever cells were run. Code cells are
    not counted on their own: Jupyter shows no such number."""
    counts = [count for _, count in cells]
    if counts and all(c is not None for c in counts) and len(set(counts)) == len(counts):
        return [f"cell [{c}]" for c in counts]
    return [f"cell {position}" for position, _ in cells]


def notebook_chunks(raw: bytes, name: str, bounds: ReadingBounds | None = None) -> list[dict]:
    bounds = bounds or ReadingBounds()  # a fresh one: bounds count what one submission has used
    check_time = bounds.check_time
    text = source_text(raw, name, "a Jupyter notebook")
    nb = None
    containers = text.count("[") + text.count("{")  # an over-count (brackets in strings too), at C speed
    if containers > NOTEBOOK_CONTAINERS:
        raise IntakeError(f"{name} holds more than {NOTEBOOK_CONTAINERS} JSON lists and objects, more than the "
                          "grader reads in one notebook (its outputs or metadata, not its code). Open it in "
                          "Jupyter, clear its outputs (Kernel > Restart & Clear Output), save it and submit it again.")
    cells = _plain_v4_cells(text)
    if cells is None:
        if containers > NBFORMAT_CONTAINERS or len(raw) > NBFORMAT_BYTES:
            raise IntakeError(f"{name} is not a notebook as Jupyter writes it, and is too large or too nested to be "
                              f"converted (at most {NBFORMAT_BYTES >> 20} MB and {NBFORMAT_CONTAINERS} lists and "
                              "objects). Open it in Jupyter, clear its outputs (Kernel > Restart & "
                              "Clear Output), save it and submit it again.")
        try:
            nb = import_nbformat().reads(text, as_version=4)
        except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
            raise IntakeError(f"{name} is not a valid Jupyter notebook ({type(exc).__name__}: "
                              f"{str(exc)[:200]})") from None
        cells = nb.get("cells", []) if isinstance(nb, dict) else []
    sources = []  # (position among all cells, execution count, source)
    for position, cell in enumerate(cells if isinstance(cells, list) else [], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        count = cell.get("execution_count")
        sources.append((position, count if type(count) is int and 0 < count < 10**6 else None, str(source)))
    bounds.check_cells(len(sources), name)
    # In UTF-8 bytes, as a module's: parsing costs per byte (a character can be 4), and identifiers
    # outside ASCII are normalized one by one (64 K characters of them: 5.8x a normal submission's CPU).
    bounds.check_code(sum(len(s.encode("utf-8", "surrogatepass")) for _, _, s in sources), name)
    names = cell_names([(position, count) for position, count, _ in sources])
    chunks = []
    for (_, _, source), origin in zip(sources, names):
        check_time()
        first = next((line.strip() for line in source.splitlines() if line.strip()), "")
        for chunk in _cell_chunks(source, origin, bounds):
            if useful_chunk(chunk):
                chunk["first_line"] = first[:FIRST_LINE_CHARS]
                chunks.append(chunk)
    if not any(c["code"].strip() for c in chunks):
        raise IntakeError(f"{name} has no code cells with definitions in them")
    return chunks


#: Plain Python cells read before, by their source: (the cell's chunk without its origin). A
#: batch's notebooks come from one assignment notebook, so most of their cells (the imports, the
#: provided code, the tests) are the same text in every submission.
_PLAIN_CELLS: dict[str, dict] = {}
# Cells kept at most, and the longest kept (characters): the memo holds a few megabytes at most.
PLAIN_CELLS_KEPT, PLAIN_CELL_CHARS = NOTEBOOK_CELLS_KEPT, NOTEBOOK_CELL_CHARS


def _cell_chunks(source: str, origin: str, bounds: ReadingBounds) -> list[dict]:
    """``code_chunks`` of a cell's Python (``notebook_cells.python_and_tree``). A cell that is plain
    Python (one parse, a syntax tree: no IPython allowance spent, no piece of ``pieces_left``
    taken) gives one chunk, a function of its source alone; it is kept (``_PLAIN_CELLS``), and a
    cell of the same source later is a copy of it with its own origin, without parsing it again."""
    kept = _PLAIN_CELLS.get(source)
    if kept is not None:
        return [{**_copied(kept), "origin": origin}]
    code, tree = notebook_cells.python_and_tree(source, bounds.check_time, bounds.spend_ipython)
    chunks = code_chunks(code, origin, bounds.pieces_left, tree)
    if tree is not None and len(chunks) == 1 and len(source) <= PLAIN_CELL_CHARS:
        if len(_PLAIN_CELLS) >= PLAIN_CELLS_KEPT:
            del _PLAIN_CELLS[next(iter(_PLAIN_CELLS))]
        _PLAIN_CELLS[source] = _copied(chunks[0])
    return chunks


def _copied(value):
    """A chunk's dicts and lists copied (its strings and numbers are immutable): what one reader does
    to its chunks never reaches the kept one."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value
