"""A notebook code cell's IPython syntax as plain Python, in time linear in the cell's size.

IPython's ``TransformerManager().transform_cell`` rewrites one piece of IPython syntax
(``!cmd``, ``%magic``, ``x?``, ``y = !cmd``...) at a time and tokenizes the whole cell
again after each: a cell with n such lines costs n tokenizations of the cell. A 311 KB
notebook with 500 ``!`` lines took about 350 s that way. Here:

1. the escaped lines IPython rewrites line by line (``!cmd``, ``!!cmd``, ``%magic args``,
   at any indentation) are rewritten directly, to exactly the line IPython writes, and the
   result is accepted only if it parses with each rewritten line a statement of its own
   (not inside a string, brackets or a continued line); then IPython would have produced
   the same text (see ``plain_python_cell``). No IPython import, one parse.
2. a cell that still is not plain Python is cut, after IPython's own clean-up, into
   top-level blocks (a block starts at a statement in column 0, found with one
   tokenization), and each block is rewritten as in 1 or, failing that, by IPython's token
   transformers on that block alone. IPython's rewrites never reach across a top-level
   statement, so the blocks give what the whole cell gives, and IPython's repeated
   tokenizations cost the size of a block, not of the cell.

What would stay quadratic is a top-level block that holds many escapes and something step 1
cannot verify, and many blocks handed to IPython add up: each costs a tokenization of the
block per rewrite in it, plus IPython's own overhead per call. So one submission's IPython
work is an allowance (IPYTHON_SUBMISSION_WORK lines tokenized, IPYTHON_CALL_WORK per call): a
block past what is left is passed on unrewritten (the sandbox reports its syntax error), and
the grader's CPU for any notebook stays within a small multiple of a normal one's. Cell magics
(``%%bash``: the whole cell becomes one ``run_cell_magic`` call) are rewritten here as IPython
writes them, without IPython.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from textwrap import dedent
from typing import cast

from autograder.base.deadline import uninterrupted
from autograder.limits import IPYTHON_CALL_WORK, IPYTHON_GROUP_CANDIDATES, IPYTHON_GROUP_LINES

# Cell magics whose body is ordinary Python that runs in the notebook's namespace:
# the definitions in ``%%time`` cells are the student's definitions too.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}

# A line IPython's prompt strippers may act on: ``>>>`` (doctest), ``In [1]: `` or ``...:``.
_PROMPT_LIKE = re.compile(r"\s*>>>|((\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}:")


def unwrap_cell_magic(source: str) -> str:
    """``%%time`` + Python: comment out the magic line (keeping line numbers), keep the body."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        words = line[2:].split()
        if line.startswith("%%") and words and words[0] in PYTHON_CELL_MAGICS:
            lines[i] = "# " + line  # a comment: the line numbers stay the student's
            return "\n".join(lines)
        return source
    return source


def _escaped_line(line: str) -> str | None:
    """IPython's rewrite of one physical line that starts (after its indentation) with ``!``,
    ``!!`` or ``%`` (EscapedCommand with its ``system``, ``getoutput`` and ``run_line_magic``
    translations); None for any other line, and for lines IPython might read otherwise: a
    backslash continuation (IPython joins the next line), a trailing ``?`` (IPython's help
    syntax takes precedence), ``%%`` and the operators ``!=`` and ``%=``."""
    body = line.lstrip(" \t")
    if not body or body[0] not in "!%" or body.startswith(("!=", "%=", "%%")):
        return None
    if line.endswith("\\\n") or line.endswith("\\"):
        return None
    content = line[len(line) - len(body):].rstrip()
    if content.endswith("?"):
        return None
    indent = line[:len(line) - len(body)]
    if content.startswith("!!"):
        call = f"get_ipython().getoutput({content[2:]!r})"
    elif content.startswith("!"):
        call = f"get_ipython().system({content[1:]!r})"
    else:
        name, _, args = content[1:].partition(" ")
        call = f"get_ipython().run_line_magic({name!r}, {args!r})"
    return indent + call + "\n"


def rewrite_escapes(lines: list[str]) -> list[str] | None:
    """``lines`` with their ``!``/``%`` lines rewritten as IPython would, when that is
    certain; None when the result is not plain Python with each rewritten line a
    statement of its own (then something else, or IPython's context, decides)."""
    done = _rewritten(lines)
    return None if done is None else done[0]


