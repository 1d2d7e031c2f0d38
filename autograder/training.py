"""Train the provided model from a student's initial parameters, once per distinct input.

Training is the only expensive part of grading (15000 full-batch steps on the
circles take about 1.6 s). Training is deterministic, so the outcome is keyed by
a hash of the exact bytes of the initial parameters plus the training settings:
every correct submission returns the reference's parameters bit for bit and gets
the cached outcome. The cache lives in memory and, when a folder is given, on disk
as small JSON files written atomically, shared by parallel workers, later runs and other
machines on a network file system (the rule: autograder.cache_lock; at worst a training runs twice).

Only facts derived by trusted code are cached (accuracies, costs, symmetry);
reading the cache never executes anything.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from autograder.cache_lock import LOCK_WAIT_SECONDS, advisory_lock, store_atomic
from autograder.config import GradingConfig, data_folder
from initlab import data as datasets
from initlab.model import accuracy, num_layers, train

CACHE_VERSION = 2  # bump whenever the model's arithmetic changes


@dataclass(frozen=True)
class Outcome:
    train_accuracy: float
    test_accuracy: float
    costs: list
    record_every: int
    hidden_rows_identical: list  # per hidden layer: are all rows of W_l identical after training?

    @property
    def final_cost(self) -> float:
        return self.costs[-1] if self.costs else float("nan")


def _load(dataset: str):
    if dataset == "circles":
        return datasets.load_circles(folder=data_folder())
    train_x, train_y, test_x, test_y, _ = datasets.load_images(folder=data_folder())
    return train_x, train_y, test_x, test_y


def params_digest(params: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(params):
        a = np.ascontiguousarray(params[k], dtype="<f8")
        h.update(f"{k}:{a.shape}".encode() + a.tobytes())
    return h.hexdigest()


class Trainer:
    """Cached training for the accuracy and symmetry checks. ``trainings_run`` counts real work."""

    def __init__(self, config: GradingConfig, cache_dir: str | os.PathLike | None = None, *,
                 lock_wait: float = LOCK_WAIT_SECONDS):
        self.config = config
        self.lock_wait = lock_wait
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._memory: dict[str, Outcome] = {}
        self._data: dict[str, tuple] = {}
        self.trainings_run = 0

    def data(self, dataset: str):
        if dataset not in self._data:
            self._data[dataset] = _load(dataset)
        return self._data[dataset]

    def layers(self, training: str) -> list[int]:
        """Full layer sizes of a training setting: input size from the data, then the hidden sizes, then 1."""
        t = self.config.training[training]
        return [self.input_size(t.dataset), *t.hidden, 1]

    def input_size(self, dataset: str) -> int:
        """Features per example of a dataset.

        With a disk cache it is remembered there, keyed by the training file's size and
        modification time: grading with a warm cache then never reads the data (nor
        imports h5py: about 100 ms of a one-notebook command).
        """
        if dataset in self._data or not self.cache_dir:
            return int(self.data(dataset)[0].shape[0])
        file = data_folder() / datasets.TRAIN_FILES.get(dataset, f"{dataset}.h5")
        try:
            st = file.stat()
        except OSError:
            return int(self.data(dataset)[0].shape[0])  # raises the loader's clear message
        stamp = f"{dataset}:{file.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        memo = self.cache_dir / f"input-size-{hashlib.sha256(stamp.encode()).hexdigest()[:24]}.json"
        try:
            return int(json.loads(memo.read_text())["n_x"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        n_x = int(self.data(dataset)[0].shape[0])
        store_atomic(memo, json.dumps({"n_x": n_x, "file": stamp}))
        return n_x

    def _key(self, training: str, params: dict) -> str:
        t = self.config.training[training]
        settings = json.dumps([CACHE_VERSION, t.model_dump()], sort_keys=True)
        return hashlib.sha256((settings + params_digest(params)).encode()).hexdigest()

    def _disk_path(self, key: str) -> Path | None:
        return self.cache_dir / f"{key}.json" if self.cache_dir else None

    def cached(self, training: str, params: dict[str, np.ndarray]) -> Outcome | None:
        """The outcome if it was computed before (memory or disk); never trains."""
        key = self._key(training, params)
        if key in self._memory:
            return self._memory[key]
        return self._read_disk(key)

    def _read_disk(self, key: str) -> Outcome | None:
        path = self._disk_path(key)
        if not path or not path.exists():
            return None
        try:
            result = Outcome(**json.loads(path.read_text()))
        except (ValueError, TypeError, OSError):
            return None  # a damaged cache entry is simply recomputed
        self._memory[key] = result
        return result

    def outcome(self, training: str, params: dict[str, np.ndarray]) -> Outcome:
        """The outcome of training from ``params``, computed at most once per distinct input
        on one machine, and at most a few times across machines sharing the cache folder.

        The rule for a shared cache folder (autograder.cache_lock): a lock file per key lets the
        workers of one machine wait for one training instead of each running their own, but the
        lock is only ever a hint. It is waited on for at most ``lock_wait`` seconds, and a lock
        that cannot be taken (a read-only folder, a network file system without locks) or is
        held too long (a stuck or vanished holder) is passed by: this worker trains too. Entries
        are written to a temporary file in the same folder and renamed over the final name, so a
        reader sees a whole entry or none, and two machines that train the same key write the same
        bytes. At worst a training runs twice; it never waits forever nor reads half a file.
        """
        key = self._key(training, params)
        found = self.cached(training, params)
        if found is not None:
            return found
        path = self._disk_path(key)
        if path is None:
            result = self._memory[key] = self._train(training, params)
            return result
        with advisory_lock(path.with_suffix(".lock"), self.lock_wait, done=path):
            found = self._read_disk(key)  # another worker may have finished it meanwhile
            if found is not None:
                return found
            result = self._memory[key] = self._train(training, params)
            store_atomic(path, json.dumps(asdict(result)))
            return result

    def _train(self, training: str, params: dict[str, np.ndarray]) -> Outcome:
        t = self.config.training[training]
        train_x, train_y, test_x, test_y = self.data(t.dataset)
        self.trainings_run += 1
        # One BLAS thread: batches run one worker per core, and OpenBLAS threads spinning
        # against each other made one deep-net training 40 times slower (117 s instead of 3 s).
        with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
            result = train(train_x, train_y, params, learning_rate=t.learning_rate,
                           num_iterations=t.num_iterations, record_every=max(t.num_iterations // 100, 1))
            trained = result.parameters
            L = num_layers(trained)
            identical = [bool(np.all(trained[f"W{l}"] == trained[f"W{l}"][0:1, :])) for l in range(1, L)]
            return Outcome(
                train_accuracy=accuracy(train_x, train_y, trained),
                test_accuracy=accuracy(test_x, test_y, trained),
                costs=[float(c) if np.isfinite(c) else (float("inf") if c > 0 else float("nan")) for c in result.costs],
                record_every=result.record_every,
                hidden_rows_identical=identical,
            )
