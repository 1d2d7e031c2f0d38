"""The English a student reads for each finding: what was found, the likely mistake, the fix.

:func:`describe` turns a :class:`~autograder.diagnose.findings.Finding` (numbers only) into
its message, one writer per kind of finding. Function names come from grading.yaml
(``functions``: question -> function); in a text, ``{he}`` stands for question he's function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from autograder.base.close import allclose
from autograder.diagnose.draws import Plan
from autograder.diagnose.findings import Finding
from autograder.diagnose.notation import key_list, num, shape_text

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
                         "`{deep}` uses), not He's sqrt(2/n_{l-1}).",
    "wrong-scale-he": "This is He's factor sqrt(2/n_{l-1}) (what `{he}` "
                      "uses), not 1/sqrt(n_{l-1}).",
    "wrong-scale-glorot": "This is the Glorot factor sqrt(2/(n_{l-1}+n_l)), which averages fan-in "
                          "and fan-out; this exercise uses the fan-in only.",
    "wrong-scale-fan-out": "The factor uses n_l = layers_dims[l], the current layer's size "
                           "(fan-out), where it should use n_{l-1} = layers_dims[l-1], the "
                           "number of inputs of each unit (fan-in).",
    "wrong-scale-missing-sqrt": "The factor is the variance, not the standard deviation: the "
                                "square root is missing.",
    "wrong-scale-sqrt-part": "The square root covers only the 2: the division by n_{l-1} must be inside "
                             "it, `np.sqrt(2 / layers_dims[l-1])`.",
    "wrong-scale-inverted": "The factor is the reciprocal of the expected one: the draw was "
                            "divided where it should be multiplied, or multiplied where it "
                            "should be divided.",
}

# When the random question's function has no `scale` parameter at all, the advice above
# would contradict itself ("multiply by the scale argument" it does not have).
_NO_SCALE_WHY = ("Your function has no `scale` parameter, so it always uses this fixed number "
                 "whatever scale the caller asks for.")
_NO_SCALE_FIX = ("add the parameter to the signature, `def {random}(layers_dims, "
                 "scale=0.01):`, then multiply the standard-normal draw by it: "
                 "`np.random.randn(layers_dims[l], layers_dims[l-1]) * scale`")

# The draw a random question's W_l needs, for a student who returned zeros.
_DRAW = {"random": "np.random.randn(layers_dims[l], layers_dims[l-1]) * scale",
         "he": "np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2 / layers_dims[l-1])",
         "deep": "np.random.randn(layer_dims[l], layer_dims[l-1]) / np.sqrt(layer_dims[l-1])"}

# The opening sentence of a wrong factor found from exact draws, by which draws were found.
_DRAWS_FOUND = {
    "seed-3": ("Your W matrices hold exactly the expected seed-3 standard-normal draws, "
               "but multiplied by a different factor."),
    "after-biases": ("Your W matrices hold exactly the seed-3 draws (taking into account the "
                     "numbers your random biases consumed), but multiplied by a different factor."),
    "up-to-factor": "The draws are right up to a factor per layer.",
    "transposed": ("Drawn in the transposed shape, your W matrices hold exactly the seed-3 standard-normal "
                   "draws, but multiplied by a different factor."),
}


class _Words:
    """What a message may name besides its finding: the functions (grading.yaml) and whether the
    random question's function has a `scale` parameter."""

    def __init__(self, functions: Mapping[str, str], scale_parameter: bool, dims_name: str = "layers_dims"):
        self.functions = functions
        self.scale_parameter = scale_parameter
        self.dims = dims_name  # the student's name for the layer list (the first parameter)

    def named(self, text: str) -> str:
        """``{he}`` -> question he's function; other braces (``n_{l-1}``) stay."""
        return re.sub(r"\{(\w+)\}", lambda m: self.functions.get(m[1], m[0]), text)

    def why(self, code: str) -> str:
        if code == "random-scale-ignored" and not self.scale_parameter:
            return _NO_SCALE_WHY
        return self.named(_SCALE_WHY.get(code, ""))

    def fix(self, question: str) -> str:
        if question == "random" and not self.scale_parameter:
            return self.named(_NO_SCALE_FIX)
        return _SCALE_FIX[question]


