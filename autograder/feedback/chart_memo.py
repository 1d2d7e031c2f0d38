"""A picture drawn once per process for the same data: the submissions of a batch share most of them.

A chart of the feedback pages (autograder.feedback.svg) is a pure function of its arguments, and
a batch draws the same ones again and again: every submission whose initialization trains like
another's (every correct one, every copy of a common mistake) gets the same training-cost chart,
at about a millisecond and a half of the grader's CPU each. :func:`remembered` keeps the text of
the charts drawn last, under a key that is equal only for arguments equal bit for bit (a float by
its eight bytes, so -0.0 is not 0.0 and a NaN finds its own copy; an array by its dtype, shape and
bytes; a string by its characters; the type of each value in the key), so a chart taken from the
memo is the very text the function would write again.

Bounded: at most ``ENTRIES`` charts are kept (the oldest dropped first), and arguments whose key
would exceed ``KEY_BYTES`` (a submission's huge weights) are drawn without the memo, so the memo
holds at most ``ENTRIES`` times (``KEY_BYTES`` plus one chart) whatever the submissions return.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from autograder.limits import CHART_MEMO_ENTRIES as ENTRIES
from autograder.limits import CHART_MEMO_KEY_BYTES as KEY_BYTES

T = TypeVar("T")


class _TooLarge(Exception):
    pass


def _key(value: object, budget: list[int]) -> object:
    """``value`` as a hashable key, equal only for values equal bit for bit (type included);
    ``budget`` (one int, in a list) counts down the bytes taken, and _TooLarge ends it."""
    kind = type(value)
    if kind is float:
        budget[0] -= 8
        return (float, struct.pack("<d", value))
    if kind is str or kind is int or kind is bool or value is None:
        budget[0] -= len(value) if kind is str else 8  # type: ignore[arg-type]
        if budget[0] < 0:
            raise _TooLarge
        return (kind, value)
    if kind is list or kind is tuple:
        if value and all(type(v) is float for v in value):  # type: ignore[attr-defined]
            budget[0] -= 8 * len(value)  # type: ignore[arg-type]
            if budget[0] < 0:
                raise _TooLarge
            return (kind, "floats", struct.pack(f"<{len(value)}d", *value))  # type: ignore[arg-type, misc]
        if value and all(type(v) is int for v in value):  # type: ignore[attr-defined]
            budget[0] -= 8 * len(value)  # type: ignore[arg-type]
            if budget[0] < 0:
                raise _TooLarge
            try:
                return (kind, "ints", struct.pack(f"<{len(value)}q", *value))  # type: ignore[arg-type, misc]
            except struct.error:  # beyond 64 bits: one by one
                pass
        return (kind, tuple(_key(v, budget) for v in value))  # type: ignore[attr-defined]
    if kind is dict:
        return (dict, tuple((_key(k, budget), _key(v, budget)) for k, v in value.items()))  # type: ignore[attr-defined]
    if kind is np.ndarray:
        budget[0] -= value.nbytes  # type: ignore[attr-defined]
        if budget[0] < 0 or value.dtype.hasobject:  # type: ignore[attr-defined]
            raise _TooLarge
        return (np.ndarray, value.dtype.str, value.shape, value.tobytes())  # type: ignore[attr-defined]
    raise _TooLarge  # anything else (a numpy scalar, an object): drawn without the memo


def remembered(draw: Callable[..., T]) -> Callable[..., T]:
    """``draw`` with the memo of the module docstring (its own, of ``ENTRIES`` charts)."""
    memo: dict[object, T] = {}

    @functools.wraps(draw)
    def drawn(*args: object, **kwargs: object) -> T:
        try:
            key = _key((args, kwargs), [KEY_BYTES])
        except _TooLarge:
            return draw(*args, **kwargs)
        found = memo.get(key)
        if found is None:
            found = draw(*args, **kwargs)
            if len(memo) >= ENTRIES:
                del memo[next(iter(memo))]
            memo[key] = found
        return found

    drawn.memo = memo  # type: ignore[attr-defined]  # for tests: what is kept
    return drawn
