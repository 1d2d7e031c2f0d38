"""``numpy.allclose`` with the same answer, cheaper on the tiny arrays the checks compare.

A submission's checks and diagnoses compare arrays of 2 to a few dozen numbers about 200 times;
``numpy.allclose`` spends some 20 microseconds on each in its own set-up (dtype resolution,
temporary arrays, an error-state context), more than the comparison. For two float64 arrays of the
same shape and at most ``SMALL`` elements, the comparison is done here element by element on Python
floats, which are the same IEEE doubles, with numpy's formula:
``abs(x - y) <= atol + rtol * abs(y)`` where ``y`` is finite, or ``x == y`` (equal infinities,
-0.0 and 0.0), or both nan when ``equal_nan``. Anything else (other dtypes, whose
arithmetic numpy may do in float32; broadcasting; scalars; bigger arrays) goes to numpy itself.
tests/test_close.py holds the two to the same answer over nan, inf, -0.0, ties and extremes.
"""

from __future__ import annotations

import math

import numpy as np

SMALL = 64


def _tolerance(value) -> float | None:
    """A tolerance as the Python float numpy would use, or None when numpy should decide."""
    if type(value) is int and abs(value) < 2**53:  # exactly a float
        return float(value)
    if type(value) in (float, np.float64) and math.isfinite(value):
        return float(value)
    return None  # an array, or inf/nan (numpy warns about those): numpy's own path


def allclose(a, b, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Exactly ``bool(numpy.allclose(a, b, rtol, atol, equal_nan))``."""
    r, t = _tolerance(rtol), _tolerance(atol)
    if (type(a) is np.ndarray and type(b) is np.ndarray and a.dtype == np.float64 and b.dtype == np.float64
            and a.shape == b.shape and a.size <= SMALL and r is not None and t is not None):
        isfinite, isnan = math.isfinite, math.isnan
        for x, y in zip(a.ravel().tolist(), b.ravel().tolist()):
            if x == y or (abs(x - y) <= t + r * abs(y) and isfinite(y)):
                continue
            if equal_nan and isnan(x) and isnan(y):
                continue
            return False
        return True
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