def describe(finding: Finding, functions: Mapping[str, str], *, scale_parameter: bool = True,
             dims_name: str = "layers_dims") -> str:
    """The message for ``finding``. ``scale_parameter``: False when the random question's function
    takes no `scale` (the advice then adds the parameter instead of using it); ``dims_name``: the
    student's name for the layer list, for the index expressions a message quotes."""
    facts = dict(finding.facts, code=finding.code)
    return _WRITERS[finding.kind](facts, finding.question, _Words(functions, scale_parameter, dims_name))


def wrong_default(function: str, parameter: str, used: float | None, default: object) -> str:
    """A function right whenever ``parameter`` is passed and wrong without it: its default."""
    found = f" without it, your weights come out as with {parameter}={num(used)}" if used is not None else (
        " without it, your values differ")
    return (f"Your function gives the right weights whenever the call passes `{parameter}`, but{found}: the "
            f"default value in your `def` line is not the assignment's. Write `{parameter}={default!r}` in "
            f"`def {function}(...)`: the notebook's first experiment calls it without `{parameter}`.")


def stream(plan: Plan) -> str:
    """The random stream of a plan, as the student would have called it."""
    if plan.source == "legacy":
        base = f"np.random.seed({plan.seed}) then np.random.{'randn' if plan.kind == 'normal' else 'rand'}"
    else:
        fn = "standard_normal" if plan.kind == "normal" else "random"
        base = f"np.random.default_rng({plan.seed}).{fn}"
    extra = []
    if plan.reseed:
        extra.append("re-seeded before every layer")
    if plan.order == "reversed":
        extra.append("layers drawn from L down to 1")
    if plan.bias:
        extra.append(f"a bias vector drawn {plan.bias} each W")
    return base + (" (" + ", ".join(extra) + ")" if extra else "")


def _factor_table(layers_idx: list[int], found: Sequence[float], expected: Sequence[float]) -> str:
    parts = [f"W{l}: x{num(f)} (expected x{num(e)})" for l, f, e in zip(layers_idx, found, expected)]
    return "; ".join(parts)


# --- keys, shapes, biases

def _starts_at_zero(f: dict, question: str, words: _Words) -> str:
    msg = "Your dictionary has a key for layer 0"
    if f["w0_shape"] is not None:
        msg += f" (W0 of shape {shape_text(f['w0_shape'])})"
    msg += "; layers are numbered from 1: the input layer has no parameters."
    if f["missing"]:
        msg += f" Missing: {key_list(f['missing'])}."
    if f["pattern"] == "wraps-around":
        msg += (f" W0 has shape (layers_dims[0], layers_dims[-1]) = {shape_text(f['w0_shape'])}: with l = 0, "
                "layers_dims[l-1] is layers_dims[-1], the last entry, so the loop ran from 0.")
        if question != "zeros":
            msg += " Every later W_l is then drawn after W0's numbers and differs too."
    elif f["pattern"] == "shifted":
        msg += (f" W0 has the shape expected for W1 {shape_text(f['first_layer'])}: the keys are shifted "
                "by one (the loop counts layers from 0 but names them with that count).")
    msg += (" Loop with `for l in range(1, L)` and build the keys as \"W\" + str(l), "
            "\"b\" + str(l).")
    return msg


def _stops_early(f: dict, question: str, words: _Words) -> str:
    L = f["layers"]
    msg = (f"Your dictionary has no {key_list(f['missing'])}: layers_dims = "
           f"{f['layers_dims']} describes a network with {L} layers of parameters, so "
           f"W1..W{L} and b1..b{L} are expected, but your loop stopped after layer "
           f"{f['last_drawn']}.")
    early = (" With `L = len(layers_dims)` (input layer included), the loop is `for l in range(1, L)`: range "
             "already excludes its end, so `range(1, L - 1)` skips the output layer.")
    returned = (" a `return parameters` indented inside the loop returns after the first layer: put it after "
                "the loop, level with `for`.")
    if f["last_drawn"] == 1 and L >= 3:
        return msg + " Only layer 1 is there, whatever the number of layers: most likely" + returned
    if f["last_drawn"] == 1:
        return msg + early + " Or, if your loop is right:" + returned
    return msg + early


def _wrong_keys(f: dict, question: str, words: _Words) -> str:
    msg = "Your dictionary is empty." if f["empty"] else "Your dictionary's keys are not the expected ones."
    if f["missing"]:
        msg += f" Missing: {key_list(f['missing'])}."
    if f["surplus"]:
        msg += f" Unexpected: {', '.join(f['surplus'])}."
    if f["case_differs"]:
        msg += " Keys are case-sensitive: weights are \"W1\", \"W2\", ... (capital W)."
    msg += (f" Build them as \"W\" + str(l) and \"b\" + str(l) for l = 1..{f['layers']}; the "
            "model looks parameters up by these exact names.")
    return msg


