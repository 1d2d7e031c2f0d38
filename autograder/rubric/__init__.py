"""The rubric: what is graded, as plain pytest-style functions, one module per question.

A check is a function ``test_<question>_<check>`` in ``test_<question>.py``; its
points come from ``grading.yaml`` (``questions.<question>.checks.<check>``). The
engine calls each with the fixtures it names (``student``, ``reference``,
``trainer``, ``config``); instructors run the same functions with
``pytest autograder/rubric`` against the solutions (see conftest.py).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

from autograder.config import ConfigError, GradingConfig


def collect_checks(config: GradingConfig) -> dict[tuple[str, str], Callable[..., object]]:
    """Map (question, check) -> test function, and prove grading.yaml and the tests agree."""
    found: dict[tuple[str, str], Callable[..., object]] = {}
    problems = []
    for question in config.questions:
        try:
            module = importlib.import_module(f"autograder.rubric.test_{question}")
        except ModuleNotFoundError:
            problems.append(f"question {question!r}: no module autograder/rubric/test_{question}.py")
            continue
        prefix = f"test_{question}_"
        tests = {name[len(prefix):]: fn for name, fn in inspect.getmembers(module, inspect.isfunction)
                 if name.startswith(prefix) and fn.__module__ == module.__name__}
        listed = set(config.questions[question].checks)
        for missing in sorted(listed - set(tests)):
            problems.append(f"questions.{question}.checks.{missing}: no test function {prefix}{missing}")
        for unlisted in sorted(set(tests) - listed):
            problems.append(f"{prefix}{unlisted} exists but questions.{question}.checks has no {unlisted!r} "
                            "(no points)")
        for check in config.questions[question].checks:
            if check in tests:
                found[(question, check)] = tests[check]
    if problems:
        raise ConfigError("grading.yaml and the rubric's checks disagree:\n  " + "\n  ".join(problems))
    return found


def check_title(question: str, check: str) -> str:
    """The test name shown to students and in results.json: ``he: seeded values``."""
    return f"{question}: {check.replace('_', ' ')}"
