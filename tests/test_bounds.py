"""The grader's own work for one submission is bounded by grading.yaml (``limits``).

* training: CPU seconds per training (a killable child), per submission, and the number
  of trainings a submission may start; subnormal inputs are trained as zeros;
* intake: a wall-clock limit (``intake_seconds``), in the main thread and in others, and
  the size of the code handed to the parsers (``code_kb``);
* replies: the bytes of returned arrays held for one submission (``replies_mb``).

A submission over a bound keeps the points it earned, is told which bound in the check's
message, and the rest of the batch is graded as without it. Work is counted, never timed.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import yaml

from autograder.batch.grading import grade_batch
from autograder.config import PROJECT_ROOT, ConfigError, load_config
from autograder.intake import IntakeError, load_submission
from autograder.rubric.reference import reference_functions
from autograder.sandbox.probes import MemoisedStudent, ProbeFailure, Returned
from autograder.training.submission_trainer import SubmissionTrainer
from autograder.training.trainer import Trainer, TrainingLimit
from autograder.training.worker import WorkStopped, run_bounded

CONFIG = load_config()
REFERENCE = reference_functions(CONFIG)
CORRECT = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"
MISTAKES = PROJECT_ROOT / "examples" / "mistakes"


def limited(config=CONFIG, training: dict | None = None, **limits):
    """``config`` with some limits (and training settings) changed."""
    update = {"limits": config.limits.model_copy(update=limits)}
    if training:
        update["training"] = {name: t.model_copy(update=training.get(name, {})) for name, t in config.training.items()}
    return config.model_copy(update=update)


def deep_params(factor: float = 1.0) -> dict:
    params = REFERENCE["initialize_parameters_deep"](Trainer(CONFIG).layers("images"))
    return {k: v * factor if k.startswith("W") else v for k, v in params.items()}


# A deep training that takes far more than one CPU second anywhere (25x the graded one).
LONG_IMAGES = {"images": {"num_iterations": 60000}}
SHORT_CIRCLES = {"circles": {"num_iterations": 300}}


# ---------------------------------------------------------------------------------------
# grading.yaml


@pytest.mark.parametrize("change,named", [
    ({"replies_mb": 1, "reply_mb": 4}, "replies_mb"),
    ({"training_submission_seconds": 5, "training_seconds": 10}, "training_submission_seconds"),
    ({"trainings_per_submission": 0}, "trainings_per_submission"),
    ({"intake_seconds": 0}, "intake_seconds"),
    ({"code_kb": None}, "code_kb"),
])
def test_the_bounds_are_validated_with_the_key_named(tmp_path, change, named):
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    for key, value in change.items():
        if value is None:
            del raw["limits"][key]
        else:
            raw["limits"][key] = value
    path = tmp_path / "grading.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ConfigError, match=named):
        load_config(path)


def test_every_limit_is_described_and_listed_in_grading_yaml():
    from autograder.config import Limits

    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    undescribed = [name for name, f in Limits.model_fields.items() if not (f.description or "").strip()]
    assert not undescribed, f"limits without a description: {undescribed}"
    assert list(raw["limits"]) == list(Limits.model_fields), "grading.yaml shows every limit, in the model's order"


def test_a_grading_yaml_without_the_newer_limits_loads_with_their_defaults(tmp_path):
    from autograder.config import Limits

    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    optional = [name for name, f in Limits.model_fields.items() if not f.is_required()]
    assert {"archive_members", "folder_entries"} <= set(optional)
    for name in optional:
        del raw["limits"][name]
    path = tmp_path / "grading.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    loaded = load_config(path)
    # The defaults are the values the kit ships: an older grading.yaml grades as the new one does.
    assert {n: getattr(loaded.limits, n) for n in optional} == {n: getattr(CONFIG.limits, n) for n in optional}


def test_a_grading_yaml_with_a_retired_limit_loads_and_says_to_remove_it(tmp_path):
    """notebook_cell_seconds timed nbgrader's cells, which nbgrader no longer runs: an older file that
    sets it grades as before, and its instructor reads which line to remove and why."""
    from autograder.config import RETIRED_LIMITS, RetiredSetting

    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    assert not set(RETIRED_LIMITS) & set(raw["limits"]), "the kit's own grading.yaml sets no retired key"
    raw["limits"]["notebook_cell_seconds"] = 900
    path = tmp_path / "grading.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.warns(RetiredSetting, match=r"limits\.notebook_cell_seconds is no longer used .*remove that line"):
        loaded = load_config(path)
    assert loaded.limits == CONFIG.limits
    assert not hasattr(loaded.limits, "notebook_cell_seconds")
    raw["limits"]["notebook_cell_secs"] = 900  # a typo is still refused, naming the key
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.warns(RetiredSetting), pytest.raises(ConfigError, match="notebook_cell_secs"):
        load_config(path)


def test_check_limits_prints_each_limit_with_its_value_and_description(tmp_path):
    from click.testing import CliRunner

    from autograder.commands.course import check
    from autograder.config import Limits

    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    raw["limits"]["archive_members"] = 7
    path = tmp_path / "grading.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    try:
        result = CliRunner().invoke(check, ["--config", str(path), "--limits"])
    finally:
        load_config()  # the course folder of the kit again, for the tests after this one
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in result.output.splitlines()}
    assert list(rows) == list(Limits.model_fields)
    assert rows["archive_members"] == ["7", Limits.model_fields["archive_members"].description]
    assert rows["probe_seconds"][0] == f"{CONFIG.limits.probe_seconds:g}"


# ---------------------------------------------------------------------------------------
# The training worker


def test_training_worker_returns_the_result_and_the_cpu_it_used():
    result, used = run_bounded(lambda: {"sum": float(np.arange(10).sum())}, cpu_seconds=5, wall_seconds=30)
    assert result == {"sum": 45.0} and 0 <= used < 5


def test_training_worker_is_stopped_at_its_cpu_seconds():
    def spin():
        while True:
            pass

    with pytest.raises(WorkStopped) as info:
        run_bounded(spin, cpu_seconds=1, wall_seconds=60)
    assert info.value.why == "cpu" and info.value.cpu_seconds < 3


def test_training_worker_is_stopped_at_its_wall_seconds():
    with pytest.raises(WorkStopped) as info:
        run_bounded(lambda: time.sleep(60) or {}, cpu_seconds=5, wall_seconds=0.5)
    assert info.value.why == "wall"


def test_an_interrupted_grader_leaves_no_training_child(monkeypatch):
    forked = []
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    def spin():
        while True:
            pass

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fork", fork)
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_bounded(spin, cpu_seconds=30, wall_seconds=60)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):  # killed and reaped
        os.waitpid(forked[0], os.WNOHANG)


def test_training_worker_that_fails_is_reported_as_died():
    with pytest.raises(WorkStopped) as info:
        run_bounded(lambda: 1 / 0, cpu_seconds=5, wall_seconds=30)
    assert info.value.why == "died"


# ---------------------------------------------------------------------------------------
# Training bounds


def test_a_training_over_training_seconds_is_stopped_and_not_run_again():
    trainer = Trainer(limited(training=LONG_IMAGES, training_seconds=1, training_submission_seconds=30))
    one = SubmissionTrainer.bounded(trainer)
    with pytest.raises(TrainingLimit) as info:
        one.outcome("images", deep_params())
    assert info.value.bound == "training_seconds" and "training_seconds" in str(info.value)
    assert (trainer.trainings_run, trainer.trainings_stopped) == (1, 1)
    assert one.budget.cpu_used < 3
    with pytest.raises(TrainingLimit):  # the same bytes again (another submission): refused at once
        SubmissionTrainer.bounded(trainer).outcome("images", deep_params())
    assert trainer.trainings_run == 1


def test_a_submission_out_of_training_seconds_starts_no_more_trainings():
    trainer = Trainer(limited(training=LONG_IMAGES, training_seconds=1, training_submission_seconds=2))
    sub = SubmissionTrainer.bounded(trainer)
    bounds = []
    for factor in (1.0, 1.5, 2.0, 2.5):
        with pytest.raises(TrainingLimit) as info:
            sub.outcome("images", deep_params(factor))
        bounds.append(info.value.bound)
    assert bounds[-1] == "training_submission_seconds"
    assert "training_submission_seconds" in str(info.value) and "was not run" in str(info.value)
    assert trainer.trainings_run <= 3  # 2 CPU seconds: at most three started (the last one cut short)
    assert sub.budget.cpu_used < 4


def test_trainings_per_submission_caps_new_trainings_not_cached_ones(tmp_path):
    config = limited(training=SHORT_CIRCLES, trainings_per_submission=2)
    trainer = Trainer(config, tmp_path / "cache")
    dims = trainer.layers("circles")
    he = REFERENCE["initialize_parameters_he"]
    params = [{k: v * f for k, v in he(dims).items()} for f in (1.0, 2.0, 3.0)]
    sub = SubmissionTrainer.bounded(trainer)
    first = sub.outcome("circles", params[0])
    sub.outcome("circles", params[1])
    with pytest.raises(TrainingLimit) as info:
        sub.outcome("circles", params[2])
    assert info.value.bound == "trainings_per_submission" and "trainings_per_submission" in str(info.value)
    assert trainer.trainings_run == 2
    assert sub.outcome("circles", params[0]) == first  # cached: free, whatever the budget
    SubmissionTrainer.bounded(trainer).outcome("circles", params[2])  # the next submission has its own budget
    assert trainer.trainings_run == 3


def test_subnormal_weights_are_trained_as_zeros_and_reference_figures_are_unchanged():
    config = limited(training=SHORT_CIRCLES)
    trainer = Trainer(config)
    dims = trainer.layers("circles")
    zeros = {k: np.zeros_like(v) for k, v in REFERENCE["initialize_parameters_he"](dims).items()}
    subnormal = {k: (np.full_like(v, 5e-324 * (i + 1)) if k.startswith("W") else v)
                 for i, (k, v) in enumerate(zeros.items())}
    assert trainer.outcome("circles", subnormal) == trainer.outcome("circles", zeros)
    assert trainer.trainings_run == 2  # the cache key is the bytes returned: two keys, two trainings
    # The reference parameters hold no subnormals: the child trains them bit for bit as in-process training.
    he = REFERENCE["initialize_parameters_he"](dims)
    in_process = Trainer.train_in_this_process(config.training["circles"], trainer.data("circles"), he)
    assert trainer.outcome("circles", he) == in_process


# ---------------------------------------------------------------------------------------
# Replies held


class _FakeStudent(MemoisedStudent):
    """Replies of a given size, without a sandbox."""

    def __init__(self, cap: int, sizes: dict):
        super().__init__(cap)
        self.sizes = sizes

    def _call(self, function, args, as_tuple):
        n = self.sizes[args[0]]
        return Returned(function, args, [{"key": "W1"}], {"W1": np.zeros(n)})


def test_replies_held_for_a_submission_are_capped():
    mb = 1 << 20
    student = _FakeStudent(3 * mb, {"a": mb // 8, "b": mb // 8, "c": 2 * mb // 8, "d": 1024})
    assert student.call("f", "a").arrays["W1"].nbytes == mb
    student.call("f", "b")
    with pytest.raises(ProbeFailure) as info:
        student.call("f", "c")
    assert "replies_mb" in str(info.value) and "f('c')" in str(info.value)
    with pytest.raises(ProbeFailure):  # memoised as a failure: not called, not held
        student.call("f", "c")
    assert student.held_bytes == 2 * mb
    student.call("f", "d")  # a small reply still fits
    assert student.held_bytes == 2 * mb + 8 * 1024 <= student.max_held_bytes
    assert student.call("f", "a").arrays["W1"].nbytes == mb  # earlier replies are kept


# ---------------------------------------------------------------------------------------
# Intake


def _notebook(path: Path, source: str) -> Path:
    code = CORRECT.read_text()
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "id": str(i), "metadata": {}, "execution_count": None, "outputs": [],
                     "source": s} for i, s in enumerate([code, source])]}
    path.write_text(json.dumps(nb))
    return path


def _slow_notebook(path: Path, cells: int = 400, lines: int = 2000) -> Path:
    """Cells of lines that do not parse: read piece by piece, in linear time (IPython's quadratic
    paths are bounded by an allowance now), but a second or more per megabyte of them."""
    nb = json.loads(_notebook(path, "x = 1\n").read_text())
    nb["cells"] = [dict(nb["cells"][0], id=f"c{i}", source="a=(\n" * lines) for i in range(cells)]
    path.write_text(json.dumps(nb))
    return path


def test_intake_over_intake_seconds_is_refused_with_the_limit_named(tmp_path):
    slow = _slow_notebook(tmp_path / "slow.ipynb")
    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(IntakeError) as info:
        load_submission(slow, 20 << 20, max_seconds=0.3)
    assert "intake_seconds" in str(info.value) and "slow.ipynb" in str(info.value)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert load_submission(CORRECT, 20 << 20, max_seconds=20).chunks  # the next reading is unaffected


def test_intake_seconds_holds_outside_the_main_thread_too(tmp_path):
    slow = _slow_notebook(tmp_path / "slow.ipynb")
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(load_submission, slow, 20 << 20, 0.3)
        with pytest.raises(IntakeError, match="intake_seconds"):
            future.result()
    assert threading.active_count() >= 1


# ---------------------------------------------------------------------------------------
# In a batch: the bound's message, the points kept, the rest unaffected


def _padded(function: str) -> str:
    """The reference ``function``, returning 3.2 MB more on every call."""
    import ast

    text = (PROJECT_ROOT / "solutions" / "init_functions.py").read_text()
    node = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == function)
    source = "\n".join(text.splitlines()[node.lineno - 1:node.end_lineno])
    return "\n\n" + source.replace("return parameters", "return dict(parameters, padding=np.ones(400_000))") + "\n"


def test_each_bound_in_one_batch(tmp_path):
    """Five submissions, each over one bound, between two correct ones, in one batch."""
    config_path = tmp_path / "grading.yaml"
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    # code_kb raised so that the slow notebook (1 MB of code, 1.5 s of reading) meets intake_seconds before code_kb.
    raw["limits"].update(trainings_per_submission=1, intake_seconds=0.5, training_seconds=4, code_kb=1100)
    raw["training"]["images"]["num_iterations"] = 60000  # every new deep training goes past 4 CPU seconds
    config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    config = load_config(config_path)
    last = list(config.questions)[-1]  # graded last: the checks of the others come before
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("a_correct.py", "z_correct.py"):
        (folder / name).write_text(CORRECT.read_text())
    (folder / "two_trainings.py").write_text((MISTAKES / "random_rand_uniform.py").read_text())
    (folder / "big_replies_last.py").write_text(CORRECT.read_text() + _padded(config.questions[last].function))
    (folder / "deep_times_10.py").write_text((MISTAKES / "deep_times_10.py").read_text())
    _slow_notebook(folder / "slow_intake.ipynb", cells=125)  # 1 MB of lines that do not parse
    _notebook(folder / "much_code.ipynb", "x = 1\n" * (config.limits.code_kb * 1024 // 6 + 1))
    out = tmp_path / "out"
    report = grade_batch([folder], out, config, jobs=1, cache_dir=tmp_path / "cache")
    by_id = {r.id: r for r in report.results}

    def failed(r) -> dict:
        return {c.name: c.message for c in r.checks if not c.passed}

    # The correct submissions: the deep reference training is over training_seconds too (it
    # is the same bytes), so both lose exactly the deep accuracy check, and nothing else.
    for sid in ("a_correct", "z_correct"):
        assert set(failed(by_id[sid])) == {"deep: accuracy"}, failed(by_id[sid])
        assert by_id[sid].score == CONFIG.max_points() - CONFIG.questions["deep"].checks["accuracy"]
    assert "training_seconds" in failed(by_id["a_correct"])["deep: accuracy"]
    assert "initialize_parameters_deep([1200, 20, 7, 5, 1])" in failed(by_id["a_correct"])["deep: accuracy"]

    # trainings_per_submission = 1: of random's two trainings, the first (in check order) ran,
    # the second was refused with the bound named; the other checks are graded as usual.
    r = by_id["two_trainings"]
    msgs = failed(r)
    refused = [name for name, m in msgs.items() if "trainings_per_submission" in m]
    assert len(refused) == 1 and refused[0].startswith("random: accuracy"), msgs
    assert r.work.trainings == 1
    expected = {"deep: accuracy", "random: seeded values", "random: accuracy scale 10"}
    assert expected <= set(msgs) <= expected | {"random: accuracy default scale"}, msgs

    # replies_mb: the last question's calls hold too much; the others keep their points.
    r = by_id["big_replies_last"]
    msgs = failed(r)
    assert any("replies_mb" in m for m in msgs.values()), msgs
    assert all(name.startswith(last + ":") or name == "deep: accuracy" for name in msgs), msgs
    assert r.work.reply_bytes_held <= config.limits.replies_mb << 20

    # training_seconds: deep's own training is stopped; its other checks are graded as usual.
    r = by_id["deep_times_10"]
    assert "training_seconds" in failed(r)["deep: accuracy"]
    assert set(failed(r)) == {"deep: accuracy", "deep: seeded values"}

    # intake_seconds: an error naming the limit, and nothing else about the batch changed.
    r = by_id["slow_intake"]
    assert r.status == "error" and "intake_seconds" in r.error
    r = by_id["much_code"]
    assert r.status == "error" and "code_kb" in r.error
    assert len(report.results) == 7 and (out / "gradebook.csv").is_file()
    assert os.path.isfile(out / "a_correct" / "results.json")
