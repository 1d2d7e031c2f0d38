"""One exchange for the calls a submission's checks need (probes.SandboxStudent.prefetch,
Sandbox.call_planned, sandbox/host/pipeline.py): exchanges counted, never timed; every answer
the same as a call made when a check asks; deadlines, fatal calls and reply caps kept."""

from __future__ import annotations

import fcntl
import os
import struct
import termios

import numpy as np
import pytest

from autograder import engine
from autograder.config import PROJECT_ROOT, load_config
from autograder.engine import Grader
from autograder.evidence import evidence_calls
from autograder.sandbox import ProbeReply, ProbeTimeout, SandboxError, wire
from autograder.sandbox import outcomes as words
from autograder.sandbox.host.pipeline import IN_FLIGHT_BYTES, PipelinedRequests
from autograder.sandbox.probes import SandboxStudent
from autograder.training.trainer import Trainer

CONFIG = load_config()
MISTAKES = PROJECT_ROOT / "examples" / "mistakes"


@pytest.fixture(scope="module")
def grader(warm_grader):
    return warm_grader


def test_a_correct_submission_needs_one_exchange_for_all_its_calls(grader):
    plan = grader.call_plan()
    assert len(plan) > 20  # every question's structure, seeded and training calls
    result = grader.grade(PROJECT_ROOT / "examples" / "submissions" / "correct_module.py")
    assert result.score == CONFIG.max_points()
    assert result.work.sandbox_exchanges == 1
    # every call the checks make, from the one exchange; the evidence calls planned for a wrong
    # submission are answered too, and left unused
    asked = grader.checks_calls()
    assert all(call in plan for call in evidence_calls(CONFIG, grader.trainer, set(CONFIG.questions), []))
    assert len(plan) > len(asked) and result.probes == len({(f, repr(a), t) for f, a, t in asked})


def _checks(result):
    return [(c.name, c.score, c.message) for c in result.checks]


SLOW_RANDOM = '''

def initialize_parameters_random(layers_dims, scale=0.01):  # replaces the correct one above
    while True:
        pass
'''


@pytest.mark.parametrize("name", ["he_no_seed", "zeros_random", "random_scale_ignored", "deep_stops_early",
                                  "slow_random"])
def test_planned_answers_grade_as_calls_made_on_demand(grader, monkeypatch, tmp_path, name):
    if name == "slow_random":  # a planned call that hangs: its deadline, then the rest on demand
        path = tmp_path / "slow_random.py"
        path.write_text((PROJECT_ROOT / "solutions" / "init_functions.py").read_text() + SLOW_RANDOM)
        fast = CONFIG.model_copy(update={"limits": CONFIG.limits.model_copy(update={"probe_seconds": 2})})
        g = Grader(fast, grader.trainer, [str(tmp_path)])
    else:
        path, g = MISTAKES / f"{name}.py", grader
    planned = g.grade(path)
    monkeypatch.setattr(Grader, "call_plan", lambda self: [])
    monkeypatch.setattr(engine, "CALL_ROUNDS", 0)  # and every later call made when asked
    on_demand = g.grade(path)
    assert _checks(planned) == _checks(on_demand)
    assert planned.probes == on_demand.probes
    assert planned.work.sandbox_exchanges < on_demand.work.sandbox_exchanges
    if name == "slow_random":
        g.close()
        messages = [c.message for c in planned.checks if c.question == "random"]
        assert any("did not return within 2 s" in m for m in messages)
        assert planned.question_scores()["he"] == sum(CONFIG.questions["he"].checks.values())


# ----------------------------------------------------------------------------- the student's side, on a stand-in


class StandIn:
    """A sandbox stand-in: answers from a table, counts exchanges."""

    def __init__(self, answers: dict[str, object]):
        self.answers = answers
        self.fatal: dict[str, SandboxError] = {}
        self.limits = CONFIG.limits  # as a Sandbox has them
        self.planned_exchanges = 0
        self.calls: list[str] = []

    def _answer(self, function, args):
        a = self.answers[function]
        return a(args) if callable(a) else a

    def call_planned(self, calls):
        self.planned_exchanges += 1
        return [self._answer(f, a) for f, a in calls]

    def call(self, function, args):
        self.calls.append(function)
        answer = self._answer(function, args)
        if isinstance(answer, SandboxError):
            raise answer
        return answer


