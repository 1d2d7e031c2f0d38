"""From Python source to chunks for the sandbox: the top-level statements the grader keeps
(imports, definitions, literal constants), line numbers preserved, and code that does not
parse split so a typo costs one function only."""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Iterator

from autograder.intake.submission import IntakeError
from autograder.limits import CODE_PIECES

_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, RecursionError):  # a MemoryError is the reading's cap: told as such
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


# A Name's load/store/del marker: a node ast.walk visits, with no children and nothing to list.
_CONTEXTS = (ast.Load, ast.Store, ast.Del)


def _walk(node: ast.AST) -> list[ast.AST]:
    """Every node below ``node`` (itself first) in ``ast.walk``'s order (breadth first, each node's
    children in field order), without the Load/Store/Del markers: a list grown while it is read,
    instead of ast.walk's generators (``iter_child_nodes`` over ``iter_fields`` for every node), at
    about half the cost. Every statement a notebook leaves out is walked (dozens per notebook)."""
    nodes = [node]
    for current in nodes:
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, list):
                nodes.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST) and not isinstance(value, _CONTEXTS):
                nodes.append(value)
    return nodes


def _defined_names(stmt: ast.stmt) -> list[str]:
    """The names a top-level statement would define if it ran (for the student's feedback)."""
    names: list[str] = []
    for node in _walk(stmt):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                names.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node is not stmt:
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


def _last_line(stmt: ast.stmt) -> int:
    """The statement's last line. ``ast.parse`` always sets ``end_lineno``; the AST's types allow
    None only for nodes built by hand."""
    return stmt.end_lineno if stmt.end_lineno is not None else stmt.lineno


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
        for i in range(stmt.lineno - 1, _last_line(stmt)):
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
                for i in range(first + 1, _last_line(inner)):
                    lines[i] = ""

    def note(stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.append({"name": stmt.name, "line": stmt.lineno, "end": stmt.end_lineno})

    for stmt in tree.body:
        if _kept(stmt):
            note(stmt)
            start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            for i in range(start - 1, _last_line(stmt)):
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
    if any(o is not stmt and o.lineno <= _last_line(stmt) and _last_line(o) >= stmt.lineno for o in tree.body):
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


def _definitions(code: str, tree: ast.Module | None = None) -> tuple[str, list[dict], list[dict]]:
    if tree is None:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError):
            return code, [], []
    return _select(code, tree)


# What can hold a statement: a statement (a body), an except clause, a case of a match.
_HOLDS_STATEMENTS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statements(tree: ast.Module) -> Iterator[ast.AST]:
    """Every statement of ``tree`` (and what holds them), in ``ast.walk``'s order, without going
    into expressions, where no statement can be: the order ``ast.walk`` gives (breadth first, each
    node's children in field order) kept for these nodes alone, at a fraction of the visits."""
    todo: deque[ast.AST] = deque([tree])
    while todo:
        node = todo.popleft()
        todo.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, _HOLDS_STATEMENTS))
        yield node


def _imports(tree: ast.Module) -> list[dict]:
    """Each import statement's line and the names it binds: the feedback tells which names an
    unavailable import left undefined, without the grader parsing the code a second time."""
    return [{"line": node.lineno, "names": [(a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*"]}
            for node in _statements(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def _chunk(origin: str, code: str, offset: int = 0, tree: ast.Module | None = None) -> dict:
    """One chunk for the sandbox (``origin``, ``code``, ``line``: the lines before it in its cell
    or file) and, for the feedback only, the statements left out (``dropped``), the definitions
    kept (``defined``) and the imports (``imports``), with their lines in the cell or file."""
    if tree is None:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError):
            return {"origin": origin, "code": code, "line": offset, "dropped": [], "defined": [], "imports": []}
    kept, dropped, defined = _definitions(code, tree)
    imports = _imports(tree)
    for d in dropped + defined + imports:
        d["line"] += offset
        if "end" in d:
            d["end"] += offset
    return {"origin": origin, "code": kept, "line": offset, "dropped": dropped, "defined": defined,
            "imports": imports}


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


def code_chunks(code: str, origin: str, pieces: list[int] | None = None, tree: ast.Module | None = None) -> list[dict]:
    """Chunks of definitions for the sandbox, each with the number of lines before it (``line``):
    the sandbox compiles it at that offset, so line numbers stay true. (Padding each piece with
    that many newlines instead made a file of many unparseable pieces cost memory quadratic in
    its lines: 81 KB of ``a=(`` lines took 1 GB.)

    Code that parses is one chunk. Code with a syntax error is split where
    top-level statements start: the parts that parse keep their definitions, and
    each run of parts that do not is passed on as it is, for the sandbox to report
    its first error with its line number. A typo in one function then costs that
    function only.

    ``pieces``: the submission's pieces left, ``[n]``, shared by its cells (CODE_PIECES when None):
    past them, the rest of the code is one piece that does not parse. ``tree``: ``code`` already
    parsed (the notebook reader parsed it to decide that a cell is plain Python), not parsed again.
    """
    left = pieces if pieces is not None else [CODE_PIECES]
    if tree is None:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError):
            pass
    if tree is not None:
        return [_chunk(origin, code, 0, tree)]
    lines = code.splitlines()
    chunks: list[dict] = []
    good: list[str] = []
    bad: list[str] = []  # a run of pieces that do not parse: one chunk, whose first error is told
    good_from = bad_from = 0
    for start, end in _segments(lines):
        if len(chunks) >= left[0]:
            # Pieces that parse and pieces that do not, alternating: each costs a parse, a chunk and a
            # load. Past the submission's CODE_PIECES the rest is one piece that does not parse (its
            # first error is told).
            if good:
                chunks.append(_chunk(origin, "".join(good), good_from))
                good = []
            if not bad:
                bad_from = start
            bad.append("\n".join(lines[start:]) + "\n")
            break
        part = "\n".join(lines[start:end]) + "\n"
        try:
            ast.parse(part)
            ok = True
        except (SyntaxError, ValueError, RecursionError):
            ok = False
        if ok:
            if bad:
                chunks.append({"origin": origin, "code": "".join(bad), "line": bad_from})
                bad = []
            if not good:
                good_from = start
            good.append(part)
            continue
        if good:
            chunks.append(_chunk(origin, "".join(good), good_from))
            good = []
        if not bad:
            bad_from = start
        bad.append(part)
    if bad:
        chunks.append({"origin": origin, "code": "".join(bad), "line": bad_from})
    if good:
        chunks.append(_chunk(origin, "".join(good), good_from))
    left[0] = max(left[0] - len(chunks), 0)
    return [c for c in chunks if useful_chunk(c)]


def source_text(raw: bytes, name: str, what: str) -> str:
    """A submission file's bytes as text; binary or empty input is refused with a message for the student."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise IntakeError(f"{name} is not UTF-8 text, so it cannot be {what}") from None
    if not text.strip():
        raise IntakeError(f"{name} is empty")
    return text


def useful_chunk(chunk: dict) -> bool:
    """Code to run, or statements left out that the feedback lists (a cell of only
    ``rs = np.random.RandomState(1)`` runs nothing, but a function may need ``rs``)."""
    return bool(chunk["code"].strip() or chunk.get("dropped"))
