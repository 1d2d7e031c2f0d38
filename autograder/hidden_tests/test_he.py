"""Hidden tests for initialize_parameters_he."""

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

F = "initialize_parameters_he"


def test_he_structure(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims), reference, assert_structure, dims)


def test_he_types(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims), reference, assert_types)


def test_he_biases_zero(student, reference):
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(F, dims), reference, assert_biases_zero, dims)


def test_he_arguments(student):
    assert_arguments(student, F, STRUCTURE_CASES[0])


def test_he_seeded_values(student, reference, config):
    check_seeded_values(student, reference, config, "he", F, [(dims, ()) for dims in SEEDED_CASES])


def test_he_accuracy(student, reference, trainer, config):
    train_and_check(student, reference, trainer, config.thresholds["he"], F)
