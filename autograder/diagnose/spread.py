"""The statistical fallback: which factor the spread of the weights fits, when no plan
regenerates their values (chi-square tests at the 0.1% level)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.base.close import allclose
from autograder.diagnose.factors import Candidate, candidates, target_factor
from autograder.diagnose.returned import as_arrays, layer_shapes

_Z_TWO_SIDED_1E3 = 3.2905267314919255  # standard-normal quantile 1 - 0.001/2


_Z_ONE_SIDED_1E3 = 3.090232306167813    # standard-normal quantile 1 - 0.001


_MIN_SAMPLES = 30


def _wh(k: float, z: float) -> float:
    """Chi-square quantile with k degrees of freedom at normal quantile z (Wilson-Hilferty)."""
    h = 2.0 / (9.0 * k)
    return k * max(1.0 - h + z * math.sqrt(h), 0.0) ** 3


def _chi2_interval(k: int) -> tuple[float, float]:
    """Two-sided 99.9% interval of a chi-square with k degrees of freedom."""
    return _wh(k, -_Z_TWO_SIDED_1E3), _wh(k, _Z_TWO_SIDED_1E3)


def _fits(samples, pick) -> tuple[bool, float]:
    """Is the weights' spread compatible with the factor chosen by `pick`?

    If w = s * z with z standard normal, sum(w**2) / s**2 is chi-square with w.size
    degrees of freedom. Two tests, both at the 0.1% level: the pooled statistic over
    every layer, and the per-layer statistics (each turned into a standard normal by
    the Wilson-Hilferty cube root, their squares summed: chi-square with one degree
    of freedom per layer), which catches a factor right on average but wrong in its
    profile across layers. Returns (compatible, pooled variance ratio).
    """
    total, n, zsq, k = 0.0, 0, 0.0, 0
    for ws, target, cands in samples:
        c = pick(target, cands)
        for w, s in zip(ws, c.values):
            t = float(np.sum(w * w)) / (s * s)
            m = int(w.size)
            total += t
            n += m
            h = 2.0 / (9.0 * m)
            zsq += (((t / m) ** (1.0 / 3.0) - (1.0 - h)) / math.sqrt(h)) ** 2
            k += 1
    lo, hi = _chi2_interval(n)
    ok = lo <= total <= hi and zsq <= _wh(k, _Z_ONE_SIDED_1E3)
    return ok, total / n


@dataclass
class Stats:
    n: int
    target_inside: bool
    others_inside: list[Candidate]  # wrong candidates (distinguishable from the target) that fit
    named: Candidate | None         # the single wrong candidate that fits, when the target does not
    ratio_target: float         # pooled empirical variance / target variance
    per_layer: list[tuple[int, float, float]]  # main call: (l, empirical std, target std)


def statistics(samples: list[tuple[list[np.ndarray], Candidate, list[Candidate]]],
                main_layers: list[int]) -> Stats | None:
    """Test the weights' spread against the target and every candidate factor.

    samples: per call, (weights of the layers used, the target, the candidates),
    with candidate values restricted to those layers. None below _MIN_SAMPLES weights.
    """
    n = sum(int(w.size) for ws, _, _ in samples for w in ws)
    if n < _MIN_SAMPLES:
        return None
    for ws, _, _ in samples:
        for w in ws:
            if not np.all(np.isfinite(w)):
                return None
    target_inside, ratio_target = _fits(samples, lambda tg, cs: tg)
    ncand = len(samples[0][2])
    inside: list[int] = []
    for j in range(ncand):
        if samples[0][2][j].exact_only:
            continue
        # a candidate within 5% of the target everywhere is not "another" factor
        if all(allclose(cs[j].values, tg.values, rtol=0.05, atol=0.0) for _, tg, cs in samples):
            continue
        if _fits(samples, lambda tg, cs, j=j: cs[j])[0]:
            inside.append(j)
    named = None
    if inside and not target_inside:
        first = inside[0]
        alike = all(
            allclose(cs[j].values, cs[first].values, rtol=0.05, atol=0.0)
            for j in inside for _, _, cs in samples
        )
        if alike:
            named = samples[0][2][first]
    ws0, tg0, _ = samples[0]
    per_layer = [(main_layers[i], float(np.sqrt(np.mean(w * w))), float(tg0.values[i]))
                 for i, w in enumerate(ws0)]
    return Stats(n=n, target_inside=target_inside,
                  others_inside=[samples[0][2][j] for j in inside], named=named,
                  ratio_target=ratio_target, per_layer=per_layer)


def signs_balanced(samples) -> bool:
    """Sign test: about half the draws of a centred normal are negative (0.1% level)."""
    vals = np.concatenate([w.ravel() for ws, _, _ in samples for w in ws])
    vals = vals[vals != 0]
    n = vals.size
    if n == 0:
        return False
    neg = int(np.count_nonzero(vals < 0))
    return abs(neg - n / 2) <= _Z_TWO_SIDED_1E3 * math.sqrt(n) / 2 + 0.5


def other_call_sample(question: str, call: Any, scale: float):
    if not isinstance(call, Mapping):
        return None
    try:
        dims = [int(d) for d in call["layers_dims"]]
    except (KeyError, TypeError, ValueError):
        return None
    if len(dims) < 2:
        return None
    ret = as_arrays(call.get("returned"))
    layers = layer_shapes(dims)
    ws = []
    for i, (n_out, n_in) in enumerate(layers):
        w = ret.get(f"W{i + 1}")
        if w is None or w.shape != (n_out, n_in):
            return None
        ws.append(w)
    s = call.get("scale")
    s = float(s) if s is not None else scale
    return ws, target_factor(question, layers, s), candidates(question, layers, s)
