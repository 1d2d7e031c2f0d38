"""Calls that depend on earlier answers asked in rounds (autograder.sandbox.probes, the engine's
``_run_checks_in_rounds``): exchanges counted, never timed; every check's result, message and
evidence the same as with each call made when asked."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from deep_equal import same

from autograder import engine
from autograder.config import PROJECT_ROOT, load_config
from autograder.engine import Grader
from autograder.evidence import evidence_calls
from autograder.sandbox import ProbeReply, SandboxError
from autograder.sandbox.probes import CallDeferred, SandboxStudent

CONFIG = load_config()
MISTAKES = PROJECT_ROOT / "examples" / "mistakes"


@pytest.fixture(scope="module")
def grader(warm_grader):
    return warm_grader


def _graded(result) -> tuple:
    checks = [(c.name, c.score, c.message, [d.code for d in c.diagnoses]) for c in result.checks]
    return checks, dataclasses.asdict(result.evidence) if result.evidence is not None else None


@pytest.mark.parametrize("name, exchanges", [
    ("he_no_seed", 2),  # the plan (with the evidence call), then the fresh calls of the diagnosis
    ("deep_stops_early", 1),  # no fresh calls: their answer would change none of its findings
    ("he_fan_out", 1),  # its only late call, the evidence's, is in the plan
])
def test_rounds_grade_as_calls_made_one_by_one_in_fewer_exchanges(grader, monkeypatch, name, exchanges):
    path = MISTAKES / f"{name}.py"
    in_rounds = grader.grade(path)
    # as before rounds: every call the plan did not foresee made when asked, and no evidence planned
    plan, evidence = grader.call_plan(), evidence_calls(CONFIG, grader.trainer, set(CONFIG.questions), [])
    monkeypatch.setattr(Grader, "call_plan", lambda self: [c for c in plan if c not in evidence])
    monkeypatch.setattr(engine, "CALL_ROUNDS", 0)
    one_by_one = grader.grade(path)
    assert same(_graded(in_rounds), _graded(one_by_one))
    assert in_rounds.score == one_by_one.score < CONFIG.max_points()
    assert in_rounds.probes == one_by_one.probes
    assert in_rounds.work.sandbox_exchanges == exchanges < one_by_one.work.sandbox_exchanges


# ----------------------------------------------------------------------------- the student's side, on a stand-in


class StandIn:
    """A sandbox stand-in: answers from a table, records every exchange's calls."""

    def __init__(self, answers):
        self.answers = answers
        self.fatal: dict[str, SandboxError] = {}
        self.limits = CONFIG.limits
        self.exchanges: list[list[str]] = []
        self.starts = 0

    def restart_if_ended(self):
        self.starts += 1

    def call_planned(self, calls):
        self.exchanges.append([f"{f}{a}" for f, a in calls])
        return [self.answers(f, a) for f, a in calls]

    def call(self, function, args):
        self.exchanges.append([f"{function}{args}"])
        return self.answers(function, args)


def _reply(value: float) -> ProbeReply:
    header = {"status": "returned", "kind": "dict", "mutated": [],
              "entries": [{"key": "W1", "type": "ndarray", "exact_ndarray": True, "dtype": "float64",
                           "shape": [2], "data": 0}]}
    return ProbeReply(header, [np.full(2, value)])


def _by_first_arg(function, args):
    return _reply(float(args[0]))


def test_calls_noted_while_gathering_go_in_one_round_and_are_never_noted_twice():
    stand_in = StandIn(_by_first_arg)
    student = SandboxStudent(stand_in)
    student.gathering = True
    for n in (1, 2):  # two checks, each stopping at its call
        with pytest.raises(CallDeferred):
            student.call("f", n)
    assert stand_in.exchanges == []  # nothing asked yet
    assert student.next_round()
    assert stand_in.exchanges == [["f[1]", "f[2]"]] and student.exchanges == 1
    assert student.call("f", 1).arrays["W1"].tolist() == [1.0, 1.0]  # the checks run again: answered
    assert student.call("f", 2).arrays["W1"].tolist() == [2.0, 2.0]
    assert not student.next_round()  # nothing new
    with pytest.raises(CallDeferred):
        student.call_fresh("f", 1)  # a fresh call is a call of its own, noted apart
    assert student.exchanges == 1
    with pytest.raises(CallDeferred):
        student.call("f", 3)
    student._wanted.clear()  # as if its round was asked and its answer not kept
    student._noted.add(student._key("f", (3,), False))
    assert student.call("f", 3).arrays["W1"].tolist() == [3.0, 3.0]  # noted once already: made now
    assert stand_in.exchanges[-1] == ["f[3]"] and student.exchanges == 2


def test_fresh_calls_asked_ahead_go_in_one_round_and_answer_every_run_of_the_check():
    calls = {"n": 0}

    def answers(function, args):
        calls["n"] += 1
        return _reply(float(args[0]) + 100 * calls["n"])  # every call draws anew

    stand_in = StandIn(answers)
    student = SandboxStudent(stand_in)
    student.gathering = True
    student.ask_ahead("f", [(1,), (2,), (3,)], fresh=True)
    with pytest.raises(CallDeferred):
        student.call_fresh("f", 1)
    assert student.next_round()
    assert stand_in.exchanges == [["f[1]", "f[2]", "f[3]"]]
    first = [student.call_fresh("f", n).arrays["W1"][0] for n in (1, 2, 3)]
    again = [student.call_fresh("f", n).arrays["W1"][0] for n in (1, 2, 3)]  # the check run again
    assert first == again == [101.0, 202.0, 303.0] and len(stand_in.exchanges) == 1


def test_a_round_that_ends_the_sandbox_leaves_the_rest_to_the_next_round():
    def answers(function, args):
        return _reply(1.0)

    stand_in = StandIn(answers)
    stand_in.call_planned = lambda calls: (stand_in.exchanges.append([f for f, _ in calls]),
                                           [_reply(1.0)])[1]  # the first answered, then the sandbox ended
    student = SandboxStudent(stand_in)
    student.prefetch([("f", (1,), False), ("g", (1,), False), ("h", (1,), False)])
    student.gathering = True
    assert student.next_round()  # g and h asked again, though no check asked yet
    assert stand_in.exchanges[-1] == ["g", "h"]