def _bias_in_weight_key(f: dict, question: str, words: _Words) -> str:
    return (f"Your dictionary has no {key_list(f['missing'])}, and W1 has shape {shape_text(f['first_shape'])}, "
            "the shape of b1: the line that makes the biases stores them under the weights' key "
            "(`parameters['W' + str(l)] = np.zeros(...)`), so each bias overwrites the weights drawn just before "
            "it. Name the bias key with a b: `parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))`.")


_OFF_WORDS = {1: "one too high", -1: "one too low"}


def _key_offset(f: dict, question: str, words: _Words) -> str:
    p, k = f["prefix"], f["offset"]
    kind = {"W": "weight", "b": "bias", "Wb": "weight and bias"}[p]
    off = _OFF_WORDS.get(k, f"{abs(k)} too {'high' if k > 0 else 'low'}")
    msg = (f"Your {kind} keys are numbered {off}: your dictionary has {key_list(f['found'])} where "
           f"{key_list(f['expected'])} are expected")
    if f["holds_layer"]:
        msg += (f", and each holds the {kind} of the layer its number misses ({f['found'][0]} has layer 1's "
                "shape)")
    sign = "+" if k > 0 else "-"
    built = " and ".join(f"`'{x}' + str(l {sign} {abs(k)})`" for x in p)
    right = " and ".join(f"`'{x}' + str(l)`" for x in p)
    msg += (f". The key is built as {built}; layer l's {kind} key is {right}, the same l as the sizes "
            "you use.")
    return msg


def _index_words(index: str, d: str, dims: list[int]) -> str:
    return {"1": f"`{d}[1]` (the digit 1: always layer 1's size, {dims[1]} here)",
            "0": f"`{d}[0]` (always the input size, {dims[0]} here)",
            "l-1": f"`{d}[l-1]` (the previous layer's size)",
            "l": f"`{d}[l]` (the letter l: layer l's own size)",
            "l+1": f"`{d}[l+1]` (the next layer's size)",
            "-1": f"`{d}[-1]` (always the output size, {dims[-1]} here)"}[index]


def _index_typo(f: dict, question: str, words: _Words) -> str:
    d = words.dims
    parts = []
    for p, part, used, want in f["slots"]:
        what = f"the {part} of every W_l" if p == "W" else "the rows of every b_l"
        parts.append(f"{what} come from {_index_words(used, d, f['dims'])} where they should come from "
                     f"{_index_words(want, d, f['dims'])}")
    shown = "; ".join(f"{p}{l} has shape {shape_text(got)}, expected {shape_text(want)}"
                      for p, l, got, want in f["pairs"][:4])
    msg = "In your shapes, " + "; ".join(parts) + f" ({shown})."
    msg += " Use " + " and ".join(dict.fromkeys(f"`{d}[{want}]`" for _, _, _, want in f["slots"])) + " there."
    if any(used == "1" for _, _, used, _ in f["slots"]):
        msg += " In many fonts the digit 1 and the letter l look alike: check the index."
    return msg


def _star_args(f: dict, question: str, words: _Words) -> str:
    call = f"{words.functions.get(question, question)}({f['layers_dims']})"
    return (f"Your function is defined as `{f['def_line']}`: the star collects all the arguments into a "
            f"tuple, so the call {call} sees its layer list as a tuple holding one list, of length 1. "
            "`L = len(...)` is then 1, the loop `for l in range(1, L)` never runs, and the dictionary "
            f"comes back empty. Take the list itself: `{f['expected']}`, without the star.")


def _transposed(f: dict, question: str, words: _Words) -> str:
    parts = [f"W{l} has shape {shape_text(got)} but should be {shape_text(want)}" for l, got, want in f["pairs"]]
    msg = ("Your weight matrices are transposed: " + "; ".join(parts) + ". W_l must have shape "
           "(layers_dims[l], layers_dims[l-1]) = (units in layer l, units in layer l-1), so that "
           "Z_l = W_l A_{l-1} + b_l works.")
    if f["right_values"]:
        msg += (" Apart from that your values are right (the seed-3 draws with the right "
                "factor), only drawn in the swapped shape.")
    msg += " Swap the two arguments: np.random.randn(layers_dims[l], layers_dims[l-1])." \
        if question != "zeros" else " Swap the two sizes: np.zeros((layers_dims[l], layers_dims[l-1]))."
    return msg


