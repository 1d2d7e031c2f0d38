"""The classes of student mistakes the messages name, checked on plain data (no sandbox, no batch).

tests/test_messages.py grades one notebook per case end to end; this file holds each class's rule
on its own, with its variants:

* a function that returns None: ``print(...)`` where the ``return`` belongs (of the dictionary or of
  something else, with or without a bare ``return``), no ``return`` at all, and a ``return`` with a
  value (then the source explains nothing and the general sentence stays);
* weights of a float dtype other than float64: the types check names the keys, the dtypes and the
  conversion to remove, and gives grading.yaml's ``partial_credit.types``; values rounded to float16
  are told as such by the seeded-values check, not as a seeding mistake; the model still trains;
* the bias line that kept the weights' key (``parameters['W' + str(l)] = np.zeros(...)``);
* one cause told once: a submission that cannot be graded, the same error with another call's sizes,
  a training check that cannot train for a problem a structure or types check told; and a check's
  last-resort "values differ" replaced by the mistake its question's other checks named.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from autograder.config import GradingConfig, load_config
from autograder.diagnose import diagnose
from autograder.diagnose.explain import not_a_dict
from autograder.diagnose.no_return import why_none
from autograder.rubric.common import PartialCredit, _rounded_to, assert_types, trainable
from autograder.rubric.reference import reference_functions
from autograder.rubric.runner import Failed, Partial, run_check
from autograder.sandbox.probes import Returned

CONFIG = load_config()
initialize_parameters_he = reference_functions(CONFIG)["initialize_parameters_he"]
FUNCTIONS = CONFIG.question_functions


def _place(n: int) -> str:
    return f"cell [9] (the cell starting `def f(`), line {n + 2}"


def _function(last: list[str], name: str = "parameters") -> list[str]:
    return ["def f(layers_dims):", "    np.random.seed(3)", f"    {name} = {{}}",
            "    for l in range(1, len(layers_dims)):",
            f"        {name}['W' + str(l)] = np.zeros((layers_dims[l], layers_dims[l-1]))", *last]


def test_a_print_of_the_dictionary_for_its_return_is_quoted_with_its_place_and_the_line_to_write():
    said = why_none(_function(["    print(parameters)"]), _place)
    assert "prints instead of returning: `print(parameters)` (cell [9] (the cell starting `def f(`), line 8)" in said
    assert "shows the dictionary on the screen" in said
    assert "Write `return parameters` in place of that line" in said


def test_a_print_of_something_else_keeps_the_print_and_adds_the_return_even_after_a_bare_return():
    said = why_none(_function(["    print(parameters['W1'])", "    return"]), _place)
    assert "`print(parameters['W1'])`" in said and "shows a value on the screen" in said
    assert "End the function with `return parameters` (the print may stay)" in said


def test_the_students_own_dictionary_name_is_the_one_to_return():
    said = why_none(_function(["    print(params)"], name="params"), _place)
    assert "Write `return params` in place of that line" in said


def test_no_return_at_all_points_at_the_def_line():
    said = why_none(_function([]), _place)
    assert said.startswith("the function has no `return` statement (cell [9] (the cell starting `def f(`), line 3)")
    assert "End it with `return parameters`" in said and "print" not in said


@pytest.mark.parametrize("last", [["    return parameters"], ["    if False:", "        return parameters"]])
def test_a_return_with_a_value_leaves_the_general_sentence(last):
    assert why_none(_function(last), _place) == ""
    general = not_a_dict("f([5, 4, 3])", "builtins.NoneType", "None", " (cell [9], line 1)", "")
    assert "returned `None`, not the dictionary of parameters (cell [9], line 1): a function without a `return`" \
        in general


def test_a_print_inside_a_nested_function_is_not_the_functions_own():
    lines = _function(["    def show():", "        print(parameters)", "        return parameters", "    show()"])
    said = why_none(lines, _place)
    assert said.startswith("the function has no `return` statement")


def test_source_that_does_not_parse_explains_nothing():
    assert why_none(["def f(layers_dims:", "    print(x)"], _place) == ""


def _returned(dtypes: dict[str, str], dims=(5, 4, 3), round_to: str | None = None) -> Returned:
    expected = initialize_parameters_he(list(dims))
    arrays = {k: (v.astype(round_to).astype(np.float64) if round_to and k.startswith("W") else v)
              for k, v in expected.items()}
    entries = [{"key": k, "type": "numpy.ndarray", "exact_ndarray": True, "dtype": dtypes.get(k, "float64"),
                "shape": list(v.shape)} for k, v in arrays.items()]
    return Returned("initialize_parameters_he", (list(dims),), entries, arrays)


def test_float32_weights_name_the_keys_the_dtypes_and_the_conversion_as_partial_credit():
    r = _returned({"W1": "float32", "W2": "float32"})
    with pytest.raises(PartialCredit) as caught:
        assert_types(r)
    said = str(caught.value)
    assert caught.value.fraction == 1.0 and caught.value.diagnoses == []
    assert "initialize_parameters_he([5, 4, 3]): W1, W2 have dtype float32; expected float64" in said
    assert "`.astype(np.float32)`" in said and "`dtype=np.float32`" in said
    assert trainable(r, [5, 4, 3]).keys() == {"W1", "b1", "W2", "b2"}  # the model still trains from them


def test_float64_arrays_pass_and_an_int_dtype_is_a_plain_failure():
    assert_types(_returned({}))
    with pytest.raises(AssertionError, match="dtype int64; expected a float dtype") as caught:
        assert_types(_returned({"W1": "int64"}))
    assert not isinstance(caught.value, PartialCredit)


@pytest.mark.parametrize("fraction, points", [(None, 0.0), (0.5, 0.5), (1.0, 1.0)])
def test_partial_credit_types_sets_what_float32_keeps(fraction, points):
    r = _returned({"W1": "float32"})

    def check():
        assert_types(r)

    outcome = run_check(check, {})
    assert isinstance(outcome, Partial) and outcome.fraction == 1.0
    raw = yaml.safe_load(CONFIG.source.read_text(encoding="utf-8"))
    if fraction is not None:
        raw["partial_credit"]["types"] = fraction  # the key grading.yaml's validation must accept
    cap = GradingConfig.model_validate(raw)
    assert min(outcome.fraction, cap.partial_fraction("he", "types")) == points


def test_values_rounded_to_float16_are_recognised_and_float32_ones_need_no_excuse():
    expected = initialize_parameters_he([5, 4, 3])
    rounded = _returned({"W1": "float16", "W2": "float16"}, round_to="float16")
    assert _rounded_to(rounded, expected, CONFIG.tolerance) == "float16"
    wrong = _returned({"W1": "float16", "W2": "float16"})
    wrong.arrays["W1"] = wrong.arrays["W1"] * 2
    assert _rounded_to(wrong, expected, CONFIG.tolerance) == ""
    assert _rounded_to(_returned({}), expected, CONFIG.tolerance) == ""


def test_a_bias_stored_under_the_weights_key_is_named_and_explains_everything():
    dims = [5, 4, 3]
    expected = initialize_parameters_he(dims)
    returned = {f"W{l}": np.zeros((dims[l], 1)) for l in (1, 2)}
    found = diagnose("he", dims, returned, expected, tolerance=CONFIG.tolerance, functions=FUNCTIONS)
    assert [d.code for d in found] == ["wrong-keys"]
    assert "W1 has shape (4, 1), the shape of b1" in found[0].message
    assert "`parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))`" in found[0].message
    # b keys missing for another reason (weights of the right shape) stay the general wrong-keys message
    plain = diagnose("he", dims, {k: v for k, v in expected.items() if k.startswith("W")}, expected,
                     tolerance=CONFIG.tolerance, functions=FUNCTIONS)
    assert "the shape of b1" not in plain[0].message and "Missing: b1, b2" in plain[0].message


def test_a_failed_check_of_float32_is_not_broken():
    r = _returned({"W2": "float32"})
    outcome = run_check(lambda: assert_types(r), {})
    assert not isinstance(outcome, Failed) and isinstance(outcome, Partial)


def test_a_submission_that_cannot_be_graded_is_told_its_cause_once():
    """A notebook that cannot be read (or code that exits while loading) fails every check for one
    cause: the first check says it, the others point there instead of repeating it 24 times."""
    from types import SimpleNamespace

    from autograder.engine import Grader
    from autograder.rubric import collect_checks

    grader = SimpleNamespace(config=CONFIG, checks=list(collect_checks(CONFIG)))
    checks = Grader._zero_checks(grader, "the submission could not be read: not a notebook (invalid JSON)")
    assert len(checks) == len(grader.checks) > 1 and all(c.score == 0 and not c.passed for c in checks)
    assert checks[0].message == "the submission could not be read: not a notebook (invalid JSON)"
    assert {c.message for c in checks[1:]} == {
        f"Not run: nothing could be graded, for the reason given under \"{checks[0].name}\"; fix that first."}


def test_a_checks_last_resort_diagnosis_gives_way_to_the_mistake_its_question_named():
    """An accuracy check that saw one call says "values differ" where the seeded-values check, with
    more calls, named an offset: the accuracy check names the offset too (then points to it)."""
    from autograder.base.results import CheckResult, Diagnosis
    from autograder.engine import _say_each_diagnosis_once
    from autograder.rubric.common import with_diagnosis
    from autograder.rubric.told_once import prefer_the_named_mistake

    offset = Diagnosis("weights-offset", "A constant added to the weights", "Remove the `+ 0.5`.", "random-scale",
                       "medium")
    vague = Diagnosis("values-differ", "Values differ from the reference", "No common mistake reproduces them.",
                      "random-scale", "medium")
    seeded = CheckResult("random", "seeded_values", "random: seeded values", 0, 3, False,
                         with_diagnosis("W1 differs.", [offset], "initialization.ipynb"), [offset])
    accuracy = CheckResult("random", "accuracy_scale_10", "random: accuracy scale 10", 0, 1, False,
                           with_diagnosis("accuracy 0.58; expected >= 0.8.", [vague], "initialization.ipynb"), [vague])
    other = CheckResult("he", "accuracy", "he: accuracy", 0, 2, False,
                        with_diagnosis("accuracy 0.5.", [vague], "initialization.ipynb"), [vague])
    checks = [seeded, accuracy, other]
    prefer_the_named_mistake(checks, "initialization.ipynb")
    assert accuracy.diagnoses == [offset] and accuracy.message.startswith("accuracy 0.58; expected >= 0.8. Diagnosis: "
                                                                          "A constant added to the weights.")
    assert "No common mistake" not in accuracy.message
    assert other.diagnoses == [vague]  # another question keeps its own
    _say_each_diagnosis_once(checks)
    assert 'A constant added to the weights. Explained under "random: seeded values"' in accuracy.message


def test_the_same_error_with_other_sizes_is_one_cause_told_once():
    """np.zeros(n, m) raises "Cannot interpret '5' as a data type" for one call and "'2'" for the
    training's: one mistake, told in full by the first check, pointed to by the next."""
    from autograder.base.results import CheckResult
    from autograder.engine import _say_each_cause_once

    first = CheckResult("zeros", "structure", "zeros: structure", 0, 2, False, "f([5, 4, 3]) raised ... '5' ...",
                        cause="initialize_parameters_zeros: TypeError: Cannot interpret '5' as a data type")
    later = CheckResult("zeros", "symmetry", "zeros: symmetry", 0, 3, False, "f([2, 10, 5, 1]) raised ... '2' ...",
                        cause="initialize_parameters_zeros: TypeError: Cannot interpret '2' as a data type")
    other = CheckResult("he", "structure", "he: structure", 0, 2, False, "he raised a NameError",
                        cause="initialize_parameters_he: NameError: name 'layer_dims' is not defined")
    _say_each_cause_once([first, later, other])
    assert first.message == "f([5, 4, 3]) raised ... '5' ..."
    assert later.message == 'Not run: the function failed as described in "zeros: structure".'
    assert other.message == "he raised a NameError"


