"""The dictionary's structure: its keys (a loop that starts at 0 or stops early, misnamed keys),
the shapes of its weights and biases, and biases that are not zero."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from autograder.base.order_stats import varies
from autograder.diagnose.draws import PLANS, draw, fit_factors
from autograder.diagnose.factors import same_factors, target_factor
from autograder.diagnose.findings import Finding
from autograder.diagnose.returned import layer_number


def keys(question: str, layers_dims: Sequence[int], returned: Mapping[str, np.ndarray]
         ) -> tuple[Finding | None, bool]:
    """The finding about the keys (None: they are right), and whether it explains everything
    (a key for layer 0: every later number is off by one layer, nothing more to say)."""
    dims = [int(d) for d in layers_dims]
    L = max(len(dims) - 1, 0)
    want = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    have = set(returned)
    missing, surplus = want - have, have - want
    offset = key_offset(question, dims, returned) if (missing or surplus) else None
    if offset is not None:
        return offset, False
    if "W0" in have or "b0" in have:
        w0 = returned.get("W0")
        pattern = None
        if w0 is not None and w0.shape == (dims[0], dims[-1]):
            pattern = "wraps-around"  # layers_dims[l-1] with l = 0 is the last entry
        elif w0 is not None and L and w0.shape == (dims[1], dims[0]):
            pattern = "shifted"       # W0 holds what W1 should
        return Finding("loop-starts-at-zero", question, "starts-at-zero", {
            "w0_shape": None if w0 is None else tuple(w0.shape), "missing": sorted(missing),
            "pattern": pattern, "first_layer": (dims[1], dims[0]) if L else None}), True
    if not (missing or surplus):
        return None, False
    missing_layers = sorted({layer_number(k) for k in missing})
    if (not surplus and missing_layers and missing_layers[0] >= 2
            and missing_layers == list(range(missing_layers[0], L + 1))
            and all(f"{p}{l}" in missing for l in missing_layers for p in "Wb")):
        return Finding("loop-stops-early", question, "stops-early", {
            "missing": sorted(missing), "layers_dims": list(layers_dims), "layers": L,
            "last_drawn": missing_layers[0] - 1}), False
    if L and not surplus and missing == {f"b{l}" for l in range(1, L + 1)} \
            and all(tuple(returned[f"W{l}"].shape) == (dims[l], 1) for l in range(1, L + 1)):
        # the bias line copied from the weight line kept its key: each b_l overwrote W_l
        return Finding("wrong-keys", question, "bias-in-weight-key", {
            "missing": sorted(missing), "first_shape": (dims[1], 1), "layers": L}), True
    lower = {k.lower() for k in surplus}
    return Finding("wrong-keys", question, "wrong-keys", {
        "empty": not have, "missing": sorted(missing), "surplus": sorted(surplus), "layers": L,
        "case_differs": any(k.lower() in lower for k in missing)}), False


def key_offset(question: str, dims: list[int], returned: Mapping[str, np.ndarray]) -> Finding | None:
    """Keys of one kind (W or b) numbered k off their layer (``'b' + str(l + 1)``), the other kind
    right: which keys are off, and whether each holds the parameter of the layer its number misses."""
    L = len(dims) - 1
    if L < 1:
        return None
    numbers = {p: sorted(layer_number(k) for k in returned if k[:1] == p and k[1:].lstrip("-").isdigit())
               for p in "Wb"}
    if any(len([k for k in returned if k[:1] == p]) != len(numbers[p]) for p in "Wb"):
        return None  # other names too: not a numbering slip
    right = list(range(1, L + 1))
    off = [p for p in "Wb" if numbers[p] != right]
    if not off:
        return None
    ks = {numbers[p][0] - 1 if numbers[p] else 0 for p in off}
    k = ks.pop() if len(ks) == 1 else 0
    # both kinds one too low is a loop from 0 (W0 and b0), told as such
    if k == 0 or (len(off) == 2 and k < 0) or any(numbers[p] != [l + k for l in right] for p in off):
        return None
    holds = []
    for p in off:
        for l in right:
            a = returned[f"{p}{l + k}"]
            want = (dims[l], dims[l - 1]) if p == "W" else (dims[l], 1)
            holds.append(tuple(a.shape) == want)
    prefix = off[0] if len(off) == 1 else "Wb"
    return Finding("key-offset", question, "key-offset", {
        "prefix": prefix, "offset": k, "found": [f"{p}{l + k}" for p in off for l in right],
        "expected": [f"{p}{l}" for p in off for l in right], "holds_layer": all(holds)})


# How a student's index can name a layer size, in the order a finding prefers them when several
# give the same sizes: the index expression and the size it gives for layer l (1-based).
_INDEXES = (("l", lambda dims, l: dims[l]), ("l-1", lambda dims, l: dims[l - 1]),
            ("1", lambda dims, l: dims[1]), ("0", lambda dims, l: dims[0]),
            ("l+1", lambda dims, l: dims[l + 1] if l + 1 < len(dims) else None),
            ("-1", lambda dims, l: dims[-1]))


def _index_used(dims: list[int], sizes: list[int]) -> str | None:
    """The one index expression that gives every layer's ``sizes`` (None: none or ambiguous)."""
    L = len(sizes)
    fits = [name for name, size in _INDEXES if all(size(dims, l) == sizes[l - 1] for l in range(1, L + 1))]
    return fits[0] if fits else None


