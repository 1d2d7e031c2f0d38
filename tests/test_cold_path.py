"""The first grading of a course (an empty training cache): the work done beside the trainings.

A submission that waited for the chunk's trainings is graded again from the answers its first
pass saved, with no sandbox unless a call has no saved answer; the reference check trains the
reference's trainings together. Counted (sandbox starts, exchanges, stacks), never timed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_training_stack import SUBMISSIONS, short

from autograder.batch import grading
from autograder.batch.grading import grade_chunk, warm_reference
from autograder.commands.course import reference_failures
from autograder.config import PROJECT_ROOT
from autograder.engine import Grader
from autograder.sandbox.host import sandbox as host_sandbox
from autograder.training import side_by_side
from autograder.training.queue import TrainingQueue
from autograder.training.trainer import Trainer


@pytest.fixture
def starts(monkeypatch) -> list[int]:
    """One entry per sandbox started (Sandbox.start), whoever starts it."""
    counted: list[int] = []
    start = host_sandbox.Sandbox.start

    def counting(self):
        counted.append(1)
        return start(self)

    monkeypatch.setattr(host_sandbox.Sandbox, "start", counting)
    return counted


def _seen(result) -> list:
    return [(c.name, c.score, c.message) for c in result.checks]


def test_a_submission_that_waited_for_a_training_is_graded_again_without_a_sandbox(tmp_path, starts):
    config = short()
    grader = Grader(config, Trainer(config, tmp_path / "cache"), [str(tmp_path)])
    resumed: list[str] = []
    grade = grader.grade

    def grade_counting(path, *args, **kwargs):
        if kwargs.get("resume") is not None:
            resumed.append(Path(path).stem)
        return grade(path, *args, **kwargs)

    grader.grade = grade_counting  # type: ignore[method-assign]
    results = {}
    with grader:
        warm_reference(grader)
        grade_chunk(grader, [(p, p.stem) for p in SUBMISSIONS], lambda r, _: results.setdefault(r.id, r))
    assert len(resumed) >= 3  # distinct wrong initializations: each waited for its training
    assert len(starts) == len(SUBMISSIONS)  # one sandbox per submission, none for a second pass
    assert all(results[name].work.sandbox_exchanges == 0 for name in resumed)
    with Grader(config, Trainer(config, tmp_path / "alone-cache"), [str(tmp_path)]) as alone:
        for path in SUBMISSIONS:
            one = alone.grade(path)
            assert _seen(results[path.stem]) == _seen(one)
            assert results[path.stem].output == one.output
            assert results[path.stem].probes == one.probes


def _printing(tmp_path: Path) -> Path:
    """he_missing_sqrt, printing in every call of each function."""
    source = (PROJECT_ROOT / "examples" / "mistakes" / "he_missing_sqrt.py").read_text()
    source = source.replace("    parameters = {}\n", "    parameters = {}\n    print('called with', layers_dims)\n")
    path = tmp_path / "he_missing_sqrt_printing.py"
    path.write_text(source)
    return path


def test_a_resumed_grading_shows_the_output_one_grading_shows(tmp_path, starts):
    """The printed output of a submission that waited is its first pass's (every call),
    as a grading with a warm cache shows it; not a second sandbox's, which made no calls."""
    config = short()
    path = _printing(tmp_path)
    with Grader(config, Trainer(config, tmp_path / "cache"), [str(tmp_path)]) as grader:
        warm_reference(grader)
        queue = TrainingQueue(grader.trainer)
        first = grader.grade(path, queue=queue)
        assert first.waiting is not None
        queue.train_pending()
        cold = grader.grade(path, resume=first.waiting)
        started = len(starts)
        warm = grader.grade(path)
    assert "called with [2, 10, 5, 1]" in warm.output
    assert cold.output == warm.output
    assert _seen(cold) == _seen(warm)
    assert started == 1


def test_a_resumed_grading_starts_a_sandbox_for_a_call_with_no_saved_answer(tmp_path, starts):
    config = short()
    path = PROJECT_ROOT / "examples" / "mistakes" / "he_missing_sqrt.py"
    with Grader(config, Trainer(config, tmp_path / "cache"), [str(tmp_path)]) as grader:
        warm_reference(grader)
        queue = TrainingQueue(grader.trainer)
        first = grader.grade(path, queue=queue)
        assert first.waiting is not None and first.waiting.planned
        queue.train_pending()
        first.waiting.planned.clear()  # the planned answers no check used: asked again, in a sandbox
        cold = grader.grade(path, resume=first.waiting)
        assert len(starts) == 2 and cold.work.sandbox_exchanges >= 1
        warm = grader.grade(path)
    assert _seen(cold) == _seen(warm)


def test_the_reference_check_trains_the_reference_s_trainings_together(tmp_path, monkeypatch):
    config = short()  # short trainings: the reference loses points on them, the same ones either way
    trainer = Trainer(config, tmp_path / "cache")
    stacked = reference_failures(config, trainer=trainer)
    assert trainer.stacks_run == 1  # the circles network's reference trainings, in one stack
    assert trainer.trainings_stacked == trainer.trainings_run - 1 >= 3  # the images network's alone
    # One by one (the queue left untrained: each check trains as it asks), the same failures, word for word.
    monkeypatch.setattr(TrainingQueue, "train_pending", lambda self: None)
    alone = Trainer(config, tmp_path / "alone-cache")
    assert reference_failures(config, trainer=alone) == stacked
    assert alone.stacks_run == 0 and alone.trainings_run == trainer.trainings_run
    # Nothing is trained again from the cache.
    again = Trainer(config, tmp_path / "cache")
    assert reference_failures(config, trainer=again) == stacked and again.trainings_run == 0


