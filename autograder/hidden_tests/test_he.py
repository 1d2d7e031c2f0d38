"""Hidden tests for initialize_parameters_he."""

from autograder.hidden_tests.common import (SEEDED_CASES, STRUCTURE_CASES, assert_accuracy, assert_arguments,
                                            assert_biases_zero, assert_seeded_values, assert_structure,
                                            assert_types, trainable)

F = "initialize_parameters_he"


def test_he_structure(student):
    for dims in STRUCTURE_CASES:
        assert_structure(student.call(F, dims), dims)


def test_he_types(student):
    for dims in STRUCTURE_CASES:
        assert_types(student.call(F, dims))


def test_he_biases_zero(student):
    for dims in STRUCTURE_CASES:
        assert_biases_zero(student.call(F, dims), dims)


def test_he_arguments(student):
    assert_arguments(student, F, STRUCTURE_CASES[0])


def test_he_seeded_values(student, reference, config):
    for dims in SEEDED_CASES:
        assert_seeded_values(student.call(F, dims), reference[F](list(dims)), config.tolerance, "he", dims)


def test_he_accuracy(student, trainer, config):
    threshold = config.thresholds["he"]
    dims = trainer.layers(threshold.training)
    params = trainable(student.call(F, dims), dims)
    assert_accuracy(trainer.outcome(threshold.training, params), threshold, f"from {F}({dims})")
