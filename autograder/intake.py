"""Turn a submission on disk into code for the sandbox, without running any of it.

A submission is a notebook (``.ipynb``), a module (``.py``), a package folder, or a
``.zip`` of one of those. Whatever the form, the grader keeps the same top-level
statements: imports, function and class definitions, and assignments of literal
constants. Everything else (training runs, plots, prints, tests the student left
at the top level) is dropped, so notebook and module forms of the same code get
the same grade, and a submission loads in milliseconds. Line numbers are
preserved so the sandbox's error messages point at the student's own lines.

Parsing happens here (``json``/``nbformat``, IPython's input transformer, ``ast``): all
only read text. Nothing is imported, executed or unpickled.

Only what a notebook needs is imported, when it needs it: a notebook as Jupyter
writes it is read with ``json`` (nbformat only for older formats and damaged
files), and IPython's transformer runs only on cells that are not plain Python.
Both imports cost more than the rest of reading a notebook (about 65 ms each).
"""

from __future__ import annotations

import ast
import gc
import hashlib
import io
import json
import re
import sys
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder import notebook_cells
from autograder.deadline import Deadline, OutOfTime, time_limit, uninterrupted
from autograder.submission_files import read_regular, walk_regular

SUBMISSION_SUFFIXES = {".ipynb", ".py", ".zip"}
MAX_ZIP_MEMBERS = 200
MAX_ZIP_RATIO = 200  # uncompressed / compressed: above this it is treated as a bomb
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class IntakeError(Exception):
    """The submission cannot be read as code; the message is for the student."""


@dataclass
class ReadingBounds:
    """What reading one submission may cost (grading.yaml's limits): the code handed to the
    parsers (``code_kb``: a syntax tree takes about 5 KB of memory per line of code, so a
    notebook at the size cap made of code would need gigabytes) and a deadline."""

    max_code_bytes: int | None = None
    deadline: Deadline | None = None

    def check_time(self) -> None:
        if self.deadline is not None:
            self.deadline.check()

    def check_code(self, size: int, name: str) -> None:
        if self.max_code_bytes is not None and size > self.max_code_bytes:
            raise IntakeError(f"{name} holds {size >> 10} KB of code; the grader reads at most "
                              f"{self.max_code_bytes >> 10} KB of code in a submission (code_kb in grading.yaml). "
                              "Submit the assignment's code without generated or pasted bulk.")


NO_BOUNDS = ReadingBounds()


@dataclass
class Submission:
    id: str
    path: Path
    kind: str  # notebook | module | package (with "zip:" prefix when unpacked from a zip)
    chunks: list[dict]
    files: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Finding submissions


def submission_id(path: Path) -> str:
    """Safe everywhere, whatever the file is called (autograder.ids)."""
    from autograder.ids import submission_id as safe_submission_id

    return safe_submission_id(path)


def is_package_dir(path: Path) -> bool:
    """A folder named on the command line is one submission when it looks like the student package."""
    return any((path / name).exists() for name in ("init_functions.py", "__init__.py", "initlab"))


