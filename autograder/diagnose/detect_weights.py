"""The weights' values: zeros where random ones were asked (or the reverse), the distribution
(``rand``, ``randn ** factor``), the factor and the seeding.

The order is the evidence's: exact regeneration of the draws first (any plan of
autograder.diagnose.draws, one factor or one exponent per layer), then the signs, then the
statistics of the spread (autograder.diagnose.spread) with a second call as evidence of a
missing seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from autograder.base.order_stats import varies
from autograder.diagnose.draws import PLANS, draw, fit_affine, fit_factors, fit_powers
from autograder.diagnose.factors import Candidate, candidates, identify, target_factor
from autograder.diagnose.findings import Finding
from autograder.diagnose.returned import as_arrays
from autograder.diagnose.spread import other_call_sample, signs_balanced, statistics


def zeros_weights(ws: list[np.ndarray], ids: list[int], layers, w_ok) -> list[Finding]:
    """Random weights where zeros were asked; a constant (``np.ones``) is left to values-differ."""
    nz = [(l, w) for l, w in zip(ids, ws) if np.any(w != 0)]
    if not nz:
        return []
    vals = np.concatenate([w.ravel() for _, w in nz])
    finite = vals[np.isfinite(vals)]
    if not varies(finite):  # np.unique(finite).size <= 1, without numpy.ma
        return []
    l, w = nz[0]
    zs = draw(PLANS[0], [layers[i] for i in w_ok])
    cs = fit_factors(ws, zs) if len(nz) == len(ws) else None
    return [Finding("random-instead-of-zeros", "zeros", "random-instead-of-zeros", {
        "layer": l, "nonzero": int(np.count_nonzero(w)), "size": int(w.size), "std": float(np.std(w)),
        "largest": float(np.max(np.abs(w))), "matrices_nonzero": len(nz), "matrices": len(ws), "factors": cs})]


def random_weights(question: str, layers: list[tuple[int, int]], w_ok: list[int],
                   ws: list[np.ndarray], ids: list[int], scale: float,
                   extra: Mapping[str, Any]) -> list[Finding]:
    """What is wrong with the weights of a random initialization ([] when nothing is)."""
    target_full = target_factor(question, layers, scale)
    cands_full = candidates(question, layers, scale)
    target = Candidate("target", target_full.label, target_full.values[w_ok])
    cands = [Candidate(c.code, c.label, c.values[w_ok], c.exact_only) for c in cands_full]

    # 1. draws multiplied by a factor that is 0 (`np.sqrt(2 // n)`: integer division): the zeros of
    # negative draws keep their sign, -0.0, which np.zeros never gives
    zeroed = [(l, w) for l, w in zip(ids, ws) if w.size and not np.any(w)]
    if zeroed and any(np.any(np.signbit(w)) for _, w in zeroed):
        return [Finding("zero-factor", question, "zero-factor", {
            "layers": [l for l, _ in zeroed], "fan_in": [layers[l - 1][1] for l, _ in zeroed],
            "all": len(zeroed) == len(ws)})]

    # 1b. all zeros
    if all(not np.any(w) for w in ws):
        return [Finding("zeros-instead-of-random", question, "zeros-instead-of-random", {"layers": ids})]

    # 2. exact regeneration, one factor per layer
    for plan in PLANS:
        zs_full = draw(plan, layers)
        cs = fit_factors(ws, [zs_full[i] for i in w_ok])
        if cs is None:
            continue
        status, cand, alts = identify(np.array(cs), target, cands)
        factors = {"layers": ids, "found": cs, "expected": list(target.values)}
        if plan.code == "uniform-instead-of-normal":
            return [Finding(plan.code, question, "uniform-exact", dict(factors, plan=plan, factor_ok=status == "ok"))]
        if plan.code is not None:
            out = [Finding(plan.code, question, "seeding", dict(factors, plan=plan, factor_ok=status == "ok"),
                           partial=status == "ok")]
            if status != "ok":
                out.append(_scale_finding(question, status, cand, alts, factors, "up-to-factor"))
            return out
        if status == "ok":
            return []  # the weights are right; whatever differs is in the structure findings
        return [_scale_finding(question, status, cand, alts, factors, "after-biases" if plan.bias else "seed-3")]

    # 2b. the draws of a plan (the seed-3 stream first, then another seed...) times a factor plus an
    # offset (randn(...) * 10 + 10, or a constant added after a wrong seed)
    for plan in PLANS:
        if plan.kind != "normal":
            continue
        affine = fit_affine(ws, [d for i, d in enumerate(draw(plan, layers)) if i in w_ok])
        if affine is None:
            continue
        status, cand, _ = identify(np.array([a for a, _ in affine]), target, cands)
        out = [Finding("weights-offset", question, "offset-exact", {
            "layers": ids, "factors": [a for a, _ in affine], "offsets": [b for _, b in affine],
            "expected": list(target.values), "factor_ok": status == "ok",
            "label": cand.label if cand is not None else None, "plan": plan})]
        if plan.code is not None:  # the stream is off too: told, never as "only the seeding"
            out.append(Finding(plan.code, question, "seeding", {
                "layers": ids, "found": [a for a, _ in affine], "expected": list(target.values), "plan": plan,
                "factor_ok": True, "beside_offset": True}))
        return out


    # 3. randn ** factor
    for plan in PLANS:
        if plan.kind != "normal":
            continue
        zs_full = draw(plan, layers)
        ps = fit_powers(ws, [zs_full[i] for i in w_ok])
        if ps is None:
            continue
        status, cand, _ = identify(np.array(ps), target, cands)
        return [Finding("power-instead-of-multiply", question, "power-exact", {
            "exponents": ps, "layers": ids, "nan": sum(int(np.isnan(w).sum()) for w in ws),
            "factor_ok": status == "ok", "equals": cand.label if cand is not None else None, "plan": plan})]

    allw = np.concatenate([w.ravel() for w in ws])
    nan_count = int(np.isnan(allw).sum())
    finite = allw[np.isfinite(allw)]
    if nan_count:
        frac = nan_count / allw.size
        if 0.2 <= frac <= 0.8 and finite.size and np.all(finite > 0) and allw.size >= 10:
            return [Finding("power-instead-of-multiply", question, "power-nan",
                            {"nan": nan_count, "size": int(allw.size), "fraction": frac}, confidence="medium")]
        return []

    # 4. uniform, any seed (but not |randn|: then values-differ describes it; nor values bunched far
    # from 0, a constant added to small draws: uniform draws on [0, a) reach down near 0)
    std_draws = draw(PLANS[0], layers)
    absolute = fit_factors(ws, [np.abs(std_draws[i]) for i in w_ok]) is not None
    if (finite.size >= 10 and not absolute and np.all(finite >= 0) and np.any(finite > 0)
            and finite.max() <= 3.0 * finite.mean() and finite.min() <= 0.25 * finite.max()):
        found = [Finding("uniform-instead-of-normal", question, "uniform-spread", {
            "count": int(finite.size), "mean": float(finite.mean()), "largest": float(finite.max())},
            confidence="medium")]
        return found + _differs_when_repeated(question, ws, ids, extra)

    # 5. no plan regenerates them, but every layer of every call is shifted by the same constant: an
    # offset on unseeded (or otherwise drawn) weights, np.random.randn(...) * 0.01 + 0.5 with no seed
    shifted = _offset_spread(question, ws, ids, target, scale, extra)
    if shifted:
        return shifted

    # 6. seeding evidence and statistics
    return _seeding_and_spread(question, ws, ids, target, cands, scale, extra)


# The weights' pooled mean counts as shifted when it is this many standard errors from 0 (a false
# alarm on centred draws: about 1 in 10^9) and every layer is shifted alike.
_OFFSET_Z = 6.0


def _offset_spread(question: str, ws: list[np.ndarray], ids: list[int], target: Candidate, scale: float,
                   extra: Mapping[str, Any]) -> list[Finding]:
    """Weights centred on one nonzero constant in every layer of every call (the other calls of the
    check pooled in: a small offset needs many weights to be told from chance), with both signs
    around it: a constant added to the draws. The seeding is judged on a second call (different
    values: no seed), never as "only the seeding is off"."""
    samples = [(ws, target)]
    for call in extra.get("other_calls") or []:
        other = other_call_sample(question, call, scale)
        if other is not None:
            samples.append((other[0], other[1]))
    layers = [w for sample, _ in samples for w in sample]
    expected = [float(s) for _, tg in samples for s in tg.values]
    if sum(w.size for w in layers) < 10 or any(w.size < 3 or not np.all(np.isfinite(w)) for w in layers):
        return []
    means = np.array([float(np.mean(w)) for w in layers])
    # Each layer's variance is never taken below the expected one: a small layer's sample variance
    # can come out tiny by chance and would make its mean look significant (fewer alarms, not more).
    variances = np.array([max(float(np.var(w, ddof=1)), s * s, 1e-300) / w.size for w, s in zip(layers, expected)])
    weights = 1.0 / variances
    offset = float(np.sum(weights * means) / np.sum(weights))  # inverse-variance pooled mean
    error = float(1.0 / np.sqrt(np.sum(weights)))
    if abs(offset) <= _OFFSET_Z * error or abs(offset) < 1e-12:
        return []
    if not np.all(np.abs(means - offset) <= 0.2 * abs(offset) + 4.0 * np.sqrt(variances)):
        return []  # the layers are shifted by different amounts: not one added constant
    z = np.concatenate([((w - m) / max(float(np.std(w)), 1e-300)).ravel() for w, m in zip(layers, means)])
    one_signed = all(np.all(w >= 0) for w in layers) or all(np.all(w <= 0) for w in layers)
    if one_signed and (abs(float(np.mean(z ** 3))) > 0.5 or float(np.mean(z ** 4)) - 3.0 < -0.8):
        return []  # skewed like |randn| or flat like rand: not normal draws shifted
    out = [Finding("weights-offset", question, "offset-spread", {
        "layers": ids, "means": [float(np.mean(w)) for w in ws], "stds": [float(np.std(w, ddof=1)) for w in ws],
        "offset": offset, "error": error, "expected": list(target.values), "shapes": [tuple(w.shape) for w in ws],
        "n": int(sum(w.size for w in layers))}, confidence="medium")]
    return out + _differs_when_repeated(question, ws, ids, extra)


def _differs_when_repeated(question: str, ws: list[np.ndarray], ids: list[int],
                           extra: Mapping[str, Any]) -> list[Finding]:
    """The missing seed beside another mistake of the distribution: a second call differs."""
    repeat = as_arrays(extra.get("repeat"))
    found = [repeat.get(f"W{l}") for l in ids] if repeat else []
    again = [r for r in found if r is not None]
    if again and len(again) == len(found) and all(r.shape == w.shape for r, w in zip(again, ws)) and \
            any(not np.array_equal(r, w) for r, w in zip(again, ws)):
        return [Finding("not-seeded", question, "not-seeded-repeat", {"spread_ok": False, "n": 0})]
    return []


def _seeding_and_spread(question: str, ws: list[np.ndarray], ids: list[int], target: Candidate,
                        cands: list[Candidate], scale: float, extra: Mapping[str, Any]) -> list[Finding]:
    repeat = as_arrays(extra.get("repeat"))
    repeat_differs = False
    if repeat:
        pairs = list(zip([repeat.get(f"W{l}") for l in ids], ws))
        comparable = [(r, w) for r, w in pairs if r is not None and r.shape == w.shape]
        if len(comparable) == len(pairs):
            repeat_differs = any(not np.array_equal(r, w) for r, w in comparable)
    samples = [(ws, target, cands)]
    for call in extra.get("other_calls") or []:
        s = other_call_sample(question, call, scale)
        if s is not None:
            samples.append(s)
    st = statistics(samples, ids) if signs_balanced(samples) else None

    out = []
    if repeat_differs:
        ok, n = (True, st.n) if st is not None and st.target_inside else (False, 0)
        out.append(Finding("not-seeded", question, "not-seeded-repeat", {"spread_ok": ok, "n": n}, partial=ok))
    if st is not None and st.named is not None:
        c = st.named
        out.append(Finding(c.code, question, "scale-spread", {
            "label": c.label, "n": st.n, "per_layer": st.per_layer, "ratio": st.ratio_target,
            "shapes": [tuple(w.shape) for w in ws]}, confidence="medium"))
    elif not repeat_differs and st is not None and st.target_inside and not st.others_inside:
        out.append(Finding("not-seeded", question, "not-seeded-spread", {"n": st.n}, confidence="medium",
                           partial=True))
    return out


def _scale_finding(question: str, status: str, cand: Candidate | None, alts: list[Candidate],
                   factors: dict, draws: str) -> Finding:
    """Right draws, wrong factor: which one (``draws`` says which draws were found)."""
    code = cand.code if (status == "named" and cand is not None) else "wrong-scale-other"
    confidence = "high"  # the draws are exactly proportional: the factor is certainly wrong
    if alts and cand is not None and any(a.code != cand.code for a in alts):
        confidence = "medium"
    return Finding(code, question, "scale-exact", dict(
        factors, draws=draws, label=cand.label if cand is not None else None, also=[a.label for a in alts]),
        confidence=confidence)



def transposed_weights(question: str, layers: list[tuple[int, int]], returned: Mapping[str, np.ndarray],
                       scale: float, extra: Mapping[str, Any]) -> list[Finding]:
    """What else is wrong with weights drawn in the transposed shape (``randn(n_{l-1}, n_l)``): the
    factor, from the seed-3 draws in that shape (a fan-out factor often travels with the swap), else
    the seeding and the spread of the weights turned back."""
    ws = [returned.get(f"W{l}") for l in range(1, len(layers) + 1)]
    if any(w is None or w.shape != (n_in, n_out) for w, (n_out, n_in) in zip(ws, layers)):
        return []
    ids = list(range(1, len(layers) + 1))
    cs = fit_factors([w for w in ws if w is not None], draw(PLANS[0], layers, transpose=True))
    if cs is not None:
        target = target_factor(question, layers, scale)
        status, cand, alts = identify(np.array(cs), target, candidates(question, layers, scale))
        if status == "ok":
            return []
        return [_scale_finding(question, status, cand, alts, {"layers": ids, "found": cs,
                                                              "expected": list(target.values)}, "transposed")]

    def back(d):
        arrays = as_arrays(d)
        return {k: (v.T if k.startswith("W") and v.ndim == 2 else v) for k, v in arrays.items()}

    turned = dict(extra)
    if extra.get("repeat") is not None:
        turned["repeat"] = back(extra["repeat"])
    turned["other_calls"] = [dict(c, returned=back(c.get("returned"))) for c in extra.get("other_calls") or []
                             if isinstance(c, Mapping)]
    found = random_weights(question, layers, list(range(len(layers))), [w.T for w in ws if w is not None], ids,
                           scale, turned)
    # beside the transposition: "only the seeding is off" would be a false claim
    return [Finding(f.code, f.question, f.kind, dict(f.facts, beside_shape=True), f.confidence, f.partial)
            for f in found if f.kind in ("scale-spread", "not-seeded-repeat", "not-seeded-spread")]
