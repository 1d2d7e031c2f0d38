"""A pure function's answer kept once per process for arguments equal bit for bit.

A batch's grader computes the same things again and again for the submissions that return the same
values (every correct one, every copy of a common mistake): the feedback's charts
(autograder.feedback.chart_memo), the diagnosis of a wrong initialization (autograder.diagnose).
:func:`remembered` keeps the answers of the last calls under a key that is equal only for arguments
equal bit for bit (a float by its eight bytes, so -0.0 is not 0.0 and a NaN finds its own copy; an
array by its dtype, shape and bytes; a string by its characters; the type of each value in the key),
so an answer taken from the memo is the very answer the function would give again.

Bounded: at most ``entries`` answers are kept (the oldest dropped first), and arguments whose key
would exceed ``key_bytes`` (a submission's huge weights) are computed without the memo, so a memo
holds at most ``entries`` times (``key_bytes`` plus one answer) whatever the submissions return.
A value of a type the key does not know (an object, a numpy scalar) is computed without the memo too.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from typing import TypeVar

import numpy as np

T = TypeVar("T")


class TooLarge(Exception):
    """The arguments have no key: past the key's byte budget, or of a type it does not know."""


def key(value: object, budget: list[int]) -> object:
    """``value`` as a hashable key, equal only for values equal bit for bit (type included);
    ``budget`` (one int, in a list) counts down the bytes taken, and TooLarge ends it."""
    kind = type(value)
    if kind is float:
        budget[0] -= 8
        return (float, struct.pack("<d", value))
    if kind is str or kind is int or kind is bool or value is None:
        budget[0] -= len(value) if kind is str else 8  # type: ignore[arg-type]
        if budget[0] < 0:
            raise TooLarge
        return (kind, value)
    if kind is list or kind is tuple:
        if value and all(type(v) is float for v in value):  # type: ignore[attr-defined]
            budget[0] -= 8 * len(value)  # type: ignore[arg-type]
            if budget[0] < 0:
                raise TooLarge
            return (kind, "floats", struct.pack(f"<{len(value)}d", *value))  # type: ignore[arg-type, misc]
        if value and all(type(v) is int for v in value):  # type: ignore[attr-defined]
            budget[0] -= 8 * len(value)  # type: ignore[arg-type]
            if budget[0] < 0:
                raise TooLarge
            try:
                return (kind, "ints", struct.pack(f"<{len(value)}q", *value))  # type: ignore[arg-type, misc]
            except struct.error:  # beyond 64 bits: one by one
                pass
        return (kind, tuple(key(v, budget) for v in value))  # type: ignore[attr-defined]
    if kind is dict:
        return (dict, tuple((key(k, budget), key(v, budget)) for k, v in value.items()))  # type: ignore[attr-defined]
    if kind is np.ndarray:
        budget[0] -= value.nbytes  # type: ignore[attr-defined]
        if budget[0] < 0 or value.dtype.hasobject:  # type: ignore[attr-defined]
            raise TooLarge
        return (np.ndarray, value.dtype.str, value.shape, value.tobytes())  # type: ignore[attr-defined]
    raise TooLarge  # anything else (a numpy scalar, an object): computed without the memo


def remembered(compute: Callable[..., T], entries: int, key_bytes: int) -> Callable[..., T]:
    """``compute`` with a memo of its own (module docstring): at most ``entries`` answers, none
    for arguments whose key takes more than ``key_bytes``. ``compute`` must be a pure function of
    its arguments, and its answers must not be changed by whoever receives them (immutable, or
    copied by the caller)."""
    memo: dict[object, T] = {}

    @functools.wraps(compute)
    def remembering(*args: object, **kwargs: object) -> T:
        try:
            k = key((args, kwargs), [key_bytes])
        except TooLarge:
            return compute(*args, **kwargs)
        found = memo.get(k)
        if found is None:
            found = compute(*args, **kwargs)
            if len(memo) >= entries:
                del memo[next(iter(memo))]
            memo[k] = found
        return found

    remembering.memo = memo  # type: ignore[attr-defined]  # for tests: what is kept
    return remembering