def _rewritten(lines: list[str]) -> tuple[list[str], ast.Module] | None:
    """``rewrite_escapes``, with the syntax tree of the result it parsed to decide (the reader
    reuses it: one parse per cell)."""
    out = list(lines)
    rewritten = []
    for n, line in enumerate(lines):
        if "!" in line or "%" in line:
            new = _escaped_line(line)
            if new is not None:
                out[n] = new
                rewritten.append((n + 1, len(new) - len(new.lstrip(" \t"))))
    text = "".join(out)
    if rewritten and text.count("\n") != len(out):
        return None  # line breaks other than \n (\r, \x0c, \u2028...): tokenizers and splitlines disagree
    try:
        tree = ast.parse(text)
    except MemoryError:
        raise  # over the reading's memory cap (autograder.intake.bounded): said as such, not read another way
    except Exception:  # noqa: BLE001 - SyntaxError, ValueError (NUL), RecursionError
        return None
    if rewritten and not set(rewritten) <= _one_line_statements(tree):
        return None
    return out, tree


def _one_line_statements(tree: ast.Module) -> set[tuple[int, int]]:
    """(line, column) of every statement that fits on one line, at any depth (statements
    only: expressions, most of a tree, are not visited)."""
    found = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        s = stack.pop()
        if isinstance(s, ast.stmt) and s.lineno == s.end_lineno:
            found.add((s.lineno, s.col_offset))
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(s, name, None)
            if isinstance(children, list):
                stack.extend(c for c in children if isinstance(c, (ast.stmt, ast.excepthandler, ast.match_case)))
    return found


def plain_python_cell(source: str) -> str | None:
    """What IPython's ``TransformerManager().transform_cell`` returns for ``source``, if that
    can be told without it (importing IPython costs 60 ms); None when IPython must decide.

    IPython first cleans the cell up (trailing newline, leading blank lines dropped, common
    indentation removed, prompts stripped), then rewrites IPython syntax found in its
    tokens, earliest first. The clean-up is repeated here with IPython's own steps, except
    the prompt stripping: a cell with a prompt-like line is left to IPython. After
    clean-up, code that parses as Python holds no IPython syntax (``%magic``, ``!shell``,
    ``x?`` and friends are all syntax errors in Python), so IPython returns it unchanged.
    Escaped lines are rewritten by ``rewrite_escapes``: when each rewritten line is a whole
    statement of the result, everything before it is plain Python as well, so IPython's
    tokenizer meets that line at the start of a statement, and rewrites it the same way.
    (IPython also gives up after 500 rewrites in one cell; this does not.)
    """
    plain = _plain_cell(source)
    return None if plain is None else plain[0]


def _plain_cell(source: str) -> tuple[str, ast.Module | None] | None:
    """``plain_python_cell``, with the syntax tree of its result when it parsed it (not for a cell
    magic's call)."""
    cell = source if source.endswith("\n") else source + "\n"
    lines = cell.splitlines(keepends=True)
    for i, line in enumerate(lines):  # IPython's leading_empty_lines
        if line and not line.isspace():
            lines = lines[i:]
            break
    text = dedent("".join(lines))  # IPython's leading_indent
    lines = text.splitlines(keepends=True)
    if any(_PROMPT_LIKE.match(line) for line in lines):
        return None
    if lines and lines[0].startswith("%%"):
        magic = _cell_magic(lines)
        return None if magic is None else (magic, None)
    done = _rewritten(lines)
    return None if done is None else ("".join(done[0]), done[1])


def _cell_magic(lines: list[str]) -> str | None:
    """IPython's rewrite of a cleaned-up cell that starts with ``%%name args`` (its ``cell_magic``
    line transform: one call with the body as a string, which its token transforms then leave
    alone); None for ``%%name?`` (help syntax, IPython's to read)."""
    if re.match(r"%%\w+\?", lines[0]):
        return None
    name, _, first_line = lines[0][2:].rstrip().partition(" ")
    return f"get_ipython().run_cell_magic({name!r}, {first_line!r}, {''.join(lines[1:])!r})\n"


def _top_level_starts(lines: list[str], tokens_by_line) -> list[int]:
    """0-based indexes of the lines where a statement starts in column 0 (the first is 0)."""
    import tokenize

    skip = {tokenize.INDENT, tokenize.DEDENT, tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER}
    starts = [0]
    for group in tokens_by_line:
        first = next((t for t in group if t.type not in skip), None)
        if first is not None and first.start[1] == 0 and first.start[0] - 1 > starts[-1]:
            starts.append(first.start[0] - 1)
    return starts


def preload_ipython() -> None:
    """Import IPython's rewriter now (120 ms, once per process): before the grader forks a child to
    read a large notebook, so that each child does not import it again for itself."""
    with uninterrupted():
        import IPython.core.inputtransformer2  # noqa: F401  # pyflakes: imported to be inherited


