"""The fallback when no known mistake explains the values: which entries differ, and by how much."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from autograder.base.close import allclose
from autograder.diagnose.findings import Finding
from autograder.diagnose.returned import layer_number


def values_differ(question: str, returned: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray],
                  tolerance) -> Finding:
    """Per differing entry: the largest difference, both spreads of a weight matrix, NaN and
    infinite counts; and the entry that differs most (compared with grading.yaml's tolerance)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _differences(question, returned, expected, tolerance)


def _differences(question: str, returned: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray],
                 tolerance) -> Finding:
    entries = []
    worst_key, worst = "", -1.0
    for k in sorted(set(returned) & set(expected), key=lambda k: (k[:1], layer_number(k))):
        r, e = returned[k], expected[k]
        if r.shape != e.shape:
            continue
        if allclose(r, e, rtol=tolerance.rtol, atol=tolerance.atol):
            continue
        with np.errstate(invalid="ignore"):
            d = np.abs(r - e)
        m = float(np.nanmax(d)) if not np.all(np.isnan(d)) else float("nan")
        if m > worst:
            worst_key, worst = k, m
        spreads = None
        if k.startswith("W") and e.size > 1 and np.all(np.isfinite(r)):
            spreads = (float(np.std(r)), float(np.std(e)))
        entries.append({"key": k, "largest": m, "spreads": spreads, "shape": tuple(r.shape),
                        "nan": int(np.isnan(r).sum()), "infinite": int(np.isinf(r).sum())})
    return Finding("values-differ", question, "values-differ",
                   {"entries": entries, "worst": (worst_key, worst) if worst_key else None},
                   confidence="medium")
