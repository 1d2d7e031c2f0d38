"""Trainings shared between a batch's workers (autograder.training.spool, autograder.training.queue):
a worker that waits for another's training trains the trainings other workers posted meanwhile, each
with the outcome it gets alone; what it may not share (extreme weights, a stopped stack, an entry it
cannot verify) it leaves alone. The work is counted (trainings, stacks, entries), never timed."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

from autograder.training import queue as training_queue
from autograder.training.cache_lock import advisory_lock
from autograder.training.queue import TrainingQueue
from autograder.training.spool import PREFIX, Spool
from autograder.training.submission_trainer import TrainingDeferred
from autograder.training.trainer import Trainer
from autograder.training.worker import WorkStopped
from tests.test_training_stack import inits, queued, short


def posted(folder) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{PREFIX}*.json"))


def test_a_posted_training_reads_back_as_the_exact_arrays_under_its_own_key(tmp_path):
    trainer = Trainer(short(), tmp_path)
    spool = Spool(trainer.store)
    for training in ("circles", "images"):
        params = inits(trainer.layers(training))[7]  # weights of 1e3: every bit of them matters
        key = trainer.cache_key(training, params)
        assert spool.post(key, training, params)
        found = spool.read(key, trainer)
        assert found is not None and found[0] == training
        assert all(np.array_equal(found[1][k], params[k]) and found[1][k].dtype == np.float64 for k in params)
        assert key in list(spool.keys())


def test_an_entry_that_does_not_verify_is_never_trained_and_is_taken_off(tmp_path):
    trainer = Trainer(short(), tmp_path)
    spool = Spool(trainer.store)
    a, b = inits(trainer.layers("circles"))[:2]
    key_a, key_b = trainer.cache_key("circles", a), trainer.cache_key("circles", b)
    spool.post(key_a, "circles", a)
    # Copied under another training's key (signed, but not the arrays of that key)
    (tmp_path / f"{PREFIX}{key_b}.json").write_bytes((tmp_path / f"{PREFIX}{key_a}.json").read_bytes())
    assert spool.read(key_b, trainer) is None
    # Planted: not signed with the grader's key
    planted = "f" * 64
    (tmp_path / f"{PREFIX}{planted}.json").write_text(json.dumps({"data": "{}", "mac": "0" * 64}))
    assert spool.read(planted, trainer) is None
    # Signed by the grader but of another shape than the model's (another grading.yaml)
    bigger = {k: np.zeros((v.shape[0] + 1, v.shape[1])) for k, v in a.items()}
    key_c = trainer.cache_key("circles", bigger)
    spool.post(key_c, "circles", bigger)
    assert spool.read(key_c, trainer) is None
    assert posted(tmp_path) == [f"{PREFIX}{key_a}.json"]  # the three taken off, the good one kept
    # A worker that helps finds nothing but the good one to train
    helper = TrainingQueue(Trainer(short(), tmp_path))
    assert helper._help(Spool(helper.trainer.store))
    assert helper.trainer.trainings_shared == 1 and posted(tmp_path) == []


def test_a_waiting_worker_trains_the_trainings_another_worker_posted(tmp_path):
    """Worker B's only training is held by worker A (this test holds its lock); A has posted two
    more it has not started. B trains those two, in one stack, with the outcomes they get alone,
    before it gives up waiting for the held one (lock_wait) and trains it itself."""
    config = short()
    a, b = Trainer(config, tmp_path), Trainer(config, tmp_path, lock_wait=0.2)
    held_p, *a_rest = inits(a.layers("circles"))[:3]
    spool = Spool(a.store)
    for p in a_rest:
        spool.post(a.cache_key("circles", p), "circles", p)
    queue = TrainingQueue(b)
    (asked,) = queued(queue, [held_p])
    with advisory_lock(tmp_path / f"{a.cache_key('circles', held_p)}.lock", 0) as held:
        assert held
        queue.train_pending()
    assert (b.trainings_shared, b.stacks_run, b.trainings_stacked, b.trainings_run) == (2, 1, 2, 3)
    assert queue.claimed_by_others == 1 and asked.budget.started == 1  # its own: trained here after the wait
    t, data = config.training["circles"], a.data("circles")
    for p in a_rest:  # worker A finds them in the cache, as trained alone
        assert asdict(a.cached("circles", p)) == asdict(Trainer.train_in_this_process(t, data, p))
    assert a.trainings_run == 0 and posted(tmp_path) == []


def test_a_worker_posts_what_it_queued_and_takes_it_off_when_trained(tmp_path, monkeypatch):
    config = short()
    trainer = Trainer(config, tmp_path)
    queue = TrainingQueue(trainer)
    members = inits(trainer.layers("circles"))
    healthy, tiny = members[:2], {k: v * 1e-200 for k, v in members[0].items()}
    queued(queue, [*healthy, tiny])
    queued(queue, inits(trainer.layers("images"))[:1], "images")
    seen = []
    real_post = Spool.post
    monkeypatch.setattr(Spool, "post", lambda self, key, training, params: seen.append(key) or
                        real_post(self, key, training, params))
    queue.train_pending()
    # Extreme weights are not posted (they train alone here, within their submission's bounds)
    assert sorted(seen) == sorted([trainer.cache_key("circles", p) for p in healthy] +
                                  [trainer.cache_key("images", inits(trainer.layers("images"))[0])])
    assert posted(tmp_path) == [] and trainer.trainings_run == 4 and trainer.trainings_shared == 0


def test_a_submission_low_on_its_training_budget_is_not_posted(tmp_path):
    config = short()
    trainer = Trainer(config, tmp_path)
    queue = TrainingQueue(trainer)
    p = inits(trainer.layers("circles"))[0]
    requester = queue.for_submission()
    requester.budget.cpu_used = requester.budget.cpu_seconds - 1  # less than one training_seconds left
    with pytest.raises(TrainingDeferred):
        requester.outcome("circles", p)
    (pending,) = queue.pending.values()
    assert not queue._shareable(pending)


def test_a_posted_stack_that_is_stopped_is_taken_off_not_trained_by_the_helper(tmp_path, monkeypatch):
    config = short()
    poster, helper = Trainer(config, tmp_path), Trainer(config, tmp_path)
    spool = Spool(poster.store)
    members = inits(poster.layers("circles"))[:3]
    for p in members:
        spool.post(poster.cache_key("circles", p), "circles", p)

    def stopped(work, cpu_seconds, wall_seconds):
        raise WorkStopped("cpu", float(cpu_seconds))

    monkeypatch.setattr(training_queue, "run_bounded", stopped)
    queue = TrainingQueue(helper)
    assert queue._help(Spool(helper.store))
    assert (helper.stacks_stopped, helper.trainings_run, helper.trainings_shared) == (1, 0, 0)
    assert posted(tmp_path) == [] and all(poster.cached("circles", p) is None for p in members)
    assert not queue._help(Spool(helper.store))  # nothing left to help with


def test_a_worker_s_stack_takes_in_what_other_workers_posted_of_the_same_model(tmp_path):
    """Worker B stacks its own two trainings with the three worker A posted and has not started:
    one stack of five, each outcome as alone, A's three counted as shared."""
    config = short()
    a, b = Trainer(config, tmp_path), Trainer(config, tmp_path)
    members = inits(a.layers("circles"))
    spool = Spool(a.store)
    for p in members[2:5]:
        spool.post(a.cache_key("circles", p), "circles", p)
    queue = TrainingQueue(b)
    asked = queued(queue, members[:2])
    queue.train_pending()
    assert (b.stacks_run, b.trainings_stacked, b.trainings_run, b.trainings_shared) == (1, 5, 5, 3)
    assert [r.budget.started for r in asked] == [1, 1] and posted(tmp_path) == []
    t, data = config.training["circles"], a.data("circles")
    for p in members[:5]:
        assert asdict(a.cached("circles", p)) == asdict(Trainer.train_in_this_process(t, data, p))