def _wrong_shapes(f: dict, question: str, words: _Words) -> str:
    parts = [f"W{l} has shape {shape_text(got)}, expected {shape_text(want)}" for l, got, want in f["pairs"]]
    msg = ("Some weight matrices have the wrong shape: " + "; ".join(parts)
           + ". W_l must have shape (layers_dims[l], layers_dims[l-1]): one row "
           "per unit of layer l, one column per unit of the previous layer.")
    other = f.get("other_list")
    if other:
        msg += (f" Your shapes are those of the layer list {other}, whatever list the function is given: it reads "
                f"another list than its parameter `{words.dims}`, most likely a list defined outside the function "
                f"(the notebook's own). Use the parameter `{words.dims}` everywhere inside the "
                "function.")
    return msg


def _bias_shape(f: dict, question: str, words: _Words) -> str:
    parts = [f"b{l} has shape {shape_text(got)}, expected ({n}, 1)" for l, got, n in f["pairs"]]
    msg = "Some bias vectors have the wrong shape: " + "; ".join(parts) + "."
    if f["one_dimensional"]:
        msg += (" np.zeros(n) makes a 1-D array of shape (n,): in Z = W A + b numpy lines it "
                "up with the last axis (the examples), so the sum fails or adds the wrong "
                "numbers.")
    msg += " Use np.zeros((layers_dims[l], 1)): note the double parentheses, one column."
    return msg


def _bias_examples(f: dict) -> str:
    return "; ".join(f"b{l} has {count} nonzero entries (e.g. {num(first)})" for l, count, first in f["examples"])


def _random_biases(f: dict, question: str, words: _Words) -> str:
    return (f"Your biases are not zero: {_bias_examples(f)}. They look drawn at random. In this "
            "exercise only the weights are random (that alone breaks the symmetry "
            "between units); the biases start at 0, and drawing them also consumes "
            "random numbers so every later W_l comes out different. Use "
            "np.zeros((layers_dims[l], 1)) for b_l.")


def _nonzero_biases(f: dict, question: str, words: _Words) -> str:
    return (f"Your biases are not zero: {_bias_examples(f)}, every entry the same value. Initialize "
            "each b_l with np.zeros((layers_dims[l], 1)).")


# --- zeros against random

def _random_instead_of_zeros(f: dict, question: str, words: _Words) -> str:
    msg = (f"Your weights are not zero: W{f['layer']} has {f['nonzero']} of {f['size']} "
           f"entries nonzero (std {num(f['std'])}, largest |w| {num(f['largest'])})"
           f", in {f['matrices_nonzero']} of {f['matrices']} weight matrices. ")
    if f["factors"] is not None:
        msg += f"They are exactly the seed-3 standard-normal draws times {', '.join(num(c) for c in f['factors'])}. "
    msg += ("This function is the zero initialization: it is there to show that zero weights "
            "keep every hidden unit identical (symmetry is never broken). Use "
            "np.zeros((layers_dims[l], layers_dims[l-1])) and np.zeros((layers_dims[l], 1)), no "
            "random numbers.")
    return msg


def _zeros_instead_of_random(f: dict, question: str, words: _Words) -> str:
    return (f"All your weight matrices ({', '.join(f'W{l}' for l in f['layers'])}) are zero. "
            "Zero weights make every unit of a layer compute the same thing and "
            "receive the same gradient, so the network never breaks the symmetry. "
            f"This function must draw random weights: W_l = {_DRAW[question]}.")


# --- distribution, factor, seeding

def _zero_factor(f: dict, question: str, words: _Words) -> str:
    which = ", ".join(f"W{l}" for l in f["layers"])
    fans = ", ".join(str(n) for n in f["fan_in"])
    return (f"{which} {'is' if len(f['layers']) == 1 else 'are'} all zeros, and some of those zeros are -0.0: your "
            "random draws were multiplied by a factor that is 0 (np.zeros never gives -0.0). "
            f"For fan-ins of {fans}, a factor written with `//` is 0: `//` is integer division, and `2 // 10` is 0. "
            f"Use `/`: to fix it, {words.fix(question)}.")


