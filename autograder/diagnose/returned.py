"""A returned dict and a layer list as plain numbers: float64 arrays, (n_l, n_{l-1}) pairs, and
the grader's comparison with grading.yaml's tolerance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autograder.base.close import allclose


def layer_shapes(layers_dims: Sequence[int]) -> list[tuple[int, int]]:
    """(n_l, n_{l-1}) for l = 1..L."""
    dims = [int(d) for d in layers_dims]
    return [(dims[l], dims[l - 1]) for l in range(1, len(dims))]


def _as_array(x: Any) -> np.ndarray | None:
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return a


def as_arrays(d: Any) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if not isinstance(d, Mapping):
        return out
    for k, v in d.items():
        a = _as_array(v)
        if a is not None:
            out[str(k)] = a
    return out


def layer_number(k: str) -> int:
    try:
        return int(k[1:])
    except ValueError:
        return 10**6


def all_close(returned: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray], tolerance) -> bool:
    """The grader's comparison: same keys and shapes, ``numpy.allclose`` with grading.yaml's
    ``tolerance`` (its ``rtol`` and ``atol``)."""
    if set(returned) != set(expected):
        return False
    for k, e in expected.items():
        r = returned[k]
        if r.shape != e.shape or not allclose(r, e, rtol=tolerance.rtol, atol=tolerance.atol):
            return False
    return True
