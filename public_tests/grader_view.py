"""Your functions as the grader will load them, not as your kernel holds them.

The grader does not run your notebook. It reads the code cells from top to bottom and keeps only
imports, function and class definitions, and names set to plain values (``SCALE = 2.0``,
``SIZES = [3, 2, 1]``), plus ``if``/``try``/``with`` blocks that hold definitions. Everything else
(``TWO = float(np.log(np.e) * 2)``, ``f = lambda n: ...``, ``cfg = Config()``, ``SCALE *= 2``, a
training run) is left out. So a function can pass in your kernel and fail when graded: it reads a
name the grader never sets, or a later cell sets that name (or the function itself) again.

The checks call :func:`as_graded` first: it rebuilds your definitions the grader's way, from the
saved notebook when it holds the cell you ran (else from the cells run in this kernel), checks the
function the grader will call, and says which name differs and how to fix it.

Outside a Jupyter kernel (``pytest public_tests``) the function is already loaded this way
(``public_tests/conftest.py`` calls :func:`load_cells`), so :func:`as_graded` returns it as it is.

This file needs only the standard library; it only reads your code (``ast``) and runs the parts
the grader keeps, in a fresh namespace, in your own kernel.
"""

from __future__ import annotations

import ast
import builtins
import dis
import json
import linecache
import os
import sys
import types
from pathlib import Path

#: The assignment's notebook (grading.yaml's ``notebook:``), looked for in the kernel's folder.
NOTEBOOK = "initialization.ipynb"
_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BLOCKS = (ast.If, ast.Try, ast.With) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_RULE = ("the grader keeps only imports, function and class definitions, and names set to plain values "
         "(numbers, strings, lists and dicts of them)")


# ------------------------------------------------------------------ the grader's rule, on one cell

def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _plain_target(node: ast.AST) -> bool:
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


def _bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    out = [getattr(stmt, f) for f in ("body", "orelse", "finalbody") if getattr(stmt, f, None)]
    return out + [h.body for h in getattr(stmt, "handlers", [])]


def _holds_definitions(stmt: ast.stmt) -> bool:
    return any(isinstance(s, _KEEP) or (isinstance(s, _BLOCKS) and _holds_definitions(s))
               for body in _bodies(stmt) for s in body)


def _last(stmt: ast.stmt) -> int:
    return stmt.end_lineno if stmt.end_lineno is not None else stmt.lineno


def _own_lines(tree: ast.Module, stmt: ast.stmt, lines: list[str]) -> bool:
    if any(o is not stmt and o.lineno <= _last(stmt) and _last(o) >= stmt.lineno for o in tree.body):
        return False
    starts = []
    for s in ast.walk(stmt):
        if isinstance(s, ast.stmt) and s is not stmt:
            line = lines[s.lineno - 1] if s.lineno - 1 < len(lines) else ""
            if len(line) - len(line.lstrip()) != s.col_offset:
                return False
            starts.append(s.lineno)
    return len(starts) == len(set(starts))


def _names_bound(stmt: ast.stmt) -> list[str]:
    names = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not stmt:
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*"]
    return names