def _uniform_exact(f: dict, question: str, words: _Words) -> str:
    msg = ("All your weights are positive: they are exactly "
           f"{stream(f['plan'])} draws (uniform on [0, 1)) times a factor. The "
           "initialization needs the standard normal distribution, centred on 0 "
           "with both signs: use np.random.randn, not np.random.rand.")
    if f["factor_ok"]:
        msg += " The factor itself is right."
    else:
        msg += " The factor is also off: " + _factor_table(f["layers"], f["found"], f["expected"]) + "."
    return msg


def _uniform_spread(f: dict, question: str, words: _Words) -> str:
    return (f"All {f['count']} of your weights are >= 0 (mean {num(f['mean'])}, "
            f"max {num(f['largest'])}); standard-normal draws would be negative "
            "about half of the time. This is what np.random.rand (uniform on [0, 1)) "
            "gives. Use np.random.randn.")


def _power_exact(f: dict, question: str, words: _Words) -> str:
    msg = ("Your weights are the standard-normal draws raised to a power, not multiplied: "
           f"W_l = randn(...) ** p with p = {', '.join(num(p) for p in f['exponents'])} for "
           f"{', '.join(f'W{l}' for l in f['layers'])}.")
    if f["nan"]:
        msg += (f" That is why {f['nan']} entries are NaN: a negative number to a fractional "
                "power is not a real number.")
    if f["factor_ok"]:
        msg += " The exponents are exactly the factor you should multiply by."
    elif f["equals"] is not None:
        msg += f" (The exponents equal `{f['equals']}`.)"
    if f["plan"].code is not None:
        msg += f" The numbers come from {stream(f['plan'])}."
    msg += " Use `*` (multiply), not `**` (power)."
    return msg


def _offset_exact(f: dict, question: str, words: _Words) -> str:
    offsets = f["offsets"]
    same = allclose(offsets, offsets[0], rtol=1e-6)
    off = offsets[0]
    term = f"`{'+' if off > 0 else '-'} {num(abs(off))}`"
    plan = f.get("plan")
    drawn = "seed-3 standard-normal draws" if plan is None or plan.code is None else f"draws of {stream(plan)}"
    msg = (f"Your weights are the {drawn} times a factor plus a constant: "
           + "; ".join(f"W{l} = randn(...) * {num(a)} {'+' if b > 0 else '-'} {num(abs(b))}"
                       for l, a, b in zip(f["layers"], f["factors"], offsets)) + ". ")
    msg += (f"The {term} " if same else "The added constant ")
    msg += ("moves every weight away from 0: initial weights must be centred on 0, with both signs "
            "equally likely, so that units start different but unbiased. Remove the added term.")
    if f["factor_ok"]:
        msg += " The factor itself is right."
    else:
        label = f" (`{f['label']}`)" if f["label"] else ""
        if allclose(f["factors"], f["factors"][0], rtol=1e-6):
            plain = f"* {num(f['factors'][0])}"
            msg += f" The factor is also off: `{plain}`{label if f['label'] != plain else ''} for every layer"
        else:
            msg += " The factor is also off" + label
        msg += f"; to fix it, {words.fix(question)}."
    return msg


def _shortest(x: float, error: float) -> str:
    """``x`` with the fewest significant digits that stay within two standard errors of it (the
    constant a student typed, 0.5, rather than the estimate 0.5007)."""
    for digits in range(1, 5):
        text = f"{x:.{digits}g}"
        if abs(float(text) - x) <= 2 * error:
            return text
    return num(x)


def _offset_spread(f: dict, question: str, words: _Words) -> str:
    off = f["offset"]
    value = _shortest(abs(off), f["error"])
    term = f"`{'+' if off > 0 else '-'} {value}`"
    spread = ", ".join(f"W{l} of shape {shape_text(sh)} {num(s)} (expected {num(t)})"
                       for l, sh, s, t in zip(f["layers"], f["shapes"], f["stds"], f["expected"]))
    msg = (f"Your weights are centred on about {'-' if off < 0 else ''}{value}, not on 0: over the {f['n']} weights of "
           f"the calls checked their mean is {num(off)}, more than 6 standard errors ({num(f['error'])}) from 0, and "
           f"every layer is shifted alike. So a constant, {term}, is added to the draws. Initial weights must be "
           "centred on 0, with both signs equally likely, so that units start different but unbiased. Remove "
           f"the added term. Their standard deviations: {spread}.")
    fits = [abs(s / t - 1) <= 0.25 for s, t in zip(f["stds"], f["expected"]) if t > 0]
    if fits and not all(fits):
        msg += f" The spread does not fit the expected factor either; to fix it, {words.fix(question)}."
    return msg


