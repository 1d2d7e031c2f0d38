"""Stacked trainings (autograder.training.stack, autograder.training.queue): each member's outcome
is the one it gets alone, bit for bit; the work is counted (trainings, stacks), never timed."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from autograder.batch.grading import grade_batch, warm_reference
from autograder.config import PROJECT_ROOT, load_config
from autograder.engine import Grader
from autograder.training import queue as training_queue
from autograder.training.queue import TrainingQueue
from autograder.training.stack import stacked_outcomes
from autograder.training.submission_trainer import TrainingDeferred
from autograder.training.trainer import Trainer
from autograder.training.worker import WorkStopped

CONFIG = load_config()


def short(config=CONFIG, circles: int = 300, images: int = 15):
    """``config`` with short trainings (the same arithmetic, fewer steps)."""
    steps = {"circles": circles, "images": images}
    training = {n: t.model_copy(update={"num_iterations": steps[n]}) for n, t in config.training.items()}
    return config.model_copy(update={"training": training})


def inits(dims: list[int]) -> list[dict]:
    """The initializations of the realistic mistakes: scales, seeds, biases, zeros, huge and tiny weights."""
    out = []
    for i, (seed, scale, bias) in enumerate([(3, 10, 0), (3, None, 0), (3, 0.01, 0), (1, 1, 0), (42, 10, 0),
                                              (3, 0, 0), (3, None, 0.5), (7, 1e3, 0), (5, 1e-8, 0)]):
        np.random.seed(seed)
        p = {}
        for l in range(1, len(dims)):
            s = np.sqrt(2 / dims[l - 1]) if scale is None else scale
            p[f"W{l}"] = np.random.randn(dims[l], dims[l - 1]) * s
            p[f"b{l}"] = np.full((dims[l], 1), bias * i)
        out.append(p)
    return out


@pytest.mark.parametrize("training", ["circles", "images"])
def test_stacked_outcomes_are_bitwise_those_of_single_trainings(training):
    config = short()
    trainer = Trainer(config)
    t, data = config.training[training], trainer.data(config.training[training].dataset)
    members = inits(trainer.layers(training))
    alone = [json.dumps(asdict(Trainer.train_in_this_process(t, data, p))) for p in members]
    stacked = [json.dumps(o) for o in stacked_outcomes(t, data, members)]
    assert stacked == alone  # the JSON of floats is their exact value (repr round-trips)
    assert len(set(alone)) > 5  # the members really differ


def test_the_published_he_outcome_comes_out_of_a_stack():
    trainer = Trainer(CONFIG)
    t, data = CONFIG.training["circles"], trainer.data("circles")
    from solutions.init_functions import initialize_parameters_he, initialize_parameters_zeros

    dims = trainer.layers("circles")
    he, zeros = stacked_outcomes(t, data, [initialize_parameters_he(dims), initialize_parameters_zeros(dims)])
    assert (he["train_accuracy"], he["test_accuracy"]) == (0.9933333333333333, 0.96)
    assert zeros["costs"][0] == zeros["costs"][-1] == 0.6931471805599453
    assert zeros["hidden_rows_identical"] == [True, True]


def queued(queue: TrainingQueue, members: list[dict], training: str = "circles"):
    """Ask for each member's training as one submission; returns the submissions' trainers."""
    asked = []
    for p in members:
        requester = queue.for_submission()
        with pytest.raises(TrainingDeferred):
            requester.outcome(training, p)
        asked.append(requester)
    return asked


def test_a_queue_trains_its_members_in_one_stack_with_the_outcomes_of_single_trainings():
    config = short()
    trainer = Trainer(config)
    queue = TrainingQueue(trainer)
    members = inits(trainer.layers("circles"))[:6]
    asked = queued(queue, members)
    again = queue.for_submission()  # a second submission with the same weights: no second training
    with pytest.raises(TrainingDeferred):
        again.outcome("circles", members[0])
    assert again.budget.started == 0 and trainer.trainings_run == 0
    queue.train_pending()
    assert (trainer.stacks_run, trainer.trainings_stacked, trainer.trainings_run) == (1, 6, 6)
    t, data = config.training["circles"], trainer.data("circles")
    for p, requester in zip(members, asked):
        assert asdict(trainer.cached("circles", p)) == asdict(Trainer.train_in_this_process(t, data, p))
        assert requester.budget.started == 1 and 0 < requester.budget.cpu_used
        assert requester.carried.iterations == 300
    assert queue.pending == {}


def test_stacks_hold_at_most_what_half_a_training_allowance_computes():
    trainer = Trainer(CONFIG)
    queue = TrainingQueue(trainer)
    size = queue.stack_size("circles")
    assert 2 <= size <= training_queue.STACK_MAX_MEMBERS
    shapes = {k: v.shape for k, v in inits(trainer.layers("circles"))[0].items()}
    rng = np.random.RandomState(0)
    members = [{k: rng.randn(*shape) for k, shape in shapes.items()} for _ in range(size + 3)]  # a stack and 3
    short_trainer = Trainer(short())
    short_queue = TrainingQueue(short_trainer)
    short_queue.stack_size = lambda training: size  # the sizes of the full-length trainings
    queued(short_queue, members)
    short_queue.train_pending()
    assert (short_trainer.stacks_run, short_trainer.trainings_stacked) == (2, size + 3)


def test_a_stopped_stack_trains_every_member_alone(monkeypatch):
    trainer = Trainer(short())
    queue = TrainingQueue(trainer)
    members = inits(trainer.layers("circles"))[:4]
    queued(queue, members)

    def stopped(work, cpu_seconds, wall_seconds):
        raise WorkStopped("cpu", float(cpu_seconds))

    monkeypatch.setattr(training_queue, "run_bounded", stopped)  # the stack only: single trainings are elsewhere
    queue.train_pending()
    assert (trainer.stacks_stopped, trainer.stacks_run, trainer.trainings_stacked) == (1, 0, 0)
    assert trainer.trainings_run == 4 and all(trainer.cached("circles", p) is not None for p in members)


def test_extreme_weights_train_alone_and_a_large_model_in_stacks_of_its_own_size():
    trainer = Trainer(CONFIG)  # the full-length trainings' stack sizes: the images network's is 2
    queue = TrainingQueue(trainer)
    assert (queue.stack_size("circles"), queue.stack_size("images")) == (9, 2)
    trainer = Trainer(short())
    queue = TrainingQueue(trainer)
    queue.stack_size = lambda training: {"circles": 9, "images": 2}[training]
    dims = trainer.layers("circles")
    healthy = inits(dims)[:2]
    tiny = {k: v * 1e-200 for k, v in healthy[0].items()}
    queued(queue, [*healthy, tiny])
    queued(queue, inits(trainer.layers("images"))[:3], "images")
    queue.train_pending()
    # circles: a stack of 2 and the tiny one alone; images: a stack of 2 and the third alone
    assert (trainer.stacks_run, trainer.trainings_stacked, trainer.trainings_run) == (2, 4, 6)


def test_a_model_of_which_two_trainings_do_not_fit_half_the_allowance_is_not_stacked():
    limits = CONFIG.limits.model_copy(update={"training_seconds": 4})
    trainer = Trainer(CONFIG.model_copy(update={"limits": limits}))
    queue = TrainingQueue(trainer)
    assert not queue._stackable("images") and queue._stackable("circles")


def test_a_queued_training_over_the_submission_bounds_is_refused_as_alone():
    config = short()
    config = config.model_copy(update={"limits": config.limits.model_copy(update={"trainings_per_submission": 2})})
    trainer = Trainer(config)
    queue = TrainingQueue(trainer)
    requester = queue.for_submission()
    members = inits(trainer.layers("circles"))[:3]
    for p in members[:2]:
        with pytest.raises(TrainingDeferred):
            requester.outcome("circles", p)
    with pytest.raises(AssertionError, match="trainings_per_submission"):
        requester.outcome("circles", members[2])
    queue.train_pending()
    assert requester.budget.started == 2 and trainer.trainings_run == 2


SUBMISSIONS = [PROJECT_ROOT / "examples" / "mistakes" / f"{name}.py"
               for name in ("he_missing_sqrt", "he_scale_0_01", "random_unscaled", "zeros_random", "he_xavier_scale")]


def test_a_cold_batch_stacks_its_trainings_and_grades_as_one_by_one(tmp_path):
    config = short()
    report = grade_batch(SUBMISSIONS, tmp_path / "out", config, jobs=1, cache_dir=tmp_path / "cache")
    alone = Grader(config, Trainer(config, tmp_path / "alone-cache"), [str(tmp_path)])
    with alone:
        for path, result in zip(SUBMISSIONS, sorted(report.results, key=lambda r: SUBMISSIONS.index(Path(r.path)))):
            one = alone.grade(path)
            assert [(c.name, c.score, c.message) for c in result.checks] == \
                   [(c.name, c.score, c.message) for c in one.checks]
    # Every training of the batch ran once (one cache entry each): the reference's and the
    # submissions' distinct ones, most of them in stacks.
    entries = [p for p in (tmp_path / "cache").glob("*.json") if not p.name.startswith(("input-size", "call-plan"))]
    assert report.trainings == len(entries) > 8
    assert report.trainings_stacked >= 8  # the reference's four circles trainings, and the mistakes'


def test_a_parallel_cold_batch_counts_its_stacked_trainings(tmp_path):
    config = short()
    report = grade_batch(SUBMISSIONS, tmp_path / "out", config, jobs=2, cache_dir=tmp_path / "cache")
    serial = grade_batch(SUBMISSIONS, tmp_path / "out-serial", config, jobs=1, cache_dir=tmp_path / "cache-serial")
    assert [[(c.name, c.score) for c in r.checks] for r in report.results] == \
           [[(c.name, c.score) for c in r.checks] for r in serial.results]
    entries = [p for p in (tmp_path / "cache").glob("*.json") if not p.name.startswith(("input-size", "call-plan"))]
    assert report.trainings == serial.trainings == len(entries)
    assert report.trainings_stacked >= 4


def test_the_second_pass_sees_the_answers_the_queued_trainings_were_made_from(tmp_path):
    """A function that draws new numbers at every call (os.urandom): its second pass reuses the
    first pass's answers, so it costs the trainings it costs alone, not new ones."""
    config = short()
    hostile = PROJECT_ROOT / "examples" / "hostile" / "bound_distinct_weights_every_call.py"
    report = grade_batch([hostile], tmp_path / "out", config, jobs=1, cache_dir=tmp_path / "cache")
    (result,) = report.results
    with Grader(config, Trainer(config, tmp_path / "alone-cache"), [str(tmp_path)]) as alone:
        warm_reference(alone)
        one = alone.grade(hostile)
    assert result.work.trainings == one.work.trainings >= 3  # new weights for each training check
    assert result.work.training_iterations == one.work.training_iterations
    assert report.trainings == result.work.trainings + 5  # and the reference's five


