"""Per-submission work of the grader process, round 4 (issue 23, docs/speed.md): counted, never timed.

* A diagnosis is computed once per process for arguments equal bit for bit (autograder.base.same_bits),
  and is the diagnosis a fresh computation gives; arguments that differ in one bit, in type or in the
  tolerance are diagnosed apart; the memo is bounded and never keeps large weights.
* A training look-up hashes the weights once and encodes the training's settings once per process.
* The planned exchange makes each planned call's memo key once.
* write_atomic opens one file and makes no folder that is there already.
* keep_in_private's text comparison is pathlib's parents test.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from autograder.config import load_config
from autograder.diagnose import analysis
from autograder.sandbox.host import hiding
from autograder.training import trainer as trainer_module
from autograder.training.queue import TrainingQueue
from autograder.training.trainer import Trainer


def _he(dims: list[int], factor: float) -> dict[str, np.ndarray]:
    np.random.seed(3)
    out = {}
    for layer in range(1, len(dims)):
        out[f"W{layer}"] = np.random.randn(dims[layer], dims[layer - 1]) * factor
        out[f"b{layer}"] = np.zeros((dims[layer], 1))
    return out


@pytest.fixture()
def counted_findings(monkeypatch):
    """A fresh diagnosis memo, and the count of diagnoses computed (the detectors run)."""
    runs: list[int] = []
    real = analysis._findings

    def counting(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "_findings", counting)
    analysis._remembered.memo.clear()
    yield runs
    analysis._remembered.memo.clear()


def _diagnose(config, returned, dims=(5, 4, 3), **kwargs):
    return analysis.diagnose("he", list(dims), returned, _he(list(dims), np.sqrt(2 / 5)), tolerance=config.tolerance,
                             functions=config.question_functions, **kwargs)


def test_a_diagnosis_is_computed_once_for_equal_arguments_and_is_the_fresh_one(counted_findings):
    config = load_config()
    wrong = _he([5, 4, 3], 10.0)
    first = _diagnose(config, wrong)
    again = _diagnose(config, {k: v.copy() for k, v in wrong.items()}, extra=None)  # equal, new arrays
    assert len(counted_findings) == 1 and first and first == again and first is not again
    analysis._remembered.memo.clear()
    assert _diagnose(config, wrong) == first and len(counted_findings) == 2  # what a fresh computation says
    # One bit of one weight, another type of a value, a signature: diagnosed apart.
    bit = {k: v.copy() for k, v in wrong.items()}
    bit["W1"][0, 0] = np.nextafter(bit["W1"][0, 0], np.inf)
    _diagnose(config, bit)
    _diagnose(config, wrong, extra={"signature": ["dims"]})
    _diagnose(config, wrong, scale=1)
    _diagnose(config, wrong, scale=1.0)
    assert len(counted_findings) == 6
    # The tolerance is part of the key: a stricter one is diagnosed apart (with its own answer).
    strict = config.tolerance.model_copy(update={"rtol": 0.0, "atol": 0.0})
    analysis.diagnose("he", [5, 4, 3], wrong, _he([5, 4, 3], np.sqrt(2 / 5)), tolerance=strict,
                      functions=config.question_functions)
    assert len(counted_findings) == 7


def test_the_diagnosis_memo_is_bounded_and_keeps_no_large_weights(counted_findings, monkeypatch):
    config = load_config()
    monkeypatch.setattr(analysis, "_remembered",
                        analysis.remembered(analysis._diagnose, 3, analysis.DIAGNOSIS_MEMO_KEY_BYTES))
    for factor in (2.0, 3.0, 4.0, 5.0, 6.0):
        _diagnose(config, _he([5, 4, 3], factor))
    assert len(analysis._remembered.memo) == 3 and len(counted_findings) == 5
    dims = [200, 30, 1]  # 6,000 weights: past DIAGNOSIS_MEMO_KEY_BYTES with the expected ones
    big = _he(dims, 10.0)
    kept = dict(analysis._remembered.memo)
    _diagnose(config, big, dims=dims)
    _diagnose(config, big, dims=dims)
    assert len(counted_findings) == 7 and analysis._remembered.memo == kept


def test_a_training_look_up_hashes_the_weights_once_and_encodes_the_settings_once(tmp_path, monkeypatch):
    config = load_config()
    trainer = Trainer(config, tmp_path / "cache")
    params = _he(trainer.layers("circles"), 1.0)
    hashed: list[int] = []
    dumped: list[int] = []
    real_digest = trainer_module.params_digest
    real_dumps = trainer_module.json.dumps

    monkeypatch.setattr(trainer_module, "params_digest", lambda p: hashed.append(1) or real_digest(p))
    monkeypatch.setattr(trainer_module.json, "dumps", lambda *a, **k: dumped.append(1) or real_dumps(*a, **k))
    key = trainer.cache_key("circles", params)
    trainer._memory[key] = trainer_module.Outcome(0.5, 0.5, [0.7], 150, [False])
    assert trainer.outcome("circles", params) is trainer.cached("circles", params)
    queue = TrainingQueue(trainer)
    assert queue.request("circles", params, queue.for_submission()) is trainer.cached("circles", params)
    # cache_key, outcome, cached, request, cached: five look-ups, each hashing the weights once; the
    # settings encoded for the first only.
    assert len(hashed) == 5 and len(dumped) == 1


def test_write_atomic_opens_one_file_and_makes_no_folder_that_exists(tmp_path, monkeypatch):
    from autograder.base import atomic

    opened: list[str] = []
    made: list[Path] = []
    real_open, real_mkdir = os.open, Path.mkdir
    monkeypatch.setattr(atomic.os, "open", lambda p, *a: opened.append(str(p)) or real_open(p, *a))
    monkeypatch.setattr(Path, "mkdir", lambda self, *a, **k: made.append(self) or real_mkdir(self, *a, **k))
    atomic.write_atomic(tmp_path / "new" / "deeper" / "a.txt", "first\n")  # no folder yet: made
    assert len(opened) == 2 and made and made[0] == tmp_path / "new" / "deeper"  # opened again once made
    made.clear()
    atomic.write_atomic(tmp_path / "new" / "deeper" / "a.txt", "é\r\nsecond\n")
    assert len(opened) == 3 and made == []
    assert (tmp_path / "new" / "deeper" / "a.txt").read_bytes() == "é\r\nsecond\n".encode()
    assert sorted(p.name for p in (tmp_path / "new" / "deeper").iterdir()) == ["a.txt"]


@pytest.mark.parametrize("path, folder", [
    ("/tmp/ci/proj", "/tmp"), ("/tmp", "/tmp"), ("/tmpx/proj", "/tmp"), ("/tmp/ci", "/tmp/ci/proj"),
    ("/var/tmp/a", "/tmp"), ("/a/b", "/"), ("/", "/"), ("/run/x", "/run"), ("/runner/x", "/run"),
])
def test_keep_in_privates_text_test_is_pathlibs(path, folder):
    assert hiding._within(path, folder) == (Path(folder) == Path(path) or Path(folder) in Path(path).parents)


class _AnsweringSandbox:
    """What SandboxStudent.prefetch uses of a sandbox: its limits and one exchange, every call answered."""

    limits = load_config().limits
    fatal: dict = {}

    def __init__(self):
        self.asked: list = []

    def call_planned(self, calls):
        from autograder.sandbox import ProbeReply

        self.asked.append(list(calls))
        return [ProbeReply(header={"seq": i + 1}, arrays=[np.zeros(2)]) for i in range(len(calls))]


def test_prefetch_makes_each_planned_calls_key_once(monkeypatch):
    from autograder.sandbox import probes

    made: list = []
    real = probes.MemoisedStudent._key
    monkeypatch.setattr(probes.MemoisedStudent, "_key", staticmethod(lambda *a: made.append(a) or real(*a)))
    plan = [("f", ([5, 4, 3],), False), ("f", ([5, 4, 3], 10), False), ("g", ([2, 1],), True),
            ("f", ([5, 4, 3],), False)]
    sandbox = _AnsweringSandbox()
    student = probes.SandboxStudent(sandbox)
    student.prefetch(plan)
    assert len(made) == len(plan)
    # Every call asked (the repeated one too, as before), each answer kept under its call's key.
    assert [f for f, _ in sandbox.asked[0]] == ["f", "f", "g", "f"]
    assert sorted(student._planned) == sorted({real(*call) for call in plan})
    student._planned.clear()
    student._memo[real(*plan[1])] = object()  # answered already: not asked again
    student.prefetch(plan)
    assert [a for _, a in sandbox.asked[1]] == [[{"list": [5, 4, 3]}], [{"tuple": [2, 1]}], [{"list": [5, 4, 3]}]]
