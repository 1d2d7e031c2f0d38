"""autograder.base.close.allclose gives numpy.allclose's answer, on its own path and on numpy's.

Every pair of values among the awkward ones (nan, both infinities, -0.0, 0.0, the smallest
subnormal, the largest double, values just inside and just outside the tolerance) is compared in
arrays of one and of several elements, with and without ``equal_nan``, with the tolerances the
rubric uses; other dtypes, broadcasting, scalars and non-finite tolerances go to numpy and must
give its answer too.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autograder.base import close
from autograder.base.close import allclose

AWKWARD = [np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308,
           1.0, 1.0 + 1e-5, 1.0 + 1e-5 + 1e-8, 1.0 + 1.1e-5, -1.0, 3.0, 1e-8, 2e-8, 1e-12, 0.05, -2.5]
TOLERANCES = [(1e-05, 1e-08), (1e-7, 1e-12), (0.05, 0.0), (1e-6, 1e-300), (0.0, 0.0), (1e-6, 0), (1e-6, 1),
              (np.float64(1e-7), np.float64(2e-9))]


def _numpy(a, b, rtol, atol, equal_nan):
    with np.errstate(all="ignore"):
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@pytest.mark.parametrize("rtol,atol", TOLERANCES)
@pytest.mark.parametrize("equal_nan", [False, True])
def test_every_pair_of_awkward_values(rtol, atol, equal_nan):
    compared = 0
    with np.errstate(all="ignore"):
        for x, y in itertools.product(AWKWARD, repeat=2):
            a, b = np.array([x]), np.array([y])
            assert allclose(a, b, rtol, atol, equal_nan) == _numpy(a, b, rtol, atol, equal_nan), (x, y)
            compared += 1
    assert compared == len(AWKWARD) ** 2


def test_arrays_of_several_elements_and_shapes():
    rng = np.random.default_rng(0)
    seen = {True: 0, False: 0}
    with np.errstate(all="ignore"):
        for _ in range(3000):
            shape = [(3,), (2, 3), (1, 1), (0,), (4, 1, 2)][rng.integers(5)]
            a = rng.choice(AWKWARD, size=shape)
            b = a.copy() if rng.random() < 0.5 else rng.choice(AWKWARD, size=shape)
            if b.size and rng.random() < 0.5:
                b.flat[rng.integers(b.size)] = a.flat[0] * (1 + rng.choice([1e-9, 1e-6, 1e-4]))
            rtol, atol = TOLERANCES[rng.integers(len(TOLERANCES))]
            equal_nan = bool(rng.random() < 0.5)
            want = _numpy(a, b, rtol, atol, equal_nan)
            assert allclose(a, b, rtol, atol, equal_nan) == want, (a, b, rtol, atol, equal_nan)
            seen[want] += 1
    assert min(seen.values()) > 100  # both answers were exercised


def test_transposed_and_strided_arrays():
    a = np.arange(6.0).reshape(2, 3)
    assert allclose(a.T, a.T.copy()) is True
    assert allclose(a[:, ::2], a[:, ::2] + 1e-3) is False


@pytest.mark.parametrize("a,b", [
    (np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0000001])),           # int against float
    (np.array([True, False]), np.array([1.0, 0.0])),                    # bool
    (np.array([True, False]), np.array([True, True])),
    (np.array([1.0, 2.0], dtype=np.float32), np.array([1.0, 2.00001])),  # float32: numpy's arithmetic
    (np.array([1.0, 2.0]), np.array([1.0, 2.00001], dtype=np.float32)),
    (np.array([[1.0, 2.0]]), np.array([1.0, 2.0])),                     # broadcast
    (np.array([1.0, 1.0, 1.0]), 1.0),                                   # scalar
    (np.array([1.0, np.nan]), np.float64(np.nan)),
    (np.zeros(close.SMALL + 1), np.zeros(close.SMALL + 1) + 1e-9),      # big: numpy
    ([1.0, 2.0], [1.0, 2.0]),                                           # lists
    (np.array([1 + 1j]), np.array([1 + 1j])),
])
@pytest.mark.parametrize("equal_nan", [False, True])
def test_what_goes_to_numpy_gets_numpys_answer(a, b, equal_nan):
    assert allclose(a, b, 1e-6, 1e-9, equal_nan) == _numpy(a, b, 1e-6, 1e-9, equal_nan)


def test_numpys_errors_stay_numpys():
    with pytest.raises(ValueError):
        allclose(np.zeros(2), np.zeros(3))  # shapes that do not broadcast
    with pytest.raises(TypeError):
        allclose(np.zeros(2), np.zeros(2), 1e-6, 10**400)  # a tolerance no float holds


@pytest.mark.parametrize("rtol,atol", [(np.inf, 0.0), (1e-6, np.nan), (np.array([1e-6, 1.0]), 0.0), (1e-6, 2**60)])
def test_unusual_tolerances_are_numpys(rtol, atol):
    a, b = np.array([1.0, 2.0]), np.array([1.5, 2.0])
    with np.errstate(all="ignore"):
        assert allclose(a, b, rtol, atol) == _numpy(a, b, rtol, atol, False)


def test_the_small_path_is_taken_for_small_float_arrays(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("numpy.allclose called")
    monkeypatch.setattr(close.np, "allclose", fail)
    assert allclose(np.array([1.0, np.inf, -0.0]), np.array([1.0, np.inf, 0.0])) is True
    assert allclose(np.array([1.0, np.nan]), np.array([1.0, np.nan]), equal_nan=True) is True
    assert allclose(np.array([1.0, np.nan]), np.array([1.0, np.nan])) is False
