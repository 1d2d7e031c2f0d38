"""The English a student reads for each finding: what was found, the likely mistake, the fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from autograder.diagnose.draws import _PLANS, _draw, _fit_factors, _Plan
from autograder.diagnose.factors import _Cand, _same, _target_factor
from autograder.diagnose.findings import Diagnosis
from autograder.diagnose.notation import _g, _list_keys, _shape, _tup
from autograder.diagnose.returned import _layers

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