def _reply(n: int, value: float = 1.0) -> ProbeReply:
    header = {"status": "returned", "kind": "dict", "mutated": [],
              "entries": [{"key": "W1", "type": "ndarray", "exact_ndarray": True, "dtype": "float64",
                           "shape": [n], "data": 0}]}
    return ProbeReply(header, [np.full(n, value)])


def test_a_planned_answer_is_used_once_and_never_for_a_fresh_call():
    stand_in = StandIn({"f": _reply(4)})
    student = SandboxStudent(stand_in)
    student.prefetch([("f", ([1, 2],), False)])
    assert stand_in.planned_exchanges == 1 and student.exchanges == 1
    assert student.call("f", [1, 2]).arrays["W1"].tolist() == [1.0] * 4
    assert stand_in.calls == []  # answered ahead
    stand_in.answers["f"] = _reply(4, 2.0)
    assert student.call_fresh("f", [1, 2]).arrays["W1"].tolist() == [2.0] * 4  # made again, now
    assert stand_in.calls == ["f"] and student.exchanges == 2


def test_planned_answers_over_the_reply_bound_are_not_kept_but_asked_again():
    stand_in = StandIn({"f": lambda args: _reply(args[0]["list"][0])})
    student = SandboxStudent(stand_in, max_held_bytes=8 * 100)
    student.prefetch([("f", ([60],), False), ("f", ([60, 1],), False)])
    assert len(student._planned) == 1  # 480 + 480 bytes: the second is over 800
    student.call("f", [60])
    assert stand_in.calls == []
    with pytest.raises(AssertionError, match="replies_mb"):
        student.call("f", [60, 1])  # asked now, and over the memo's bound as it would be anyway
    assert stand_in.calls == ["f"]


def test_a_planned_death_marks_the_function_only_when_its_call_is_asked_for():
    died = words.died_in_call("g", "killed by signal 9")
    stand_in = StandIn({"g": died, "h": _reply(2)})
    student = SandboxStudent(stand_in)
    student.prefetch([("g", ([1],), False)])
    assert stand_in.fatal == {}
    with pytest.raises(AssertionError, match="ended during this call"):
        student.call("g", [1])
    assert stand_in.fatal == {"g": died}


def test_a_planned_timeout_stops_the_function_like_a_call_made_then():
    stand_in = StandIn({"g": words.call_timeout("g", 10), "h": _reply(2)})
    student = SandboxStudent(stand_in)
    student.prefetch([("g", ([1],), False), ("h", ([1],), False)])
    with pytest.raises(AssertionError, match="did not return within 10 s"):
        student.call("g", [1])
    with pytest.raises(AssertionError, match="not called again"):
        student.call("g", [2])
    assert isinstance(words.call_timeout("g", 1), ProbeTimeout) and stand_in.calls == []


# ----------------------------------------------------------------------------- the pipe


def _unread(fd: int) -> int:
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def test_requests_sent_ahead_never_fill_more_than_a_page_of_the_pipe():
    r, w = os.pipe()
    try:
        requests = [(i, {"op": "call", "function": "initialize_parameters_he", "args": [[5, 4, 3, 2, i]], "seq": i})
                    for i in range(120)]
        pipe = PipelinedRequests(w, requests)
        for i in range(len(requests)):
            pipe.send_up_to(i)
            assert 0 < _unread(r) <= IN_FLIGHT_BYTES
            header, _ = wire.read_frame(r)  # the sandbox reads request i, then replies
            assert header["seq"] == i
            pipe.consumed(i)
        assert pipe.sent == len(requests) and _unread(r) == 0
        big = PipelinedRequests(w, [(0, {"op": "call", "function": "f", "args": [list(range(1500))], "seq": 0}),
                                    (1, {"op": "call", "function": "f", "args": [[1]], "seq": 1})])
        big.send_up_to(0)  # larger than a page, alone in the pipe, as one call writes it
        assert big.sent == 1 and _unread(r) > IN_FLIGHT_BYTES
        assert wire.read_frame(r)[0]["seq"] == 0
    finally:
        os.close(r)
        os.close(w)


def test_the_plan_is_what_the_checks_ask_of_a_correct_submission(grader):
    plan = grader.call_plan()
    functions = {q.function for q in CONFIG.questions.values()}
    assert {f for f, _, _ in plan} == functions
    dims = Trainer(CONFIG).layers("circles")
    assert ("initialize_parameters_he", (dims,), False) in plan  # the training call, made before training
    assert len(plan) == len({(f, repr(a), t) for f, a, t in plan})  # each distinct call once
