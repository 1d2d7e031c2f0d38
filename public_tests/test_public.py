"""Public tests: the notebook's checks, run by pytest.

``pytest public_tests`` checks the file chosen in ``public_tests/conftest.py``
(your notebook, ``assignment/initialization.ipynb``, loaded the way the grader loads it;
``init_functions.py`` when there is no notebook, or another file named with ``--notebook``,
``--module`` or ``INITGRADE_PUBLIC_TARGET``). Each test calls exactly the check the notebook calls after the
matching graded cell, so a failure here prints the same explanation.
"""

from __future__ import annotations

import pytest

from public_tests.checks import check_deep, check_he, check_random, check_zeros

CASES = [
    ("initialize_parameters_zeros", check_zeros),
    ("initialize_parameters_random", check_random),
    ("initialize_parameters_he", check_he),
    ("initialize_parameters_deep", check_deep),
]


@pytest.mark.parametrize(("function_name", "check"), CASES, ids=[c[0] for c in CASES])
def test_function(target_module, function_name, check):
    fn = getattr(target_module, function_name, None)
    assert fn is not None, (
        f"{target_module.__file__} has no function named {function_name}; "
        "do not rename the functions you were given"
    )
    check(fn)
