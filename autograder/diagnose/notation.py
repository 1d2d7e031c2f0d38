"""How numbers, shapes and key lists are written in the messages students read."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograder.diagnose.returned import _knum


def _g(x: float) -> str:
    return f"{x:.4g}"


def _shape(a: np.ndarray) -> str:
    return "(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"


def _tup(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _list_keys(keys: Sequence[str]) -> str:
    return ", ".join(sorted(keys, key=lambda k: (k[:1], _knum(k), k)))