def test_a_worker_trains_what_it_claimed_before_it_turns_to_another_workers_trainings(tmp_path, monkeypatch):
    """Two workers on one cache folder: the training the other worker claimed is read from the
    cache once that worker wrote it; this worker trained its own meanwhile, never waiting first."""
    from autograder.training.cache_lock import advisory_lock

    config = short()
    ours, other = Trainer(config, tmp_path), Trainer(config, tmp_path)
    queue = TrainingQueue(ours)
    theirs_p, mine_p = inits(ours.layers("circles"))[:2]
    asked = queued(queue, [theirs_p, mine_p])
    key = ours.cache_key("circles", theirs_p)
    held = advisory_lock(tmp_path / f"{key}.lock", 0)  # the other worker, training it
    assert held.__enter__()
    order = []
    real_train = Trainer._train

    def train(self, training, params, key="", budget=None):
        order.append(key)
        outcome = real_train(self, training, params, key, budget)
        if self is ours:  # meanwhile the other worker finished its training and let go of the lock
            other.outcome("circles", theirs_p, lock_held=True)  # it holds the lock (held, above)
            held.__exit__(None, None, None)
        return outcome

    monkeypatch.setattr(Trainer, "_train", train)
    queue.train_pending()
    assert order == [ours.cache_key("circles", mine_p), key]  # ours first; then the other's, by the other
    assert (ours.trainings_run, other.trainings_run, queue.claimed_by_others) == (1, 1, 1)
    assert asked[0].budget.started == 0 and asked[1].budget.started == 1  # as alone: a cached one costs nothing
    assert ours.cached("circles", theirs_p) == other.cached("circles", theirs_p)