def _power_nan(f: dict, question: str, words: _Words) -> str:
    return (f"{f['nan']} of your {f['size']} weights are NaN ({f['fraction']:.0%}) and all "
            "the others are positive: the signature of raising the normal draws "
            "to a fractional power (`randn(...) ** scale`), which gives NaN for "
            "every negative draw. Use `*` (multiply), not `**` (power).")


def _scale_exact(f: dict, question: str, words: _Words) -> str:
    found, expected = f["found"], f["expected"]
    msg = f"{_DRAWS_FOUND[f['draws']]} Per layer: {_factor_table(f['layers'], found, expected)}. "
    if f["label"] is not None and f["code"] == "wrong-scale-1":
        msg += f"{words.why(f['code'])} "  # every factor 1: there is no expression to quote
    elif f["label"] is not None:
        msg += f"These factors are exactly `{f['label']}`. {words.why(f['code'])} "
        if f["also"]:
            msg += "(For these layer sizes they also equal " + ", ".join(f"`{a}`" for a in f["also"]) + ".) "
    else:
        ratios = [x / e for x, e in zip(found, expected)]
        if allclose(ratios, -1.0, rtol=1e-6):
            msg += "Your weights are the expected ones with the opposite sign. "
        elif len(found) > 1 and allclose(found, found[0], rtol=1e-6) and question != "random":
            msg += (f"Your factor is the same number for every layer, `* {num(found[0])}`"
                    + (" (that is np.sqrt(2): the division by the fan-in is missing)"
                       if abs(found[0] - np.sqrt(2)) < 1e-6 else "")
                    + ", where this initialization's factor depends on each layer's fan-in n_{l-1}. ")
        else:
            msg += ("They match none of the usual factors (ratio to the expected one: "
                    + ", ".join(num(r) for r in ratios) + "). Check the formula you multiply by. ")
    msg += f"To fix it, {words.fix(question)}."
    return msg


def _scale_spread(f: dict, question: str, words: _Words) -> str:
    shapes = f.get("shapes") or [None] * len(f["per_layer"])
    emp = ", ".join(f"W{l}{' of shape ' + shape_text(sh) if sh else ''} {num(s)} (expected {num(t)})"
                    for (l, s, t), sh in zip(f["per_layer"], shapes))
    return (f"Your weights are not the seed-3 draws, so the factor can only be estimated "
            f"from their spread. Over {f['n']} weights, the empirical standard deviations "
            f"({emp}) fit `{f['label']}` and rule out the expected factor (your variance is "
            f"{num(f['ratio'])} times the expected one; chi-square tests at the 0.1% "
            "level). "
            f"{words.why(f['code'])} To fix it, {words.fix(question)}.")


def _seeding(f: dict, question: str, words: _Words) -> str:
    plan = f["plan"]
    if plan.code == "seed-in-loop":
        msg = ("Your W1 holds the right draws, but every later W_l starts over with the same "
               "numbers: each "
               "W_l equals the first entries of the seed-3 stream. np.random.seed(3) is called "
               "inside the loop, so the generator is reset before every layer. Call it once, "
               "before the loop (the template already does), and remove the call in the loop.")
    elif plan.code == "reversed-layer-order":
        msg = ("Your values are the seed-3 draws, but taken in reverse layer order: W"
               f"{len(f['found'])} got the first numbers and W1 the last. Draw the layers in order "
               "l = 1, 2, ..., L (`for l in range(1, L)`), because each draw continues the "
               "stream where the previous one stopped.")
    elif plan.code == "wrong-seed" and plan.per_layer:
        seed = "l" if plan.seed == 0 else f"l {'+' if plan.seed > 0 else '-'} {abs(plan.seed)}"
        msg = (f"Your values are exactly the draws of `np.random.seed({seed})` called inside the loop: every layer "
               "starts its own stream. Call `np.random.seed(3)` once, at the top of the function as in the "
               "template, and remove the seed in the loop: the grader compares the seeded values.")
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
        msg = f"Your values come from {stream(plan)}."
    if f.get("beside_offset"):
        msg += " Beside the added constant, the random stream is off too."
    elif f["factor_ok"]:
        msg += " The factor per layer is right, so only the random stream is off."
    else:
        msg += (" The factor is also off: " + _factor_table(f["layers"], f["found"], f["expected"]) + ".")
    return msg


