"""Load and call problems said in the student's terms.

The sandbox reports what happened while loading a submission (statements that
failed, imports it could not resolve) and what a call answered instead of a value (an
exception, a function not defined, a value of the wrong kind: the sentences are here, those
about the sandbox itself in autograder.sandbox.outcomes); intake knows which
top-level statements were left out and where each function was defined. This module
turns those facts into feedback a student can act on:

* what the grader did not use (imports of the course's helper modules, scikit-learn...,
  and top-level statements other than imports, definitions and constants), listed once,
  as "not used for grading", not as errors;
* a call that fails on a name such a statement defines (``rs`` from a dropped
  ``rs = np.random.RandomState(1)``) says so, and how to fix it;
* a signature that differs from the assignment's names the ``def`` line to write;
* aliases NumPy removed (``np.float``...) say the code was written for an older NumPy;
* a function whose code does not compile is told as that error, once (the later checks point to it);
  a failed ``assert`` of the student's own is quoted with the shapes its line saw;
* places are named as the student sees them: a notebook cell by its execution count (``cell [5]``)
  or its position among all cells, with its first line, which every build of the notebook shares;
* what the grader left out is listed only when a call needed it (``load_lines``), else said in one
  line (``load_note``);
* no path of the grading machine or name of the kit's internals in any of it
  (:func:`scrub`).

Everything here reads plain data; the messages from the sandbox are hostile text and
are only quoted, shortened and scrubbed.
"""

from __future__ import annotations

import difflib
import inspect
import re
from dataclasses import dataclass, field

from autograder.diagnose import no_return
from autograder.limits import MODULE_NAME_CHARS, UNAVAILABLE_IMPORTS_SHOWN

# ------------------------------------------------------------------ paths and internal names

# Absolute paths under the usual roots of a Unix machine (not ``a/b`` in a formula).
_ROOTS = "usr|opt|home|root|work|tmp|var|srv|mnt|media|lib|lib64|etc|proc|sys|dev|run|nix|snap|Users|private|app"
_PATH = re.compile(r"(?<![\w.])/(?:" + _ROOTS + r")(?:/[^\s/'\"<>():,;]*)+")
_INTERNAL = [
    (re.compile(r"\b_Quiet(?:Module)?\b|\bDisplayStandIn\b|\bDisplayModule\b"),
     "display-only stand-in (plots are not run when grading)"),
    (re.compile(r"\bautograder(?:\.[\w.]+)?"), "the grader"),
    (re.compile(r"\b(?:site|dist)-packages\b"), "library"),
    (re.compile(r"\b_ArrayMemoryError\b"), "MemoryError"),  # numpy's private subclass, as Python names it
]


def _library_name(path: str) -> str:
    """What a student may see of a path: the library it belongs to, or nothing."""
    m = re.search(r"(?:site|dist)-packages/([A-Za-z_]\w*)", path)
    if m:
        return f"<{m.group(1)} library>"
    if "/lib/python" in path:
        return "<Python library>"
    return "<file of the grading machine>"


def scrub(text: str) -> str:
    """The text without paths of the grading machine or names of the kit's internals."""
    if not text:
        return text
    text = _PATH.sub(lambda m: _library_name(m.group(0)), str(text))
    for pattern, plain in _INTERNAL:
        text = pattern.sub(plain, text)
    return text


# ------------------------------------------------------------------ NumPy's removed aliases

