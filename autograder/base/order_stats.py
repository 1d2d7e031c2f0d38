"""numpy's quantiles and median, the same numbers bit for bit, and whether values vary, without numpy.ma.

``np.unique``, ``np.quantile`` (through ``np.unique``) and ``np.median`` (through its NaN check) look
up ``np.ma``, which imports numpy.ma: 7 ms of a one-notebook command, paid by a submission whose
feedback draws its weights (the pictures' axis range), whose diagnosis fits drawn weights (a
median) or asks whether its values vary (``np.unique(...).size > 1``). These take numpy's own steps
on a partitioned copy (order statistics: the same values whatever the partition's order), so every
picture and diagnosis is unchanged; tests/test_command_start_and_end.py compares their bytes with
numpy's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def quantiles(values: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """``np.quantile(values, qs)`` (its default, linear method) of a 1-D array of finite values: the
    virtual index ``(n - 1) * q``, its floor and the next index (both the last one at or past the end),
    the values there, and the interpolation from the nearer side (``b - (b - a) * (1 - t)`` when
    ``t >= 0.5``)."""
    n = values.size
    virtual = (n - 1) * np.asanyarray(qs, dtype=float)
    previous = np.floor(virtual)
    following = previous + 1
    past_end = virtual >= n - 1
    previous[past_end] = -1
    following[past_end] = -1
    previous_at, following_at = previous.astype(np.intp), following.astype(np.intp)
    wanted = sorted({0, n - 1, *(int(i) % n for i in previous_at), *(int(i) % n for i in following_at)})
    ordered = np.partition(values, wanted)
    a, b = ordered[previous_at], ordered[following_at]
    gamma = np.asanyarray(virtual - previous_at, dtype=virtual.dtype)
    diff = b - a
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)


def median(values: np.ndarray) -> np.floating:
    """``np.median(values)`` of a 1-D float array: the mean of the middle one or two values once
    partitioned, NaN when the array holds one (numpy's check: the largest place holds it). An empty
    array is numpy's own case (NaN and its warning)."""
    n = values.size
    if n == 0:
        return np.median(values)
    half = n // 2
    middle = [half - 1, half] if n % 2 == 0 else [(n - 1) // 2]
    ordered = np.partition(values, sorted({*middle, n - 1}))
    result = np.mean(ordered[half - 1:half + 1] if n % 2 == 0 else ordered[half:half + 1], axis=0)
    last = ordered[-1]
    return last if np.isnan(last) else result


def varies(values: np.ndarray) -> bool:
    """``np.unique(values).size > 1`` for values without NaN: some value differs from the first (unique
    groups values by ``==`` too, so -0.0 and 0.0 are one value either way)."""
    flat = np.ravel(values)
    return bool(flat.size) and bool(np.any(flat != flat[0]))
