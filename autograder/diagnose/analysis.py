"""The entry point: the detectors in order (keys, shapes, biases, weights), their findings worded,
most likely mistake first.

A batch diagnoses the same values again and again: a common mistake gives every student who makes
it the same seeded weights, bit for bit. :func:`diagnose` is a pure function of its arguments (the
detectors and the wording read nothing else; the draws they compare with are seeded), and its
Diagnosis records are frozen, so each process keeps the diagnoses of the last
``DIAGNOSIS_MEMO_ENTRIES`` argument lists (autograder.base.same_bits: keyed bit for bit, arguments
past ``DIAGNOSIS_MEMO_KEY_BYTES`` diagnosed every time and never kept).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple, NoReturn

import numpy as np

from autograder.base.same_bits import remembered
from autograder.diagnose import detect_structure
from autograder.diagnose.detect_values import values_differ
from autograder.diagnose.detect_weights import random_weights, transposed_weights, zeros_weights
from autograder.diagnose.findings import QUESTIONS, Diagnosis, Finding, as_diagnosis
from autograder.diagnose.returned import all_close, as_arrays, layer_shapes
from autograder.diagnose.wording import describe
from autograder.limits import DIAGNOSIS_MEMO_ENTRIES, DIAGNOSIS_MEMO_KEY_BYTES


def diagnose(question: str, layers_dims: list[int], returned: dict[str, np.ndarray],
             expected: dict[str, np.ndarray], *, tolerance, functions: Mapping[str, str],
             scale: float | None = None, extra: dict | None = None) -> list[Diagnosis]:
    """The most likely mistakes behind `returned`, most likely first; [] if it is right.

    question -- "zeros", "random", "he" or "deep"
    layers_dims -- the argument of the call
    returned -- what the student's function returned (str -> float64 arrays)
    expected -- the reference output for the same call
    tolerance -- grading.yaml's tolerance (``rtol``, ``atol``): what counts as right
    functions -- grading.yaml's question -> function map: the names the messages use
    scale -- the `scale` argument of a "random" call (default 0.01)
    extra -- optional more evidence, see the package docstring ("repeat", "other_calls", "signature")
    """
    # The tolerance as the two numbers the detectors read of it (a key knows no pydantic model).
    return list(_remembered(question, layers_dims, returned, expected, (tolerance.rtol, tolerance.atol),
                            functions, scale, extra))


class _Tolerance(NamedTuple):
    rtol: float
    atol: float


def _diagnose(question: str, layers_dims: list[int], returned: dict[str, np.ndarray],
              expected: dict[str, np.ndarray], tolerance: tuple[float, float], functions: Mapping[str, str],
              scale: float | None, extra: dict | None) -> list[Diagnosis]:
    """:func:`diagnose`, computed."""
    tol = _Tolerance(*tolerance)
    if question not in QUESTIONS:
        raise ValueError(f"unknown question {question!r}; expected one of {QUESTIONS}")
    returned = as_arrays(returned)
    expected = as_arrays(expected)
    if all_close(returned, expected, tol):
        return []
    extra = dict(extra) if isinstance(extra, Mapping) else {}
    params = extra.get("signature")
    without_scale = question == "random" and isinstance(params, (list, tuple)) and len(params) < 2
    findings = _findings(question, layers_dims, returned, expected, tol,
                         float(scale) if scale is not None else 0.01, extra)
    dims_name = params[0] if isinstance(params, (list, tuple)) and params and isinstance(params[0], str) \
        else ("layer_dims" if question == "deep" else "layers_dims")
    known = isinstance(params, (list, tuple)) and bool(params) and isinstance(params[0], str)
    return [as_diagnosis(f, _their_name(describe(f, functions, scale_parameter=not without_scale,
                                                 dims_name=dims_name), dims_name if known else "layers_dims"))
            for f in findings]


_remembered = remembered(_diagnose, DIAGNOSIS_MEMO_ENTRIES, DIAGNOSIS_MEMO_KEY_BYTES)


def repeat_unread(question: str, layers_dims: list[int], returned: dict[str, np.ndarray],
                  expected: dict[str, np.ndarray], *, tolerance, functions: Mapping[str, str],
                  scale: float | None = None, extra: dict | None = None) -> bool:
    """Whether :func:`diagnose` of these arguments, given a second call's arrays as
    ``extra["repeat"]``, would be the diagnosis without them whatever they are: it never reads
    them (a stand-in that records every reading takes their place) and comes to the same
    diagnoses. Then a second call (a fresh process, in the sandbox) can change nothing here.
    Remembered like :func:`diagnose`: a pure function of the same arguments."""
    return _repeat_unread_remembered(question, layers_dims, returned, expected, (tolerance.rtol, tolerance.atol),
                                     functions, scale, extra)


def _repeat_unread(question: str, layers_dims: list[int], returned: dict[str, np.ndarray],
                   expected: dict[str, np.ndarray], tolerance: tuple[float, float], functions: Mapping[str, str],
                   scale: float | None, extra: dict | None) -> bool:
    stand_in = _Unread()
    given = dict(extra) if isinstance(extra, Mapping) else {}
    try:
        with_stand_in = _diagnose(question, layers_dims, returned, expected, tolerance, functions, scale,
                                  dict(given, repeat=stand_in))
    except _Read:
        return False  # read: the rest of that diagnosis is not needed to know it
    if stand_in.read:  # read, and the stop caught on the way (it is a BaseException: no detector does)
        return False
    return with_stand_in == list(_remembered(question, layers_dims, returned, expected, tolerance, functions, scale,
                                             extra))


_repeat_unread_remembered = remembered(_repeat_unread, DIAGNOSIS_MEMO_ENTRIES, DIAGNOSIS_MEMO_KEY_BYTES)


class _Read(BaseException):
    """The stand-in was read: the diagnosis stops there (``_repeat_unread``). A BaseException, so
    that a detector's ``except Exception`` cannot take it for a failure of its own."""


