"""The entry point: the checks in order (keys, shapes, biases, weights), most likely mistake first."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from autograder.diagnose.findings import QUESTIONS, Diagnosis, _diag
from autograder.diagnose.notation import _g, _list_keys, _shape, _tup
from autograder.diagnose.returned import _all_close, _clean, _knum, _layers
from autograder.diagnose.weights import _random_weights, _values_differ, _zeros_weights
from autograder.diagnose.wording import _starts_at_zero_message, _transposed_message, _without_scale_parameter


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
