"""Hidden tests for initialize_parameters_zeros."""

import numpy as np

from autograder.hidden_tests.common import (STRUCTURE_CASES, assert_accuracy, assert_arguments, assert_biases_zero,
                                            assert_structure, assert_types, call_text, trainable)

F = "initialize_parameters_zeros"


def test_zeros_structure(student):
    for dims in STRUCTURE_CASES:
        assert_structure(student.call(F, dims), dims)


def test_zeros_types(student):
    for dims in STRUCTURE_CASES:
        assert_types(student.call(F, dims))


def test_zeros_biases_zero(student):
    for dims in STRUCTURE_CASES:
        assert_biases_zero(student.call(F, dims), dims)


def test_zeros_arguments(student):
    assert_arguments(student, F, STRUCTURE_CASES[0])


def test_zeros_all_zero(student):
    for dims in STRUCTURE_CASES:
        r = student.call(F, dims)
        for l in range(1, len(dims)):
            w = r.arrays.get(f"W{l}")
            assert w is not None, f"{call_text(r)}: W{l} is missing or not a numeric numpy array."
            assert not np.any(w != 0), (
                f"{call_text(r)}: W{l} has non-zero entries (largest |value| {np.nanmax(np.abs(w)):.4g}); "
                "zero initialization means np.zeros((n_l, n_{l-1})), with no random draws.")


def test_zeros_symmetry(student, trainer, config):
    """After training from zeros, every hidden unit of a layer is still the same unit."""
    dims = trainer.layers(config.thresholds["zeros"].training)
    params = trainable(student.call(F, dims), dims)
    outcome = trainer.outcome(config.thresholds["zeros"].training, params)
    broken = [l + 1 for l, same in enumerate(outcome.hidden_rows_identical) if not same]
    assert not broken, (
        f"after training from {F}({dims}), the rows of W{broken[0]} are no longer identical: the hidden units "
        "were not symmetric at the start, so these are not zero weights.")
    assert_accuracy(outcome, config.thresholds["zeros"], f"from {F}({dims})")