def discover(paths: list[Path]) -> list[Path]:
    """Expand the command line: files and package folders as given; any other folder is a
    folder of submissions, whose files and subfolders (one per student) are each one submission."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
        if not p.is_dir() or is_package_dir(p):
            found.append(p)
            continue
        for entry in sorted(p.iterdir()):
            if entry.name.startswith((".", "_")):
                continue
            # Links and special files are listed too, and refused one by one with a message
            # (autograder.submission_files): silently skipping them would hide a row.
            if entry.suffix in SUBMISSION_SUFFIXES or entry.is_dir():
                found.append(entry)
    return found


# ---------------------------------------------------------------------------------------
# From text to chunks


# IPython syntax in cells (``%magic``, ``!shell``): autograder.notebook_cells, in linear time.
PYTHON_CELL_MAGICS = notebook_cells.PYTHON_CELL_MAGICS
_unwrap_cell_magic = notebook_cells.unwrap_cell_magic
_plain_python_cell = notebook_cells.plain_python_cell
_python_from_cell = notebook_cells.python_from_cell


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _plain_target(node: ast.AST) -> bool:
    """A name, or a tuple/list of names: a constant the student's functions may read.
    (``plt.rcParams['figure.figsize'] = (5, 4)`` sets something nobody grades.)"""
    if isinstance(node, ast.Name):
        return True
    return isinstance(node, (ast.Tuple, ast.List)) and all(_plain_target(e) for e in node.elts)


def _kept(stmt: ast.stmt) -> bool:
    if isinstance(stmt, _KEEP):
        return True
    if isinstance(stmt, ast.Assign):
        return all(_plain_target(t) for t in stmt.targets) and _is_literal(stmt.value)
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return _plain_target(stmt.target) and _is_literal(stmt.value)
    return False


# Blocks Jupyter runs as they stand, whose definitions count (``if True:``, ``try: import
# cupy as np`` / ``except ImportError: import numpy as np``, ``with warnings.catch_warnings():``).
_BLOCKS = (ast.If, ast.Try, ast.With) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())


def _bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    out = [getattr(stmt, f) for f in ("body", "orelse", "finalbody") if getattr(stmt, f, None)]
    out += [h.body for h in getattr(stmt, "handlers", [])]
    return out


def _holds_definitions(stmt: ast.stmt) -> bool:
    return any(isinstance(s, _KEEP) or (isinstance(s, _BLOCKS) and _holds_definitions(s))
               for body in _bodies(stmt) for s in body)


def _defined_names(stmt: ast.stmt) -> list[str]:
    """The names a top-level statement would define if it ran (for the student's feedback)."""
    names: list[str] = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not stmt:
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*"]
    return list(dict.fromkeys(names))


def _unremarkable(stmt: ast.stmt) -> bool:
    """Left out without a word: docstrings, ``pass`` and IPython's magics (``%matplotlib inline``)."""
    if isinstance(stmt, ast.Pass):
        return True
    if not isinstance(stmt, ast.Expr):
        return False
    v = stmt.value
    if isinstance(v, ast.Constant):
        return True
    return (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and isinstance(v.func.value, ast.Call)
            and isinstance(v.func.value.func, ast.Name) and v.func.value.func.id == "get_ipython")


def _first_line(lines: list[str], stmt: ast.stmt) -> str:
    text = lines[stmt.lineno - 1].strip() if stmt.lineno - 1 < len(lines) else ""
    return text if len(text) <= 70 else text[:67] + "..."


def _select(code: str, tree: ast.Module) -> tuple[str, list[dict], list[dict]]:
    """The code with only what the grader runs left in (line numbers kept), the statements
    left out, and the definitions kept: ``(code, dropped, defined)``.

    Kept: imports, function and class definitions, literal constants given to names, and
    ``if``/``try``/``with`` blocks that hold definitions, with everything else in them
    replaced by ``pass`` (Jupyter runs those blocks, so their definitions are the ones a
    student's later cells use; a redefinition there replaces the earlier one, as in Jupyter).
    """
    lines = code.splitlines()
    keep = [False] * len(lines)
    dropped: list[dict] = []
    defined: list[dict] = []

    def drop(stmt: ast.stmt, inside: bool) -> None:
        if _unremarkable(stmt):
            return
        dropped.append({"line": stmt.lineno, "end": stmt.end_lineno, "text": _first_line(lines, stmt),
                        "names": _defined_names(stmt)[:20], "inside": inside})

    def keep_block(stmt: ast.stmt) -> None:
        for i in range(stmt.lineno - 1, stmt.end_lineno):
            keep[i] = True
        for body in _bodies(stmt):
            for inner in body:
                if _kept(inner) or (isinstance(inner, _BLOCKS) and _holds_definitions(inner)):
                    note(inner)
                    if isinstance(inner, _BLOCKS):
                        keep_block(inner)
                    continue
                drop(inner, True)
                first = inner.lineno - 1
                indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
                lines[first] = indent + "pass"
                for i in range(first + 1, inner.end_lineno):
                    lines[i] = ""

    def note(stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.append({"name": stmt.name, "line": stmt.lineno})

    for stmt in tree.body:
        if _kept(stmt):
            note(stmt)
            start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            for i in range(start - 1, stmt.end_lineno):
                keep[i] = True
        elif isinstance(stmt, _BLOCKS) and _holds_definitions(stmt) and _own_lines(tree, stmt, lines):
            keep_block(stmt)
        else:
            drop(stmt, False)
    kept = "\n".join(line if k else "" for line, k in zip(lines, keep)) + "\n"
    return kept, dropped, defined


def _own_lines(tree: ast.Module, stmt: ast.stmt, lines: list[str]) -> bool:
    """Every statement inside the block starts its own line (not ``except E: pass`` or
    ``x = 1; y = 2``), and no other top-level statement shares a line with the block:
    statements are then left out line by line without cutting another one in half."""
    if any(o is not stmt and o.lineno <= stmt.end_lineno and o.end_lineno >= stmt.lineno for o in tree.body):
        return False
    starts = []
    for s in ast.walk(stmt):
        if isinstance(s, ast.stmt) and s is not stmt:
            line = lines[s.lineno - 1] if s.lineno - 1 < len(lines) else ""
            if len(line) - len(line.lstrip()) != s.col_offset:
                return False
            starts.append(s.lineno)
    return len(starts) == len(set(starts))


def definitions_only(code: str) -> str:
    """Blank out every top-level statement that is not an import, a definition or a constant.

    Code that does not parse is returned as it is: the sandbox reports the syntax
    error with its line number, and the rest of the submission still loads.
    """
    return _definitions(code)[0]


def _definitions(code: str) -> tuple[str, list[dict], list[dict]]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code, [], []
    return _select(code, tree)


def _chunk(origin: str, code: str, offset: int = 0) -> dict:
    """One chunk for the sandbox (``origin``, ``code``) and, for the feedback only, the
    statements left out (``dropped``) and the definitions kept (``defined``)."""
    kept, dropped, defined = _definitions(code)
    for d in dropped + defined:
        d["line"] += offset
        if "end" in d:
            d["end"] += offset
    return {"origin": origin, "code": "\n" * offset + kept, "dropped": dropped, "defined": defined}


# A line that can start a top-level statement (used only to split code that does not parse).
_TOP_LEVEL_START = re.compile(r"(?:@|def\s|async\s+def\s|class\s|import\s|from\s|if\s+__name__|"
                              r"[A-Za-z_][A-Za-z0-9_]*\s*(?::|=(?!=)))")


def _segments(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) line ranges, each starting where a top-level statement may start."""
    starts = []
    for i, line in enumerate(lines):
        if not _TOP_LEVEL_START.match(line):
            continue
        prev = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        if prev.startswith("@") and not line.startswith("@"):
            continue  # the decorated definition belongs to its decorators' segment
        if prev.startswith("@") and line.startswith("@"):
            continue
        starts.append(i)
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return list(zip(starts, starts[1:] + [len(lines)]))


def code_chunks(code: str, origin: str) -> list[dict]:
    """Chunks of definitions for the sandbox, each padded so line numbers stay true.

    Code that parses is one chunk. Code with a syntax error is split where
    top-level statements start: the parts that parse keep their definitions, and
    each part that does not is passed on as it is, for the sandbox to report with
    its line number. A typo in one function then costs that function only.
    """
    try:
        ast.parse(code)
        return [_chunk(origin, code)]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    lines = code.splitlines()
    chunks: list[dict] = []
    good: list[str] = []
    good_from = 0
    for start, end in _segments(lines):
        part = "\n".join(lines[start:end]) + "\n"
        try:
            ast.parse(part)
            ok = True
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            ok = False
        if ok:
            if not good:
                good_from = start
            good.append(part)
            continue
        if good:
            chunks.append(_chunk(origin, "".join(good), good_from))
            good = []
        chunks.append({"origin": origin, "code": "\n" * start + part})
    if good:
        chunks.append(_chunk(origin, "".join(good), good_from))
    return [c for c in chunks if _useful(c)]


def _text(raw: bytes, name: str, what: str) -> str:
    """A submission file's bytes as text; binary or empty input is refused with a message for the student."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise IntakeError(f"{name} is not UTF-8 text, so it cannot be {what}") from None
    if not text.strip():
        raise IntakeError(f"{name} is empty")
    return text


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
    ``cell_type`` that is not a string (nbformat's schema error message for it fails)."""
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            if not isinstance(v.get("cell_type", ""), str):
                return False
            v = v.values()
        elif not isinstance(v, list):
            continue
        if d >= depth:
            return False
        stack.extend((x, d + 1) for x in v if isinstance(x, (dict, list)))
    return True


def _plain_v4_cells(text: str) -> list | None:
    """The cells of a version 4 notebook as Jupyter writes it, read with ``json`` alone;
    None for anything else (other versions, damaged or unusual files), which nbformat reads.

    nbformat would read these files without error and give the same cells: it only
    joins list-of-lines sources and, when validating, logs schema problems without
    refusing the notebook. Its schema validation costs 65 ms to import and 70 ms to
    compile per process, so it is left out. Everything nbformat would trip over
    (missing ``metadata``, non-string ``source`` lines or ids, odd outputs,
    attachments, very deep nesting) sends the file to nbformat, which refuses it with
    its own message, as before.
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


def notebook_chunks(raw: bytes, name: str, bounds: ReadingBounds = NO_BOUNDS) -> list[dict]:
    check_time = bounds.check_time
    text = _text(raw, name, "a Jupyter notebook")
    nb = None
    cells = _plain_v4_cells(text)
    if cells is None:
        try:
            nb = import_nbformat().reads(text, as_version=4)
        except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
            raise IntakeError(f"{name} is not a valid Jupyter notebook ({type(exc).__name__}: "
                              f"{str(exc)[:200]})") from None
        cells = nb.get("cells", []) if isinstance(nb, dict) else []
    sources = []
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        sources.append(str(source))
    bounds.check_code(sum(len(s) for s in sources), name)
    chunks = []
    for n_code, source in enumerate(sources, 1):
        check_time()
        for chunk in code_chunks(_python_from_cell(source, check_time), f"cell {n_code}"):
            if _useful(chunk):
                chunks.append(chunk)
    if not any(c["code"].strip() for c in chunks):
        raise IntakeError(f"{name} has no code cells with definitions in them")
    return chunks


def _useful(chunk: dict) -> bool:
    """Code to run, or statements left out that the feedback lists (a cell of only
    ``rs = np.random.RandomState(1)`` runs nothing, but a function may need ``rs``)."""
    return bool(chunk["code"].strip() or chunk.get("dropped"))


def module_chunks(raw: bytes, name: str, bounds: ReadingBounds = NO_BOUNDS) -> list[dict]:
    bounds.check_code(len(raw), name)
    text = _text(raw, name, "a Python module")
    if "\0" in text:
        raise IntakeError(f"{name} contains NUL bytes, so it is not a Python module")
    chunks = code_chunks(text, name)
    if not any(c["code"].strip() for c in chunks):
        raise IntakeError(f"{name} has no imports or definitions in it")
    return chunks


# ---------------------------------------------------------------------------------------
# Forms of submission


def _from_tree(files: dict[str, bytes], label: str,
               bounds: ReadingBounds = NO_BOUNDS) -> tuple[str, list[dict], dict[str, str]]:
    """A package folder (or unpacked zip) given as relative path -> bytes."""
    notebooks = sorted(p for p in files if p.endswith(".ipynb") and ".ipynb_checkpoints" not in p)
    modules = sorted(p for p in files if p.endswith(".py"))
    extra = {}
    for p in modules:
        try:
            extra[p] = files[p].decode("utf-8")
        except UnicodeDecodeError:
            pass
    preferred = [p for p in modules if PurePosixPath(p).name == "init_functions.py"]
    if preferred:
        main = min(preferred, key=len)
        return "package", module_chunks(files[main], main, bounds), extra
    if notebooks:
        if len(notebooks) > 1:
            raise IntakeError(f"{label} holds several notebooks ({', '.join(notebooks[:5])}); submit one")
        return "notebook", notebook_chunks(files[notebooks[0]], notebooks[0], bounds), extra
    candidates = [p for p in modules if PurePosixPath(p).name not in ("__init__.py", "conftest.py", "setup.py")]
    if len(candidates) == 1:
        return "package", module_chunks(files[candidates[0]], candidates[0], bounds), extra
    if not candidates:
        raise IntakeError(f"{label} holds no notebook and no Python module")
    # Several modules: the one that defines the graded functions, by name, found by parsing.
    for p in candidates:
        if b"def initialize_parameters_" in files[p]:
            return "package", module_chunks(files[p], p, bounds), extra
    raise IntakeError(f"{label}: none of its modules defines initialize_parameters_*")


def _read_zip(raw: bytes, name: str, max_bytes: int) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise IntakeError(f"{name} is not a valid zip file") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise IntakeError(f"{name} holds {len(infos)} files; at most {MAX_ZIP_MEMBERS} are accepted")
    total = sum(i.file_size for i in infos)
    if total > max_bytes or (raw and total / max(len(raw), 1) > MAX_ZIP_RATIO and total > (1 << 20)):
        raise IntakeError(f"{name} unpacks to {total} bytes, over the limit (a zip bomb?)")
    files = {}
    for info in infos:
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or "\0" in info.filename:
            raise IntakeError(f"{name} contains an unsafe path {info.filename[:200]!r}; it was not unpacked")
        if not p.parts or p.parts[0] in ("__MACOSX",) or p.name.startswith("._"):
            continue
        try:
            with zf.open(info) as f:
                data = f.read(info.file_size + 1)
        except Exception as exc:  # noqa: BLE001 - encrypted (RuntimeError), corrupt (zlib.error, EOFError), ...
            why = f"{type(exc).__module__}.{type(exc).__name__}".removeprefix("builtins.")
            raise IntakeError(f"{name}: {info.filename[:200]} could not be unpacked (damaged or encrypted: "
                              f"{why})") from None
        if len(data) > info.file_size:
            raise IntakeError(f"{name}: {info.filename} is larger than its header says; it was not unpacked")
        files[str(p)] = data
    return files


def _read_dir(path: Path, max_bytes: int) -> dict[str, bytes]:
    files, total = {}, 0
    for rel, f in walk_regular(path):
        if PurePosixPath(rel).suffix not in (".py", ".ipynb"):
            continue
        files[rel] = read_regular(f, max_bytes, f"{path.name}/{rel}")
        total += len(files[rel])
        if total > max_bytes:
            raise IntakeError(f"{path.name} is larger than {max_bytes >> 20} MiB")
    return files


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


@contextmanager
def _collector_paused():
    """No cyclic garbage collection while reading: ``ast.parse`` makes an object per node,
    and the collector's passes over them made parsing superlinear (a 6 MB cell: 2.5x the
    time per line of a 0.4 MB one). Syntax trees hold no cycles; they go by reference
    counting, and the size cap bounds them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load_submission(path: Path, max_bytes: int, max_seconds: float | None = None,
                    max_code_bytes: int | None = None) -> Submission:
    """Read one submission; raises IntakeError with a message for the student.

    ``max_seconds`` (grading.yaml's ``limits.intake_seconds``) bounds the reading: past it,
    the submission gets an IntakeError that names the limit (autograder.deadline).
    ``max_code_bytes`` (``limits.code_kb``) bounds the code handed to the parsers.
    """
    try:
        with _collector_paused():
            if max_seconds is None:
                return _load_submission(path, max_bytes, ReadingBounds(max_code_bytes))
            with time_limit(max_seconds) as deadline:
                return _load_submission(path, max_bytes, ReadingBounds(max_code_bytes, deadline))
    except OutOfTime:
        raise IntakeError(f"reading {Path(path).name} took more than {max_seconds:g} s, the most the grader spends "
                          "reading one submission (intake_seconds in grading.yaml). Is it unusually large, with "
                          "thousands of ! or % lines, or very long lines? Submit the notebook with only the "
                          "assignment's cells.") from None


def _load_submission(path: Path, max_bytes: int, bounds: ReadingBounds) -> Submission:
    path = Path(path)
    sid = submission_id(path)
    if path.is_dir() and not path.is_symlink():
        files = _read_dir(path, max_bytes)
        kind, chunks, extra = _from_tree(files, path.name, bounds)
        return Submission(sid, path, kind, chunks, extra, _digest(files))
    raw = read_regular(path, max_bytes)
    digest = _digest({path.name: raw})
    if path.suffix == ".ipynb":
        return Submission(sid, path, "notebook", notebook_chunks(raw, path.name, bounds), {}, digest)
    if path.suffix == ".py":
        return Submission(sid, path, "module", module_chunks(raw, path.name, bounds), {}, digest)
    if path.suffix == ".zip":
        files = _read_zip(raw, path.name, max_bytes)
        kind, chunks, extra = _from_tree(files, path.name, bounds)
        return Submission(sid, path, "zip:" + kind, chunks, extra, digest)
    raise IntakeError(f"{path.name}: expected a .ipynb, .py or .zip file, or a folder")
