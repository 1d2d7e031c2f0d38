"""Public checks for the four initialization functions.

Call them from a notebook cell right after you write a function::

    check_zeros(initialize_parameters_zeros)
    check_random(initialize_parameters_random)
    check_he(initialize_parameters_he)
    check_deep(initialize_parameters_deep)

Each check calls your function on ONE small example (the one shown in the
notebook), then looks at the type, keys, shapes, dtypes and values of what you
returned. It prints "All checks passed" when everything is right and otherwise
raises an ``AssertionError`` that says what was expected, what your function
gave back, and the most likely cause.

Passing these checks is a good sign, not a guarantee: the grader runs its own,
different examples. ``pytest public_tests`` runs the same checks from the
command line (see ``public_tests/conftest.py`` for which file it tests).

Each check tests your function the way the grader will load it, not as your kernel holds it
(``grader_view.py``): a function that reads a name the grader never sets fails here, with the name
and how to fix it.

This module needs only numpy; it never imports the reference solutions.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EXAMPLES",
    "check_zeros",
    "check_random",
    "check_he",
    "check_deep",
    "format_parameters",
    "show_parameters",
]

# The one example per function: the call's arguments and the dict it must return.
# These numbers are printed in the notebook next to each graded cell.
EXAMPLES: dict[str, dict] = {
    "zeros": {
        "function": "initialize_parameters_zeros",
        "args": ([4, 2, 1],),
        "kwargs": {},
        "expected": {
            "W1": np.zeros((2, 4)),
            "b1": np.zeros((2, 1)),
            "W2": np.zeros((1, 2)),
            "b2": np.zeros((1, 1)),
        },
    },
    "random": {
        "function": "initialize_parameters_random",
        "args": ([3, 2, 1],),
        "kwargs": {"scale": 10},
        "expected": {
            "W1": np.array(
                [[17.88628473, 4.36509851, 0.96497468], [-18.63492703, -2.77388203, -3.54758979]]
            ),
            "b1": np.zeros((2, 1)),
            "W2": np.array([[-0.82741481, -6.27000677]]),
            "b2": np.zeros((1, 1)),
        },
    },
    "he": {
        "function": "initialize_parameters_he",
        "args": ([3, 1, 2],),
        "kwargs": {},
        "expected": {
            "W1": np.array([[1.46040903, 0.3564088, 0.07878985]]),
            "b1": np.zeros((1, 1)),
            "W2": np.array([[-2.63537665], [-0.39228616]]),
            "b2": np.zeros((2, 1)),
        },
    },
    "deep": {
        "function": "initialize_parameters_deep",
        "args": ([2, 3, 2, 1],),
        "kwargs": {},
        "expected": {
            "W1": np.array(
                [[1.26475132, 0.30865908], [0.06823401, -1.31768833], [-0.19614308, -0.25085248]]
            ),
            "b1": np.zeros((3, 1)),
            "W2": np.array(
                [[-0.04777082, -0.36199901, -0.02529843], [-0.27552196, -0.75856017, 0.51073697]]
            ),
            "b2": np.zeros((2, 1)),
            "W3": np.array([[0.62318596, 1.20885071]]),
            "b3": np.zeros((1, 1)),
        },
    },
}

# The expected numbers are printed with 8 decimals, so compare at that precision.
_ATOL = 1e-7
_RTOL = 1e-6


def format_parameters(parameters: dict) -> str:
    """One line per entry, values rounded to 8 decimals: ``W1 = [[1.46040903, ...]]``."""
    lines = []
    for key, value in parameters.items():
        if isinstance(value, np.ndarray):
            shown = np.round(value.astype(np.float64), 8).tolist()
        else:
            shown = value
        lines.append(f"{key} = {shown}")
    return "\n".join(lines)


def show_parameters(parameters: dict) -> None:
    """Print a parameters dict the way the notebook shows the expected output."""
    print(format_parameters(parameters))


def _call_text(name: str, args: tuple, kwargs: dict) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


class CheckFailed(AssertionError):
    """A failed check. In a notebook, IPython shows only its message (``_render_traceback_``):
    the traceback would run through this file, not through the student's code."""

    def _render_traceback_(self):
        return [f"CheckFailed: {line}" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


# What the last check found about how the grader loads the function (public_tests/grader_view.py):
# said with its failure, or after "All checks passed".
_NOTES: list[str] = []


def _grader_view():
    """public_tests/grader_view.py, whether this file is imported as ``public_tests.checks`` or by path."""
    try:
        from public_tests import grader_view
    except ImportError:
        import importlib.util
        import sys
        from pathlib import Path

        name = "_initgrade_public_grader_view"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("grader_view.py"))
        grader_view = importlib.util.module_from_spec(spec)
        sys.modules[name] = grader_view
        spec.loader.exec_module(grader_view)
    return grader_view