def _entries(folder: Path) -> list[Path]:
    return [p for p in folder.glob("*.json") if not p.name.startswith(("input-size", "call-plan", "wanted-"))]


def test_the_reference_s_training_settings_train_side_by_side_with_jobs(tmp_path):
    """With two processes, one training setting is trained by a forked child into the cache: this
    process trains only the other (the circles stack), and the checks end as in one process."""
    config = short()
    one = Trainer(config, tmp_path / "one")
    alone = reference_failures(config, trainer=one)
    two = Trainer(config, tmp_path / "two")
    assert reference_failures(config, trainer=two, processes=2) == alone
    assert two.stacks_run == 1 and two.trainings_run == two.trainings_stacked == one.trainings_run - 1
    assert len(_entries(tmp_path / "two")) == len(_entries(tmp_path / "one")) == one.trainings_run


def test_a_training_a_child_did_not_write_is_trained_here(tmp_path, monkeypatch):
    """A child that ends without training (killed, died) costs its trainings once more, here, with the
    same checks' results."""
    config = short()
    one = Trainer(config, tmp_path / "one")
    alone = reference_failures(config, trainer=one)
    parent, train = os.getpid(), side_by_side._train

    def dying_child(queue, share):
        if os.getpid() != parent:
            os._exit(1)
        train(queue, share)

    monkeypatch.setattr(side_by_side, "_train", dying_child)
    two = Trainer(config, tmp_path / "two")
    assert reference_failures(config, trainer=two, processes=2) == alone
    assert two.trainings_run == one.trainings_run == len(_entries(tmp_path / "two"))  # the child's, trained here


def test_a_cold_parallel_batch_takes_larger_chunks_so_its_trainings_stack(tmp_path, monkeypatch):
    """On an empty cache most chunks queue trainings: each chunk of a small batch is a worker's share
    of what is left (its trainings queued and stacked together), not half of that; both shrink to
    single submissions at the end. The grades are the same either way."""
    sizes: list[list[int]] = []
    sized = grading.chunk_sizes
    monkeypatch.setattr(grading, "chunk_sizes", lambda *a, **k: sizes.append(sized(*a, **k)) or sizes[-1])
    config = short()
    paths = [PROJECT_ROOT / "examples" / "mistakes" / f"{name}.py"
             for name in ("he_missing_sqrt", "he_scale_0_01", "random_unscaled", "zeros_random", "he_xavier_scale",
                          "random_seed_42")]
    cold = grading.grade_batch(paths, tmp_path / "cold", config, jobs=2, cache_dir=tmp_path / "cache")
    warm = grading.grade_batch(paths, tmp_path / "warm", config, jobs=2, cache_dir=tmp_path / "cache", force=True)
    assert sizes == [[3, 2, 1], [2, 1, 1, 1, 1]]  # 6 submissions: cold, then warm
    assert cold.trainings > 0 and warm.trainings == 0
    assert [_seen(r) for r in cold.results] == [_seen(r) for r in warm.results]


# A fresh interpreter that has loaded the trainer but none of what a training loads when first used
# (the command's own state on a warm cache) trains once alone and once in a stack, each in its
# bounded child: each child reports the modules it imported itself.
_CHILD_IMPORTS = textwrap.dedent("""
    import json, sys
    import numpy as np
    from autograder.config import load_config
    from autograder.training import worker
    from autograder.training.trainer import Trainer
    assert "threadpoolctl" not in sys.modules and "autograder.training.stack" not in sys.modules
    config = load_config()
    t = config.training["circles"].model_copy(update={"num_iterations": 50})
    trainer = Trainer(config)
    data = trainer.data(t.dataset)
    dims = trainer.layers("circles")
    np.random.seed(3)
    members = [{k: np.random.randn(dims[l], dims[l - 1] if k[0] == "W" else 1) * scale
                for l in range(1, len(dims)) for k in (f"W{l}", f"b{l}")} for scale in (1.0, 0.01)]
    def fresh(work):
        def run():
            before = set(sys.modules)
            work()
            return {"new": sorted(set(sys.modules) - before)}
        return run
    found = {"alone": worker.run_bounded(fresh(lambda: Trainer.train_in_this_process(t, data, members[0])), 60, 600)[0]}
    from autograder.training.stack import stacked_outcomes  # as TrainingQueue._train_stack, before its fork
    found["stack"] = worker.run_bounded(fresh(lambda: stacked_outcomes(t, data, members)), 60, 600)[0]
    print(json.dumps(found))
""")


def test_a_training_s_child_imports_nothing_of_its_own():
    """A training's forked child (autograder.training.worker.run_bounded) imports no module: one that
    another thread of the grader was importing at the fork (a lazily loaded one, while a sandbox loads)
    would stay locked in the child, which would then wait until its wall-clock bound."""
    import json

    done = subprocess.run([sys.executable, "-c", _CHILD_IMPORTS], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"alone": {"new": []}, "stack": {"new": []}}, found

