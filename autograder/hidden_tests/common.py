"""Assertions shared by the four questions' hidden tests.

Every failure message names the call, what was expected, what was found and,
where the evidence allows, the likely mistake, in words a first-year student
can act on. Layer sizes never have a fan-in of 2: with n = 2, sqrt(2 / n) = 1 and
a missing He factor would go unnoticed.
"""

from __future__ import annotations

import numpy as np

# Hidden cases: different from the examples shown in the notebook and public tests.
SEEDED_CASES = [[5, 4, 3], [3, 7, 1], [6, 5, 4, 3, 1]]
STRUCTURE_CASES = [[5, 4, 3], [1, 6, 1], [7, 5, 4, 3, 3, 1]]


def call_text(r) -> str:
    return f"{r.function}({', '.join(repr(a) for a in r.args)})"


def expected_keys(dims) -> list[str]:
    return [f"{p}{l}" for l in range(1, len(dims)) for p in ("W", "b")]


def _key_hint(found: set, expected: list[str], L: int) -> str:
    if "W0" in found or "b0" in found:
        return " Likely mistake: the loop starts at 0; layers are numbered from 1 (W1 connects the input to layer 1)."
    if f"W{L}" not in found and f"W{L - 1}" in found:
        return f" Likely mistake: the loop stops one layer early; use range(1, len(layers_dims)) to reach W{L}."
    return ""


def assert_structure(r, dims) -> None:
    """Exactly the keys W1, b1, ..., WL, bL with W_l (n_l, n_{l-1}) and b_l (n_l, 1)."""
    L = len(dims) - 1
    want = expected_keys(dims)
    found = set(r.keys)
    missing = [k for k in want if k not in found]
    extra = sorted(str(k) for k in found - set(want))
    if missing or extra:
        msg = f"{call_text(r)} returned keys {sorted(map(str, found))}; expected exactly {want}."
        if missing:
            msg += f" Missing: {missing}."
        if extra:
            msg += f" Unexpected: {extra}."
        raise AssertionError(msg + _key_hint(found, want, L))
    for l in range(1, L + 1):
        for key, shape in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))):
            e = r.entry(key)
            got = tuple(e["shape"]) if e.get("shape") is not None else None
            if got is None:
                raise AssertionError(f"{call_text(r)}: {key} is a {e['type']}, not a numpy array, so it has no shape; "
                                     f"expected a numpy array of shape {shape}.")
            if got != shape:
                hint = ""
                if key.startswith("W") and got == shape[::-1]:
                    hint = (f" Likely mistake: the dimensions are swapped; W{l} needs (n_{l}, n_{l - 1}) = "
                            f"(layers_dims[{l}], layers_dims[{l - 1}]).")
                elif key.startswith("b") and got == (shape[0],):
                    hint = f" Likely mistake: a 1-D vector; use a column, np.zeros(({shape[0]}, 1))."
                raise AssertionError(f"{call_text(r)}: {key} has shape {got}; expected {shape}.{hint}")


def assert_types(r) -> None:
    """Every value a plain numpy.ndarray of a float dtype, with no NaN or infinity."""
    for e in r.entries:
        key = e.get("key") if e.get("key") is not None else e.get("key_repr")
        if e.get("key") is None:
            raise AssertionError(f"{call_text(r)} has a key {e.get('key_repr')} that is not a string; "
                                 "keys must be 'W1', 'b1', ...")
        if e.get("exact_ndarray") is None:
            raise AssertionError(f"{call_text(r)}: {key} is a {e.get('type')}; expected a numpy array (np.ndarray). "
                                 "Build it with np.zeros or np.random.randn rather than a list.")
        if not e["exact_ndarray"]:
            raise AssertionError(f"{call_text(r)}: {key} is a {e.get('type')}, a subclass of numpy.ndarray; "
                                 "expected a plain np.ndarray.")
        if not str(e.get("dtype", "")).startswith("float"):
            raise AssertionError(f"{call_text(r)}: {key} has dtype {e.get('dtype')}; expected a float dtype (float64). "
                                 "np.zeros(shape) and np.random.randn give float64; do not pass dtype=int.")
        a = r.arrays.get(key)
        if a is not None and not np.all(np.isfinite(a)):
            n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
            hint = (" Likely mistake: ** (power) instead of * (multiply): a negative number raised to a "
                    "fractional power is NaN.") if n_nan else ""
            raise AssertionError(f"{call_text(r)}: {key} contains {n_nan} NaN and {n_inf} infinite values; "
                                 f"expected finite numbers.{hint}")


