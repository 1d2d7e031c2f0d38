"""A training cache folder shared by processes and machines (autograder.training.cache_lock).

The lock is a hint: held by someone else too long, impossible to take, or on a file system
without locks, it is passed by and the training runs here (counted, never timed). Entries are
written whole; a folder that cannot be written only costs a training.
"""

from __future__ import annotations

import errno
import fcntl
import json
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from autograder.base import atomic
from autograder.config import PROJECT_ROOT, load_config
from autograder.training import cache_lock
from autograder.training.cache_lock import advisory_lock, store_atomic
from autograder.training.trainer import Trainer


@pytest.fixture(scope="module")
def quick_config(tmp_path_factory):
    """The real settings with 200 training steps: the tests count trainings, they need not be long."""
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    for t in raw["training"].values():
        t["num_iterations"] = 200
    path = tmp_path_factory.mktemp("config") / "grading.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_config(path)


def he_params():
    rng = np.random.RandomState(3)
    return {"W1": rng.randn(10, 2), "b1": np.zeros((10, 1)), "W2": rng.randn(5, 10), "b2": np.zeros((5, 1)),
            "W3": rng.randn(1, 5), "b3": np.zeros((1, 1))}


def entries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith(("input-size", "call-plan"))]


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_lock_held_elsewhere_is_passed_by_after_the_wait(quick_config, tmp_path):
    trainer = Trainer(quick_config, tmp_path, lock_wait=0.3)
    key = trainer.cache_key("circles", he_params())
    with open(tmp_path / f"{key}.lock", "a") as holder:  # another open file: flock conflicts with it
        fcntl.flock(holder, fcntl.LOCK_EX)
        outcome = trainer.outcome("circles", he_params())
    assert trainer.trainings_run == 1
    entry = json.loads((tmp_path / f"{key}.json").read_text())  # signed: the data and its HMAC
    assert json.loads(entry["data"])["train_accuracy"] == outcome.train_accuracy
    assert not leftovers(tmp_path)


def test_a_lock_that_cannot_be_taken_never_waits(quick_config, tmp_path, monkeypatch):
    waits = []
    monkeypatch.setattr(cache_lock.time, "sleep", waits.append)

    def no_locks(f, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(cache_lock.fcntl, "flock", no_locks)
    trainer = Trainer(quick_config, tmp_path)  # the default, long wait: it must not be used
    trainer.outcome("circles", he_params())
    assert trainer.trainings_run == 1 and waits == []
    assert len(entries(tmp_path)) == 1


def test_a_lock_file_that_cannot_be_opened_never_waits(quick_config, tmp_path):
    trainer = Trainer(quick_config, tmp_path)
    key = trainer.cache_key("circles", he_params())
    (tmp_path / f"{key}.lock").mkdir()  # opening it fails (as on a read-only lock, or a name clash)
    trainer.outcome("circles", he_params())
    assert trainer.trainings_run == 1 and (tmp_path / f"{key}.json").is_file()


def test_the_wait_ends_when_the_entry_appears(tmp_path, monkeypatch):
    lock, done = tmp_path / "k.lock", tmp_path / "k.json"
    polls = []

    def entry_written_meanwhile(seconds):
        polls.append(seconds)
        if len(polls) == 3:
            done.write_text("{}")

    monkeypatch.setattr(cache_lock.time, "sleep", entry_written_meanwhile)
    with open(lock, "a") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with advisory_lock(lock, 3600, done=done) as held:
            assert held is False
    assert len(polls) == 3


def test_an_unwritable_cache_costs_a_training_not_a_failure(quick_config, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    trainer = Trainer(quick_config, blocked / "cache")
    first = trainer.outcome("circles", he_params())
    assert trainer.outcome("circles", he_params()) == first  # kept in memory
    assert trainer.trainings_run == 1
    assert store_atomic(blocked / "x.json", "{}") is False


def test_store_is_whole_or_nothing(tmp_path, monkeypatch):
    target = tmp_path / "entry.json"
    target.write_text('{"old": true}')

    def full_disk(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full_disk)  # the one atomic writer the cache uses
    assert store_atomic(target, '{"new": true}') is False
    assert target.read_text() == '{"old": true}' and not leftovers(tmp_path)


def _train_without_locks(config_path: str, cache: str, start) -> int:
    # Two machines on one network folder: no lock works between them.
    cache_lock.fcntl.flock = lambda f, op: (_ for _ in ()).throw(OSError(errno.ENOLCK, "no locks"))
    trainer = Trainer(load_config(Path(config_path)), cache)
    start.wait()
    trainer.outcome("circles", he_params())
    return trainer.trainings_run


def test_two_machines_without_locks_train_at_most_twice_and_agree(quick_config, tmp_path):
    config_path = tmp_path / "grading.yaml"
    config_path.write_text(yaml.safe_dump(quick_config.model_dump(), sort_keys=False))
    cache = tmp_path / "shared"
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as manager:
        start = manager.Barrier(2)
        with ctx.Pool(2) as pool:
            runs = pool.starmap(_train_without_locks, [(str(config_path), str(cache), start)] * 2)
    assert sum(runs) <= 2
    assert len(entries(cache)) == 1 and not leftovers(cache)
    # a third process, and a later run, read the entry and train nothing
    later = Trainer(load_config(config_path), cache)
    later.outcome("circles", he_params())
    assert later.trainings_run == 0


def test_workers_of_one_machine_still_train_a_key_once(quick_config, tmp_path):
    config_path = tmp_path / "grading.yaml"
    config_path.write_text(yaml.safe_dump(quick_config.model_dump(), sort_keys=False))
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as manager:
        start = manager.Barrier(3)
        with ctx.Pool(3) as pool:
            runs = pool.starmap(_train_with_locks, [(str(config_path), str(tmp_path / "c"), start)] * 3)
    assert sorted(runs) == [0, 0, 1]


def _train_with_locks(config_path: str, cache: str, start) -> int:
    trainer = Trainer(load_config(Path(config_path)), cache)
    start.wait()
    trainer.outcome("circles", he_params())
    return trainer.trainings_run


def test_tmp_names_stay_in_the_entry_folder(tmp_path):
    assert store_atomic(tmp_path / "sub" / "e.json", "{}")
    assert os.listdir(tmp_path / "sub") == ["e.json"]