def ipython_by_blocks(source: str, check_time: Callable[[], None] = lambda: None,
                      spend: Callable[[int], bool] = lambda work: True) -> str:
    """IPython's transform_cell, one top-level block at a time (see the module's docstring).

    ``check_time`` is called between blocks (it raises when intake is out of time); ``spend(work)``
    takes a block's IPython work from the submission's allowance (False: none left, the block is
    passed on as it stands). Raises what IPython raises (a SyntaxError, its loop limit's RuntimeError).
    """
    with uninterrupted():
        from IPython.core.inputtransformer2 import TransformerManager, make_tokens_by_line  # a 60 ms import

    manager = TransformerManager()
    cell = source if source.endswith("\n") else source + "\n"
    lines = cell.splitlines(keepends=True)
    # IPython's lists are untyped (mypy joins their functions and objects to ``object``); each item
    # is one of its line transforms, lines in and lines out.
    transforms = cast("list[Callable[[list[str]], list[str]]]",
                      manager.cleanup_transforms + manager.line_transforms)
    for transform in transforms:
        lines = transform(lines)
    starts = _top_level_starts(lines, make_tokens_by_line(lines))
    out: list[str] = []
    pending: list[str] = []
    for a, b in _groups(lines, starts):
        check_time()
        block = pending + lines[a:b]
        fast = rewrite_escapes(block) if _candidates(block) > IPYTHON_GROUP_CANDIDATES else None
        if fast is not None:
            out += fast
            pending = []
            continue
        if not spend((_candidates(block) + 1) * len(block) + IPYTHON_CALL_WORK):
            # IPython would tokenize this block once per rewrite in it: quadratic (a function of
            # 6,000 ! lines and one files = !ls took 8 s of CPU), and many blocks add up. Past the
            # submission's allowance the rest of the cell is passed on as it stands: the sandbox
            # tells its syntax error, and the rest of the notebook is graded.
            out += block + lines[b:]
            break
        done = manager.do_token_transforms(block)
        if b < len(lines) and done != block and _may_open(block) and _ends_open(done):
            # A rewrite opened a string the next block would be read in (``!echo """``):
            # as in the whole cell, the next block is rewritten together with this one.
            pending = block
            continue
        out += done
        pending = []
    return "".join(out)


_MAYBE_IPYTHON = re.compile(r"\s*[!%?,;/]|.*(?:=\s*[!%]|\?\s*$)")


def _candidates(lines: list[str]) -> int:
    """Lines that may hold IPython syntax (an over-count: it only sizes the groups)."""
    return sum(1 for line in lines if _MAYBE_IPYTHON.match(line))


def _groups(lines: list[str], starts: list[int]):
    """(start, end) line ranges of consecutive top-level blocks, cut so that each holds at most
    IPYTHON_GROUP_CANDIDATES candidate lines and IPYTHON_GROUP_LINES lines (unless one block alone does)."""
    bounds = list(zip(starts, starts[1:] + [len(lines)]))
    i = 0
    while i < len(bounds):
        a, b = bounds[i]
        count = _candidates(lines[a:b])
        i += 1
        while i < len(bounds):
            na, nb = bounds[i]
            more = _candidates(lines[na:nb])
            if count + more > IPYTHON_GROUP_CANDIDATES or nb - a > IPYTHON_GROUP_LINES:
                break
            count += more
            b = nb
            i += 1
        yield a, b


def _may_open(lines: list[str]) -> bool:
    """Could rewriting these lines leave a string open (only triple quotes and backslash
    continuations run past the end of a line)?"""
    return any('"""' in line or "\'\'\'" in line or line.endswith("\\\n") for line in lines)


def _ends_open(lines: list[str]) -> bool:
    """Does the code end inside a string or brackets (tokenizing it hits the end of input)?"""
    import tokenize

    from IPython.utils.tokenutil import generate_tokens_catch_errors

    try:
        for _ in generate_tokens_catch_errors(iter(lines).__next__):
            pass
    except tokenize.TokenError:
        return True
    except Exception:  # noqa: BLE001 - an indentation error and the like: the block itself is closed
        return False
    return False


def python_from_cell(source: str, check_time: Callable[[], None] = lambda: None,
                     spend: Callable[[int], bool] = lambda work: True) -> str:
    """IPython syntax (``%magic``, ``!shell``, ``x?``) to plain Python calls of get_ipython().
    ``spend``: the submission's IPython allowance (see ``ipython_by_blocks``)."""
    return python_and_tree(source, check_time, spend)[0]


def python_and_tree(source: str, check_time: Callable[[], None] = lambda: None,
                    spend: Callable[[int], bool] = lambda work: True) -> tuple[str, ast.Module | None]:
    """``python_from_cell``, with the syntax tree of the result when deciding it parsed it (a plain
    Python cell, most of them): the reader then does not parse the same text again."""
    source = unwrap_cell_magic(source)
    plain = _plain_cell(source)
    if plain is not None:
        return plain
    if not spend(source.count("\n") + 1 + IPYTHON_CALL_WORK):
        return source, None  # IPython's clean-up and one tokenization of the whole cell would be over the allowance
    try:
        return ipython_by_blocks(source, check_time, spend), None
    except Exception:  # noqa: BLE001 - leave it to the sandbox to report the syntax error
        return source, None
