"""A returned dict and a layer list as plain numbers: float64 arrays, (n_l, n_{l-1}) pairs, and
the grader's comparison."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# The grader's comparison (grading.yaml: tolerance).
RTOL = 1.0e-6


ATOL = 1.0e-8


def _layers(layers_dims: Sequence[int]) -> list[tuple[int, int]]:
    """(n_l, n_{l-1}) for l = 1..L."""
    dims = [int(d) for d in layers_dims]
    return [(dims[l], dims[l - 1]) for l in range(1, len(dims))]


def _as_array(x: Any) -> np.ndarray | None:
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return a


def _clean(d: Any) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if not isinstance(d, Mapping):
        return out
    for k, v in d.items():
        a = _as_array(v)
        if a is not None:
            out[str(k)] = a
    return out


def _knum(k: str) -> int:
    try:
        return int(k[1:])
    except ValueError:
        return 10**6


def _all_close(returned: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray]) -> bool:
    if set(returned) != set(expected):
        return False
    for k, e in expected.items():
        r = returned[k]
        if r.shape != e.shape or not np.allclose(r, e, rtol=RTOL, atol=ATOL):
            return False
    return True
