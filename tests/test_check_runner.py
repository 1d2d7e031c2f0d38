"""One check runner (autograder.rubric.runner) with a typed outcome: passed, partial, failed with
diagnoses, broken; the engine and the in-kernel checks both run checks through it and say the
same thing of each outcome."""

from __future__ import annotations

from pathlib import Path

import pytest

import autograder
from autograder.config import load_config
from autograder.diagnose.findings import Diagnosis
from autograder.engine import Grader
from autograder.rubric.common import CheckFailure, PartialCredit
from autograder.rubric.reference import reference_functions
from autograder.rubric.runner import Broken, Failed, Partial, Passed, run_check
from autograder.sandbox.probes import LocalStudent
from autograder.training.submission_trainer import SubmissionTrainer, TrainingDeferred
from autograder.training.trainer import Trainer

CONFIG = load_config()
HE = "initialize_parameters_he"
DIAG = Diagnosis("he-factor", "He factor missing", "multiply by sqrt(2 / n)", "he-variance", "high")
SEEN: list[tuple] = []  # the fixtures each fake check was given


def passes(student, config):
    SEEN.append((student, config))


def partial(config):
    raise PartialCredit(0.9, "nearly right: the seeding differs", [DIAG])


def fails(student, reference):
    raise CheckFailure("W1 differs at [0, 1]", [DIAG])


def fails_plainly():
    raise AssertionError  # a bare assert that failed: no message


def calls_a_missing_function(student):
    student.call("not_written_yet", [3, 2])


def broken(trainer):
    raise KeyError("a bug in the check")


def defers(trainer):
    raise TrainingDeferred("circles")


def _fixtures():
    reference = reference_functions(CONFIG)
    return {"student": LocalStudent(reference), "reference": reference, "config": CONFIG,
            "trainer": SubmissionTrainer(Trainer(CONFIG), "plan")}


def test_each_outcome_from_the_one_runner():
    fixtures = _fixtures()
    SEEN.clear()
    assert run_check(passes, fixtures) == Passed()
    assert SEEN == [(fixtures["student"], CONFIG)]  # only the fixtures its parameters name, by name
    assert run_check(partial, fixtures) == Partial(0.9, "nearly right: the seeding differs", [DIAG])
    assert run_check(fails, fixtures) == Failed("W1 differs at [0, 1]", [DIAG])
    assert run_check(fails_plainly, fixtures) == Failed("check failed")
    missing = run_check(calls_a_missing_function, fixtures)
    assert isinstance(missing, Failed) and "not_written_yet" in missing.message
    assert run_check(broken, fixtures) == Broken("KeyError: 'a bug in the check'")
    assert "please tell your instructor" in Broken("KeyError: x").message
    with pytest.raises(TrainingDeferred):  # not an outcome: the engine runs the check again later
        run_check(defers, fixtures)


@pytest.fixture(scope="module")
def grader(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    with Grader(CONFIG, Trainer(CONFIG, cache), [str(cache)]) as g:
        yield g


def _engine(grader, monkeypatch, check):
    monkeypatch.setitem(grader.checks, ("he", "seeded_values"), check)
    return grader.run_check("he", "seeded_values", LocalStudent(grader.reference))


def _inkernel(monkeypatch, check):
    from autograder.platforms import inkernel

    monkeypatch.setitem(inkernel._context().checks, ("he", "seeded_values"), check)
    return inkernel.run_check("he", "seeded_values", {HE: reference_functions(CONFIG)[HE]})


@pytest.fixture
def kernel(monkeypatch, tmp_path):
    from autograder.platforms import inkernel

    monkeypatch.setenv("INITGRADE_INKERNEL_CACHE", str(tmp_path))
    inkernel.reset()
    yield
    inkernel.reset()


def test_the_engine_scores_each_outcome(grader, monkeypatch):
    points = CONFIG.questions["he"].checks["seeded_values"]
    cap = CONFIG.partial_fraction("he", "seeded_values")
    assert 0 < cap < 0.9  # grading.yaml's cap is below what the fake check asks
    ok = _engine(grader, monkeypatch, passes)
    assert (ok.passed, ok.score, ok.message) == (True, points, "")
    part = _engine(grader, monkeypatch, partial)
    assert (part.passed, part.score, part.diagnoses) == (False, round(points * cap, 6), [DIAG]) and part.partial
    failed = _engine(grader, monkeypatch, fails)
    assert (failed.score, failed.message, failed.diagnoses) == (0.0, "W1 differs at [0, 1]", [DIAG])
    bug = _engine(grader, monkeypatch, broken)
    assert bug.score == 0.0 and bug.message == Broken("KeyError: 'a bug in the check'").message
    with pytest.raises(TrainingDeferred):
        _engine(grader, monkeypatch, defers)


def test_the_inkernel_checks_say_the_same_of_each_outcome(grader, monkeypatch, kernel):
    assert _inkernel(monkeypatch, passes) is None
    for check in (partial, fails, fails_plainly, broken):
        with pytest.raises(AssertionError) as raised:
            _inkernel(monkeypatch, check)
        assert str(raised.value) == _engine(grader, monkeypatch, check).message, check.__name__


def test_no_other_module_runs_a_check_by_itself():
    """Fixture injection by parameter name is written once: in the runner."""
    for rel in ("engine.py", "commands/course.py", "batch/grading.py", "platforms/inkernel.py"):
        text = Path(autograder.__file__).parent.joinpath(rel).read_text(encoding="utf-8")
        assert "inspect.signature" not in text, rel
        assert "from autograder.rubric.runner import" in text or rel == "batch/grading.py", rel
    warm_up = Path(autograder.__file__).parent.joinpath("batch/grading.py").read_text(encoding="utf-8")
    assert "grader.run_check(" in warm_up  # the warm-up runs its checks through the engine's run_check
