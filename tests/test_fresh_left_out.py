"""Fresh calls left out when no finding would read their answer (rubric.common.check_seeded_values).

A fresh call (the same call again, from a process whose random stream started from another seed)
costs a second sandbox. Its answer is evidence for one diagnosis only (a missing seed): when the
diagnosis of a failure, given a second call, neither reads it nor differs from the diagnosis
without it, and the submission has printed nothing (the second sandbox's output would be part of
its output), the call is left out. Counted (sandbox starts), never timed; every check's score,
message, diagnosis and evidence, and the printed output, the same as with every fresh call made.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import threading
from types import SimpleNamespace

import numpy as np
import pytest
from deep_equal import same

from autograder.config import PROJECT_ROOT, load_config
from autograder.diagnose import analysis
from autograder.diagnose.analysis import _Read, _Unread
from autograder.rubric import common
from autograder.sandbox.host import sandbox as host_sandbox
from autograder.sandbox.host.output import OutputDrain
from autograder.sandbox.probes import LocalStudent, SandboxStudent

CONFIG = load_config()
MISTAKES = PROJECT_ROOT / "examples" / "mistakes"


@pytest.fixture(scope="module")
def grader(warm_grader):
    return warm_grader


@pytest.fixture
def seeds(monkeypatch) -> list[int]:
    """The random seed of every sandbox started (Sandbox.start), whoever starts it."""
    started: list[int] = []
    start = host_sandbox.Sandbox.start

    def counting(self):
        started.append(self.random_seed)
        return start(self)

    monkeypatch.setattr(host_sandbox.Sandbox, "start", counting)
    return started


def _graded(result) -> tuple:
    checks = [(c.name, c.score, c.message, [dataclasses.astuple(d) for d in c.diagnoses]) for c in result.checks]
    evidence = dataclasses.asdict(result.evidence) if result.evidence is not None else None
    return checks, evidence, result.score, result.output


def _with_every_fresh_call(grader, monkeypatch, path):
    """``path`` graded as before: every fresh call a diagnosis asks for made."""
    with monkeypatch.context() as m:
        m.setattr(SandboxStudent, "may_leave_out_fresh", lambda self: False)
        return grader.grade(path)


@pytest.mark.parametrize("name", ["he_transposed", "he_lowercase_keys", "deep_stops_early", "deep_starts_at_zero"])
def test_a_fresh_call_no_finding_reads_starts_no_second_sandbox(grader, monkeypatch, seeds, name):
    path = MISTAKES / f"{name}.py"
    left_out = grader.grade(path)
    assert seeds == [host_sandbox.RANDOM_SEED]  # one sandbox, the first seed's
    seeds.clear()
    every = _with_every_fresh_call(grader, monkeypatch, path)
    assert seeds == [host_sandbox.RANDOM_SEED, host_sandbox.RANDOM_SEED + 1]  # the fresh calls' own sandbox
    assert same(_graded(left_out), _graded(every))
    assert left_out.score < CONFIG.max_points()
    assert left_out.work.sandbox_exchanges == 1 < every.work.sandbox_exchanges


def test_a_fresh_call_whose_answer_a_finding_reads_is_made(grader, monkeypatch, seeds):
    path = MISTAKES / "he_no_seed.py"
    result = grader.grade(path)
    assert seeds == [host_sandbox.RANDOM_SEED, host_sandbox.RANDOM_SEED + 1]
    assert "not-seeded" in {d.code for c in result.checks for d in c.diagnoses}  # what its answer showed
    seeds.clear()
    assert same(_graded(result), _graded(_with_every_fresh_call(grader, monkeypatch, path)))
    assert len(seeds) == 2


def test_a_submission_that_printed_keeps_its_fresh_sandbox_and_its_output(grader, monkeypatch, seeds, tmp_path):
    # A left-out fresh call would leave out what it prints in its own sandbox.
    path = tmp_path / "he_lowercase_keys_printing.py"
    source = (MISTAKES / "he_lowercase_keys.py").read_text()
    head = "def initialize_parameters_he(layers_dims):\n"
    assert source.count(head) == 1
    path.write_text(source.replace(head, head + '    print("a line the student printed")\n'))
    result = grader.grade(path)
    assert seeds == [host_sandbox.RANDOM_SEED, host_sandbox.RANDOM_SEED + 1]
    assert result.output.count("a line the student printed") > 1  # its calls' lines, the fresh one's among them
    seeds.clear()
    assert same(_graded(result), _graded(_with_every_fresh_call(grader, monkeypatch, path)))
    assert len(seeds) == 2


def test_a_resumed_grading_that_printed_in_its_first_pass_keeps_its_fresh_calls():
    class Quiet:  # a sandbox that has printed nothing (yet): the first pass's output decides
        limits = CONFIG.limits

        @staticmethod
        def printed_nothing() -> bool:
            return True

    student = SandboxStudent(Quiet())
    assert student.may_leave_out_fresh()
    student.printed_before = True
    assert not student.may_leave_out_fresh()


# ----------------------------------------------------------------------------- the pieces


def test_printed_nothing_sees_every_byte_written_whether_or_not_it_was_read_yet():
    for _ in range(50):  # a byte checked at once: still in the pipe, or being read, or counted
        r, w = os.pipe()
        drain = OutputDrain(os.fdopen(r, "rb"), 1024)
        drain.start()
        assert drain.printed_nothing()
        os.write(w, b"x")
        assert not drain.printed_nothing()
        os.close(w)
        drain.join(timeout=30)
        assert not drain.is_alive() and not drain.printed_nothing() and drain.text() == "x"
        drain.stream.close()
        assert not drain.printed_nothing()  # closed: what was read still counts


def test_printed_nothing_while_the_drain_waits_does_not_wait_for_it():
    r, w = os.pipe()
    drain = OutputDrain(os.fdopen(r, "rb"), 1024)
    drain.start()
    answers = []
    asker = threading.Thread(target=lambda: answers.append(drain.printed_nothing()))
    asker.start()
    asker.join(timeout=60)  # the drain holds its lock only while it reads bytes there are
    assert answers == [True]
    os.close(w)
    drain.join(timeout=30)
    drain.stream.close()
    assert drain.printed_nothing()  # nothing was ever written


def test_the_stand_in_second_call_records_every_way_of_reading_it():
    reads = [lambda m: m["W1"], lambda m: list(m), len, bool, lambda m: "W1" in m, lambda m: m == {},
             repr, lambda m: list(m.items()), lambda m: m.get("W1"), lambda m: m.copy(), lambda m: dict(m)]
    for read in reads:
        stand_in = _Unread()
        with pytest.raises(_Read):  # and the diagnosis stops there: its rest is not needed
            read(stand_in)
        assert stand_in.read, read
    unread = _Unread()
    assert unread is not None and type(unread) is _Unread and not unread.read  # who and what: no reading


def _reference_he(dims: list[int]) -> dict:
    solutions = PROJECT_ROOT / "solutions" / "init_functions.py"
    spec = importlib.util.spec_from_file_location("initgrade_reference_he", solutions)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.initialize_parameters_he(list(dims))


def test_repeat_unread_tells_a_diagnosis_that_reads_the_second_call_from_one_that_does_not(monkeypatch):
    dims = [5, 4, 3]
    expected = _reference_he(dims)
    kw = dict(tolerance=CONFIG.tolerance, functions=CONFIG.question_functions)
    # Right keys and shapes, other draws of the right spread: only a second call can tell the seeding.
    rng = np.random.RandomState(99)
    unseeded = {k: (rng.randn(*v.shape) * np.sqrt(2.0 / v.shape[1]) if k.startswith("W") else v)
                for k, v in expected.items()}
    assert not analysis.repeat_unread("he", dims, unseeded, expected, **kw)
    other = {k: v + 1.0 for k, v in unseeded.items()}
    assert analysis.diagnose("he", dims, unseeded, expected, **kw) != \
        analysis.diagnose("he", dims, unseeded, expected, **kw, extra={"repeat": other})
    # Keys in lower case: the keys are the story, and no second call changes it.
    lower = {k.lower(): v for k, v in expected.items()}
    computed = []
    real = analysis._diagnose
    monkeypatch.setattr(analysis, "_diagnose", lambda *a: computed.append(1) or real(*a))
    assert analysis.repeat_unread("he", dims, lower, expected, **kw)
    assert analysis.repeat_unread("he", dims, {k: v.copy() for k, v in lower.items()}, expected, **kw)
    assert len(computed) == 1  # the second time, equal bit for bit: remembered
    alone = analysis.diagnose("he", dims, lower, expected, **kw)
    assert alone and all(analysis.diagnose("he", dims, lower, expected, **kw, extra={"repeat": r}) == alone
                         for r in (lower, {k: v + 1.0 for k, v in lower.items()}, {}))


def test_a_diagnosis_that_cannot_be_asked_never_leaves_a_call_out():
    class Broken:  # a configuration the diagnosis fails on: not certain, so the call is made
        def question_of(self, function):
            raise RuntimeError("no configuration")

    r = SimpleNamespace(function="initialize_parameters_he", args=([5, 4, 3],), entries=[], arrays={})
    assert common.repeat_unread(r, {}, Broken()) is False


def test_a_call_with_nothing_to_diagnose_needs_no_second_call():
    # An entry that is no array (an Ellipsis left in the code): no diagnosis with a second call or without.
    r = SimpleNamespace(function=CONFIG.questions["he"].function, args=([5, 4, 3],),
                        entries=[{"key": "W1"}], arrays={})
    assert common.diagnose_call(r, _reference_functions(), CONFIG, {"repeat": {"W1": np.ones((4, 5))}}) == []
    assert common.repeat_unread(r, _reference_functions(), CONFIG) is True


def _reference_functions() -> dict:
    solutions = PROJECT_ROOT / "solutions" / "init_functions.py"
    spec = importlib.util.spec_from_file_location("initgrade_reference_all", solutions)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: getattr(module, name) for name in CONFIG.functions}


def test_a_student_object_that_does_not_say_gets_every_fresh_call_and_the_same_message():
    reference = _reference_functions()
    he = CONFIG.questions["he"].function

    def lower_keys(dims):
        return {k.lower(): v for k, v in reference[he](dims).items()}

    class Duck:  # a Student of an instructor's own: call, call_fresh, ask_ahead, nothing more
        def __init__(self):
            self.inner, self.fresh = LocalStudent({**reference, he: lower_keys}), 0

        def call(self, function, *args, as_tuple=False):
            return self.inner.call(function, *args, as_tuple=as_tuple)

        def call_fresh(self, function, *args, as_tuple=False):
            self.fresh += 1
            return self.inner.call_fresh(function, *args, as_tuple=as_tuple)

        def ask_ahead(self, function, args_list, fresh=False):
            pass

    def message(student) -> str:
        with pytest.raises(AssertionError) as failed:
            common.check_seeded_values(student, reference, CONFIG, "he", [([5, 4, 3], ())])
        return str(failed.value)

    duck, local = Duck(), LocalStudent({**reference, he: lower_keys})
    calls = []
    local.call_fresh = lambda *a, **k: calls.append(a) or LocalStudent.call_fresh(local, *a, **k)
    assert message(duck) == message(local)
    assert duck.fresh == 1 and calls == []  # asked as before; left out where the student says it may be
