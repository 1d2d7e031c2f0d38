"""Per-submission work of the grader process, round 5 (issue 23, docs/speed.md): counted, never timed.

* A call's memo key is made without JSON for the rubric's arguments, and two calls share a key only
  when their JSON keys are equal (exactly when, for exact ints, strings and sequences of them).
* A reply's arrays are one float64 copy, each array its own slice of it (none overlapping), and a
  shape is still refused for every value the old check refused.
* results.json's text is json.dumps(indent=2)'s, written without json.dumps for plain data.
"""

from __future__ import annotations

import itertools
import json
import os

import numpy as np
import pytest

from autograder.base import indented_json
from autograder.sandbox import probes, wire

ARGS = [
    (), (1,), (True,), (1.0,), ("1",), (0,), (False,), (-0.0,), (0.0,), (None,),
    ([1, 2],), ((1, 2),), ([1, True],), ([1, 1.0],), ([[1, 2]],), ([],), ((),), ([1, 2], 3), ([1, 2], "3"),
    ("f", 1), ([1, "2"],), (["1", 2],), (1 << 70,), (float("nan"),),
]


def _json_key(function, args, as_tuple):
    return json.dumps([function, probes._encode_args(args, as_tuple)])


def _exact(args) -> bool:
    def plain(v):
        return type(v) in (int, str)
    return all(plain(a) or (type(a) in (list, tuple) and all(plain(x) for x in a)) for a in args)


def test_call_keys_are_equal_only_when_their_json_is():
    calls = [(f, args, t) for f in ("f", "g") for args in ARGS for t in (False, True)]
    key = probes.MemoisedStudent._key
    for a, b in itertools.combinations(calls, 2):
        same_json = _json_key(*a) == _json_key(*b)
        if key(*a) == key(*b):
            assert same_json, (a, b)
        elif _exact(a[1]) and _exact(b[1]):
            assert not same_json, (a, b)  # exact types: equal JSON, equal key
    # a value the fast key does not take keeps its JSON key, as before
    assert key("f", (1.0,), False) == _json_key("f", (1.0,), False)
    assert key("f", ([1, True],), True) == _json_key("f", ([1, True],), True)


def test_the_rubrics_call_keys_make_no_json(monkeypatch):
    made = []
    real = json.dumps
    monkeypatch.setattr(probes.json, "dumps", lambda *a, **k: made.append(a) or real(*a, **k))
    key = probes.MemoisedStudent._key
    keys = {key("initialize_parameters_he", ([5, 4, 3],), False), key("initialize_parameters_he", ([5, 4, 3],), True),
            key("initialize_parameters_random", ([5, 4, 3], 3), False), key("f", (7,), False)}
    assert len(keys) == 4 and made == []
    key("f", (0.5,), False)
    assert len(made) == 1


def _frame(arrays, header=None):
    r, w = os.pipe()
    try:
        wire.write_frame(w, header or {"status": "returned"}, arrays)
        return wire.read_frame(r)
    finally:
        os.close(r)
        os.close(w)


def test_a_replys_arrays_are_one_copy_in_slices_that_do_not_overlap():
    sent = [np.arange(20.0).reshape(5, 4), np.zeros((5, 1)), np.ones((0, 3)), np.full((3, 5), -2.5), np.float32([1.5])]
    _, got = _frame(sent)
    assert len(got) == len(sent)
    for a, b in zip(sent, got):
        assert type(b) is np.ndarray and b.dtype == np.float64 and b.flags.writeable
        assert b.shape == a.shape and np.array_equal(a, b)
    bases = {id(b.base) for b in got if b.size}
    assert len(bases) == 1  # one copy for the whole reply
    for a, b in itertools.combinations(got, 2):
        assert not np.shares_memory(a, b)
    got[0][...] = 99.0  # writing one array changes no other
    assert np.array_equal(got[1], sent[1]) and np.array_equal(got[3], sent[3])
    assert _frame([])[1] == []


@pytest.mark.parametrize("shape", [[True, 2], [2, False], [-1], [1.0], ["2"], [1 << 31], [1] * 9, None, 3, {"a": 1},
                                   [[2]]])
def test_every_shape_the_old_check_refused_is_still_refused(shape):
    with pytest.raises(wire.WireError):
        wire._element_count({"shape": shape})
    with pytest.raises(wire.WireError):
        wire._element_count([shape])


def test_a_shape_counts_its_values():
    assert wire._element_count({"shape": []}) == 1
    assert wire._element_count({"shape": [5, 4, 0]}) == 0
    assert wire._element_count({"shape": [(1 << 31) - 1] * 8}) == ((1 << 31) - 1) ** 8  # Python ints: no wrap


PLAIN = [
    {"id": "s1", "score": 7.5, "max": 10, "ok": True, "none": None, "checks": [{"name": "he", "points": 0.0}], "e": {},
     "l": [], "t": (1, 2), "text": "caf\u00e9 \u2028 \x00 \"q\" \\ \ud800 \U0001f600", "n": [float("nan"), float("inf"),
                                                                                          -float("inf"), -0.0, 1e300]},
    [], {}, "x", 3, [[[]]], {"a": {"b": {"c": [1, {"d": []}]}}},
]


@pytest.mark.parametrize("value", PLAIN)
def test_the_indented_text_is_json_dumps_and_makes_no_json_call(value, monkeypatch):
    expected = json.dumps(value, indent=2)
    made = []
    real = json.dumps
    monkeypatch.setattr(indented_json.json, "dumps", lambda *a, **k: made.append(a) or real(*a, **k))
    assert indented_json.dumps_indented(value) == expected
    assert made == []


class _Int(int):
    pass


def _nested(depth: int) -> list:
    value: list = [1]
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("value", [{1: 2}, {"a": {True: 1}}, {"a": _Int(3)}, [object()], {"a": [1] * 3, "b": 1j},
                                   _nested(indented_json._MAX_DEPTH + 2)])
def test_anything_else_goes_to_json_dumps_whole(value):
    try:
        expected = json.dumps(value, indent=2)
    except TypeError:
        with pytest.raises(TypeError):
            indented_json.dumps_indented(value)
        return
    assert indented_json.dumps_indented(value) == expected