def test_a_worker_never_waits_forever_for_a_training_another_worker_claimed(tmp_path):
    """The other worker holds a lock and never finishes (stalled): this worker trains it itself
    after Trainer.lock_wait, within the submission's own bounds."""
    from autograder.training.cache_lock import advisory_lock

    config = short()
    trainer = Trainer(config, tmp_path, lock_wait=0.2)
    queue = TrainingQueue(trainer)
    members = inits(trainer.layers("circles"))[:3]
    asked = queued(queue, members)
    key = trainer.cache_key("circles", members[0])
    with advisory_lock(tmp_path / f"{key}.lock", 0) as held:
        assert held
        queue.train_pending()
    assert queue.claimed_by_others == 1
    assert (trainer.trainings_run, trainer.stacks_run, trainer.trainings_stacked) == (3, 1, 2)
    assert all(r.budget.started == 1 for r in asked)
    assert all(trainer.cached("circles", p) is not None for p in members)


def test_a_stack_holds_no_more_members_than_its_memory_bound_allows(monkeypatch):
    trainer = Trainer(CONFIG)
    queue = TrainingQueue(trainer)
    dims = trainer.layers("circles")
    examples = trainer.data("circles")[1].shape[1]
    units, weights = sum(dims[1:]), sum(a * b for a, b in zip(dims, dims[1:]))
    member_bytes = 8 * (3 * (weights + units) + 5 * units * examples)  # parameters, gradients, activations
    assert queue.stack_size("circles") > 3
    monkeypatch.setattr(training_queue, "STACK_MAX_BYTES", 3 * member_bytes + 1)
    assert queue.stack_size("circles") == 3
