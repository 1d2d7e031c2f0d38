"""Equality of graded results that hold numpy arrays at any depth (dicts, lists, tuples): what the
tests that grade a submission two ways compare."""

from __future__ import annotations

import numpy as np


def same(a, b) -> bool:
    """``a == b``, with arrays compared whole (``np.array_equal``) wherever they are nested."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b
