"""Explain the most likely mistake behind a failed initialization check.

Pure functions on plain data: nothing here runs student code. The grading engine
calls :func:`diagnose` with what a student's function returned for one call (a dict
of float64 arrays, already checked to be that) and with the reference output for
the same call; it gets back a list of :class:`Diagnosis`, most likely first, and
an empty list when the answer is right (``numpy.allclose`` with the grader's
tolerance).

How the evidence works
----------------------
All three random initializations draw ``W_l = randn(n_l, n_{l-1}) * factor_l`` from
the legacy stream seeded with ``np.random.seed(3)``, layer after layer. So when a
student keeps the seed and the order but uses another factor, every ``W_l`` is the
reference draw times a constant: the per-layer ratio is exact evidence of the
factor used, which is then named (0.01, 1, 10, LeCun, He, Glorot, fan-out,
a forgotten square root, an inverted factor...). When the ratio is not constant,
the draws are regenerated under the other ways students get the stream wrong
(seed inside the loop, layers in reverse order, biases drawn too,
``np.random.default_rng``, ``np.random.rand``, other common seeds) and compared
exactly, up to one factor per layer. ``randn ** scale`` is recognised exactly too
(NaN where the draw was negative, ``draw ** p`` elsewhere). Only when nothing
regenerates the values does the module fall back to statistics: the spread of the
weights is compared with each candidate factor by a chi-square interval on the
variance, and a candidate is named only when it is the single one inside.

``extra`` (optional, every key optional)
----------------------------------------
``"repeat"``
    The dict returned by a *second* call of the same function with the same
    arguments (same process or a fresh one). If the two differ, the function is
    not seeded: the ``not-seeded`` diagnosis becomes certain.
``"other_calls"``
    A list of other calls of the *same* function, each a dict
    ``{"layers_dims": [...], "returned": {...}, "scale": float | None}``
    (``scale`` only matters for ``random``; it defaults to the main call's). They
    add samples to the statistical fallback; calls whose keys or shapes are wrong
    are ignored.
``"signature"``
    The names of the student function's positional parameters. For ``random``, fewer
    than two (no ``scale``) turns "multiply by the `scale` argument" into "add `scale`
    to the signature".

The engine should, for each random question, call the student function twice on
one layer list (``repeat``) and once on each of a couple of other layer lists
(``other_calls``), e.g. ``[5, 4, 3]``, ``[7, 6, 5, 3, 1]``, ``[12, 9, 1]``. Avoid a
fan-in of 2, where ``sqrt(2/n)`` equals 1 and two mistakes look alike.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CODES",
    "EXTRA_KEYS",
    "QUESTIONS",
    "SECTIONS",
    "Diagnosis",
    "diagnose",
    "section_for",
]

QUESTIONS = ("zeros", "random", "he", "deep")
SECTIONS = ("zeros-symmetry", "random-scale", "he-variance", "deep-scaling", "shapes", "seeding")
EXTRA_KEYS = ("repeat", "other_calls", "signature")

# The grader's comparison (grading.yaml: tolerance).
RTOL = 1.0e-6
ATOL = 1.0e-8

_QUESTION_SECTION = {
    "zeros": "zeros-symmetry",
    "random": "random-scale",
    "he": "he-variance",
    "deep": "deep-scaling",
}

#: Every code this module can return, with its short title (for class summaries).
CODES: dict[str, str] = {
    # keys and shapes
    "loop-starts-at-zero": "Layer loop starts at 0 (W0/b0 or shifted keys)",
    "loop-stops-early": "Layer loop stops early (last layer missing)",
    "wrong-keys": "Wrong dictionary keys",
    "transposed-weights": "Weight matrices transposed",
    "wrong-shapes": "Wrong weight shapes",
    "bias-shape": "Biases of the wrong shape",
    # biases
    "random-biases": "Biases drawn at random",
    "nonzero-biases": "Biases not zero",
    # zeros vs random
    "random-instead-of-zeros": "Random weights where zeros were asked",
    "zeros-instead-of-random": "Zero weights where random ones were asked",
    # distribution
    "power-instead-of-multiply": "randn ** scale instead of randn * scale",
    "uniform-instead-of-normal": "np.random.rand (uniform) instead of randn",
    # scale
    "wrong-scale-0.01": "Weights scaled by 0.01",
    "wrong-scale-1": "Weights not scaled (factor 1)",
    "wrong-scale-10": "Weights scaled by 10",
    "random-scale-ignored": "Fixed factor instead of the scale argument",
    "wrong-scale-constant": "A fixed number as the factor",
    "wrong-scale-lecun": "LeCun factor sqrt(1/n_{l-1})",
    "wrong-scale-he": "He factor sqrt(2/n_{l-1})",
    "wrong-scale-glorot": "Glorot factor sqrt(2/(n_{l-1}+n_l))",
    "wrong-scale-fan-out": "Factor uses n_l (fan-out) instead of n_{l-1}",
    "wrong-scale-missing-sqrt": "Factor without the square root",
    "wrong-scale-inverted": "Divided where it should multiply (or vice versa)",
    "wrong-scale-other": "Right draws, wrong factor",
    # seeding and order
    "wrong-seed": "Different seed",
    "not-seeded": "Not seeded (or seed not reproducible)",
    "seed-in-loop": "Seed set inside the loop",
    "reversed-layer-order": "Layers drawn in reverse order",
    "default-rng": "np.random.default_rng instead of np.random.seed/randn",
    # calling the function
    "wrong-signature": "Signature differs from the assignment's",
    # fallback
    "values-differ": "Values differ from the reference",
}

_SEEDING_CODES = frozenset(
    {"wrong-seed", "not-seeded", "seed-in-loop", "reversed-layer-order", "default-rng"}
)
_SHAPE_CODES = frozenset(
    {"loop-starts-at-zero", "loop-stops-early", "wrong-keys", "transposed-weights",
     "wrong-shapes", "bias-shape"}
)
_ZEROS_CODES = frozenset({"random-instead-of-zeros", "zeros-instead-of-random"})


def section_for(code: str, question: str) -> str:
    """The notebook section a diagnosis points to."""
    if code in _SEEDING_CODES:
        return "seeding"
    if code in _SHAPE_CODES:
        return "shapes"
    if code in _ZEROS_CODES:
        return "zeros-symmetry"
    return _QUESTION_SECTION.get(question, "random-scale")


@dataclass(frozen=True)
class Diagnosis:
    """One explanation of a failed check.

    code -- stable id (a key of :data:`CODES`)
    title -- short, for a class summary
    message -- for the student: what was found, with numbers, the likely mistake,
               and what to change
    notebook_section -- one of :data:`SECTIONS`
    confidence -- "high" (exact evidence) or "medium" (statistical or partial)
    partial_credit_eligible -- True only for the right distribution drawn with the
               wrong seeding or order
    """

    code: str
    title: str
    message: str
    notebook_section: str
    confidence: str
    partial_credit_eligible: bool = False


def signature_diagnosis(question: str, message: str) -> Diagnosis:
    """The function's parameters differ from the assignment's (autograder.explain says how)."""
    return _diag("wrong-signature", question, message)


def _diag(code: str, question: str, message: str, confidence: str = "high",
          partial: bool = False) -> Diagnosis:
    return Diagnosis(code=code, title=CODES[code], message=message,
                     notebook_section=section_for(code, question),
                     confidence=confidence, partial_credit_eligible=partial)


# --------------------------------------------------------------------------- helpers

def _g(x: float) -> str:
    return f"{x:.4g}"


def _shape(a: np.ndarray) -> str:
    return "(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"


def _tup(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


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


def _list_keys(keys: Sequence[str]) -> str:
    return ", ".join(sorted(keys, key=lambda k: (k[:1], _knum(k), k)))


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


# ------------------------------------------------------------------- regenerating draws

@dataclass(frozen=True)
class _Plan:
    code: str | None      # diagnosis when this plan explains the values; None = right stream
    source: str           # "legacy" (np.random.seed + randn) or "generator" (default_rng)
    seed: int
    order: str = "forward"
    reseed: bool = False  # seed again before every layer
    bias: str | None = None  # biases drawn too: "after" or "before" each W
    kind: str = "normal"  # "normal" or "uniform"

    def describe(self) -> str:
        if self.source == "legacy":
            base = f"np.random.seed({self.seed}) then np.random.{'randn' if self.kind == 'normal' else 'rand'}"
        else:
            fn = "standard_normal" if self.kind == "normal" else "random"
            base = f"np.random.default_rng({self.seed}).{fn}"
        extra = []
        if self.reseed:
            extra.append("re-seeded before every layer")
        if self.order == "reversed":
            extra.append("layers drawn from L down to 1")
        if self.bias:
            extra.append(f"a bias vector drawn {self.bias} each W")
        return base + (" (" + ", ".join(extra) + ")" if extra else "")


_COMMON_SEEDS = (0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 42, 123, 1234, 12345, 2024, 2025)


def _plans() -> list[_Plan]:
    plans = [
        _Plan(None, "legacy", 3),
        _Plan(None, "legacy", 3, bias="after"),
        _Plan(None, "legacy", 3, bias="before"),
        _Plan("seed-in-loop", "legacy", 3, reseed=True),
        _Plan("reversed-layer-order", "legacy", 3, order="reversed"),
        _Plan("default-rng", "generator", 3),
        _Plan("default-rng", "generator", 3, reseed=True),
        _Plan("uniform-instead-of-normal", "legacy", 3, kind="uniform"),
        _Plan("uniform-instead-of-normal", "generator", 3, kind="uniform"),
        _Plan("uniform-instead-of-normal", "legacy", 3, kind="uniform", reseed=True),
    ]
    plans += [_Plan("wrong-seed", "legacy", s) for s in _COMMON_SEEDS]
    plans += [_Plan("default-rng", "generator", s) for s in _COMMON_SEEDS]
    plans += [_Plan("wrong-seed", "legacy", s, reseed=True) for s in _COMMON_SEEDS]
    return plans


_PLANS = _plans()


def _draw(plan: _Plan, layers: Sequence[tuple[int, int]], *, transpose: bool = False
          ) -> list[np.ndarray]:
    """The weight draws of `plan`, one array per layer, in layer order (read-only)."""
    return list(_draw_cached(plan, tuple(layers), transpose))


@functools.lru_cache(maxsize=1024)
def _draw_cached(plan: _Plan, layers: tuple[tuple[int, int], ...], transpose: bool
                 ) -> tuple[np.ndarray, ...]:

    def fresh():
        if plan.source == "legacy":
            return np.random.RandomState(plan.seed)
        return np.random.default_rng(plan.seed)

    def sample(rng, shape):
        if plan.source == "legacy":
            return rng.standard_normal(shape) if plan.kind == "normal" else rng.random_sample(shape)
        return rng.standard_normal(shape) if plan.kind == "normal" else rng.random(shape)

    out: list[np.ndarray] = [np.empty(0)] * len(layers)
    order = range(len(layers)) if plan.order == "forward" else range(len(layers) - 1, -1, -1)
    rng = fresh()
    for i in order:
        if plan.reseed:
            rng = fresh()
        n_out, n_in = layers[i]
        if plan.bias == "before":
            sample(rng, (n_out, 1))
        out[i] = sample(rng, (n_in, n_out) if transpose else (n_out, n_in))
        if plan.bias == "after":
            sample(rng, (n_out, 1))
    for a in out:
        a.flags.writeable = False
    return tuple(out)


def _fit_factors(ws: list[np.ndarray], zs: list[np.ndarray]) -> list[float] | None:
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
        if not np.allclose(w, c * z, rtol=1e-7, atol=1e-12 * abs(c)):
            return None
        if w.size >= 2:
            informative += w.size
        cs.append(c)
    return cs if informative >= 4 else None


def _fit_powers(ws: list[np.ndarray], zs: list[np.ndarray]) -> list[float] | None:
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
        p = float(np.median(np.log(np.abs(w[sel])) / np.log(az[sel])))
        if not math.isfinite(p) or p == 0.0:
            return None
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            pred = np.power(z, p)
        if not np.allclose(w, pred, rtol=1e-7, atol=1e-300, equal_nan=True):
            return None
        if w.size >= 2:
            informative += w.size
        ps.append(p)
    return ps if informative >= 4 else None


# ------------------------------------------------------------------------- candidates

@dataclass(frozen=True)
class _Cand:
    code: str            # diagnosis code ("target" for the expected factor)
    label: str           # the factor as the student would have written it
    values: np.ndarray   # one factor per layer
    exact_only: bool = False  # named from exact draws only: too close to other factors for the spread test


def _target_factor(question: str, layers: list[tuple[int, int]], scale: float) -> _Cand:
    fin = np.array([n_in for _, n_in in layers], dtype=float)
    if question == "random":
        return _Cand("target", f"* scale (here {_g(scale)})", np.full(len(layers), float(scale)))
    if question == "he":
        return _Cand("target", "* np.sqrt(2 / layers_dims[l-1])", np.sqrt(2.0 / fin))
    return _Cand("target", "/ np.sqrt(layer_dims[l-1])", 1.0 / np.sqrt(fin))


_CONSTANTS = (100.0, 1000.0, 0.1, 0.001, 0.0001, 0.5, 2.0, 5.0, 0.05, 0.02, 0.2, 20.0, 50.0)
_DECADES = (100.0, 1000.0, 0.1, 0.001)  # far enough apart to be told by the spread of unseeded weights


def _candidates(question: str, layers: list[tuple[int, int]], scale: float) -> list[_Cand]:
    """The wrong factors students use, in order of preference when several fit."""
    fin = np.array([n_in for _, n_in in layers], dtype=float)
    fout = np.array([n_out for n_out, _ in layers], dtype=float)
    ones = np.ones(len(layers))
    target = _target_factor(question, layers, scale)
    cands: list[_Cand] = []
    if question == "random":
        cands.append(_Cand("random-scale-ignored", "* 0.01", 0.01 * ones))
        cands.append(_Cand("random-scale-ignored", "* 10", 10.0 * ones))
    else:
        cands.append(_Cand("wrong-scale-0.01", "* 0.01", 0.01 * ones))
        cands.append(_Cand("wrong-scale-10", "* 10", 10.0 * ones))
    cands.append(_Cand("wrong-scale-1", "no factor at all (plain randn)", ones))
    cands.append(_Cand("wrong-scale-lecun", "* np.sqrt(1 / layers_dims[l-1])  (LeCun)",
                       np.sqrt(1.0 / fin)))
    cands.append(_Cand("wrong-scale-he", "* np.sqrt(2 / layers_dims[l-1])  (He)", np.sqrt(2.0 / fin)))
    cands.append(_Cand("wrong-scale-glorot",
                       "* np.sqrt(2 / (layers_dims[l-1] + layers_dims[l]))  (Glorot)",
                       np.sqrt(2.0 / (fin + fout))))
    if question in ("he", "deep"):
        first, second = ((2.0, 1.0) if question == "he" else (1.0, 2.0))
        for k in (first, second):
            lab = ("* np.sqrt(2 / layers_dims[l])" if k == 2.0 else "/ np.sqrt(layers_dims[l])")
            cands.append(_Cand("wrong-scale-fan-out", lab + "  (n_l, the fan-out)",
                               np.sqrt(k / fout)))
        if question == "he":
            cands.append(_Cand("wrong-scale-missing-sqrt", "* 2 / layers_dims[l-1]  (no np.sqrt)",
                               2.0 / fin))
        else:
            cands.append(_Cand("wrong-scale-missing-sqrt", "/ layer_dims[l-1]  (no np.sqrt)",
                               1.0 / fin))
    # Other plain numbers students hard-code: named as the number, before any formula that
    # happens to equal it here (100 is also 1 / 0.01, "divided by scale").
    for c in _CONSTANTS:
        code = "random-scale-ignored" if question == "random" else "wrong-scale-constant"
        cands.append(_Cand(code, f"* {c:g}", c * ones, exact_only=c not in _DECADES))
    inv_label = {
        "random": "/ scale (divided instead of multiplied)",
        "he": "/ np.sqrt(2 / layers_dims[l-1]) (divided instead of multiplied)",
        "deep": "* np.sqrt(layer_dims[l-1]) (multiplied instead of divided)",
    }[question]
    cands.append(_Cand("wrong-scale-inverted", inv_label, 1.0 / target.values))
    return cands


def _same(a: np.ndarray, b: np.ndarray, rtol: float = 1e-6) -> bool:
    return bool(np.allclose(a, b, rtol=rtol, atol=0.0))


def _identify(values: np.ndarray, target: _Cand, cands: list[_Cand]
              ) -> tuple[str, _Cand | None, list[_Cand]]:
    """("ok"|"named"|"other", the candidate, other candidates that fit equally)."""
    if _same(values, target.values):
        return "ok", None, []
    hits = [c for c in cands if not _same(c.values, target.values) and _same(values, c.values)]
    if hits:
        return "named", hits[0], hits[1:]
    return "other", None, []


# ------------------------------------------------------------------------- statistics

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
class _Stats:
    n: int
    target_inside: bool
    others_inside: list[_Cand]  # wrong candidates (distinguishable from the target) that fit
    named: _Cand | None         # the single wrong candidate that fits, when the target does not
    ratio_target: float         # pooled empirical variance / target variance
    per_layer: list[tuple[int, float, float]]  # main call: (l, empirical std, target std)


def _statistics(samples: list[tuple[list[np.ndarray], _Cand, list[_Cand]]],
                main_layers: list[int]) -> _Stats | None:
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
        if all(np.allclose(cs[j].values, tg.values, rtol=0.05, atol=0.0) for _, tg, cs in samples):
            continue
        if _fits(samples, lambda tg, cs, j=j: cs[j])[0]:
            inside.append(j)
    named = None
    if inside and not target_inside:
        first = inside[0]
        alike = all(
            np.allclose(cs[j].values, cs[first].values, rtol=0.05, atol=0.0)
            for j in inside for _, _, cs in samples
        )
        if alike:
            named = samples[0][2][first]
    ws0, tg0, _ = samples[0]
    per_layer = [(main_layers[i], float(np.sqrt(np.mean(w * w))), float(tg0.values[i]))
                 for i, w in enumerate(ws0)]
    return _Stats(n=n, target_inside=target_inside,
                  others_inside=[samples[0][2][j] for j in inside], named=named,
                  ratio_target=ratio_target, per_layer=per_layer)


# ------------------------------------------------------------------------- messages

_SCALE_FIX = {
    "random": "multiply the standard-normal draw by the `scale` argument: "
              "`np.random.randn(layers_dims[l], layers_dims[l-1]) * scale`",
    "he": "multiply by `np.sqrt(2 / layers_dims[l-1])`: the variance 2/n_{l-1} uses the "
          "fan-in (the previous layer's size), and the 2 compensates for ReLU zeroing about "
          "half of its inputs",
    "deep": "divide by `np.sqrt(layer_dims[l-1])`: the variance 1/n_{l-1} keeps the "
            "activations' spread constant from layer to layer, using the fan-in (the previous "
            "layer's size)",
}

_SCALE_WHY = {
    "wrong-scale-0.01": "This is the small fixed factor of the plain random initialization; in a "
                        "deep network it makes the signal vanish layer after layer.",
    "wrong-scale-10": "This is the large factor from the notebook's 'too large' experiment; it "
                      "saturates the sigmoid output.",
    "wrong-scale-1": "The draws were not scaled at all: the factor is missing.",
    "random-scale-ignored": "The function ignores its `scale` argument and always uses a fixed "
                            "number, so calling it with scale=10 (as the notebook does) changes "
                            "nothing.",
    "wrong-scale-constant": "The factor is a fixed number, the same for every layer, where this "
                            "initialization's factor depends on the layer's fan-in n_{l-1}.",
    "wrong-scale-lecun": "This is the LeCun factor sqrt(1/n_{l-1}) (what "
                         "`initialize_parameters_deep` uses), not He's sqrt(2/n_{l-1}).",
    "wrong-scale-he": "This is He's factor sqrt(2/n_{l-1}) (what `initialize_parameters_he` "
                      "uses), not 1/sqrt(n_{l-1}).",
    "wrong-scale-glorot": "This is the Glorot factor sqrt(2/(n_{l-1}+n_l)), which averages fan-in "
                          "and fan-out; this exercise uses the fan-in only.",
    "wrong-scale-fan-out": "The factor uses n_l = layers_dims[l], the current layer's size "
                           "(fan-out), where it should use n_{l-1} = layers_dims[l-1], the "
                           "number of inputs of each unit (fan-in).",
    "wrong-scale-missing-sqrt": "The factor is the variance, not the standard deviation: the "
                                "square root is missing.",
    "wrong-scale-inverted": "The factor is the reciprocal of the expected one: the draw was "
                            "divided where it should be multiplied, or multiplied where it "
                            "should be divided.",
}


# When `initialize_parameters_random` has no `scale` parameter at all, the advice above
# would contradict itself ("multiply by the scale argument" it does not have).
_NO_SCALE_WHY = ("Your function has no `scale` parameter, so it always uses this fixed number "
                 "whatever scale the caller asks for.")
_NO_SCALE_FIX = ("add the parameter to the signature, `def initialize_parameters_random(layers_dims, "
                 "scale=0.01):`, then multiply the standard-normal draw by it: "
                 "`np.random.randn(layers_dims[l], layers_dims[l-1]) * scale`")


def _without_scale_parameter(d: Diagnosis) -> Diagnosis:
    text = d.message.replace(_SCALE_WHY["random-scale-ignored"], _NO_SCALE_WHY)
    text = text.replace(_SCALE_FIX["random"], _NO_SCALE_FIX)
    return Diagnosis(d.code, d.title, text, d.notebook_section, d.confidence, d.partial_credit_eligible)


def _factor_table(layers_idx: list[int], found: Sequence[float], expected: Sequence[float]) -> str:
    parts = [f"W{l}: x{_g(f)} (expected x{_g(e)})" for l, f, e in zip(layers_idx, found, expected)]
    return "; ".join(parts)


def _scale_message(question: str, code: str, cand: _Cand | None, alts: list[_Cand],
                   layer_ids: list[int], found: Sequence[float], target: _Cand,
                   how: str) -> str:
    msg = (f"{how} Per layer: {_factor_table(layer_ids, found, target.values)}. ")
    if cand is not None:
        msg += (f"These factors are exactly `{cand.label}`. {_SCALE_WHY.get(code, '')} ")
        if alts:
            msg += ("(For these layer sizes they also equal "
                    + ", ".join(f"`{a.label}`" for a in alts) + ".) ")
    else:
        ratios = [f / e for f, e in zip(found, target.values)]
        if np.allclose(ratios, -1.0, rtol=1e-6):
            msg += "Your weights are the expected ones with the opposite sign. "
        else:
            msg += ("They match none of the usual factors (ratio to the expected one: "
                    + ", ".join(_g(r) for r in ratios) + "). Check the formula you multiply by. ")
    msg += f"To fix it, {_SCALE_FIX[question]}."
    return msg


def _values_differ(question: str, layers_dims: Sequence[int], returned: Mapping[str, np.ndarray],
                   expected: Mapping[str, np.ndarray]) -> Diagnosis:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _values_differ_inner(question, returned, expected)


def _values_differ_inner(question: str, returned: Mapping[str, np.ndarray],
                         expected: Mapping[str, np.ndarray]) -> Diagnosis:
    diffs = []
    worst_key, worst = "", -1.0
    for k in sorted(set(returned) & set(expected), key=lambda k: (k[:1], _knum(k))):
        r, e = returned[k], expected[k]
        if r.shape != e.shape:
            continue
        if np.allclose(r, e, rtol=RTOL, atol=ATOL):
            continue
        with np.errstate(invalid="ignore"):
            d = np.abs(r - e)
        m = float(np.nanmax(d)) if not np.all(np.isnan(d)) else float("nan")
        if m > worst:
            worst_key, worst = k, m
        desc = f"{k} (max |difference| {_g(m)}"
        if k.startswith("W") and e.size > 1 and np.all(np.isfinite(r)):
            desc += f", your std {_g(float(np.std(r)))} vs expected {_g(float(np.std(e)))}"
        if np.any(np.isnan(r)):
            desc += f", {int(np.isnan(r).sum())} NaN"
        if np.any(np.isinf(r)):
            desc += f", {int(np.isinf(r).sum())} infinite"
        desc += ")"
        diffs.append(desc)
    if diffs:
        found = "These entries differ from the reference: " + "; ".join(diffs) + "."
        if worst_key:
            found += f" The largest difference is {_g(worst)}, in {worst_key}."
    else:
        found = "Your dictionary does not match the reference."
    fn = {"zeros": "initialize_parameters_zeros", "random": "initialize_parameters_random",
          "he": "initialize_parameters_he", "deep": "initialize_parameters_deep"}[question]
    advice = (" No common mistake reproduces your values exactly. Compare your loop with the "
              f"specification of `{fn}`: np.random.seed(3) called once before the loop, layers "
              "drawn in order l = 1..L, W_l of shape (layers_dims[l], layers_dims[l-1]) from "
              "np.random.randn, the factor applied by multiplication, biases np.zeros((layers_dims[l], 1)).")
    if question == "zeros":
        advice = (" Every W_l must be np.zeros((layers_dims[l], layers_dims[l-1])) and every b_l "
                  "np.zeros((layers_dims[l], 1)).")
    return _diag("values-differ", question, found + advice, confidence="medium")


# ------------------------------------------------------------------------- main entry

def diagnose(question: str, layers_dims: list[int], returned: dict[str, np.ndarray],
             expected: dict[str, np.ndarray], *, scale: float | None = None,
             extra: dict | None = None) -> list[Diagnosis]:
    """The most likely mistakes behind `returned`, most likely first; [] if it is right.

    question -- "zeros", "random", "he" or "deep"
    layers_dims -- the argument of the call
    returned -- what the student's function returned (str -> float64 arrays)
    expected -- the reference output for the same call
    scale -- the `scale` argument of a "random" call (default 0.01)
    extra -- optional more evidence, see the module docstring ("repeat", "other_calls")
    """
    if question not in QUESTIONS:
        raise ValueError(f"unknown question {question!r}; expected one of {QUESTIONS}")
    returned = _clean(returned)
    expected = _clean(expected)
    if _all_close(returned, expected):
        return []
    extra = dict(extra) if isinstance(extra, Mapping) else {}
    if question == "random" and scale is None:
        scale = 0.01
    scale_f = float(scale) if scale is not None else 0.01
    layers = _layers(layers_dims)
    L = len(layers)
    out: list[Diagnosis] = []

    # ---- keys -----------------------------------------------------------------
    want = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    have = set(returned)
    missing, surplus = want - have, have - want
    if "W0" in have or "b0" in have:
        out.append(_diag("loop-starts-at-zero", question,
                         _starts_at_zero_message(question, layers_dims, returned, missing)))
        return out
    if missing or surplus:
        missing_layers = sorted({_knum(k) for k in missing})
        if (not surplus and missing_layers and missing_layers[0] >= 2
                and missing_layers == list(range(missing_layers[0], L + 1))
                and all(f"{p}{l}" in missing for l in missing_layers for p in "Wb")):
            first = missing_layers[0]
            msg = (f"Your dictionary has no {_list_keys(sorted(missing))}: layers_dims = "
                   f"{list(layers_dims)} describes a network with {L} layers of parameters, so "
                   f"W1..W{L} and b1..b{L} are expected, but your loop stopped after layer "
                   f"{first - 1}. With `L = len(layers_dims)` (input layer included), the loop "
                   "is `for l in range(1, L)`: range already excludes its end, so "
                   "`range(1, L - 1)` skips the output layer.")
            out.append(_diag("loop-stops-early", question, msg))
        else:
            msg = ("Your dictionary is empty." if not have
                   else "Your dictionary's keys are not the expected ones.")
            if missing:
                msg += f" Missing: {_list_keys(sorted(missing))}."
            if surplus:
                msg += f" Unexpected: {', '.join(sorted(surplus))}."
            lower = {k.lower() for k in surplus}
            if any(k.lower() in lower for k in missing):
                msg += " Keys are case-sensitive: weights are \"W1\", \"W2\", ... (capital W)."
            msg += (f" Build them as \"W\" + str(l) and \"b\" + str(l) for l = 1..{L}; the "
                    "model looks parameters up by these exact names.")
            out.append(_diag("wrong-keys", question, msg))

    # ---- shapes ---------------------------------------------------------------
    transposed, bad_w, bad_b = [], [], []
    w_ok: list[int] = []   # 0-based layer indices whose W has the right shape
    for i, (n_out, n_in) in enumerate(layers):
        l = i + 1
        w = returned.get(f"W{l}")
        if w is not None:
            if w.shape == (n_out, n_in):
                w_ok.append(i)
            elif w.shape == (n_in, n_out):
                transposed.append((l, w))
            else:
                bad_w.append((l, w))
        b = returned.get(f"b{l}")
        if b is not None and b.shape != (n_out, 1):
            bad_b.append((l, b))
    if transposed and not bad_w:
        out.append(_diag("transposed-weights", question,
                         _transposed_message(question, layers, transposed, scale_f)))
    elif bad_w:
        parts = [f"W{l} has shape {_shape(w)}, expected {_tup(layers[l - 1])}" for l, w in
                 bad_w + transposed]
        out.append(_diag("wrong-shapes", question,
                         "Some weight matrices have the wrong shape: " + "; ".join(parts)
                         + ". W_l must have shape (layers_dims[l], layers_dims[l-1]): one row "
                         "per unit of layer l, one column per unit of the previous layer."))
    if bad_b:
        parts = [f"b{l} has shape {_shape(b)}, expected ({layers[l - 1][0]}, 1)" for l, b in bad_b]
        msg = "Some bias vectors have the wrong shape: " + "; ".join(parts) + "."
        if any(b.ndim == 1 for _, b in bad_b):
            msg += (" np.zeros(n) makes a 1-D array of shape (n,): in Z = W A + b numpy lines it "
                    "up with the last axis (the examples), so the sum fails or adds the wrong "
                    "numbers.")
        msg += " Use np.zeros((layers_dims[l], 1)): note the double parentheses, one column."
        out.append(_diag("bias-shape", question, msg))

    # ---- biases -----------------------------------------------------------------
    bias_vals = [(l, returned[f"b{l}"]) for l in range(1, L + 1) if f"b{l}" in returned]
    nonzero_b = [(l, b) for l, b in bias_vals if np.any(b != 0)]
    if nonzero_b:
        allvals = np.concatenate([b.ravel() for _, b in bias_vals])
        varied = np.unique(allvals[np.isfinite(allvals)]).size > 1
        ex = "; ".join(f"b{l} has {int(np.count_nonzero(b))} nonzero entries "
                       f"(e.g. {_g(float(b.ravel()[np.flatnonzero(b)[0]]))})"
                       for l, b in nonzero_b[:3])
        if varied:
            msg = (f"Your biases are not zero: {ex}. They look drawn at random. In this "
                   "exercise only the weights are random (that alone breaks the symmetry "
                   "between units); the biases start at 0, and drawing them also consumes "
                   "random numbers so every later W_l comes out different. Use "
                   "np.zeros((layers_dims[l], 1)) for b_l.")
            out.append(_diag("random-biases", question, msg))
        else:
            msg = (f"Your biases are not zero: {ex}, every entry the same value. Initialize "
                   "each b_l with np.zeros((layers_dims[l], 1)).")
            out.append(_diag("nonzero-biases", question, msg))

    # ---- weights ----------------------------------------------------------------
    if transposed or bad_w:
        return out or [_values_differ(question, layers_dims, returned, expected)]
    ws = [returned[f"W{i + 1}"] for i in w_ok]
    ids = [i + 1 for i in w_ok]
    if ws:
        if question == "zeros":
            out += _zeros_weights(ws, ids, layers, w_ok)
        else:
            out += _random_weights(question, layers, w_ok, ws, ids, scale_f, extra)
    if not out:
        out.append(_values_differ(question, layers_dims, returned, expected))
    params = extra.get("signature")
    if question == "random" and isinstance(params, (list, tuple)) and len(params) < 2:
        out = [_without_scale_parameter(d) for d in out]
    return out


# ------------------------------------------------------------------------- sub-analyses

def _starts_at_zero_message(question: str, layers_dims: Sequence[int],
                            returned: Mapping[str, np.ndarray], missing: set[str]) -> str:
    layers = _layers(layers_dims)
    dims = [int(d) for d in layers_dims]
    msg = "Your dictionary has a key for layer 0"
    w0 = returned.get("W0")
    if w0 is not None:
        msg += f" (W0 of shape {_shape(w0)})"
    msg += "; layers are numbered from 1: the input layer has no parameters."
    if missing:
        msg += f" Missing: {_list_keys(sorted(missing))}."
    if w0 is not None and w0.shape == (dims[0], dims[-1]):
        msg += (f" W0 has shape (layers_dims[0], layers_dims[-1]) = {_shape(w0)}: with l = 0, "
                "layers_dims[l-1] is layers_dims[-1], the last entry, so the loop ran from 0.")
        if question != "zeros":
            msg += " Every later W_l is then drawn after W0's numbers and differs too."
    elif w0 is not None and layers and w0.shape == layers[0]:
        msg += (f" W0 has the shape expected for W1 {_tup(layers[0])}: the keys are shifted "
                "by one (the loop counts layers from 0 but names them with that count).")
    msg += (" Loop with `for l in range(1, L)` and build the keys as \"W\" + str(l), "
            "\"b\" + str(l).")
    return msg


def _transposed_message(question: str, layers: list[tuple[int, int]],
                        transposed: list[tuple[int, np.ndarray]], scale: float) -> str:
    parts = [f"W{l} has shape {_shape(w)} but should be {_tup(layers[l - 1])}"
             for l, w in transposed]
    msg = ("Your weight matrices are transposed: " + "; ".join(parts) + ". W_l must have shape "
           "(layers_dims[l], layers_dims[l-1]) = (units in layer l, units in layer l-1), so that "
           "Z_l = W_l A_{l-1} + b_l works.")
    if question != "zeros" and len(transposed) == len(layers):
        zs = _draw(_PLANS[0], layers, transpose=True)
        cs = _fit_factors([w for _, w in transposed], zs)
        if cs is not None and _same(np.array(cs), _target_factor(question, layers, scale).values):
            msg += (" Apart from that your values are right (the seed-3 draws with the right "
                    "factor), only drawn in the swapped shape.")
    msg += " Swap the two arguments: np.random.randn(layers_dims[l], layers_dims[l-1])." \
        if question != "zeros" else " Swap the two sizes: np.zeros((layers_dims[l], layers_dims[l-1]))."
    return msg


def _zeros_weights(ws: list[np.ndarray], ids: list[int], layers, w_ok) -> list[Diagnosis]:
    nz = [(l, w) for l, w in zip(ids, ws) if np.any(w != 0)]
    if not nz:
        return []
    vals = np.concatenate([w.ravel() for _, w in nz])
    finite = vals[np.isfinite(vals)]
    if np.unique(finite).size <= 1:
        return []  # a constant, e.g. np.ones: reported as values-differ
    l, w = nz[0]
    msg = (f"Your weights are not zero: W{l} has {int(np.count_nonzero(w))} of {w.size} "
           f"entries nonzero (std {_g(float(np.std(w)))}, largest |w| {_g(float(np.max(np.abs(w))))})"
           f", in {len(nz)} of {len(ws)} weight matrices. ")
    zs = _draw(_PLANS[0], [layers[i] for i in w_ok])
    cs = _fit_factors(ws, zs) if len(nz) == len(ws) else None
    if cs is not None:
        msg += f"They are exactly the seed-3 standard-normal draws times {', '.join(_g(c) for c in cs)}. "
    msg += ("This function is the zero initialization: it is there to show that zero weights "
            "keep every hidden unit identical (symmetry is never broken). Use "
            "np.zeros((layers_dims[l], layers_dims[l-1])) and np.zeros((layers_dims[l], 1)), no "
            "random numbers.")
    return [_diag("random-instead-of-zeros", "zeros", msg)]


def _plan_notes(plan: _Plan) -> str:
    if plan.code is None:
        return ""
    return f" The numbers come from {plan.describe()}."


def _seeding_message(plan: _Plan, layer_ids: list[int], cs: list[float], target: _Cand,
                     scale_ok: bool) -> str:
    if plan.code == "seed-in-loop":
        msg = ("Your W1 holds the right draws, but every later W_l starts over with the same "
               "numbers: each "
               "W_l equals the first entries of the seed-3 stream. np.random.seed(3) is called "
               "inside the loop, so the generator is reset before every layer. Call it once, "
               "before the loop (the template already does), and remove the call in the loop.")
    elif plan.code == "reversed-layer-order":
        msg = ("Your values are the seed-3 draws, but taken in reverse layer order: W"
               f"{len(cs)} got the first numbers and W1 the last. Draw the layers in order "
               "l = 1, 2, ..., L (`for l in range(1, L)`), because each draw continues the "
               "stream where the previous one stopped.")
    elif plan.code == "wrong-seed":
        how = " inside the loop" if plan.reseed else ""
        msg = (f"Your values are exactly the standard-normal draws of seed {plan.seed}{how}, not "
               "of seed 3. Keep `np.random.seed(3)` at the top of the function, as in the "
               "template: the grader compares the seeded values.")
    elif plan.code == "default-rng":
        msg = (f"Your values are exactly the draws of np.random.default_rng({plan.seed}).standard_normal"
               + (" (a new generator for every layer)" if plan.reseed else "")
               + ", the new Generator API, whose numbers differ from the legacy stream. The "
               "specification uses np.random.seed(3) and np.random.randn(layers_dims[l], "
               "layers_dims[l-1]); use those, not a default_rng generator.")
    else:
        msg = f"Your values come from {plan.describe()}."
    if scale_ok:
        msg += " The factor per layer is right, so only the random stream is off."
    else:
        msg += (" The factor is also off: " + _factor_table(layer_ids, cs, target.values) + ".")
    return msg


def _random_weights(question: str, layers: list[tuple[int, int]], w_ok: list[int],
                    ws: list[np.ndarray], ids: list[int], scale: float,
                    extra: Mapping[str, Any]) -> list[Diagnosis]:
    target_full = _target_factor(question, layers, scale)
    cands_full = _candidates(question, layers, scale)
    target = _Cand("target", target_full.label, target_full.values[w_ok])
    cands = [_Cand(c.code, c.label, c.values[w_ok], c.exact_only) for c in cands_full]
    out: list[Diagnosis] = []

    # 1. all zeros
    if all(not np.any(w) for w in ws):
        fn = {"random": "np.random.randn(layers_dims[l], layers_dims[l-1]) * scale",
              "he": "np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2 / layers_dims[l-1])",
              "deep": "np.random.randn(layer_dims[l], layer_dims[l-1]) / np.sqrt(layer_dims[l-1])"}
        return [_diag("zeros-instead-of-random", question,
                      f"All your weight matrices ({', '.join(f'W{l}' for l in ids)}) are zero. "
                      "Zero weights make every unit of a layer compute the same thing and "
                      "receive the same gradient, so the network never breaks the symmetry. "
                      f"This function must draw random weights: W_l = {fn[question]}.")]

    # 2. exact regeneration, one factor per layer
    for plan in _PLANS:
        zs_full = _draw(plan, layers)
        cs = _fit_factors(ws, [zs_full[i] for i in w_ok])
        if cs is None:
            continue
        cs_arr = np.array(cs)
        status, cand, alts = _identify(cs_arr, target, cands)
        if plan.code == "uniform-instead-of-normal":
            msg = ("All your weights are positive: they are exactly "
                   f"{plan.describe()} draws (uniform on [0, 1)) times a factor. The "
                   "initialization needs the standard normal distribution, centred on 0 "
                   "with both signs: use np.random.randn, not np.random.rand.")
            if status == "ok":
                msg += " The factor itself is right."
            else:
                msg += " The factor is also off: " + _factor_table(ids, cs, target.values) + "."
            return [_diag("uniform-instead-of-normal", question, msg)]
        if plan.code is not None:
            msg = _seeding_message(plan, ids, cs, target, status == "ok")
            out.append(_diag(plan.code, question, msg, partial=(status == "ok")))
            if status != "ok":
                out.append(_scale_diag(question, status, cand, alts, ids, cs, target,
                                       "The draws are right up to a factor per layer."))
            return out
        if status == "ok":
            return []  # the weights are right; whatever differs was reported above
        how = ("Your W matrices hold exactly the expected seed-3 standard-normal draws, "
               "but multiplied by a different factor.")
        if plan.bias:
            how = ("Your W matrices hold exactly the seed-3 draws (taking into account the "
                   "numbers your random biases consumed), but multiplied by a different factor.")
        return [_scale_diag(question, status, cand, alts, ids, cs, target, how)]

    # 3. randn ** factor
    for plan in _PLANS:
        if plan.kind != "normal":
            continue
        zs_full = _draw(plan, layers)
        ps = _fit_powers(ws, [zs_full[i] for i in w_ok])
        if ps is None:
            continue
        status, cand, _ = _identify(np.array(ps), target, cands)
        nan = sum(int(np.isnan(w).sum()) for w in ws)
        msg = ("Your weights are the standard-normal draws raised to a power, not multiplied: "
               f"W_l = randn(...) ** p with p = {', '.join(_g(p) for p in ps)} for "
               f"{', '.join(f'W{l}' for l in ids)}.")
        if nan:
            msg += (f" That is why {nan} entries are NaN: a negative number to a fractional "
                    "power is not a real number.")
        if status == "ok":
            msg += " The exponents are exactly the factor you should multiply by."
        elif cand is not None:
            msg += f" (The exponents equal `{cand.label}`.)"
        msg += _plan_notes(plan)
        msg += " Use `*` (multiply), not `**` (power)."
        return [_diag("power-instead-of-multiply", question, msg)]

    allw = np.concatenate([w.ravel() for w in ws])
    nan_count = int(np.isnan(allw).sum())
    finite = allw[np.isfinite(allw)]
    if nan_count:
        frac = nan_count / allw.size
        if 0.2 <= frac <= 0.8 and finite.size and np.all(finite > 0) and allw.size >= 10:
            return [_diag("power-instead-of-multiply", question,
                          f"{nan_count} of your {allw.size} weights are NaN ({frac:.0%}) and all "
                          "the others are positive: the signature of raising the normal draws "
                          "to a fractional power (`randn(...) ** scale`), which gives NaN for "
                          "every negative draw. Use `*` (multiply), not `**` (power).",
                          confidence="medium")]
        return []

    # 4. uniform, any seed (but not |randn|: then values-differ describes it)
    std_draws = _draw(_PLANS[0], layers)
    absolute = _fit_factors(ws, [np.abs(std_draws[i]) for i in w_ok]) is not None
    if (finite.size >= 10 and not absolute and np.all(finite >= 0) and np.any(finite > 0)
            and finite.max() <= 3.0 * finite.mean()):
        return [_diag("uniform-instead-of-normal", question,
                      f"All {finite.size} of your weights are >= 0 (mean {_g(float(finite.mean()))}, "
                      f"max {_g(float(finite.max()))}); standard-normal draws would be negative "
                      "about half of the time. This is what np.random.rand (uniform on [0, 1)) "
                      "gives. Use np.random.randn.", confidence="medium")]

    # 5. seeding evidence and statistics
    repeat = _clean(extra.get("repeat"))
    repeat_differs = False
    if repeat:
        rws = [repeat.get(f"W{l}") for l in ids]
        if all(r is not None and r.shape == w.shape for r, w in zip(rws, ws)):
            repeat_differs = any(not np.array_equal(r, w) for r, w in zip(rws, ws))
    samples = [(ws, target, cands)]
    for call in extra.get("other_calls") or []:
        s = _other_call_sample(question, call, scale)
        if s is not None:
            samples.append(s)
    st = _statistics(samples, ids) if _signs_balanced(samples) else None

    if repeat_differs:
        msg = ("Calling your function twice with the same arguments gave different weights: "
               "the random generator is not seeded inside the function (or is seeded from "
               "something that changes, or uses a fresh np.random.default_rng() without a "
               "seed). Call np.random.seed(3) once at the top of the function, before the loop.")
        ok = bool(st is not None and st.target_inside)
        if ok:
            msg += (f" The spread of your weights fits the expected distribution ({st.n} "
                    "weights), so only the seeding is off.")
        out.append(_diag("not-seeded", question, msg, partial=ok))
    if st is not None and st.named is not None:
        c = st.named
        emp = ", ".join(f"W{l} {_g(s)} (expected {_g(t)})" for l, s, t in st.per_layer)
        msg = (f"Your weights are not the seed-3 draws, so the factor can only be estimated "
               f"from their spread. Over {st.n} weights, the empirical standard deviations "
               f"({emp}) fit `{c.label}` and rule out the expected factor (your variance is "
               f"{_g(st.ratio_target)} times the expected one; chi-square tests at the 0.1% "
               "level). "
               f"{_SCALE_WHY.get(c.code, '')} To fix it, {_SCALE_FIX[question]}.")
        out.append(_diag(c.code, question, msg, confidence="medium"))
    elif not repeat_differs and st is not None and st.target_inside and not st.others_inside:
        msg = ("Your weights have the right spread (over "
               f"{st.n} weights the variance fits the expected factor and rules out the usual "
               "wrong ones), but they are not the seed-3 draws, nor those of seeds "
               f"{', '.join(str(s) for s in (0, 1, 2, 42))} and other common seeds, nor a "
               "default_rng, a seed in the loop or a reversed order. Most likely the seed is "
               "missing, changed, or another random call happens before the weights are "
               "drawn. Keep np.random.seed(3) as the first line and draw only the W_l, in order.")
        out.append(_diag("not-seeded", question, msg, confidence="medium", partial=True))
    return out


def _signs_balanced(samples) -> bool:
    """Sign test: about half the draws of a centred normal are negative (0.1% level)."""
    vals = np.concatenate([w.ravel() for ws, _, _ in samples for w in ws])
    vals = vals[vals != 0]
    n = vals.size
    if n == 0:
        return False
    neg = int(np.count_nonzero(vals < 0))
    return abs(neg - n / 2) <= _Z_TWO_SIDED_1E3 * math.sqrt(n) / 2 + 0.5


def _other_call_sample(question: str, call: Any, scale: float):
    if not isinstance(call, Mapping):
        return None
    try:
        dims = [int(d) for d in call["layers_dims"]]
    except (KeyError, TypeError, ValueError):
        return None
    if len(dims) < 2:
        return None
    ret = _clean(call.get("returned"))
    layers = _layers(dims)
    ws = []
    for i, (n_out, n_in) in enumerate(layers):
        w = ret.get(f"W{i + 1}")
        if w is None or w.shape != (n_out, n_in):
            return None
        ws.append(w)
    s = call.get("scale")
    s = float(s) if s is not None else scale
    return ws, _target_factor(question, layers, s), _candidates(question, layers, s)


def _scale_diag(question: str, status: str, cand: _Cand | None, alts: list[_Cand],
                ids: list[int], cs: Sequence[float], target: _Cand, how: str) -> Diagnosis:
    code = cand.code if (status == "named" and cand is not None) else "wrong-scale-other"
    confidence = "high"  # the draws are exactly proportional: the factor is certainly wrong
    if alts and cand is not None and any(a.code != cand.code for a in alts):
        confidence = "medium"
    return _diag(code, question, _scale_message(question, code, cand, alts, ids, cs, target, how),
                 confidence=confidence)
