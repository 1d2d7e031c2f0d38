"""The rubric's checks of question zeros (zero initialization), one ``test_zeros_<check>`` each.

grading.yaml names the function they call and gives each check its points.
"""

from functools import partial

import numpy as np

from autograder.rubric.common import (
    STRUCTURE_CASES,
    assert_arguments,
    assert_biases_zero,
    assert_structure,
    assert_types,
    call_text,
    diagnosed,
    train_and_check,
)

QUESTION = "zeros"


def test_zeros_structure(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims), reference, config, assert_structure, dims)


def test_zeros_types(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims), reference, config, assert_types)


def test_zeros_biases_zero(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims), reference, config, assert_biases_zero, dims)


def test_zeros_arguments(student, reference, config):
    function = config.questions[QUESTION].function
    assert_arguments(student, function, STRUCTURE_CASES[0], reference=reference)


def _all_zero(r, dims):
    for l in range(1, len(dims)):
        w = r.arrays.get(f"W{l}")
        assert w is not None, f"{call_text(r)}: W{l} is missing or not a numeric numpy array."
        assert not np.any(w != 0), (
            f"{call_text(r)}: W{l} has non-zero entries (largest |value| {np.nanmax(np.abs(w)):.4g}); "
            "zero initialization means np.zeros((n_l, n_{l-1})), with no random draws.")


def test_zeros_all_zero(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims), reference, config, _all_zero, dims)


def _still_symmetric(function, outcome, dims):
    broken = [l + 1 for l, same in enumerate(outcome.hidden_rows_identical) if not same]
    assert not broken, (
        f"after training from {function}({dims}), the rows of W{broken[0]} are no longer identical: the hidden units "
        "were not symmetric at the start, so these are not zero weights.")


def test_zeros_symmetry(student, reference, trainer, config):
    """After training from zeros, every hidden unit of a layer is still the same unit."""
    function = config.questions[QUESTION].function
    train_and_check(student, reference, trainer, config, config.thresholds["zeros"], function,
                    outcome_check=partial(_still_symmetric, function))
