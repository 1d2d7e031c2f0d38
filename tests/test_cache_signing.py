"""A training cache no sandbox can write (autograder.training.cache_signing): entries signed with a key only the
grader's user can read, the folder and the key checked.

The attack it stops: with the cache on a folder a sandbox's uid can write, a submission planted the
reference's outcome under the cache key of a wrong He initialization, and another student's wrong He
passed its accuracy check. Here the planted entry (unsigned, forged, copied from another key, altered)
is ignored, reported, and the training runs again (counted); the control case shows that an entry
signed with the grader's key is what the check trusts, so the signature is the barrier.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import asdict

import numpy as np
import pytest
import yaml

from autograder.config import PROJECT_ROOT, load_config
from autograder.rubric.reference import reference_functions
from autograder.rubric.test_he import test_he_accuracy as he_accuracy_check
from autograder.sandbox.probes import LocalStudent
from autograder.training.cache_signing import KEY_FILE, SignedCache, open_signed_cache
from autograder.training.trainer import Trainer

CONFIG = load_config()
HE = CONFIG.questions["he"].function
TRAINING = CONFIG.thresholds["he"].training


def wrong_he(layers_dims):
    """He's draws times 10 instead of sqrt(2 / fan-in): a mistake the accuracy check must catch."""
    np.random.seed(3)
    params = {}
    for layer in range(1, len(layers_dims)):
        params[f"W{layer}"] = np.random.randn(layers_dims[layer], layers_dims[layer - 1]) * 10
        params[f"b{layer}"] = np.zeros((layers_dims[layer], 1))
    return params


@pytest.fixture(scope="module")
def reference():
    return reference_functions(CONFIG.functions)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, reference):
    """A cache folder holding the reference He training (signed), and the reference outcome."""
    folder = tmp_path_factory.mktemp("cache")
    trainer = Trainer(CONFIG, folder)
    layers = trainer.layers(TRAINING)
    outcome = trainer.outcome(TRAINING, reference[HE](layers))
    assert trainer.trainings_run == 1
    return folder, layers, outcome


def _check(trainer, reference) -> str:
    """The He accuracy check on the wrong function: '' if it passes, else its message."""
    student = LocalStudent({**reference, HE: wrong_he})
    try:
        he_accuracy_check(student, reference, trainer, CONFIG)
    except AssertionError as exc:
        return str(exc) or "failed"
    return ""


def _wrong_key(trainer, layers) -> str:
    return trainer.cache_key(TRAINING, wrong_he(layers))


def test_an_entry_signed_with_the_grader_s_key_is_what_the_check_trusts(trained, reference, tmp_path):
    """The control: the reference's outcome, signed under the wrong params' key with the real key,
    makes the wrong He pass. Only the grader can make such an entry; everything below is refused."""
    folder, layers, outcome = trained
    trainer = Trainer(CONFIG, folder)
    trainer.store.write(_wrong_key(trainer, layers), asdict(outcome))
    try:
        assert _check(trainer, reference) == ""
        assert trainer.trainings_run == 0
    finally:
        os.unlink(folder / f"{_wrong_key(trainer, layers)}.json")


@pytest.mark.parametrize("planted", ["unsigned", "forged mac", "copied from the reference's entry", "a link"])
def test_a_planted_entry_that_would_pass_a_wrong_he_is_ignored_and_reported(trained, reference, planted, capfd):
    folder, layers, outcome = trained
    trainer = Trainer(CONFIG, folder)
    key = _wrong_key(trainer, layers)
    path = folder / f"{key}.json"
    reference_entry = folder / f"{trainer.cache_key(TRAINING, reference[HE](layers))}.json"
    if planted == "unsigned":
        path.write_text(json.dumps(asdict(outcome)))  # the format before signing
    elif planted == "forged mac":
        body = json.dumps(asdict(outcome), sort_keys=True)
        path.write_text(json.dumps({"data": body, "mac": "0" * 64}))
    elif planted == "copied from the reference's entry":
        path.write_text(reference_entry.read_text())  # a valid signature, for another name
    else:
        path.symlink_to(reference_entry)
    try:
        message = _check(trainer, reference)
        assert message, "the wrong He initialization passed on a planted cache entry"
        assert trainer.trainings_run == 1  # trained again
        assert len(trainer.store.rejected) == 1 and key[:16] in trainer.store.rejected[0]
        assert "training cache entry" in capfd.readouterr().err
        assert trainer.store.read(key)["train_accuracy"] != outcome.train_accuracy  # replaced, signed
    finally:
        path.unlink()