def _with_notes(message: str) -> str:
    if not _NOTES:
        return message
    return message + "\nHow the grader loads it differs from your kernel:\n" + "\n".join(f"- {n}" for n in _NOTES)


def _fail(name: str, call: str, message: str) -> AssertionError:
    return CheckFailed(_with_notes(f"{name}: problem found when calling {call}\n{message}"))


def _run(fn, question: str):
    __tracebackhide__ = True  # pytest: show the message, not this file's frames
    example = EXAMPLES[question]
    name = example["function"]
    args = tuple(list(a) if isinstance(a, list) else a for a in example["args"])
    call = _call_text(name, args, example["kwargs"])
    if not callable(fn):
        raise AssertionError(
            f"{example['function']}: expected a function, found {type(fn).__name__}. "
            f"Pass the function itself, without calling it: check_{question}({example['function']})"
        )
    # The function the grader will load (in a notebook: rebuilt from your cells its way), not
    # necessarily the kernel's: a name it never sets fails here, with the name and the fix.
    _NOTES.clear()
    view = _grader_view()
    try:
        fn, notes = view.as_graded(name, fn)
    except view.NotAsGraded as exc:
        raise CheckFailed(str(exc)) from None
    _NOTES.extend(notes)
    try:
        result = fn(*args, **example["kwargs"])
    except NotImplementedError as exc:
        raise AssertionError(
            f"{name} is not written yet: it still raises NotImplementedError.\n"
            "Replace the `raise NotImplementedError(...)` line under `# YOUR CODE HERE` with "
            "your own code, run that cell again, then run this check."
        ) from exc
    except Exception as exc:  # show beginners the cause in one sentence, keep the traceback
        raise _fail(
            name,
            call,
            f"the function raised {type(exc).__name__}: {exc}\n"
            "Read the traceback above to find the line; common causes are a misspelled "
            "variable or passing the shape as two arguments to np.zeros (it takes one tuple).",
        ) from exc
    return name, call, result, example["expected"], example["args"][0]


def _check_structure(name: str, call: str, result, expected: dict, layers_dims: list) -> None:
    __tracebackhide__ = True  # pytest: show the message, not this file's frames
    if not isinstance(result, dict):
        hint = (
            "Did you forget `return parameters`?"
            if result is None
            else "Build a dict `parameters` and return it."
        )
        raise _fail(
            name, call, f"expected a dict, found {type(result).__name__}. {hint}"
        )
    missing = [k for k in expected if k not in result]
    extra = [k for k in result if k not in expected]
    if missing or extra:
        L = len(layers_dims) - 1
        message = (
            f"expected exactly the keys {list(expected)} ({L} layers for layers_dims={layers_dims}), "
            f"found {list(result)}."
        )
        if missing:
            message += f"\nMissing: {missing}."
        if extra:
            message += f"\nUnexpected: {extra}."
        message += (
            "\nLikely mistake: the loop must run for l = 1, ..., L (range(1, len(layers_dims))), "
            'and the keys are built as "W" + str(l) and "b" + str(l).'
        )
        raise _fail(name, call, message)
    for key, want in expected.items():
        got = result[key]
        if not isinstance(got, np.ndarray):
            raise _fail(
                name,
                call,
                f"{key} should be a numpy array (np.ndarray), found {type(got).__name__}. "
                "np.zeros(...) and np.random.randn(...) both return arrays.",
            )
        if not np.issubdtype(got.dtype, np.floating):
            raise _fail(
                name,
                call,
                f"{key} should hold floats, found dtype {got.dtype}. "
                "Do not pass dtype=int to np.zeros, and do not convert the draws to integers.",
            )
        if got.dtype != np.float64:
            raise _fail(
                name,
                call,
                f"{key} has dtype {got.dtype}; expected float64, the dtype np.random.randn and np.zeros give. "
                f"Likely mistake: a conversion to {got.dtype} (.astype(np.{got.dtype}), np.{got.dtype}(...) or "
                f"dtype=np.{got.dtype}): remove it.",
            )
        if got.shape != want.shape:
            message = f"{key} should have shape {want.shape}, found {got.shape}."
            if got.shape == want.shape[::-1]:
                message += (
                    " The two dimensions are swapped: W_l has one row per unit of layer l "
                    "and one column per unit of layer l-1, i.e. shape (n_l, n_{l-1})."
                )
            elif key.startswith("b") and got.shape == want.shape[:1]:
                message += (
                    f" A bias must be a column vector: give the shape as a tuple, "
                    f"np.zeros(({want.shape[0]}, 1)), not np.zeros({want.shape[0]})."
                )
            else:
                message += " Check which entries of layers_dims you use for layer l."
            raise _fail(name, call, message)
    for key, got in result.items():
        if key.startswith("b") and np.any(got != 0):
            raise _fail(
                name,
                call,
                f"{key} should contain only zeros, found {np.round(got, 8).tolist()}. "
                "Biases start at zero in every initialization of this assignment "
                "(drawing random biases also changes the numbers the next weights get).",
            )