# Removed in NumPy 1.24 (deprecated in 1.20): the builtins under numpy's name.
# Removed in NumPy 2.0: more aliases and duplicates. Each with what to write instead.
REMOVED_NUMPY = {
    "float": ("1.24", "`float` (or `np.float64`)"), "int": ("1.24", "`int` (or `np.int64`)"),
    "bool": ("1.24", "`bool` (or `np.bool_`)"), "object": ("1.24", "`object`"),
    "complex": ("1.24", "`complex` (or `np.complex128`)"), "str": ("1.24", "`str`"),
    "long": ("1.24", "`int`"), "unicode": ("1.24", "`str`"),
    "float_": ("2.0", "`np.float64`"), "complex_": ("2.0", "`np.complex128`"),
    "NaN": ("2.0", "`np.nan`"), "NAN": ("2.0", "`np.nan`"), "Inf": ("2.0", "`np.inf`"),
    "Infinity": ("2.0", "`np.inf`"), "infty": ("2.0", "`np.inf`"), "PINF": ("2.0", "`np.inf`"),
    "NINF": ("2.0", "`-np.inf`"), "PZERO": ("2.0", "`0.0`"), "NZERO": ("2.0", "`-0.0`"),
    "product": ("2.0", "`np.prod`"), "cumproduct": ("2.0", "`np.cumprod`"),
    "sometrue": ("2.0", "`np.any`"), "alltrue": ("2.0", "`np.all`"), "round_": ("2.0", "`np.round`"),
    "asfarray": ("2.0", "`np.asarray(x, dtype=np.float64)`"), "string_": ("2.0", "`np.bytes_`"),
    "unicode_": ("2.0", "`np.str_`"), "int0": ("2.0", "`np.intp`"), "uint0": ("2.0", "`np.uintp`"),
    "bool8": ("2.0", "`np.bool_`"), "longfloat": ("2.0", "`np.longdouble`"),
    "singlecomplex": ("2.0", "`np.complex64`"), "cfloat": ("2.0", "`np.complex128`"),
    "longcomplex": ("2.0", "`np.clongdouble`"), "clongfloat": ("2.0", "`np.clongdouble`"),
    "msort": ("2.0", "`np.sort(a, axis=0)`"), "mat": ("2.0", "`np.asmatrix`"),
}
_NUMPY_ATTR = re.compile(r"module 'numpy(?:\.random)?' has no attribute '(\w+)'|`np\.(\w+)` was removed in the NumPy 2")


def trim_numpy(message: str) -> str:
    """NumPy's own long explanation of a removed alias cut to its first sentence (the hint says the rest)."""
    m = _NUMPY_ATTR.search(message or "")
    if not m or (m.group(1) or m.group(2)) not in REMOVED_NUMPY:
        return message
    if m.group(2):  # NumPy 2's own message is short and says what to use
        return message
    tail = re.search(r"\((?:cell (?:\[\d+\]|\d+)[^()]*|[^()]*\.py), line \d+[^()]*\)$", message)
    return message[: m.end()] + (" " + tail.group(0) if tail else "")


def numpy_hint(message: str) -> str:
    m = _NUMPY_ATTR.search(message or "")
    name = m and (m.group(1) or m.group(2))
    if not name or name not in REMOVED_NUMPY:
        return ""
    version, instead = REMOVED_NUMPY[name]
    return (f" `np.{name}` was removed in NumPy {version}: your code was written for an older "
            f"NumPy than the grader's. Write {instead} instead.")


# ------------------------------------------------------------------ signatures

def signature_line(name: str, params: list[dict]) -> str:
    """``def name(a, b=...):`` from the sandbox's description of a student's function."""
    parts, star = [], False
    for p in params:
        if p["kind"] == "varargs":
            parts.append("*" + p["name"])
            star = True
        elif p["kind"] == "varkw":
            parts.append("**" + p["name"])
        else:
            if p["kind"] == "keyword" and not star:
                parts.append("*")
                star = True
            parts.append(p["name"] + ("=..." if p["default"] else ""))
    return f"def {name}({', '.join(parts)}):"


def expected_line(fn) -> str:
    """The assignment's ``def`` line of a reference function, defaults written out."""
    return f"def {fn.__name__}{inspect.signature(fn)}:"


