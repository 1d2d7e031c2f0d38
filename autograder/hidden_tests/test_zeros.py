"""Hidden tests for initialize_parameters_zeros."""

import numpy as np

from autograder.hidden_tests.common import (
    STRUCTURE_CASES,
    assert_arguments,
    assert_biases_zero,
    assert_structure,
    assert_types,
    call_text,
    diagnosed,
    train_and_check,
)

F = "initialize_parameters_zeros"


def test_zeros_structure(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims), reference, assert_structure, dims)


def test_zeros_types(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims), reference, assert_types)


def test_zeros_biases_zero(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims), reference, assert_biases_zero, dims)


def test_zeros_arguments(student):
    assert_arguments(student, F, STRUCTURE_CASES[0])


def _all_zero(r, dims):
    for l in range(1, len(dims)):
        w = r.arrays.get(f"W{l}")
        assert w is not None, f"{call_text(r)}: W{l} is missing or not a numeric numpy array."
        assert not np.any(w != 0), (
            f"{call_text(r)}: W{l} has non-zero entries (largest |value| {np.nanmax(np.abs(w)):.4g}); "
            "zero initialization means np.zeros((n_l, n_{l-1})), with no random draws.")


def test_zeros_all_zero(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims), reference, _all_zero, dims)


def _still_symmetric(outcome, dims):
    broken = [l + 1 for l, same in enumerate(outcome.hidden_rows_identical) if not same]
    assert not broken, (
        f"after training from {F}({dims}), the rows of W{broken[0]} are no longer identical: the hidden units "
        "were not symmetric at the start, so these are not zero weights.")


def test_zeros_symmetry(student, reference, trainer, config):
    """After training from zeros, every hidden unit of a layer is still the same unit."""
    train_and_check(student, reference, trainer, config.thresholds["zeros"], F, outcome_check=_still_symmetric)