def test_an_altered_entry_is_ignored(trained):
    folder, layers, outcome = trained
    trainer = Trainer(CONFIG, folder)
    params = reference_functions(CONFIG.functions)[HE](layers)
    key = trainer.cache_key(TRAINING, params)
    path = folder / f"{key}.json"
    original = path.read_text()
    entry = json.loads(original)
    data = json.loads(entry["data"])
    data["test_accuracy"] = 0.2
    entry["data"] = json.dumps(data, sort_keys=True)
    path.write_text(json.dumps(entry))
    try:
        assert trainer.cached(TRAINING, params) is None
        assert trainer.store.rejected and "does not verify" in trainer.store.rejected[0]
    finally:
        path.write_text(original)
    assert Trainer(CONFIG, folder).cached(TRAINING, params) == outcome


def test_a_cache_on_a_world_writable_folder_without_sticky_bit_is_not_used(tmp_path, capfd):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    trainer = Trainer(CONFIG, shared)
    assert trainer.store is None and "no sticky bit" in trainer.cache_problem
    assert "kept in memory only" in capfd.readouterr().err
    assert not (shared / KEY_FILE).exists()  # nothing written where others could replace it
    shared.chmod(0o1777)  # /tmp's mode: others can no longer rename or delete this user's files
    assert isinstance(open_signed_cache(shared), SignedCache)
    assert stat.S_IMODE((shared / KEY_FILE).stat().st_mode) == 0o600


def test_a_cache_folder_or_key_of_another_user_is_refused(tmp_path):
    if os.geteuid() != 0:
        pytest.fail("the kit's test machines grade as root (the Makefile's set-up); this test chowns to nobody")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, 65534, 65534)
    assert "another user" in open_signed_cache(theirs)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / KEY_FILE).write_text("ab" * 32)  # planted before the grader made one: readable by all
    assert "only it can read" in open_signed_cache(mine)
    (mine / KEY_FILE).chmod(0o600)
    os.chown(mine / KEY_FILE, 65534, 65534)
    assert "only it can read" in open_signed_cache(mine)


def test_a_fifo_planted_as_an_entry_or_a_lock_is_not_waited_on(tmp_path):
    """Opening a FIFO for reading blocks until a writer comes: the grader would hang. In a child with a
    time limit of its own (the whole test cannot hang)."""
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    for t in raw["training"].values():
        t["num_iterations"] = 200
    config_path = tmp_path / "grading.yaml"
    config_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    cache = tmp_path / "cache"
    quick = load_config(config_path)
    trainer = Trainer(quick, cache)
    params = wrong_he(trainer.layers(TRAINING))
    key = trainer.cache_key(TRAINING, params)
    os.mkfifo(cache / f"{key}.json")
    os.mkfifo(cache / f"{key}.lock")
    script = (f"from autograder.config import load_config; from autograder.training.trainer import Trainer; "
              f"import json, numpy as np; from tests.test_cache_signing import wrong_he; "
              f"t = Trainer(load_config({str(config_path)!r}), {str(cache)!r}); "
              f"o = t.outcome({TRAINING!r}, wrong_he(t.layers({TRAINING!r}))); "
              f"print(json.dumps([t.trainings_run, len(t.store.rejected)]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [1, 1]