def signature_differs(params: list[dict] | None, fn) -> str:
    """What differs between a student's parameters and the reference's, or ''."""
    if params is None:
        return ""
    want = list(inspect.signature(fn).parameters.values())
    if any(p["kind"] in ("varargs", "varkw") for p in params):
        return ""  # def f(*args, **kwargs) (a decorator's wrapper) accepts the grader's calls
    have = [p for p in params if p["kind"] == "positional"]
    names, wanted = [p["name"] for p in have], [w.name for w in want]
    if len(names) == len(wanted) > 1 and sorted(names) == sorted(wanted) and names != wanted:
        return (f"its parameters come in another order: the grader passes them positionally, "
                f"{', '.join(f'`{n}`' for n in wanted)} (the layer list first)")
    if len(have) < len(want):
        missing = ", ".join(f"`{p.name}`" for p in want[len(have):])
        return f"it has no parameter {missing}"
    if len(have) > len(want):
        # the parameters the assignment does not name (a `self`, a `seed`), wherever they stand
        extra = ([p for p in have if p["name"] not in wanted and not p["default"]] if set(wanted) <= set(names)
                 else [p for p in have[len(want):] if not p["default"]])
        if extra:
            return "it has parameters the assignment does not pass: " + ", ".join(f"`{p['name']}`" for p in extra)
    for p, w in zip(have, want):
        if w.default is not inspect.Parameter.empty and not p["default"]:
            return f"its parameter `{p['name']}` has no default value (the assignment's is {w.default!r})"
    return ""


# ------------------------------------------------------------------ the submission's context

_UNAVAILABLE = re.compile(r"^(.*?), line (\d+): unavailable import (.+)$")
_SKIPPED = re.compile(r"^(.*?): ((?:SyntaxError|IndentationError|TabError): .*) \(line (\d+)\); this part was skipped$")
_CELL_AT = re.compile(r"\b(cell (?:\[\d+\]|\d+))(?:, line (\d+)|(?=: ))")
_WHERE = re.compile(r"\(([^()]*), line (\d+)(?: in \w+)?\)$")


def _shape(shape: list) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _quote(text: str) -> str:
    """A line of the student's code as a message quotes it: its first 200 characters."""
    return text[:200]


def _what_shapes_show(arrays: list, dims) -> str:
    """What the shapes a failed assert saw say about the mistake: a 1-D bias, a transposed W."""
    for name, shape in arrays:
        key = re.search(r"\[\'?([Wb])(\d+)\'?\]$", name)
        p, l = (key.group(1), int(key.group(2))) if key else (name[:1], None)
        if p == "b" and len(shape) == 1:
            return (f" So {name} is a 1-D array, as np.zeros(n) makes. A bias is a column: use "
                    "np.zeros((layers_dims[l], 1)), with double parentheses, for shape (n, 1).")
        if p == "W" and dims is not None and l is not None and 1 <= l < len(dims) and len(shape) == 2:
            want = [int(dims[l]), int(dims[l - 1])]
            if shape == want[::-1] and want[0] != want[1]:
                return (f" So {name} is transposed: W{l} needs {_shape(want)} "
                        "= (layers_dims[l], layers_dims[l-1]). Swap the two sizes where you create it.")
    return " Check what your assert compares against these shapes: the assert or the line it checks is off."
_NAME_ERROR = re.compile(r"NameError\W+name '(\w+)' is not defined")


