"""Regenerating the draws: the weights a student gets under each way of using the random stream.

A plan is one such way (the right stream, a seed in the loop, layers in reverse order, another
seed, ``default_rng``, ``rand``...). Its draws are compared with the student's exactly, up to
one factor per layer (``fit_factors``) or one exponent per layer (``fit_powers``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autograder.base.close import allclose
from autograder.base.order_stats import median


@dataclass(frozen=True)
class Plan:
    """One way of using the random stream; :func:`draw` gives its weights for a layer list."""

    code: str | None      # diagnosis when this plan explains the values; None = right stream
    source: str           # "legacy" (np.random.seed + randn) or "generator" (default_rng)
    seed: int
    order: str = "forward"
    reseed: bool = False  # seed again before every layer
    bias: str | None = None  # biases drawn too: "after" or "before" each W
    kind: str = "normal"  # "normal" or "uniform"
    per_layer: bool = False  # with reseed: np.random.seed(l + seed) before layer l, its own seed each


COMMON_SEEDS = (0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 42, 123, 1234, 12345, 2024, 2025)


def _plans() -> list[Plan]:
    plans = [
        Plan(None, "legacy", 3),
        Plan(None, "legacy", 3, bias="after"),
        Plan(None, "legacy", 3, bias="before"),
        Plan("seed-in-loop", "legacy", 3, reseed=True),
        Plan("reversed-layer-order", "legacy", 3, order="reversed"),
        Plan("default-rng", "generator", 3),
        Plan("default-rng", "generator", 3, reseed=True),
        Plan("uniform-instead-of-normal", "legacy", 3, kind="uniform"),
        Plan("uniform-instead-of-normal", "generator", 3, kind="uniform"),
        Plan("uniform-instead-of-normal", "legacy", 3, kind="uniform", reseed=True),
    ]
    plans += [Plan("wrong-seed", "legacy", s) for s in COMMON_SEEDS]
    plans += [Plan("default-rng", "generator", s) for s in COMMON_SEEDS]
    plans += [Plan("wrong-seed", "legacy", s, reseed=True) for s in COMMON_SEEDS]
    plans += [Plan("wrong-seed", "legacy", s, reseed=True, per_layer=True) for s in (0, -1, 1, 2, 3)]
    return plans


PLANS = _plans()


def draw(plan: Plan, layers: Sequence[tuple[int, int]], *, transpose: bool = False
          ) -> list[np.ndarray]:
    """The weight draws of `plan`, one array per layer, in layer order (read-only)."""
    return list(_draw_cached(plan, tuple(layers), transpose))


@functools.lru_cache(maxsize=1024)
def _draw_cached(plan: Plan, layers: tuple[tuple[int, int], ...], transpose: bool
                 ) -> tuple[np.ndarray, ...]:

    def fresh(layer: int = 0):
        seed = plan.seed + layer + 1 if plan.per_layer else plan.seed  # layer: 0-based
        if plan.source == "legacy":
            return np.random.RandomState(seed)
        return np.random.default_rng(seed)

    def sample(rng, shape):
        if plan.source == "legacy":
            return rng.standard_normal(shape) if plan.kind == "normal" else rng.random_sample(shape)
        return rng.standard_normal(shape) if plan.kind == "normal" else rng.random(shape)

    out: list[np.ndarray] = [np.empty(0)] * len(layers)
    order = range(len(layers)) if plan.order == "forward" else range(len(layers) - 1, -1, -1)
    rng = fresh()
    for i in order:
        if plan.reseed:
            rng = fresh(i)
        n_out, n_in = layers[i]
        if plan.bias == "before":
            sample(rng, (n_out, 1))
        out[i] = sample(rng, (n_in, n_out) if transpose else (n_out, n_in))
        if plan.bias == "after":
            sample(rng, (n_out, 1))
    for a in out:
        a.flags.writeable = False
    return tuple(out)


def fit_factors(ws: list[np.ndarray], zs: list[np.ndarray]) -> list[float] | None:
    """One factor per layer with w == c * z exactly (float rounding aside), or None."""
    cs: list[float] = []
    informative = 0
    for w, z in zip(ws, zs):
        if w.shape != z.shape or not np.all(np.isfinite(w)):
            return None
        zz = float(np.sum(z * z))
        if zz == 0.0:
            return None
        c = float(np.sum(w * z)) / zz
        if not math.isfinite(c) or c == 0.0:
            return None
        if not allclose(w, c * z, rtol=1e-7, atol=1e-12 * abs(c)):
            return None
        if w.size >= 2:
            informative += w.size
        cs.append(c)
    return cs if informative >= 4 else None


def fit_powers(ws: list[np.ndarray], zs: list[np.ndarray]) -> list[float] | None:
    """One exponent per layer with w == z ** p (NaN where z < 0 and p not an integer)."""
    ps: list[float] = []
    informative = 0
    for w, z in zip(ws, zs):
        if w.shape != z.shape:
            return None
        az = np.abs(z)
        sel = np.isfinite(w) & (np.abs(w) > 0) & (np.abs(np.log(az)) > 0.05)
        if not np.any(sel):
            return None
        p = float(median(np.log(np.abs(w[sel])) / np.log(az[sel])))  # np.median's, no numpy.ma
        if not math.isfinite(p) or p == 0.0:
            return None
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            pred = np.power(z, p)
        if not allclose(w, pred, rtol=1e-7, atol=1e-300, equal_nan=True):
            return None
        if w.size >= 2:
            informative += w.size
        ps.append(p)
    return ps if informative >= 4 else None


def fit_affine(ws: list[np.ndarray], zs: list[np.ndarray]) -> list[tuple[float, float]] | None:
    """One (factor, offset) per layer with w == a * z + b exactly, some offset not 0; or None."""
    out: list[tuple[float, float]] = []
    for w, z in zip(ws, zs):
        if w.shape != z.shape or w.size < 3 or not np.all(np.isfinite(w)):
            return None
        A = np.stack([z.ravel(), np.ones(z.size)], axis=1)
        (a, b), *_ = np.linalg.lstsq(A, w.ravel(), rcond=None)
        if not (math.isfinite(a) and math.isfinite(b)) or a == 0.0:
            return None
        if not allclose(w, a * z + b, rtol=1e-7, atol=1e-9 * (abs(a) + abs(b))):
            return None
        out.append((float(a), float(b)))
    if not out or all(abs(b) <= 1e-9 * abs(a) for a, b in out):
        return None
    return out