def kept_code(code: str) -> tuple[str, list[dict]]:
    """The cell's code with only what the grader runs left in (line numbers kept), and the statements
    left out that bind a name: ``{"line", "text", "names"}``. Code that does not parse is returned as
    it is (the grader reports the syntax error)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code, []
    lines = code.splitlines()
    keep = [False] * len(lines)
    dropped: list[dict] = []

    def drop(stmt: ast.stmt) -> None:
        names = _names_bound(stmt)
        if names:
            dropped.append({"line": stmt.lineno, "text": lines[stmt.lineno - 1].strip(), "names": names})

    def keep_block(stmt: ast.stmt) -> None:
        for i in range(stmt.lineno - 1, _last(stmt)):
            keep[i] = True
        for body in _bodies(stmt):
            for inner in body:
                if _kept(inner) or (isinstance(inner, _BLOCKS) and _holds_definitions(inner)):
                    if isinstance(inner, _BLOCKS):
                        keep_block(inner)
                    continue
                drop(inner)
                first = inner.lineno - 1
                indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
                lines[first] = indent + "pass"
                for i in range(first + 1, _last(inner)):
                    lines[i] = ""

    for stmt in tree.body:
        if _kept(stmt):
            start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            for i in range(start - 1, _last(stmt)):
                keep[i] = True
        elif isinstance(stmt, _BLOCKS) and _holds_definitions(stmt) and _own_lines(tree, stmt, lines):
            keep_block(stmt)
        else:
            drop(stmt)
    return "\n".join(line if k else "" for line, k in zip(lines, keep)) + "\n", dropped


# ------------------------------------------------------------------ loading cells the grader's way

class GraderView:
    """A namespace built the grader's way, and what it left out: name -> (where, statement)."""

    def __init__(self, namespace: dict, dropped: dict[str, tuple[str, str]], defined_in: dict[str, str]):
        self.namespace, self.dropped, self.defined_in = namespace, dropped, defined_in


def load_cells(cells: list[tuple[str, str]], namespace: dict | None = None) -> GraderView:
    """Run the kept statements of ``cells`` ((label, Python source), in order) in a fresh namespace.

    Each kept statement runs on its own: an import that fails here (a display-only package missing)
    costs only the names it would bind, as when grading."""
    ns: dict = {} if namespace is None else namespace
    ns.setdefault("__name__", "initgrade_graded_notebook")
    dropped: dict[str, tuple[str, str]] = {}
    defined_in: dict[str, str] = {}
    view = GraderView(ns, dropped, defined_in)
    ns["__grader_view__"] = view
    for label, source in cells:
        code, left_out = kept_code(source)
        for d in left_out:
            for name in d["names"]:
                dropped[name] = (f"{label}, line {d['line']}", d["text"])
        try:
            tree = ast.parse(code, filename=label)
        except SyntaxError:
            continue  # the grader reports it; no definition of this cell exists for the check either
        for node in tree.body:
            try:
                exec(compile(ast.Module(body=[node], type_ignores=[]), label, "exec"), ns)  # noqa: S102 - your own code
            except Exception:  # noqa: BLE001 - a failing import or class body: its names stay unset
                continue
            for name in _names_bound(node) + ([node.name] if hasattr(node, "name") else []):
                defined_in[name] = label
                dropped.pop(name, None)
    return view


def notebook_cells(path: Path, transform=None) -> list[tuple[str, str]]:
    """The code cells of a saved notebook as (label, Python): ``cell N`` counts code cells, as the
    grader's feedback does. ``transform`` turns IPython syntax into Python (IPython's own, in a
    kernel); without it, ``%`` and ``!`` lines are blanked."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    code_cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, 1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if transform is not None:
            try:
                source = transform(source)
            except Exception:  # noqa: BLE001 - IPython could not read it; the grader will say why
                pass
        else:
            source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        out.append((f"cell {number}", source))
    return out


def written_functions(path: Path, functions: list[str]) -> set[str]:
    """The functions of ``functions`` whose last definition the grader keeps in the notebook or
    module at ``path`` is written: it no longer raises NotImplementedError, as the stubs do."""
    path = Path(path)
    if path.suffix.casefold() == ".ipynb":
        sources = [src for _, src in notebook_cells(path)]
    else:
        sources = [path.read_text(encoding="utf-8")]
    last: dict[str, bool] = {}
    for source in sources:
        try:
            tree = ast.parse(kept_code(source)[0])
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in functions:
                last[node.name] = not any(
                    isinstance(r, ast.Raise) and r.exc is not None and getattr(
                        r.exc.func if isinstance(r.exc, ast.Call) else r.exc, "id", None) == "NotImplementedError"
                    for r in ast.walk(node))
    return {name for name, done in last.items() if done}


# ------------------------------------------------------------------ in a Jupyter kernel

def _shell():
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    return get() if get is not None else None


def _saved_notebook(shell) -> Path | None:
    """The notebook this kernel runs, when it can be told: Jupyter's ``__session__``, VS Code's
    ``__vsc_ipynb_file__``, ``JPY_SESSION_NAME``, else the assignment's notebook in the kernel's folder."""
    for value in (shell.user_ns.get("__session__"), shell.user_ns.get("__vsc_ipynb_file__"),
                  os.environ.get("JPY_SESSION_NAME"), NOTEBOOK):
        if isinstance(value, str) and value.endswith(".ipynb"):
            # Jupyter gives the path from the server's root folder; the kernel runs in the notebook's.
            for path in (Path(value), Path(Path(value).name)):
                if path.is_file():
                    return path
    return None


def _kernel_cells(shell) -> list[tuple[str, str]]:
    history = shell.user_ns.get("In") or []
    return [(f"the cell you ran as In [{n}]", src) for n, src in enumerate(history) if n and isinstance(src, str)]


def _cell_text(fn) -> str | None:
    """The text of the cell that defined ``fn`` (Jupyter keeps each cell in linecache)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    lines = linecache.getlines(code.co_filename)
    return "".join(lines) if lines else None