def _ratio(got: np.ndarray, want: np.ndarray) -> float | None:
    """The constant factor got/want, if there is one (and want is not all zero)."""
    mask = np.abs(want) > 1e-3
    if not mask.any():
        return None
    ratios = got[mask] / want[mask]
    r = float(np.median(ratios))
    if r != 0 and np.allclose(ratios, r, rtol=1e-4, atol=0):
        return r
    return None


# Factors students hard-code instead of the formula.
_CONSTANTS = (0.01, 10.0, 100.0, 0.1, 0.001, 1.0, 1000.0, 0.5, 2.0)


def _constant_factor(result: dict, expected: dict, weights: list[str]) -> str | None:
    """"You used a constant" when every W is one plain number times the expected seeded draw.

    The expected W_l is draw_l * f_l with a known formula f_l; the draws are recovered per
    layer from ``EXPECTED_FACTORS`` set by the check, so W_l / draw_l is the student's factor.
    """
    factors = _FACTORS.get(id(expected))
    if factors is None:
        return None
    used = []
    for k in weights:
        f = factors(k)
        r = _ratio(result[k], expected[k])
        if f is None or r is None:
            return None
        used.append(r * f)
    for c in _CONSTANTS:
        if np.allclose(used, c, rtol=1e-4):
            names = ", ".join(weights[:-1]) + " and " + weights[-1]
            both = "both " if len(weights) == 2 else "all "
            used_text = "did not scale the draws at all" if c == 1.0 else f"used a constant {c:g}"
            return (f"{names} are {both}{c:g} times the expected draw: you {used_text}, "
                    f"{_FORMULA[id(expected)]}")
    return None


_FACTORS: dict = {}
_FORMULA: dict = {}


def _check_values(name: str, call: str, result: dict, expected: dict, hints: dict) -> None:
    __tracebackhide__ = True  # pytest: show the message, not this file's frames
    wrong = [
        k for k, want in expected.items() if not np.allclose(result[k], want, rtol=_RTOL, atol=_ATOL)
    ]
    if not wrong:
        return
    lines = ["some values differ from the expected ones (compared to 8 decimals):"]
    for key in wrong:
        lines.append(f"  {key} expected {np.round(expected[key], 8).tolist()}")
        lines.append(f"  {key} found    {np.round(result[key].astype(np.float64), 8).tolist()}")
    weights = [k for k in expected if k.startswith("W")]
    ratios = {k: _ratio(result[k], expected[k]) for k in weights}
    known = [r for r in ratios.values() if r is not None]
    hint = None
    constant = _constant_factor(result, expected, weights)
    if constant is not None:
        hint = constant
    elif len(known) == len(weights) and np.allclose(known, known[0], rtol=1e-4):
        r = known[0]
        for factor, text in hints.items():
            if np.isclose(r, factor, rtol=1e-3):
                hint = text
                break
        if hint is None:
            hint = (
                f"Every weight is {r:.6g} times the expected value: the random draws are right, "
                "the scaling factor is not."
            )
    elif len(known) == len(weights):
        shown = ", ".join(f"{k}: {r:.6g}" for k, r in ratios.items())
        hint = (
            f"each layer is off by a different factor ({shown}). The factor for W_l must depend "
            "only on the number of units of the PREVIOUS layer, n_{l-1} = layers_dims[l - 1] "
            "(the fan-in): check that you use that entry and the right formula (a square root?)."
        )
    elif not any(np.allclose(result[k], 0) for k in weights):
        hint = (
            "The numbers are not the expected draws. Keep the given np.random.seed(3) line "
            "(call it once, before the loop, never inside it), draw each W_l with "
            "np.random.randn(n_l, n_{l-1}) in the order W1, W2, ..., and do not draw "
            "anything else (biases are zeros)."
        )
    else:
        hint = "Some weight matrices are all zeros: every W_l must be drawn at random."
    lines.append("Likely mistake: " + hint)
    raise _fail(name, call, "\n".join(lines))


