"""The rubric's checks of question random (random initialization, at scale 10 and the default 0.01),
one ``test_random_<check>`` each.

grading.yaml names the function they call and gives each check its points.
"""

from autograder.rubric.common import (
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

QUESTION = "random"


def test_random_structure(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims, 10), reference, config, assert_structure, dims)


def test_random_types(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims, 10), reference, config, assert_types)


def test_random_biases_zero(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims, 10), reference, config, assert_biases_zero, dims)


def test_random_arguments(student, reference, config):
    function = config.questions[QUESTION].function
    assert_arguments(student, function, STRUCTURE_CASES[0], 10, reference=reference)


def test_random_seeded_values(student, reference, config):
    calls = [(dims, extra) for dims in SEEDED_CASES for extra in ((10,), (), (0.5,))]
    check_seeded_values(student, reference, config, QUESTION, calls)


def test_random_accuracy_scale_10(student, reference, trainer, config):
    function = config.questions[QUESTION].function
    threshold = config.thresholds["random_scale_10"]
    train_and_check(student, reference, trainer, config, threshold, function, threshold.scale)


def test_random_accuracy_default_scale(student, reference, trainer, config):
    """With the default 0.01 the signal vanishes: accuracy stays near chance."""
    function = config.questions[QUESTION].function
    train_and_check(student, reference, trainer, config, config.thresholds["random_default_scale"], function)