def index_typos(question: str, dims: list[int], returned: Mapping[str, np.ndarray]) -> Finding | None:
    """Every W_l (or b_l) sized with the same wrong index (``layers_dims[1]``, the digit, for
    ``layers_dims[l]``; the previous layer's size for the current one): which size, which index."""
    L = len(dims) - 1
    if L < 2:
        return None
    slots = []
    ws = [w for l in range(1, L + 1) if (w := returned.get(f"W{l}")) is not None and w.ndim == 2]
    bs = [b for l in range(1, L + 1) if (b := returned.get(f"b{l}")) is not None and b.ndim == 2]
    if len(ws) == L:
        rows = _index_used(dims, [int(w.shape[0]) for w in ws])
        cols = _index_used(dims, [int(w.shape[1]) for w in ws])
        if (rows, cols) != ("l-1", "l"):  # both swapped: a transposition, told as such
            if rows not in (None, "l"):
                slots.append(("W", "rows", rows, "l"))
            if cols not in (None, "l-1"):
                slots.append(("W", "columns", cols, "l-1"))
    if len(bs) == L and all(b.shape[1] == 1 for b in bs):
        rows = _index_used(dims, [int(b.shape[0]) for b in bs])
        if rows not in (None, "l"):
            slots.append(("b", "rows", rows, "l"))
    if not slots:
        return None
    pairs: list[tuple[str, int, tuple[int, ...], tuple[int, int]]] = []
    for p, _, _, _ in slots:
        for l in range(1, L + 1):
            a = returned[f"{p}{l}"]
            want = (dims[l], dims[l - 1]) if p == "W" else (dims[l], 1)
            if tuple(a.shape) != want and (l, tuple(a.shape), want) not in [(x[1], x[2], x[3]) for x in pairs]:
                pairs.append((p, l, tuple(a.shape), want))
    return Finding("index-typo", question, "index-typo", {"slots": slots, "pairs": pairs, "dims": list(dims)})


def shapes(question: str, layers: list[tuple[int, int]], returned: Mapping[str, np.ndarray],
           scale: float) -> tuple[list[Finding], list[int], bool]:
    """Findings about the shapes, the 0-based layers whose W has the right shape, and whether
    some W has another shape (then the values cannot be compared layer by layer)."""
    transposed, bad_w, bad_b = [], [], []
    w_ok: list[int] = []
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
    found = []
    if transposed and not bad_w:
        found.append(Finding("transposed-weights", question, "transposed", {
            "pairs": [(l, tuple(w.shape), layers[l - 1]) for l, w in transposed],
            "right_values": _right_values_transposed(question, layers, transposed, scale)}))
    elif bad_w:
        other = _other_list(layers, returned)
        found.append(Finding("wrong-shapes", question, "wrong-shapes", {
            "pairs": [(l, tuple(w.shape), layers[l - 1]) for l, w in bad_w + transposed], "other_list": other}))
        if other and all(tuple(b.shape) == (other[l], 1) for l, b in bad_b):
            bad_b = []  # the biases follow the same other list: one mistake, told once
    if bad_b:
        found.append(Finding("bias-shape", question, "bias-shape", {
            "pairs": [(l, tuple(b.shape), layers[l - 1][0]) for l, b in bad_b],
            "one_dimensional": any(b.ndim == 1 for _, b in bad_b)}))
    return found, w_ok, bool(transposed or bad_w)


def _other_list(layers: list[tuple[int, int]], returned: Mapping[str, np.ndarray]) -> list[int] | None:
    """The layer list the weights were built for, when they chain (each W's columns the rows of the one
    before) into a list other than the one the function was given: the function read another list
    (the notebook's global ``layers_dims`` inside ``def f(layer_dims)``). None otherwise."""
    found = [returned.get(f"W{l}") for l in range(1, len(layers) + 1)]
    ws = [w for w in found if w is not None and w.ndim == 2]
    if len(ws) != len(found) or len(ws) < 2:
        return None
    chain = [int(ws[0].shape[1])] + [int(w.shape[0]) for w in ws]
    if any(int(w.shape[1]) != chain[i] for i, w in enumerate(ws)):
        return None
    given = [layers[0][1]] + [n for n, _ in layers]
    return chain if chain != given else None


def _right_values_transposed(question: str, layers: list[tuple[int, int]],
                             transposed: list[tuple[int, np.ndarray]], scale: float) -> bool:
    """Every W is the seed-3 draw with the right factor, drawn in the swapped shape."""
    if question == "zeros" or len(transposed) != len(layers):
        return False
    zs = draw(PLANS[0], layers, transpose=True)
    cs = fit_factors([w for _, w in transposed], zs)
    return cs is not None and same_factors(np.array(cs), target_factor(question, layers, scale).values)


def biases(question: str, layers: list[tuple[int, int]], returned: Mapping[str, np.ndarray]) -> list[Finding]:
    """Biases that are not zero: drawn at random (they vary), or one constant."""
    bias_vals = [(l, returned[f"b{l}"]) for l in range(1, len(layers) + 1) if f"b{l}" in returned]
    nonzero_b = [(l, b) for l, b in bias_vals if np.any(b != 0)]
    if not nonzero_b:
        return []
    allvals = np.concatenate([b.ravel() for _, b in bias_vals])
    varied = varies(allvals[np.isfinite(allvals)])  # np.unique(...).size > 1, without numpy.ma
    examples = [(l, int(np.count_nonzero(b)), float(b.ravel()[np.flatnonzero(b)[0]])) for l, b in nonzero_b[:3]]
    code = "random-biases" if varied else "nonzero-biases"
    return [Finding(code, question, code, {"examples": examples})]
