"""Why a student's function returned None, read from its source: a ``print`` where the ``return``
should be, or no ``return`` at all.

The grader keeps the text of every graded ``def`` (autograder.intake); this module parses that
text (never runs it) and looks only at the function's own body (not at functions or classes
defined inside it). The sentence it returns follows "returned `None`, not the dictionary of
parameters" in the structure check's message (autograder.diagnose.explain.not_a_dict).
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable, Iterator

from autograder.limits import QUOTED_LINE_CHARS

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``fn``'s body, not descending into the functions and classes it defines."""
    todo = list(ast.iter_child_nodes(fn))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, _NESTED):
            todo.extend(ast.iter_child_nodes(node))


def _dictionary_name(fn: ast.AST) -> str:
    """The name the function builds its dictionary in (``parameters = {}``), else the assignment's."""
    for node in _own_nodes(fn):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
    return "parameters"


def why_none(lines: list[str], place: Callable[[int], str]) -> str:
    """What the function's source says about its returning None, as sentences, or '' when the source
    does not explain it (a ``return`` with a value that was not reached, code that does not parse).

    lines -- the function's lines, its ``def`` line first (LoadContext.definition)
    place -- the student's place of the function's n-th line (1 = the ``def`` line)
    """
    try:
        tree = ast.parse(textwrap.dedent("\n".join(lines)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    fn = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        return ""
    nodes = list(_own_nodes(fn))
    valued = [n for n in nodes if isinstance(n, ast.Return) and n.value is not None
              and not (isinstance(n.value, ast.Constant) and n.value.value is None)]
    if valued:
        return ""
    prints = sorted((n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                     and n.func.id == "print"), key=lambda n: n.lineno)
    name = _dictionary_name(fn)
    if prints:
        # The print of the dictionary itself, if there is one, else the last print.
        mine = next((p for p in prints if len(p.args) == 1 and isinstance(p.args[0], ast.Name)
                     and p.args[0].id == name), None)
        shown = mine or prints[-1]
        text = (lines[shown.lineno - 1].strip() if shown.lineno <= len(lines) else "print(...)")[:QUOTED_LINE_CHARS]
        what = "the dictionary" if mine else "a value"
        fix = (f"Write `return {name}` in place of that line" if mine else
               f"End the function with `return {name}` (the print may stay)")
        return (f"it prints instead of returning: `{text}` ({place(shown.lineno)}) shows {what} on the screen, but a "
                "function hands its caller (the grader, the notebook's next cells) only what a `return` statement "
                f"gives back, and this one returns nothing, so the caller gets None. {fix}, after the loop that fills "
                "the dictionary.")
    return (f"the function has no `return` statement ({place(1)}), so its caller gets None, whatever the function "
            f"computed. End it with `return {name}`, after the loop that fills the dictionary.")
