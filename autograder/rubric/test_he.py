"""The rubric's checks of question he (He initialization), one ``test_he_<check>`` each.

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

QUESTION = "he"


def test_he_structure(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims), reference, config, assert_structure, dims)


def test_he_types(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims), reference, config, assert_types)


def test_he_biases_zero(student, reference, config):
    function = config.questions[QUESTION].function
    for dims in STRUCTURE_CASES:
        diagnosed(student.call(function, dims), reference, config, assert_biases_zero, dims)


def test_he_arguments(student, reference, config):
    function = config.questions[QUESTION].function
    assert_arguments(student, function, STRUCTURE_CASES[0], reference=reference)


def test_he_seeded_values(student, reference, config):
    check_seeded_values(student, reference, config, QUESTION, [(dims, ()) for dims in SEEDED_CASES])


def test_he_accuracy(student, reference, trainer, config):
    function = config.questions[QUESTION].function
    train_and_check(student, reference, trainer, config, config.thresholds["he"], function)
