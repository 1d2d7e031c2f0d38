"""The call plan kept in the signed training cache (autograder.rubric.call_plan): recorded once per
cache, read back by the next grader, never used when stale, altered or strange; and whatever plan
is used, the grade is the one a grader that records its own gives. Recordings are counted."""

from __future__ import annotations

import json

import pytest

from autograder.config import PROJECT_ROOT, load_config
from autograder.engine import Grader
from autograder.rubric import call_plan
from autograder.training.trainer import Trainer

CONFIG = load_config()


def counting(monkeypatch) -> list[int]:
    recorded: list[int] = []
    real = Grader.record_call_plan

    def record(self):
        recorded.append(1)
        return real(self)

    monkeypatch.setattr(Grader, "record_call_plan", record)
    return recorded


def plan_entry(cache) -> tuple:
    (path,) = cache.glob("call-plan-*.json")
    return path, json.loads(path.read_text())


def test_the_next_grader_reads_the_plan_instead_of_recording_it(tmp_path, monkeypatch):
    recorded = counting(monkeypatch)
    first = Grader(CONFIG, Trainer(CONFIG, tmp_path), []).call_plan()
    second = Grader(CONFIG, Trainer(CONFIG, tmp_path), []).call_plan()
    assert len(recorded) == 1 and len(first) > 20
    assert call_plan.encode_plan(second) == call_plan.encode_plan(first)
    Grader(CONFIG, Trainer(CONFIG), []).call_plan()  # no disk cache: recorded in memory
    assert len(recorded) == 2


def test_another_rubric_or_reference_names_another_entry(tmp_path):
    trainer = Trainer(CONFIG, tmp_path)
    layers = [trainer.layers(n) for n in CONFIG.training]
    solutions = PROJECT_ROOT / "solutions" / "init_functions.py"
    base = call_plan.plan_key(CONFIG, solutions, layers)
    stricter = CONFIG.model_copy(update={"tolerance": CONFIG.tolerance.model_copy(update={"rtol": 1e-9})})
    other_solutions = tmp_path / "init_functions.py"
    other_solutions.write_text(solutions.read_text() + "\n# another reference\n")
    assert len({base, call_plan.plan_key(stricter, solutions, layers),
                call_plan.plan_key(CONFIG, other_solutions, layers),
                call_plan.plan_key(CONFIG, solutions, [[3, 1]])}) == 4


def test_an_altered_entry_is_refused_and_the_plan_recorded_again(tmp_path, monkeypatch):
    recorded = counting(monkeypatch)
    plan = Grader(CONFIG, Trainer(CONFIG, tmp_path), []).call_plan()
    path, entry = plan_entry(tmp_path)
    data = json.loads(entry["data"])
    data["plan"] = data["plan"][:1]  # a shorter plan, without a valid signature
    path.write_text(json.dumps({"data": json.dumps(data, sort_keys=True), "mac": entry["mac"]}))
    trainer = Trainer(CONFIG, tmp_path)
    again = Grader(CONFIG, trainer, []).call_plan()
    assert len(recorded) == 2 and again == plan
    assert trainer.store is not None and trainer.store.rejected


@pytest.mark.parametrize("plan", [
    [["os.system", [{"list": [1]}], False]],  # not a function of the rubric
    [["initialize_parameters_he", [{"list": [[1]]}], False]],  # nested: no check passes that
    [["initialize_parameters_he", [{"dict": [1]}], False]],
    [["initialize_parameters_he", [{"list": [3, 1]}], "yes"]],
    [["initialize_parameters_he", [{"list": [3, 1]}], False]] * (call_plan.PLAN_MAX_CALLS + 1),
    {"initialize_parameters_he": []},
])
def test_a_signed_entry_that_is_not_a_plan_this_kit_writes_is_not_used(tmp_path, monkeypatch, plan):
    recorded = counting(monkeypatch)
    grader = Grader(CONFIG, Trainer(CONFIG, tmp_path), [])
    key = grader._plan_key()
    assert grader.trainer.store.write(call_plan._entry_name(key), {"key": key, "plan": plan})
    assert grader.call_plan() == grader.record_call_plan()
    assert len(recorded) == 2  # the call_plan's own recording, and the comparison's


def test_whatever_plan_is_read_the_grade_is_the_one_of_a_recorded_plan(tmp_path):
    """A plan of other calls (stale in every way but its name) only changes what is sent ahead:
    every check asks its own calls, answered as they would be on demand."""
    submission = PROJECT_ROOT / "examples" / "mistakes" / "he_scale_0_01.py"
    with Grader(CONFIG, Trainer(CONFIG, tmp_path / "own"), [str(tmp_path)]) as own:
        expected = own.grade(submission)
    with Grader(CONFIG, Trainer(CONFIG, tmp_path / "odd"), [str(tmp_path)]) as odd:
        real = odd.record_call_plan()
        other = [(f, ([4, 3, 2, 1],) if not a or isinstance(a[0], list) else a, t) for f, a, t in reversed(real)]
        key = odd._plan_key()
        entry = {"key": key, "plan": call_plan.encode_plan(other)}
        odd.trainer.store.write(call_plan._entry_name(key), entry)
        assert call_plan.encode_plan(odd.call_plan()) == call_plan.encode_plan(other)
        graded = odd.grade(submission)
    assert [(c.name, c.score, c.message) for c in graded.checks] == \
           [(c.name, c.score, c.message) for c in expected.checks]
    assert graded.work.sandbox_exchanges > expected.work.sandbox_exchanges


def test_recording_a_plan_keeps_only_the_newest_plans_and_nothing_else_goes(tmp_path):
    """Each change of the kit names a new plan entry; the cache folder keeps PLAN_KEEP of them, so
    a course that upgrades the kit often does not pile them up, and training entries stay."""
    import os

    older = []
    for i in range(6):  # plans of earlier kits, oldest first
        path = tmp_path / f"call-plan-{i:064x}.json"
        path.write_text("{}")
        os.utime(path, ns=(10**18 + i * 10**9, 10**18 + i * 10**9))
        older.append(path.name)
    training = tmp_path / ("ab" * 32 + ".json")
    training.write_text("{}")
    (tmp_path / ("ab" * 32 + ".lock")).write_text("")
    Grader(CONFIG, Trainer(CONFIG, tmp_path), []).call_plan()
    plans = sorted(p.name for p in tmp_path.glob("call-plan-*.json"))
    assert len(plans) == call_plan.PLAN_KEEP
    kept_older = [name for name in plans if name in older]
    assert kept_older == older[-(call_plan.PLAN_KEEP - 1):]  # the newest of the earlier ones
    assert training.exists() and (tmp_path / ("ab" * 32 + ".lock")).exists()
    # Pruning again removes nothing: the folder holds PLAN_KEEP plans, the new one among them.
    assert call_plan.prune_plans(tmp_path, keep=next(n for n in plans if n not in older)) == 0