@dataclass
class LoadContext:
    """What the grader used of one submission, and how to explain a call's failure."""

    chunks: list[dict]
    messages: list[str]
    signatures: dict = field(default_factory=dict)
    reference: dict = field(default_factory=dict)

    def __post_init__(self):
        self.unavailable: list[tuple[str, str]] = []  # (where, module)
        self.errors: list[str] = []
        for m in self.messages:
            hit = _UNAVAILABLE.match(m)
            if hit:
                self.unavailable.append((f"{hit.group(1)}, line {hit.group(2)}", hit.group(3)[:MODULE_NAME_CHARS]))
            else:
                self.errors.append(self.name_places(scrub(m)) + numpy_hint(m))
        self.needed: set[str] = set()  # names a call failed on that a left-out statement defines
        self.errors_folded = False  # load_lines left the load errors to load_note (a full score)
        self.dropped = [(c.get("origin", "?"), d) for c in self.chunks for d in c.get("dropped", [])]
        # name -> where a left-out statement or an unavailable import would have defined it
        self.undefined_by: dict[str, str] = {}
        for origin, d in self.dropped:
            for n in d.get("names", []):
                self.undefined_by.setdefault(n, f"`{d['text']}` ({self.place(origin, d['line'])})")
        imports = self._import_names()
        for where, module in self.unavailable:
            for n in imports.get(where, [module.split(".")[0]]):
                self.undefined_by.setdefault(n, f"`import {module}` ({where}), a module the grader does not have")

    def _import_names(self) -> dict[str, list[str]]:
        """"<origin>, line <n>" -> the names the import there binds, as intake recorded them
        (autograder.intake.code): the grader never parses a submission's code twice."""
        out: dict[str, list[str]] = {}
        for c in self.chunks:
            for imp in c.get("imports", []):
                out[f"{c.get('origin')}, line {imp['line']}"] = list(imp["names"])
        return out

    def code_line(self, origin: str, line: int) -> str:
        """The text of ``line`` of ``origin`` (a cell or file) as the grader kept it, stripped, or ''."""
        for c in self.chunks:
            lines = str(c.get("code", "")).splitlines()
            at = line - int(c.get("line", 0))  # a chunk's code starts after its offset (autograder.intake.code)
            if c.get("origin") == origin and 0 < at <= len(lines):
                return lines[at - 1].strip()
        return ""

    def definition(self, function: str) -> tuple[str, int, list[str]] | None:
        """Where the graded ``def`` of ``function`` is (the last one, as when the notebook runs top to
        bottom) and its lines: (origin, line of the ``def``, lines), or None."""
        found = None
        for c in self.chunks:
            for d in c.get("defined", []):
                if d.get("name") == function and isinstance(d.get("line"), int):
                    lines = str(c.get("code", "")).splitlines()
                    first, end = d["line"] - int(c.get("line", 0)), int(d.get("end", d["line"])) - int(c.get("line", 0))
                    found = (str(c.get("origin")), d["line"], lines[max(first - 1, 0):max(end, first)])
        return found

    def where_defined(self, function: str) -> str:
        """`` (cell [9] (the cell starting ...), line 1)``: where to look for ``function``, or ''."""
        at = self.definition(function)
        return f" ({self.place(at[0], at[1])})" if at else ""

    def why_none(self, function: str) -> str:
        """What ``function``'s source says about its returning None (a `print` for the `return`, no
        `return`), with its place, or '' (autograder.diagnose.no_return)."""
        at = self.definition(function)
        if at is None:
            return ""
        origin, first, lines = at
        return no_return.why_none(lines, lambda n: self.place(origin, first + n - 1))

    def hung_hint(self, function: str) -> str:
        """Where a function that never returned is, and the loop that may not end."""
        at = self.definition(function)
        if at is None:
            return ""
        origin, first, lines = at
        text = f" Your function is in {self.place(origin, first)}."
        loop = next((i for i, x in enumerate(lines) if re.match(r"\s*while\b", x)), None)
        if loop is not None:
            quoted = _quote(lines[loop].strip())
            text += (f" Its `while` loop (line {first + loop}: `{quoted}`) may never end: check "
                     "that its condition becomes false (is the counter increased inside the loop?), or "
                     "loop with `for l in range(1, L)`.")
        return text

    def not_compiled(self, function: str) -> str:
        """Why ``function`` is not defined when the code holding its ``def`` did not compile, or ''."""
        for m in self.messages:
            hit = _SKIPPED.match(m)
            if not hit:
                continue
            origin, error, line = hit.group(1), hit.group(2), int(hit.group(3))
            if not any(c.get("origin") == origin and re.search(rf"^\s*def\s+{re.escape(function)}\s*\(",
                                                                str(c.get("code", "")), re.M)
                       for c in self.chunks):
                continue
            text = (f"{function} could not be defined: the code that holds it does not compile "
                    f"({scrub(error)}, {self.place(origin, line)}), so the grader could not run it. ")
            if "indented block" in error:
                text += ("A block with nothing in it (a loop whose `### START CODE HERE ###` lines were left "
                         "empty) is an IndentationError: write the missing lines. ")
            elif "never closed" in error or "unmatched" in error:
                text += "A parenthesis or bracket is not closed: count them on that line and the one before. "
            return text + "Fix that error first: every check of this function waits on it."
        return ""

    @property
    def source_word(self) -> str:
        """What the student submitted, as messages name it: "your notebook" or "your file"."""
        if any(str(c.get("origin", "")).startswith("cell ") for c in self.chunks):
            return "your notebook"
        origins = {c.get("origin") for c in self.chunks}
        return "your files" if len(origins) > 1 else "your file"

    def place(self, origin: str, line: int | None = None) -> str:
        """A line of the submission as the student finds it: its cell (execution count or position
        among all cells) with the cell's first line, which every build of the notebook shares, or
        its file; then the line."""
        first = next((c.get("first_line") for c in self.chunks if c.get("origin") == origin and c.get("first_line")),
                     "")
        where = f"{origin} (the cell starting `{first}`)" if first else origin
        return where if line is None else f"{where}, line {line}"

    def name_places(self, text: str) -> str:
        """``cell 4, line 6`` in a message (a traceback, a load error) with the cell's first line."""
        if not text or not any(c.get("first_line") for c in self.chunks):
            return text
        return _CELL_AT.sub(lambda m: self.place(m.group(1), int(m.group(2)) if m.group(2) else None), text)

    # ---- what the student reads under "While loading your code"

    def load_lines(self, graded: list[str], full_score: bool = False) -> list[str]:
        """What the student reads under "While loading your code". ``full_score``: every check
        passed, so statements that failed while loading did not matter (load_note counts them)."""
        self.errors_folded = full_score
        lines = [] if full_score else list(self.errors)
        lines += self._redefinitions(graded)
        if not self.needed:
            return lines  # nothing left out mattered: load_note says it in one line
        if self.unavailable:
            mods = list(dict.fromkeys(m for _, m in self.unavailable))
            named, unnamed = mods[:UNAVAILABLE_IMPORTS_SHOWN], len(mods) - UNAVAILABLE_IMPORTS_SHOWN
            lines.append("Not used for grading: the imports of " + ", ".join(f"`{m}`" for m in named)
                         + (f" and {unnamed} more" if unnamed > 0 else "")
                         + ". These modules are not installed where your code is graded (the course's "
                         "helper files, plotting and data libraries); that is fine as long as the graded "
                         "functions do not use them.")
        # statements that define names first: a function may need one of those
        top = sorted((x for x in self.dropped if not x[1].get("inside")), key=lambda x: not x[1].get("names"))
        inner = [(o, d) for o, d in self.dropped if d.get("inside")]
        if top:
            shown = "; ".join(f"{o}, line {d['line']}: `{d['text']}`" for o, d in top[:8])
            more = f"; and {len(top) - 8} more" if len(top) > 8 else ""
            lines.append("Not used for grading: top-level statements other than imports, definitions and "
                         f"constants (the grader calls your functions itself): {shown}{more}.")
        if inner:
            shown = "; ".join(f"{o}, line {d['line']}: `{d['text']}`" for o, d in inner[:5])
            lines.append("Not used for grading: statements inside the `if`/`try`/`with` blocks that hold "
                         f"your definitions (only the definitions and imports there are run): {shown}.")
        return lines

    def load_note(self) -> str:
        """What the grader left out, in one line, when none of it was needed by a graded function
        ('' when it was: load_lines then lists it all, or when nothing was left out)."""
        failed = len(self.errors) if self.errors_folded else 0
        if self.needed or not (self.unavailable or self.dropped or failed):
            return ""
        parts = []
        if failed:
            parts.append(f"{failed} statement{'s' if failed != 1 else ''} that failed to run")
        if self.unavailable:
            mods = list(dict.fromkeys(m for _, m in self.unavailable))
            named, unnamed = mods[:UNAVAILABLE_IMPORTS_SHOWN], len(mods) - UNAVAILABLE_IMPORTS_SHOWN
            parts.append("the imports of " + ", ".join(f"`{m}`" for m in named)
                         + (f" and {unnamed} more" if unnamed > 0 else ""))
        if self.dropped:
            n = len(self.dropped)
            parts.append(f"{n} top-level statement{'s' if n != 1 else ''} (experiments, plots, prints)")
        return ("Not used for grading: " + " and ".join(parts) + "; your graded functions need none of them "
                "(the grader runs your imports, definitions and constants, then calls the functions itself).")

    def _redefinitions(self, graded: list[str]) -> list[str]:
        where: dict[str, list[str]] = {}
        for c in self.chunks:
            for d in c.get("defined", []):
                where.setdefault(d["name"], []).append(self.place(str(c.get("origin")), d["line"]))
        out = []
        for name in graded:
            places = where.get(name, [])
            if len(places) > 1:
                out.append(f"`{name}` is defined {len(places)} times ({'; '.join(places[:6])}): the last one, "
                           f"{places[-1]}, is graded, as when the notebook runs from top to bottom.")
        return out

    # ---- a call that raised

    def signature_problem(self, function: str) -> str:
        """The signature diagnosis for ``function``, or '' when it matches the assignment's."""
        fn = self.reference.get(function)
        params = self.signatures.get(function)
        if fn is None or params is None:
            return ""
        differs = signature_differs(params, fn)
        if not differs:
            return ""
        return (f"Your function is defined as `{signature_line(function, params)}`, but {differs}. "
                f"The grader calls it as the assignment specifies: write `{expected_line(fn)}` "
                "(and use every parameter in the body).")

    def failed_assert(self, message: str, frame: list, args: tuple) -> str:
        """The student's own ``assert`` that failed, quoted, with what its line saw (``frame``: the
        jail's shapes and integers of the failing frame, validated) and what those values show."""
        hit = _WHERE.search(message or "")
        if not hit:
            return ""
        origin, line = hit.group(1), int(hit.group(2))
        text = ""
        for c in self.chunks:
            lines = str(c.get("code", "")).splitlines()
            at = line - int(c.get("line", 0))  # a chunk's code starts after its offset (autograder.intake.code)
            if c.get("origin") == origin and 0 < at <= len(lines) and lines[at - 1].strip().startswith("assert"):
                text = lines[at - 1].strip()
        if not text:
            return ""
        where = self.place(origin, line)
        out = f"Your own `assert` failed ({where}): `{_quote(text)}`."
        ints = [(n, v) for n, v in frame if isinstance(v, int) and re.search(rf"\b{re.escape(n)}\b", text)]
        arrays = [(n, v) for n, v in frame if isinstance(v, list)]
        seen = [f"{n} = {v}" for n, v in ints[:3]] + [f"{n} has shape {_shape(v)}" for n, v in arrays[-4:]]
        if seen:
            out += " When it failed, " + ", ".join(seen) + "."
        dims = args[0] if args and isinstance(args[0], (list, tuple)) else None
        out += _what_shapes_show(arrays, dims)
        return out

    def explain(self, function: str, exception: str, message: str, frame: list | None = None,
                args: tuple = ()) -> str:
        """Hints to add after a call's error message (already scrubbed by the caller)."""
        hints = []
        if exception == "AssertionError" and frame is not None:
            told = self.failed_assert(message, frame, args)
            if told:
                hints.append(told)
        if exception == "TypeError":
            sig = self.signature_problem(function)
            if sig:
                hints.append(sig)
        hit = _NAME_ERROR.search(message or "")
        if hit and hit.group(1) in self.undefined_by:
            name = hit.group(1)
            self.needed.add(name)
            hints.append(f"`{name}` is defined by {self.undefined_by[name]}, which is not used for grading: the "
                         f"grader runs only imports, function definitions and constants from {self.source_word}. "
                         f"Create `{name}` inside the function that uses it (or pass what it needs as an argument).")
        elif hit:
            hints.append(self._name_hint(function, hit.group(1)))
        hint = numpy_hint(message)
        if hint:
            hints.append(hint.strip())
        if exception != "AssertionError":
            hints.append(self._line_hint(function, exception, message))
        return " ".join(h for h in hints if h)

    def _raised_at(self, message: str) -> tuple[str, int, str] | None:
        hit = _WHERE.search(message or "")
        if not hit:
            return None
        origin, line = hit.group(1), int(hit.group(2))
        text = self.code_line(origin, line)
        return (origin, line, text) if text else None

    def _params(self, function: str) -> list[str]:
        return [p.get("name") for p in self.signatures.get(function) or [] if isinstance(p.get("name"), str)]

    def _name_hint(self, function: str, name: str) -> str:
        """A name the function uses but nothing defines: the close one it likely meant."""
        params = self._params(function)
        at = self.definition(function)
        assigned = set(re.findall(r"\b([A-Za-z_]\w*)\s*=(?!=)", "\n".join(at[2]))) if at else set()
        close = difflib.get_close_matches(name, params + sorted(assigned), n=1, cutoff=0.75)
        if not close:
            return (f"Check the spelling of `{name}`: names are case-sensitive, and a function sees only its "
                    "parameters, its own variables and the names your code defines.")
        what = "your function's parameter" if close[0] in params else "a variable of your function"
        return f"Likely a typo: `{close[0]}` is {what}; `{name}` is not defined anywhere the function can see."

    def _line_hint(self, function: str, exception: str, message: str) -> str:
        """The line that raised, quoted, and what the usual errors on such a line mean."""
        at = self._raised_at(message)
        if at is None:
            return ""
        _origin, line, text = at
        out = f"Line {line} reads `{_quote(text)}`."
        params = self._params(function)
        if "Cannot interpret" in message and "data type" in message and "zeros" in text:
            out += (" np.zeros takes the shape as one tuple: write it with double parentheses, "
                    "`np.zeros((layers_dims[l], layers_dims[l-1]))`; in `np.zeros(a, b)` the second number is read "
                    "as the data type.")
        elif "cannot be interpreted as an integer" in message and "tuple" in message and "randn" in text:
            out += (" np.random.randn takes the sizes as separate numbers: write them without the inner "
                    "parentheses, `np.random.randn(layers_dims[l], layers_dims[l-1])` (np.zeros is the one that "
                    "takes a tuple).")
        elif "concatenate str" in message and "+" in text:
            out += " A key is built from a string and a number: write `'W' + str(l)` (and `'b' + str(l)`)."
        elif exception in ("MemoryError", "_ArrayMemoryError"):
            out += " The array asked for is far larger than a layer's weights: check the sizes in that call."
        elif exception == "IndexError" and "list index out of range" in message:
            other = self._other_list(text, params)
            if other:
                out += other
            else:
                out += (" An index runs past the end of the layer list: with `L = len(layers_dims)`, loop with "
                        "`for l in range(1, L)`, so that `layers_dims[l]` stays inside it.")
        return out

    def _other_list(self, text: str, params: list[str]) -> str:
        """A line that indexes a list other than the function's parameter of almost that name (the
        notebook's global `layers_dims` read inside `def f(layer_dims)`)."""
        if not params:
            return ""
        for name in dict.fromkeys(re.findall(r"\b([A-Za-z_]\w*)\s*\[", text)):
            if name not in params and difflib.get_close_matches(name, params[:1], n=1, cutoff=0.8):
                return (f" It reads `{name}`, but your function's parameter is `{params[0]}`: `{name}` is another "
                        "list (the notebook's own, defined outside the function), not the one the function is "
                        f"given. Use `{params[0]}` everywhere inside the function.")
        return ""