def _passed(name: str) -> None:
    print(f"All checks passed for {name}.")
    for note in _NOTES:
        print(f"Note: {note}")


def _fan_in_factors(example: dict, formula):
    dims = example["args"][0]
    return lambda key: formula(dims[int(key[1:]) - 1])


_FACTORS[id(EXAMPLES["he"]["expected"])] = _fan_in_factors(EXAMPLES["he"], lambda n: np.sqrt(2.0 / n))
_FORMULA[id(EXAMPLES["he"]["expected"])] = "He scales each layer by sqrt(2 / n_prev), n_prev = layers_dims[l - 1]."
_FACTORS[id(EXAMPLES["deep"]["expected"])] = _fan_in_factors(EXAMPLES["deep"], lambda n: 1.0 / np.sqrt(n))
_FORMULA[id(EXAMPLES["deep"]["expected"])] = (
    "this function divides each layer by sqrt(n_prev), n_prev = layer_dims[l - 1].")
_FACTORS[id(EXAMPLES["random"]["expected"])] = lambda key: float(EXAMPLES["random"]["kwargs"]["scale"])
_FORMULA[id(EXAMPLES["random"]["expected"])] = "multiply by the `scale` argument instead (here scale=10)."


def check_zeros(fn) -> None:
    """Check ``initialize_parameters_zeros`` on the example [4, 2, 1]."""
    __tracebackhide__ = True  # pytest: show the message, not this file's frames
    name, call, result, expected, dims = _run(fn, "zeros")
    _check_structure(name, call, result, expected, dims)
    for key, got in result.items():
        if np.any(got != 0):
            raise _fail(
                name,
                call,
                f"{key} should contain only zeros, found {np.round(got, 8).tolist()}. "
                "Use np.zeros(shape) for every weight matrix and every bias vector.",
            )
    _passed(name)


def check_random(fn) -> None:
    """Check ``initialize_parameters_random`` on the example [3, 2, 1] with scale=10."""
    __tracebackhide__ = True  # pytest: show the message, not this file's frames
    name, call, result, expected, dims = _run(fn, "random")
    _check_structure(name, call, result, expected, dims)
    hints = {
        0.1: "the weights were not multiplied by `scale` (they look like plain randn draws).",
        0.001: "the weights were multiplied by 0.01 instead of by the `scale` argument.",
    }
    _check_values(name, call, result, expected, hints)
    _passed(name)


def check_he(fn) -> None:
    """Check ``initialize_parameters_he`` on the example [3, 1, 2]."""
    __tracebackhide__ = True  # pytest: show the message, not this file's frames
    name, call, result, expected, dims = _run(fn, "he")
    _check_structure(name, call, result, expected, dims)
    hints = {
        float(np.sqrt(0.5)): "you scaled by sqrt(1 / fan_in), the LeCun rule; He initialization uses sqrt(2 / fan_in).",
        float(np.sqrt(2.0)): "you scaled by 2 / sqrt(fan_in); the 2 belongs inside the square root: sqrt(2 / fan_in).",
    }
    _check_values(name, call, result, expected, hints)
    _passed(name)


def check_deep(fn) -> None:
    """Check ``initialize_parameters_deep`` on the example [2, 3, 2, 1]."""
    __tracebackhide__ = True  # pytest: show the message, not this file's frames
    name, call, result, expected, dims = _run(fn, "deep")
    _check_structure(name, call, result, expected, dims)
    hints = {
        float(np.sqrt(2.0)): "you scaled by sqrt(2 / fan_in) (He); this function divides by sqrt(fan_in).",
    }
    _check_values(name, call, result, expected, hints)
    _passed(name)
