"""Hidden tests for initialize_parameters_random (scale 10 and the default 0.01)."""

from autograder.hidden_tests.common import (SEEDED_CASES, STRUCTURE_CASES, assert_accuracy, assert_arguments,
                                            assert_biases_zero, assert_seeded_values, assert_structure,
                                            assert_types, trainable)

F = "initialize_parameters_random"


def test_random_structure(student):
    for dims in STRUCTURE_CASES:
        assert_structure(student.call(F, dims, 10), dims)


def test_random_types(student):
    for dims in STRUCTURE_CASES:
        assert_types(student.call(F, dims, 10))


def test_random_biases_zero(student):
    for dims in STRUCTURE_CASES:
        assert_biases_zero(student.call(F, dims, 10), dims)


def test_random_arguments(student):
    assert_arguments(student, F, STRUCTURE_CASES[0], 10)


def test_random_seeded_values(student, reference, config):
    for dims in SEEDED_CASES:
        for extra in ((10,), (), (0.5,)):
            expected = reference[F](list(dims), *extra)
            assert_seeded_values(student.call(F, dims, *extra), expected, config.tolerance, "random", dims)


def _accuracy(student, trainer, config, name, *extra):
    threshold = config.thresholds[name]
    dims = trainer.layers(threshold.training)
    params = trainable(student.call(F, dims, *extra), dims)
    assert_accuracy(trainer.outcome(threshold.training, params), threshold,
                    f"from {F}({dims}{''.join(f', {e}' for e in extra)})")


def test_random_accuracy_scale_10(student, trainer, config):
    _accuracy(student, trainer, config, "random_scale_10", config.thresholds["random_scale_10"].scale)


def test_random_accuracy_default_scale(student, trainer, config):
    """With the default 0.01 the signal vanishes: accuracy stays near chance."""
    _accuracy(student, trainer, config, "random_default_scale")