def test_what_waited_only_for_this_worker_s_trainings_is_told_apart_before_waiting_for_another_s(tmp_path):
    """batch.grade_chunk grades again, before it waits for a training another worker holds, the
    submissions that waited only for trainings this worker ran (TrainingQueue.train_own, then
    finish_theirs): one held by another (this test holds its lock) is not waited for by train_own,
    the submissions that asked for it (first, or after another did) are told apart from the rest, and
    finish_theirs then trains it here after lock_wait, with the outcome it gets alone, charged to the
    submission that queued it."""
    config = short()
    b = Trainer(config, tmp_path, lock_wait=0.2)
    own_p, held_p = inits(b.layers("circles"))[:2]
    queue = TrainingQueue(b)
    (own_only,) = queued(queue, [own_p])
    (holder,) = queued(queue, [held_p])
    (second,) = queued(queue, [held_p])  # asked for after another submission queued it
    assert [a.carried.waits_for for a in (own_only, holder, second)] == [
        {b.cache_key("circles", own_p)}, {b.cache_key("circles", held_p)}, {b.cache_key("circles", held_p)}]
    with advisory_lock(tmp_path / f"{b.cache_key('circles', held_p)}.lock", 0) as held:
        assert held
        queue.train_own()
        assert b.trainings_run == 1 and b.cached("circles", own_p) is not None  # its own, not the held one
        assert b.cached("circles", held_p) is None and queue.claimed_by_others == 1
        assert not queue.waits_on_others(own_only.carried.waits_for)
        assert queue.waits_on_others(holder.carried.waits_for) and queue.waits_on_others(second.carried.waits_for)
        queue.finish_theirs()  # waits lock_wait, then trains it here
    assert b.trainings_run == 2 and not queue.waits_on_others(holder.carried.waits_for)
    t = config.training["circles"]
    assert asdict(b.cached("circles", held_p)) == asdict(Trainer.train_in_this_process(t, b.data("circles"), held_p))
    assert (own_only.budget.started, holder.budget.started, second.budget.started) == (1, 1, 0)


def test_a_training_another_worker_finished_meanwhile_is_charged_to_nobody_before_the_second_pass(tmp_path,
                                                                                                   monkeypatch):
    """A training another worker held at train_own and finished by its end is read from the cache
    there: the submission that queued it is told apart from those that wait (nothing to wait for), and
    its first pass's count of trainings started is given back before its second pass, as before."""
    config = short()
    a, b = Trainer(config, tmp_path), Trainer(config, tmp_path)
    (held_p,) = inits(b.layers("circles"))[:1]
    queue = TrainingQueue(b)
    (holder,) = queued(queue, [held_p])
    real_train_ours = TrainingQueue._train_ours

    def held_then_trained(self, pending, spool):
        with advisory_lock(tmp_path / f"{b.cache_key('circles', held_p)}.lock", 0):
            theirs = real_train_ours(self, pending, spool)  # the lock is another's: left for the end
        a.outcome("circles", held_p)  # the other worker trains it meanwhile
        return theirs

    monkeypatch.setattr(TrainingQueue, "_train_ours", held_then_trained)
    queue.train_own()
    assert queue.claimed_by_others == 1 and not queue.waits_on_others(holder.carried.waits_for)
    assert b.trainings_run == 0 and a.trainings_run == 1 and holder.budget.started == 0