def test_a_training_check_points_to_the_check_that_told_its_problem():
    """zeros with dtype=int: the types check tells it; the symmetry check cannot train for the same
    reason with the training's sizes and points there. Another problem is still told in full."""
    from autograder.base.results import CheckResult
    from autograder.rubric.common import UNTRAINABLE
    from autograder.rubric.told_once import say_each_untrainable_once

    said = ("initialize_parameters_zeros({}): W1 has dtype int64; expected a float dtype (float64). np.zeros(shape) "
            "and np.random.randn give float64: remove the `dtype=int`.")
    types = CheckResult("zeros", "types", "zeros: types", 0, 1, False, said.format("[5, 4, 3]"))
    symmetry = CheckResult("zeros", "symmetry", "zeros: symmetry", 0, 3, False,
                           UNTRAINABLE + said.format("[2, 10, 5, 1]"))
    other = CheckResult("he", "accuracy", "he: accuracy", 0, 2, False,
                        UNTRAINABLE + said.format("[2, 10, 5, 1]").replace("zeros", "he"))
    say_each_untrainable_once([types, symmetry, other])
    assert symmetry.message == (UNTRAINABLE + 'initialize_parameters_zeros([2, 10, 5, 1]) returned them with the '
                                'problem told under "zeros: types"; fix that first.')
    assert other.message.startswith(UNTRAINABLE + "initialize_parameters_he([2, 10, 5, 1]): W1 has dtype int64")