def assert_biases_zero(r, dims) -> None:
    for l in range(1, len(dims)):
        b = r.arrays.get(f"b{l}")
        if b is None:
            raise AssertionError(f"{call_text(r)}: b{l} is missing or not a numeric numpy array.")
        if np.any(b != 0):
            raise AssertionError(f"{call_text(r)}: b{l} is not all zeros (largest |value| {np.max(np.abs(b)):.4g}); "
                                 f"biases start at zero: np.zeros(({dims[l]}, 1)). Drawing them at random also "
                                 "consumes random numbers and shifts every later weight.")


def assert_arguments(student, function, dims, *extra) -> None:
    """Works for a tuple as for a list, and leaves the caller's list unchanged."""
    as_list = student.call(function, list(dims), *extra)
    if as_list.mutated:
        raise AssertionError(f"{call_text(as_list)} changed the list it was given (layers_dims); "
                             "a function should read its argument, not modify it.")
    as_tuple = student.call(function, list(dims), *extra, as_tuple=True)
    for k, v in as_list.arrays.items():
        w = as_tuple.arrays.get(k)
        if w is None or w.shape != v.shape or not np.array_equal(w, v, equal_nan=True):
            raise AssertionError(f"{function}{(tuple(dims),) + extra} (a tuple) gave a different {k} than with a "
                                 "list; index the sizes (layers_dims[l]) rather than using list methods.")


def explain(question: str, dims, r, expected) -> str:
    """Name the likely mistake when values differ (autograder.diagnose, when it recognises one)."""
    try:
        from autograder.diagnose import diagnose
    except ImportError:
        return ""
    try:
        found = diagnose(question, list(dims), r.params(), expected)
    except Exception:  # noqa: BLE001 - a diagnosis is a bonus, never a failure of the grader
        return ""
    return (" " + found[0].message) if found else ""


def assert_seeded_values(r, expected: dict, tolerance, question: str, dims) -> None:
    for key in expected_keys(dims):
        got, want = r.arrays.get(key), expected[key]
        if got is None or got.shape != want.shape:
            raise AssertionError(f"{call_text(r)}: {key} is missing or has the wrong shape (see the structure check).")
        if not np.allclose(got, want, rtol=tolerance.rtol, atol=tolerance.atol):
            diff = np.abs(got - want)
            idx = np.unravel_index(int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff))), diff.shape)
            raise AssertionError(
                f"{call_text(r)}: {key} differs from the expected seeded values (at {list(idx)}: expected "
                f"{want[idx]:.8g}, found {got[idx]:.8g}; largest difference {np.nanmax(diff):.3g})."
                + explain(question, dims, r, expected)
            )


def trainable(r, dims) -> dict:
    """Parameters fit to train, or an AssertionError saying why not."""
    try:
        assert_structure(r, dims)
        assert_types(r)
    except AssertionError as exc:
        raise AssertionError(f"cannot train the model from these parameters: {exc}") from None
    return r.params()


def assert_accuracy(outcome, threshold, what: str) -> None:
    acc = outcome.train_accuracy
    lo, hi = threshold.min_train_accuracy, threshold.max_train_accuracy
    if (lo is not None and acc < lo) or (hi is not None and acc > hi):
        bounds = " and ".join(b for b in (f">= {lo}" if lo is not None else "", f"<= {hi}" if hi is not None else "") if b)
        raise AssertionError(f"training {what} reached training accuracy {acc:.4f}; expected {bounds} "
                             f"(final cost {outcome.final_cost:.4g}).")