def _global_names(fn, view: dict, seen: set) -> list[str]:
    """The global names ``fn`` reads (nested functions and comprehensions too), and those of the
    functions it calls that live in the same namespace."""
    names: list[str] = []
    stack = [fn.__code__]
    while stack:
        code = stack.pop()
        for ins in dis.get_instructions(code):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(ins.argval, str):
                names.append(ins.argval)
        stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    out = []
    for name in dict.fromkeys(names):
        if name in seen:
            continue
        seen.add(name)
        out.append(name)
        helper = view.get(name)
        if isinstance(helper, types.FunctionType) and getattr(helper, "__globals__", None) is view:
            out += _global_names(helper, view, seen)
    return out


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, types.FunctionType) and isinstance(b, types.FunctionType):
        return (a.__code__.co_code == b.__code__.co_code and a.__code__.co_consts == b.__code__.co_consts
                and a.__code__.co_names == b.__code__.co_names and _same(a.__defaults__, b.__defaults__))
    if isinstance(a, (types.ModuleType, type)) or isinstance(b, (types.ModuleType, type)):
        return a is b or getattr(a, "__name__", a) == getattr(b, "__name__", b)
    try:
        import numpy as np

        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return bool(np.array_equal(a, b))
        return bool(a == b)
    except Exception:  # noqa: BLE001 - values that cannot be compared are taken as the same
        return True


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class NotAsGraded(AssertionError):
    """The function the grader will load cannot be the one you ran; the message says why."""

    def _render_traceback_(self):
        return [f"CheckFailed: {line}" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


def _problems(name: str, fn, graded, view: GraderView, where: str) -> tuple[list[str], list[str]]:
    """(blocking, notes): names the graded function needs and will not have (it cannot pass), and
    names whose value differs from your kernel's (the check then runs the graded value)."""
    kernel = getattr(fn, "__globals__", {})
    blocking, notes, said_once = [], [], set()
    for g in dict.fromkeys(_global_names(graded, view.namespace, {name}) + _global_names(fn, kernel, {name})):
        if g in view.namespace or hasattr(builtins, g):
            if g in view.namespace and g in kernel and not _same(kernel[g], view.namespace[g]):
                notes.append(f"`{g}` is {_short(kernel[g])} in your kernel but {_short(view.namespace[g])} when "
                             f"graded: the grader runs the notebook from top to bottom and keeps {g} as set in "
                             f"{view.defined_in.get(g, 'another cell')}. Set `{g}` in one place, or compute it "
                             "inside the function.")
            continue
        if g not in kernel or g in said_once:
            continue
        said_once.add(g)
        stmt = view.dropped.get(g)
        said = f"`{stmt[1]}` ({stmt[0]})" if stmt else "a cell that is not in your saved notebook"
        blocking.append(f"{name} uses `{g}`, which the grader will not have: it is set by {said}, and {_RULE}. "
                        f"Fix: compute `{g}` inside the function (or define it with `def` or an import), or "
                        f"give it a plain value (for instance `{g} = 2.0`).")
    for label, defaults_of in (("default value", "__defaults__"), ("keyword default", "__kwdefaults__")):
        mine, theirs = getattr(fn, defaults_of, None), getattr(graded, defaults_of, None)
        if mine is not None and theirs is not None and not _same(mine, theirs):
            notes.append(f"a {label} of {name} changed since it was defined (a mutable default, such as a list or "
                         f"dict, that a call or another cell modified): the grader starts from "
                         f"{_short(theirs)}, your kernel has {_short(mine)}. Use None as the default and create "
                         "the list or dict inside the function.")
    if where and view.defined_in.get(name) and view.defined_in[name] != where:
        notes.insert(0, f"the grader uses the definition of {name} in {view.defined_in[name]} (the last one in the "
                        f"notebook), not the one in {where}. Keep one definition, in the graded cell.")
    return blocking, notes


def _loaded_outside_kernel(name: str, fn):
    """``pytest public_tests``: the module was loaded the grader's way (:func:`load_cells`); a name the
    function reads that the grader left out is said with its statement and the fix."""
    view = fn.__globals__.get("__grader_view__")
    if not isinstance(view, GraderView):
        return fn, []
    missing = [g for g in _global_names(fn, view.namespace, {name})
               if g not in view.namespace and not hasattr(builtins, g) and g in view.dropped]
    if missing:
        raise NotAsGraded("\n".join(
            f"{name} uses `{g}`, which the grader will not have: it is set by `{view.dropped[g][1]}` "
            f"({view.dropped[g][0]}), and {_RULE}. Fix: compute `{g}` inside the function, or give it a "
            f"plain value (for instance `{g} = 2.0`)." for g in missing))
    return fn, []


def as_graded(name: str, fn):
    """(the function the grader will call, notes): in a Jupyter kernel, ``name`` rebuilt the grader's
    way, with a note for every name whose value differs from your kernel's; raises NotAsGraded when
    the grader cannot load it or it reads a name the grader never sets. Outside a kernel, ``fn``.
    If rebuilding itself fails (a bug here, an unreadable file), the check tests your kernel's
    function and says so: it never claims more than it tested."""
    try:
        return _as_graded(name, fn)
    except NotAsGraded:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, say it and test the kernel's function
        return fn, [f"this check could not rebuild {name} the way the grader loads it ({type(exc).__name__}: "
                    f"{exc}), so it tested the function in your kernel, which may differ from what is graded."]


def _as_graded(name: str, fn):
    shell = _shell()
    if not callable(fn) or not isinstance(getattr(fn, "__code__", None), types.CodeType):
        return fn, []
    if shell is None:
        return _loaded_outside_kernel(name, fn)
    cell = _cell_text(fn)
    saved = _saved_notebook(shell)
    cells, where, notes = None, "", []
    if saved is not None:
        try:
            cells = notebook_cells(saved, shell.transform_cell)
        except (OSError, ValueError):
            cells = None
        match = [label for label, src in cells or [] if cell is not None and src.strip() == cell.strip()]
        if cells is not None and not match:
            notes.append(f"the notebook file {saved.name} does not hold the cell you ran for {name} as it is now. "
                         "If it is the notebook you submit, save it (Ctrl-S) and run this check again: the grader "
                         "grades the saved file.")
            cells = None
        elif match:
            where = match[-1]
    if cells is None:
        cells = _kernel_cells(shell)
    view = load_cells(cells)
    graded = view.namespace.get(name)
    if not isinstance(graded, types.FunctionType):
        stmt = view.dropped.get(name)
        said = f": it is set by `{stmt[1]}` ({stmt[0]}), and {_RULE}" if stmt else ""
        raise NotAsGraded(f"{name}: the grader will not find this function{said}. Define it with "
                          f"`def {name}(...):` in its graded cell.")
    blocking, more = _problems(name, fn, graded, view, where)
    if blocking:
        raise NotAsGraded("\n".join([f"{name} works in your kernel but not the way the grader loads it."]
                                    + blocking + more + notes))
    return graded, notes + more