def _not_seeded_repeat(f: dict, question: str, words: _Words) -> str:
    msg = ("Calling your function twice with the same arguments gave different weights: "
           "the random generator is not seeded inside the function (or is seeded from "
           "something that changes, or uses a fresh np.random.default_rng() without a "
           "seed). Call np.random.seed(3) once at the top of the function, before the loop.")
    if f["spread_ok"] and f.get("beside_shape"):
        msg += f" The spread of your weights fits the expected distribution ({f['n']} weights)."
    elif f["spread_ok"]:
        msg += (f" The spread of your weights fits the expected distribution ({f['n']} "
                "weights), so only the seeding is off.")
    return msg


def _not_seeded_spread(f: dict, question: str, words: _Words) -> str:
    return ("Your weights have the right spread (over "
            f"{f['n']} weights the variance fits the expected factor and rules out the usual "
            "wrong ones), but they are not the seed-3 draws, nor those of seeds "
            f"{', '.join(str(s) for s in (0, 1, 2, 42))} and other common seeds, nor a "
            "default_rng, a seed in the loop or a reversed order. Most likely the seed is "
            "missing, changed, or another random call happens before the weights are "
            "drawn. Keep np.random.seed(3) as the first line and draw only the W_l, in order.")


# --- the fallback

def _values_differ(f: dict, question: str, words: _Words) -> str:
    diffs = []
    for e in f["entries"]:
        shape = f" of shape {shape_text(e['shape'])}" if e.get("shape") and e["key"].startswith("W") else ""
        desc = f"{e['key']}{shape} (max |difference| {num(e['largest'])}"
        if e["spreads"] is not None:
            desc += f", your std {num(e['spreads'][0])} vs expected {num(e['spreads'][1])}"
        if e["nan"]:
            desc += f", {e['nan']} NaN"
        if e["infinite"]:
            desc += f", {e['infinite']} infinite"
        diffs.append(desc + ")")
    if diffs:
        found = "These entries differ from the reference: " + "; ".join(diffs) + "."
        if f["worst"] is not None:
            key, largest = f["worst"]
            found += f" The largest difference is {num(largest)}, in {key}."
    else:
        found = "Your dictionary does not match the reference."
    if question == "zeros":
        return found + (" Every W_l must be np.zeros((layers_dims[l], layers_dims[l-1])) and every b_l "
                        "np.zeros((layers_dims[l], 1)).")
    return found + (" No common mistake reproduces your values exactly. Compare your loop with the "
                    f"specification of `{words.functions.get(question, question)}`: np.random.seed(3) called once "
                    "before the loop, layers drawn in order l = 1..L, W_l of shape (layers_dims[l], layers_dims[l-1]) "
                    "from np.random.randn, the factor applied by multiplication, biases "
                    "np.zeros((layers_dims[l], 1)).")


_WRITERS: dict[str, Callable[[dict, str, _Words], str]] = {
    "starts-at-zero": _starts_at_zero,
    "stops-early": _stops_early,
    "wrong-keys": _wrong_keys,
    "bias-in-weight-key": _bias_in_weight_key,
    "key-offset": _key_offset,
    "star-args": _star_args,
    "index-typo": _index_typo,
    "transposed": _transposed,
    "wrong-shapes": _wrong_shapes,
    "bias-shape": _bias_shape,
    "random-biases": _random_biases,
    "nonzero-biases": _nonzero_biases,
    "random-instead-of-zeros": _random_instead_of_zeros,
    "zeros-instead-of-random": _zeros_instead_of_random,
    "zero-factor": _zero_factor,
    "uniform-exact": _uniform_exact,
    "uniform-spread": _uniform_spread,
    "power-exact": _power_exact,
    "power-nan": _power_nan,
    "offset-exact": _offset_exact,
    "offset-spread": _offset_spread,
    "scale-exact": _scale_exact,
    "scale-spread": _scale_spread,
    "seeding": _seeding,
    "not-seeded-repeat": _not_seeded_repeat,
    "not-seeded-spread": _not_seeded_spread,
    "values-differ": _values_differ,
}
