"""Hidden tests for initialize_parameters_random (scale 10 and the default 0.01)."""

from autograder.hidden_tests.common import (
    SEEDED_CASES,
    STRUCTURE_CASES,
    assert_arguments,
    assert_biases_zero,
    assert_structure,
    assert_types,
    check_seeded_values,
    diagnosed,
    train_and_check,
)

F = "initialize_parameters_random"


def test_random_structure(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims, 10), reference, assert_structure, dims)


def test_random_types(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims, 10), reference, assert_types)


def test_random_biases_zero(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims, 10), reference, assert_biases_zero, dims)


def test_random_arguments(student):
    assert_arguments(student, F, STRUCTURE_CASES[0], 10)


def test_random_seeded_values(student, reference, config):
    calls = [(dims, extra) for dims in SEEDED_CASES for extra in ((10,), (), (0.5,))]
    check_seeded_values(student, reference, config, "random", F, calls)


def test_random_accuracy_scale_10(student, reference, trainer, config):
    threshold = config.thresholds["random_scale_10"]
    train_and_check(student, reference, trainer, threshold, F, threshold.scale)


def test_random_accuracy_default_scale(student, reference, trainer, config):
    """With the default 0.01 the signal vanishes: accuracy stays near chance."""
    train_and_check(student, reference, trainer, config.thresholds["random_default_scale"], F)