# ------------------------------------------------------------------ what a call answered instead of a value
# About the student's code (a function absent, unfinished, raising, returning the wrong kind),
# not the sandbox: the sandbox worked and reported it. Quoted parts arrive capped by
# autograder.sandbox.probes (autograder.limits: EXCEPTION_*_CHARS, RETURNED_*_CHARS).


def not_defined(function: str) -> str:
    return f"{function} is not defined in your submission (check its name and that its cell is not empty)"


def not_implemented(function: str, call: str, context: LoadContext | None = None) -> str:
    text = f"{function} is not implemented yet: {call} raised NotImplementedError"
    at = context.definition(function) if context is not None else None
    if context is None or at is None:
        return text
    origin, first, lines = at
    line = next((first + i for i, x in enumerate(lines) if "NotImplementedError" in x), first)
    return (f"{text}. The template's `raise NotImplementedError(...)` line is still there "
            f"({context.place(origin, line)}): remove it and write your code in its place.")


def sentence(text: str) -> str:
    """``text`` ended as a sentence, so that the next one does not run into it."""
    text = text.rstrip()
    return text if not text or text[-1] in ".!?:" or text.endswith((".)", ".`", ".\"")) else text + "."


def raised(call: str, message: str, hint: str) -> str:
    """``message``: the exception, scrubbed; ``hint``: LoadContext.explain's advice, or ''."""
    text = f"{call} raised an exception: {message}"
    return sentence(text) + f" {hint}" if hint else text


