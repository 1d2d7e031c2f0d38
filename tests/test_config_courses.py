"""A loaded configuration carries its course: two courses loaded in one process are graded each
against its own solutions and data, whichever was loaded last (no process-global "last loaded")."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from autograder.commands.course import init_course
from autograder.config import PROJECT_ROOT, kit_config, load_config
from autograder.engine import Grader
from autograder.rubric.reference import reference_functions, solutions_file
from autograder.sandbox.probes import LocalStudent
from autograder.training.trainer import Trainer

HE = "initialize_parameters_he"
KIT_FACTOR = "np.sqrt(2 / fan_in)"
OTHER_FACTOR = "np.sqrt(3 / fan_in)"  # course B's own (different) He reference


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    """Two course folders made by `initgrade init`; B's He reference and circles data differ from A's."""
    a, b = tmp_path_factory.mktemp("course_a"), tmp_path_factory.mktemp("course_b")
    for folder in (a, b):
        init_course(folder)
    solutions = b / "solutions" / "init_functions.py"
    text = solutions.read_text(encoding="utf-8")
    assert text.count(KIT_FACTOR) == 1  # the line this test changes is still the kit's
    solutions.write_text(text.replace(KIT_FACTOR, OTHER_FACTOR), encoding="utf-8")
    train = b / "data" / "train_circles.h5"
    with h5py.File(train, "r+") as f:
        f["train_set_x"][...] = 2 * f["train_set_x"][...]
    # Loaded in this order on purpose: B is the last one loaded, A is graded after it.
    return load_config(a / "grading.yaml"), load_config(b / "grading.yaml"), a, b


def test_each_loaded_config_carries_its_own_course(courses, monkeypatch):
    monkeypatch.delenv("INITLAB_DATA", raising=False)
    config_a, config_b, a, b = courses
    assert config_a.course_root == a.resolve() and config_b.course_root == b.resolve()
    assert config_a.source == (a / "grading.yaml").resolve()
    assert solutions_file(config_a) == a.resolve() / "solutions" / "init_functions.py"
    assert solutions_file(config_b) == b.resolve() / "solutions" / "init_functions.py"
    assert config_a.data_folder() == a.resolve() / "data" and config_b.data_folder() == b.resolve() / "data"
    # Built in code (no grading.yaml read): the kit's course, never the last one loaded.
    built = type(config_a).model_validate(config_a.model_dump())
    assert built.course_root == PROJECT_ROOT and kit_config().course_root == PROJECT_ROOT


def test_each_course_is_graded_against_its_own_solutions(courses):
    config_a, config_b, _, _ = courses
    ref_a, ref_b = reference_functions(config_a)[HE], reference_functions(config_b)[HE]
    np.random.seed(0)
    w_a = ref_a([5, 4, 3])["W1"]
    np.random.seed(0)
    w_b = ref_b([5, 4, 3])["W1"]
    assert np.allclose(w_b, w_a * np.sqrt(3 / 2))  # each course's own file, not the one loaded last
    # The same submission (course A's reference, as trusted local code) through the engine of each:
    # full points against A's solutions, none against B's, whatever order they run in.
    student = LocalStudent(reference_functions(config_a))
    for _ in range(2):
        for config, passes in ((config_b, False), (config_a, True)):
            with Grader(config, Trainer(config)) as grader:
                result = grader.run_check("he", "seeded_values", student)
            assert result.passed is passes, (config.course_root, result.message)


def test_each_course_trains_on_its_own_data(courses, monkeypatch):
    monkeypatch.delenv("INITLAB_DATA", raising=False)  # the one switch above every course's data/
    config_a, config_b, _, _ = courses
    x_a = Trainer(config_a).data("circles")[0]
    x_b = Trainer(config_b).data("circles")[0]
    assert np.array_equal(x_b, 2 * x_a)
    kit = Trainer(kit_config()).data("circles")[0]
    assert np.array_equal(x_a, kit)  # course A is the kit's course, copied


def test_the_sandbox_hides_the_course_of_the_config_it_grades_with(courses):
    config_a, config_b, a, b = courses
    with Grader(config_a, Trainer(config_a)) as grader_a, Grader(config_b, Trainer(config_b)) as grader_b:
        assert str(a.resolve()) in grader_a.course and str(b.resolve()) not in grader_a.course
        assert str(b.resolve()) in grader_b.course and str((b / "grading.yaml").resolve()) in grader_b.course
