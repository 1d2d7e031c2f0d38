"""The weights' values: zeros where random ones were asked (or the reverse), the distribution, the
factor and the seeding, and the fallback that lists what differs."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autograder.diagnose.draws import _PLANS, _draw, _fit_factors, _fit_powers
from autograder.diagnose.factors import _Cand, _candidates, _identify, _target_factor
from autograder.diagnose.findings import Diagnosis, _diag
from autograder.diagnose.notation import _g
from autograder.diagnose.returned import ATOL, RTOL, _clean, _knum
from autograder.diagnose.spread import _other_call_sample, _signs_balanced, _statistics
from autograder.diagnose.wording import (
    _SCALE_FIX,
    _SCALE_WHY,
    _factor_table,
    _plan_notes,
    _scale_message,
    _seeding_message,
)


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


def _scale_diag(question: str, status: str, cand: _Cand | None, alts: list[_Cand],
                ids: list[int], cs: Sequence[float], target: _Cand, how: str) -> Diagnosis:
    code = cand.code if (status == "named" and cand is not None) else "wrong-scale-other"
    confidence = "high"  # the draws are exactly proportional: the factor is certainly wrong
    if alts and cand is not None and any(a.code != cand.code for a in alts):
        confidence = "medium"
    return _diag(code, question, _scale_message(question, code, cand, alts, ids, cs, target, how),
                 confidence=confidence)
