"""Loading a submission in the sandbox: each top-level statement run on its own, failures told
as the student's own line (``Type: message (cell 5, line 7, in f)``)."""

from __future__ import annotations

import ast
import os
import traceback

import numpy as np

from autograder.limits import FRAME_LOCALS, FRAME_NAME_CHARS, REPR_CHARS
from autograder.sandbox.jail.guard import GUARD
from autograder.sandbox.values import safe_repr, type_name

# The file names the student's code was compiled under ("cell 3", "init_functions.py") and
# the folder their other files were written to: a traceback shows only these frames.
_STUDENT_FILES: set[str] = set()
_STUDENT_DIR: list[str] = []


def _student_frame(filename: str) -> str | None:
    """The name to show for a frame of the student's code, or None for anyone else's frame."""
    if filename in _STUDENT_FILES:
        return filename
    for folder in _STUDENT_DIR:
        if filename.startswith(folder + os.sep):
            return filename[len(folder) + 1:]
    return None


def short_traceback(exc: BaseException) -> str:
    """``Type: message (cell 5, line 7, in f)``: where in the student's own code it failed.

    Library frames (numpy's ``__getattr__`` for ``np.float``, the kit's own) are left out:
    the last frame of the student's code is the line to fix, and a path of the grading
    machine would mean nothing to the student.
    """
    try:
        frames = [(name, f) for f in traceback.extract_tb(exc.__traceback__)
                  if (name := _student_frame(f.filename)) is not None]
        if frames:
            name, f = frames[-1]
            func = f" in {f.name}" if f.name and f.name != "<module>" else ""
            where = f" ({name}, line {f.lineno}{func})"
        else:
            where = ""
    except BaseException:  # noqa: BLE001 - a hostile traceback loses its location, not the message
        where = ""
    return f"{type_name(exc)}: {_safe_str(exc)}{where}"


def failing_frame(exc: BaseException) -> list:
    """What the student's own failing line could see: for an ``assert`` that fails, the shapes of
    the arrays (and of the arrays in dicts) and the integers among the locals of the last frame
    of the student's code, as ``[name, [shape...]]`` or ``[name, int]`` pairs. Exact types only
    (no method of the student's runs here); the grader validates and caps every field."""
    out: list = []
    try:
        frame = None
        tb = exc.__traceback__
        while tb is not None:
            if _student_frame(tb.tb_frame.f_code.co_filename) is not None:
                frame = tb.tb_frame
            tb = tb.tb_next
        if frame is None:
            return out
        local_vars = frame.f_locals  # a dict up to Python 3.12, a C-level proxy of the frame from 3.13
        pairs = dict.items(local_vars) if type(local_vars) is dict else dict(local_vars).items()
        for name, value in list(pairs)[:FRAME_LOCALS]:
            if type(name) is not str:
                continue
            if type(value) is int:
                out.append([name[:FRAME_NAME_CHARS], value])
            elif type(value) is np.ndarray:
                out.append([name[:FRAME_NAME_CHARS], [int(n) for n in value.shape]])
            elif type(value) is dict:
                for key, item in list(dict.items(value))[:FRAME_LOCALS]:
                    if type(key) is str and type(item) is np.ndarray:
                        out.append([f"{name}[{key!r}]"[:FRAME_NAME_CHARS], [int(n) for n in item.shape]])
            if len(out) >= FRAME_LOCALS:
                break
    except BaseException:  # noqa: BLE001 - a hostile frame loses its description, not the reply
        return []
    return out[:FRAME_LOCALS]


def _safe_str(exc: BaseException) -> str:
    """The exception's message as Python prints it (``name 'rs' is not defined``), capped."""
    try:
        text = str(exc)
        if type(text) is not str:
            text = safe_repr(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        text = safe_repr(exc)
    text = text.replace("\n", " ")
    return text if len(text) <= REPR_CHARS else text[: REPR_CHARS - 3] + "..."


def _import_names(stmt: ast.Import | ast.ImportFrom) -> str:
    if isinstance(stmt, ast.Import):
        return ", ".join(a.name for a in stmt.names)
    return "." * stmt.level + (stmt.module or "")


def load_chunks(chunks: list[dict], namespace: dict) -> list[str]:
    """Run each top-level statement of each chunk; a failing statement is reported, not fatal.

    An import that cannot be resolved here (the course's helper modules, scikit-learn...)
    is reported as ``<origin>, line <n>: unavailable import <module>``: the grader words
    it as a module not used for grading (autograder.load_notes), not as an error.
    """
    messages = []
    try:
        _STUDENT_DIR[:] = [os.getcwd()]
    except OSError:
        pass
    for chunk in chunks:
        origin = chunk["origin"]
        offset = chunk.get("line", 0)  # the lines of the cell or file before this chunk
        _STUDENT_FILES.add(origin)
        try:
            tree = ast.parse(chunk["code"], filename=origin)
            ast.increment_lineno(tree, offset)
        except SyntaxError as exc:
            messages.append(f"{origin}: {type(exc).__name__}: {exc.msg} (line {(exc.lineno or 1) + offset}); "
                            "this part was skipped")
            continue
        except (ValueError, RecursionError, MemoryError) as exc:
            messages.append(f"{origin}: could not be parsed ({type(exc).__name__}); this part was skipped")
            continue
        for stmt in tree.body:
            try:
                code = compile(ast.Module(body=[stmt], type_ignores=[]), origin, "exec")
                exec(code, namespace)  # noqa: S102 - this is the sandbox
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
                state = GUARD.suspend()  # describe it with the original builtins, not patched ones
                try:
                    if isinstance(stmt, (ast.Import, ast.ImportFrom)) and type(exc) in (ImportError,
                                                                                      ModuleNotFoundError):
                        messages.append(f"{origin}, line {stmt.lineno}: unavailable import {_import_names(stmt)}")
                    else:
                        messages.append(f"{origin}, line {stmt.lineno}: {short_traceback(exc)}")
                except BaseException:  # noqa: BLE001 - even describing the error failed: the line still failed
                    messages.append(f"{origin}, line {stmt.lineno}: failed")
                finally:
                    GUARD.resume(state)
    return messages