_KINDS = {"NoneType": "`None`", "ellipsis": "`...` (the template's placeholder, still there)", "int": "an `int`",
          "float": "a `float`", "bool": "a `bool`", "str": "a string", "list": "a list", "tuple": "a tuple",
          "set": "a set", "dict": "a dict"}


def kind_of(type_name: str) -> str:
    """A value's type as a student says it: `None`, an `int`, a list (not ``builtins.NoneType``)."""
    short = type_name.removeprefix("builtins.")
    return _KINDS.get(short, f"a {short}")


def not_a_dict(call: str, type_name: str, value_repr: str, where: str = "", why_none: str = "") -> str:
    """``where``: the function's place (LoadContext.where_defined), or ''; ``why_none``: for a None, what the
    function's source says about it (autograder.diagnose.no_return), or ''."""
    kind = kind_of(type_name)
    if kind == "a tuple":
        return (f"{call} returned a tuple, not the dictionary of parameters{where}: `return parameters, L` (values "
                "separated by commas) returns a tuple. Return the dictionary alone: `return parameters`.")
    if kind == "a list":
        return (f"{call} returned a list, not the dictionary of parameters{where}: the model looks each array up by "
                "its key ('W1', 'b1', ...), so return the dictionary itself, `return parameters`, not a list of its "
                "values.")
    if kind == "`None`" and why_none:
        return f"{call} returned `None`, not the dictionary of parameters: {why_none}"
    if kind == "`None`":
        return (f"{call} returned `None`, not the dictionary of parameters{where}: a function without a `return` "
                "statement (or with a bare `return`, or `return None`) gives None. End it with "
                "`return parameters`, after the loop that fills the dictionary.")
    if kind in ("an `int`", "a `float`", "a `bool`"):
        return (f"{call} returned {kind} ({value_repr}), not the dictionary of parameters: the `return` "
                "statement names the wrong variable. Return the dictionary the loop fills: `return parameters`.")
    return f"{call} should return a dict of numpy arrays, but returned {kind}: {value_repr}"

