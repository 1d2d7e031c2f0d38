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
* no path of the grading machine or name of the kit's internals in any of it
  (:func:`scrub`).

Everything here reads plain data; the messages from the sandbox are hostile text and
are only quoted, shortened and scrubbed.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

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
    tail = re.search(r"\((?:cell \d+|[^()]*\.py), line \d+[^()]*\)$", message)
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
    if len(have) < len(want):
        missing = ", ".join(f"`{p.name}`" for p in want[len(have):])
        return f"it has no parameter {missing}"
    if len(have) > len(want):
        extra = [p for p in have[len(want):] if not p["default"]]
        if extra:
            return "it has parameters the assignment does not pass: " + ", ".join(f"`{p['name']}`" for p in extra)
    for p, w in zip(have, want):
        if w.default is not inspect.Parameter.empty and not p["default"]:
            return f"its parameter `{p['name']}` has no default value (the assignment's is {w.default!r})"
    return ""


# ------------------------------------------------------------------ the submission's context

_UNAVAILABLE = re.compile(r"^(.*?), line (\d+): unavailable import (.+)$")
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
                self.errors.append(scrub(m) + numpy_hint(m))
        self.dropped = [(c.get("origin", "?"), d) for c in self.chunks for d in c.get("dropped", [])]
        # name -> where a left-out statement or an unavailable import would have defined it
        self.undefined_by: dict[str, str] = {}
        for origin, d in self.dropped:
            for n in d.get("names", []):
                self.undefined_by.setdefault(n, f"`{d['text']}` ({origin}, line {d['line']})")
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

    # ---- what the student reads under "While loading your code"

    def load_lines(self, graded: list[str]) -> list[str]:
        lines = list(self.errors)
        lines += self._redefinitions(graded)
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

    def _redefinitions(self, graded: list[str]) -> list[str]:
        where: dict[str, list[str]] = {}
        for c in self.chunks:
            for d in c.get("defined", []):
                where.setdefault(d["name"], []).append(f"{c.get('origin')}, line {d['line']}")
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

    def explain(self, function: str, exception: str, message: str) -> str:
        """Hints to add after a call's error message (already scrubbed by the caller)."""
        hints = []
        if exception == "TypeError":
            sig = self.signature_problem(function)
            if sig:
                hints.append(sig)
        hit = _NAME_ERROR.search(message or "")
        if hit and hit.group(1) in self.undefined_by:
            name = hit.group(1)
            hints.append(f"`{name}` is defined by {self.undefined_by[name]}, which is not used for grading: the "
                         "grader runs only imports, function definitions and constants from your notebook. "
                         f"Create `{name}` inside the function that uses it (or pass what it needs as an argument).")
        hint = numpy_hint(message)
        if hint:
            hints.append(hint.strip())
        return " ".join(hints)


# ------------------------------------------------------------------ what a call answered instead of a value
# About the student's code (a function absent, unfinished, raising, returning the wrong kind),
# not the sandbox: the sandbox worked and reported it. Quoted parts arrive capped by
# autograder.probes (autograder.limits: EXCEPTION_*_CHARS, RETURNED_*_CHARS).


def not_defined(function: str) -> str:
    return f"{function} is not defined in your submission (check its name and that its cell is not empty)"


def not_implemented(function: str, call: str) -> str:
    return f"{function} is not implemented yet: {call} raised NotImplementedError"


def raised(call: str, message: str, hint: str) -> str:
    """``message``: the exception, scrubbed; ``hint``: LoadContext.explain's advice, or ''."""
    return f"{call} raised an exception: {message}" + (f" {hint}" if hint else "")


def not_a_dict(call: str, type_name: str, value_repr: str) -> str:
    return f"{call} should return a dict of numpy arrays, but returned a {type_name}: {value_repr}"