class _Unread(Mapping):
    """A stand-in for a second call's arrays that records being read (``repeat_unread``).

    Every way to learn something of a mapping (an entry, its keys, its size, its truth, a
    comparison, its text, any other attribute) goes through a method here that sets ``read`` and
    stops the diagnosis (``_Read``); only its identity and type are told without it. So a
    diagnosis that ends with ``read`` unset would have come to the same findings with any arrays
    in its place."""

    def __init__(self):
        self.read = False

    def _reading(self) -> NoReturn:
        self.read = True
        raise _Read

    def __getitem__(self, key):
        return self._reading()

    def __iter__(self):
        return self._reading()

    def __len__(self) -> int:
        return self._reading()

    def __contains__(self, key) -> bool:
        return self._reading()

    def __eq__(self, other) -> bool:
        return self._reading()

    __hash__ = None  # type: ignore[assignment]  # unhashable, as a mapping is

    def __repr__(self) -> str:
        return self._reading()

    def __getattr__(self, name: str):  # only for attributes the class lacks (``copy``, ...)
        return self._reading()


def _their_name(message: str, dims_name: str) -> str:
    """The layer list called as the student's function calls it (``layer_dims``, ``dims``) wherever a
    message writes the assignment's ``layers_dims``: the expressions to type are theirs. Only when the
    sandbox read their parameters (a quoted ``def`` line of theirs keeps its own spelling otherwise)."""
    if dims_name == "layers_dims" or not dims_name.isidentifier():
        return message
    return re.sub(r"\blayers_dims\b", dims_name, message)


def _findings(question: str, layers_dims: list[int], returned: dict[str, np.ndarray],
              expected: dict[str, np.ndarray], tolerance, scale: float, extra: dict) -> list[Finding]:
    layers = layer_shapes(layers_dims)
    star = extra.get("star")
    if star and not returned and len(layers_dims) > 1:
        # def f(*layers_dims): the loop ran over a tuple holding the one list argument
        return [Finding("wrong-signature", question, "star-args", {
            "def_line": str(star[0]), "expected": str(star[1]), "layers_dims": list(layers_dims)})]
    keys, final = detect_structure.keys(question, layers_dims, returned)
    if final and keys is not None:  # final comes only with a finding
        return [keys]
    out = [keys] if keys is not None else []
    shape_findings, w_ok, misshapen = detect_structure.shapes(question, layers, returned, scale)
    typo = detect_structure.index_typos(question, [int(d) for d in layers_dims], returned)
    explained = set()
    if keys is not None and keys.code == "key-offset" and keys.facts["holds_layer"]:
        explained |= set(keys.facts["prefix"])  # b2 holding layer 1's bias is the key's slip, not a shape's
    if typo is not None:
        out.append(typo)
        explained |= {p for p, _, _, _ in typo.facts["slots"]}
    out += [f for f in shape_findings
            if not (f.code == "wrong-shapes" and "W" in explained) and not (f.code == "bias-shape" and "b" in explained
                                                                            and not f.facts["one_dimensional"])]
    out += detect_structure.biases(question, layers, returned)
    if misshapen:
        flipped = next((f for f in shape_findings if f.code == "transposed-weights"), None)
        if flipped is not None and question != "zeros" and not flipped.facts["right_values"]:
            out += transposed_weights(question, layers, returned, scale, extra)
        return out or [values_differ(question, returned, expected, tolerance)]
    ws = [returned[f"W{i + 1}"] for i in w_ok]
    ids = [i + 1 for i in w_ok]
    if ws:
        if question == "zeros":
            out += zeros_weights(ws, ids, layers, w_ok)
        else:
            out += random_weights(question, layers, w_ok, ws, ids, scale, extra)
    return out or [values_differ(question, returned, expected, tolerance)]
