"""Train the provided model from a student's initial parameters, once per distinct input.

Training is the only expensive part of grading (15000 full-batch steps on the
circles take about 1.6 s). Training is deterministic, so the outcome is keyed by
a hash of the exact bytes of the initial parameters plus the training settings:
every correct submission returns the reference's parameters bit for bit and gets
the cached outcome. The cache lives in memory and, when a folder is given, on disk
as small JSON files written atomically, shared by parallel workers, later runs and other
machines on a network file system (the rule: autograder.training.cache_lock; at worst a training runs twice).
Every disk entry is signed with a key only the grader's user can read (autograder.training.cache_signing): an
entry a sandbox or another user planted or altered is ignored, reported, and trained again.

Only facts derived by trusted code are cached (accuracies, costs, symmetry);
reading the cache never executes anything.

Every training that is not cached runs in a forked child with a CPU-time limit
(autograder.training.worker), within three bounds of grading.yaml's ``limits``:
``training_seconds`` per training, ``training_submission_seconds`` and
``trainings_per_submission`` for all trainings of one submission (a ``TrainingBudget``, held
by the ``SubmissionTrainer`` of autograder.training.submission_trainer that each submission's checks
get). A training over a bound raises ``TrainingLimit``, an AssertionError whose message names the bound:
the check fails, the checks before it keep their points, and the grader moves on.
Cached outcomes cost nothing and are never refused.

Subnormal numbers (below 2.2e-308) in the initial parameters are set to zero before
training: they make every operation on them up to 100x slower and change nothing a
check looks at. The reference parameters hold none, so their (published) outcomes are
bit for bit the same; the cache key is still the exact bytes the student returned.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from autograder.config import GradingConfig
from autograder.limits import TRAINING_LOCK_WAIT_SECONDS, TRAINING_WALL_FACTOR, TRAINING_WALL_SLACK_SECONDS
from autograder.training.cache_lock import advisory_lock
from autograder.training.cache_signing import SignedCache, open_signed_cache
from autograder.training.worker import WorkStopped, run_bounded
from initlab import data as datasets
from initlab.model import accuracy, cost_of, num_layers, train

CACHE_VERSION = 4  # bump whenever the model's arithmetic (or what an Outcome holds) changes; 4: entries signed


@dataclass(frozen=True)
class Outcome:
    train_accuracy: float
    test_accuracy: float
    costs: list
    record_every: int
    hidden_rows_identical: list  # per hidden layer: are all rows of W_l identical after training?
    # The cost of the trained parameters, after the last iteration: the one final cost every page,
    # the README and the notebook state (the last recorded cost is from an earlier iteration).
    final_cost: float = float("nan")


def _finite(c: float) -> float:
    """A cost as JSON can hold it: inf for a saturated sigmoid, nan for nothing."""
    return float(c) if np.isfinite(c) else (float("inf") if c > 0 else float("nan"))


def _load(dataset: str, folder: Path):
    if dataset == "circles":
        return datasets.load_circles(folder=folder)
    train_x, train_y, test_x, test_y, _ = datasets.load_images(folder=folder)
    return train_x, train_y, test_x, test_y


def params_digest(params: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(params):
        a = np.ascontiguousarray(params[k], dtype="<f8")
        h.update(f"{k}:{a.shape}".encode() + a.tobytes())
    return h.hexdigest()


class TrainingLimit(AssertionError):
    """A training was not run, or was stopped, at one of grading.yaml's bounds; the message
    says which, for the student. ``bound`` is the grading.yaml key."""

    def __init__(self, message: str, bound: str):
        super().__init__(message)
        self.bound = bound


@dataclass
class TrainingBudget:
    """What one submission may still spend on training (grading.yaml's limits)."""

    cpu_seconds: float
    trainings: int
    cpu_used: float = 0.0
    started: int = 0

    @classmethod
    def from_limits(cls, limits) -> TrainingBudget:
        return cls(float(limits.training_submission_seconds), int(limits.trainings_per_submission))

    def admit(self) -> None:
        """Raise TrainingLimit when no further training may start for this submission."""
        if self.started >= self.trainings:
            raise TrainingLimit(f"your submission already needed {self.started} trainings of the model, the most "
                                "the grader runs for one submission (trainings_per_submission in grading.yaml); "
                                "this one was not run", "trainings_per_submission")
        if self.cpu_used >= self.cpu_seconds:
            raise TrainingLimit(f"the trainings of your submission already used {self.cpu_used:.0f} s of computation, "
                                f"the most the grader gives one submission ({self.cpu_seconds:g} s, "
                                "training_submission_seconds in grading.yaml); this one was not run",
                                "training_submission_seconds")


def flush_subnormals(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Copies of ``params`` with subnormal entries set to 0 (the same arrays when there are none)."""
    tiny = np.finfo(np.float64).tiny
    out = {}
    for k, v in params.items():
        a = np.asarray(v, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            sub = (a != 0) & (np.abs(a) < tiny)
        if sub.any():
            a = np.where(sub, 0.0, a)
        out[k] = a
    return out


class Trainer:
    """Cached training for the accuracy and symmetry checks. ``trainings_run`` counts real work."""

    def __init__(self, config: GradingConfig, cache_dir: str | os.PathLike | None = None, *,
                 lock_wait: float = TRAINING_LOCK_WAIT_SECONDS):
        self.config = config
        self.lock_wait = lock_wait
        self.cache_dir = Path(cache_dir) if cache_dir else None
        # Entries signed with a key only this user can read (autograder.training.cache_signing); a folder
        # others could write is not used, and the reason is said once, here.
        self.store: SignedCache | None = None
        self.cache_problem = ""
        if self.cache_dir is not None:
            opened = open_signed_cache(self.cache_dir)
            if isinstance(opened, str):
                self.cache_problem = opened
                print(f"initgrade: warning: {opened}; trainings are kept in memory only", file=sys.stderr)
            else:
                self.store = opened
        self._memory: dict[str, Outcome] = {}
        self._data: dict[str, tuple] = {}
        # input_size's signed entries already read, by the file's stamp: every training check asks
        # for the layer sizes (about five per submission), and each read verified the entry again.
        self._input_sizes: dict[str, int] = {}
        # cache_key's settings part, by training name, with the (frozen) settings it was written from:
        # a pydantic dump and a JSON encoding for every training check of every submission before.
        self._settings: dict[str, tuple[object, str]] = {}
        # Trainings stopped at training_seconds, by key: the same bytes again (another
        # submission of the batch) fail at once instead of using the CPU seconds again.
        self._stopped: dict[str, TrainingLimit] = {}
        self.trainings_run = 0  # trainings started (cache misses), stopped ones included
        self.iterations_run = 0  # gradient steps of those trainings (those stopped: all they were allowed)
        self.trainings_stopped = 0
        # Stacked trainings (autograder.training.queue): stacks trained, their members (also
        # counted in trainings_run), and stacks stopped at their bound (members then trained alone).
        self.stacks_run = 0
        self.trainings_stacked = 0
        self.stacks_stopped = 0
        # Trainings another worker posted (autograder.training.spool) that this one trained for it
        # (also counted in trainings_run).
        self.trainings_shared = 0
        # The checks that passed on the reference solutions with this trainer (the command line's
        # reference check): every training they need is in its memory, so warming the reference
        # again (autograder.batch.grading.warm_reference) would only look them up.
        self.reference_passed: set[tuple[str, str]] = set()

    def data(self, dataset: str):
        if dataset not in self._data:
            self._data[dataset] = _load(dataset, self.config.data_folder())
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
        if dataset in self._data or self.store is None:
            return int(self.data(dataset)[0].shape[0])
        file = self.config.data_folder() / datasets.TRAIN_FILES.get(dataset, f"{dataset}.h5")
        try:
            st = file.stat()
        except OSError:
            return int(self.data(dataset)[0].shape[0])  # raises the loader's clear message
        stamp = f"{CACHE_VERSION}:{dataset}:{file.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        if stamp in self._input_sizes:  # this process read it for the same file (size, time) before
            return self._input_sizes[stamp]
        memo = f"input-size-{hashlib.sha256(stamp.encode()).hexdigest()[:24]}"
        found = self.store.read(memo)
        if found is not None and found.get("file") == stamp and isinstance(found.get("n_x"), int):
            self._input_sizes[stamp] = found["n_x"]
            return found["n_x"]
        n_x = int(self.data(dataset)[0].shape[0])
        self.store.write(memo, {"n_x": n_x, "file": stamp})
        return n_x

    def cache_key(self, training: str, params: dict) -> str:
        """The name of this training's cache entry (``<key>.json``) and lock (``<key>.lock``):
        the same settings and initial weights give the same key on every machine sharing the folder."""
        t = self.config.training[training]
        known = self._settings.get(training)
        if known is None or known[0] is not t:  # the settings are frozen: the same object, the same text
            known = self._settings[training] = (t, json.dumps([CACHE_VERSION, t.model_dump()], sort_keys=True))
        return hashlib.sha256((known[1] + params_digest(params)).encode()).hexdigest()

    def _disk_path(self, key: str) -> Path | None:
        return self.store.folder / f"{key}.json" if self.store is not None else None

    def cached(self, training: str, params: dict[str, np.ndarray]) -> Outcome | None:
        """The outcome if it was computed before (memory or disk); never trains."""
        return self.cached_as(self.cache_key(training, params))

    def cached_as(self, key: str) -> Outcome | None:
        """``cached`` of the training whose ``cache_key`` is ``key`` (a caller that has the key
        already: the weights are not hashed again)."""
        if key in self._memory:
            return self._memory[key]
        return self._read_disk(key)

    def _read_disk(self, key: str) -> Outcome | None:
        """A signed entry of the disk cache (an unsigned, altered or planted one is ignored and reported)."""
        data = self.store.read(key) if self.store is not None else None
        if data is None:
            return None
        try:
            result = Outcome(**data)
        except TypeError:
            return None  # signed by this kit, but another version's fields: computed again
        self._memory[key] = result
        return result

    def outcome(self, training: str, params: dict[str, np.ndarray], budget: TrainingBudget | None = None, *,
                lock_held: bool = False) -> Outcome:
        """The outcome of training from ``params``, computed at most once per distinct input
        on one machine, and at most a few times across machines sharing the cache folder.

        A training that is not cached counts against ``budget`` (when given) and raises
        TrainingLimit when the budget or training_seconds does not allow it.

        The rule for a shared cache folder (autograder.training.cache_lock): a lock file per key lets the
        workers of one machine wait for one training instead of each running their own, but the
        lock is only ever a hint. It is waited on for at most ``lock_wait`` seconds, and a lock
        that cannot be taken (a read-only folder, a network file system without locks) or is
        held too long (a stuck or vanished holder) is passed by: this worker trains too. Entries
        are written to a temporary file in the same folder and renamed over the final name, so a
        reader sees a whole entry or none, and two machines that train the same key write the same
        bytes. At worst a training runs twice; it never waits forever nor reads half a file.
        ``lock_held``: the caller holds this key's lock already (autograder.training.queue claims
        its trainings' locks before training any).
        """
        key = self.cache_key(training, params)
        found = self.cached_as(key)
        if found is not None:
            return found
        if key in self._stopped:
            stopped = self._stopped[key]
            raise TrainingLimit(str(stopped), stopped.bound)
        if budget is not None:
            budget.admit()
        path = self._disk_path(key)
        if path is None or lock_held:
            return self.remember(key, self._train(training, params, key, budget))
        with advisory_lock(path.with_suffix(".lock"), self.lock_wait, done=path):
            found = self._read_disk(key)  # another worker may have finished it meanwhile
            if found is not None:
                return found
            return self.remember(key, self._train(training, params, key, budget))

    def remember(self, key: str, result: Outcome) -> Outcome:
        """Keep a trained outcome in memory and (when there is one) in the signed disk cache."""
        self._memory[key] = result
        if self.store is not None:
            self.store.write(key, asdict(result))
        return result

    def _train(self, training: str, params: dict[str, np.ndarray], key: str = "",
               budget: TrainingBudget | None = None) -> Outcome:
        """Train in a killable child (autograder.training.worker) within the CPU seconds left."""
        t = self.config.training[training]
        limits = self.config.limits
        data = self.data(t.dataset)  # loaded here, so every child shares it instead of reading it
        cpu = float(limits.training_seconds)
        per_submission = budget is not None and budget.cpu_seconds - budget.cpu_used < cpu
        if budget is not None:
            cpu = min(cpu, budget.cpu_seconds - budget.cpu_used)
            budget.started += 1
        self.trainings_run += 1
        self.iterations_run += t.num_iterations
        clean = flush_subnormals(params)
        wall = TRAINING_WALL_FACTOR * cpu + TRAINING_WALL_SLACK_SECONDS
        try:
            # The wall-clock deadline only catches a child that stopped computing: on a loaded
            # machine (a batch on every core) a training gets a fraction of a core.
            fields, used = run_bounded(lambda: asdict(self.train_in_this_process(t, data, clean)),
                                       cpu_seconds=max(int(cpu), 1), wall_seconds=wall)
        except WorkStopped as exc:
            if budget is not None:
                budget.cpu_used += exc.cpu_seconds
            if exc.why == "died":
                raise RuntimeError("the training process ended without a result") from None
            self.trainings_stopped += 1
            if per_submission:
                raise TrainingLimit(
                    f"training was stopped after {exc.cpu_seconds:.0f} s of computation: the trainings of your "
                    f"submission reached the most the grader gives one submission "
                    f"({limits.training_submission_seconds} s, training_submission_seconds in grading.yaml)",
                    "training_submission_seconds") from None
            took = (f"after {limits.training_seconds} s of computation" if exc.why == "cpu" else
                    f"after {wall:.0f} s of waiting for its {limits.training_seconds} s of computation")
            stopped = TrainingLimit(
                f"training was stopped {took}, the most the grader gives one training (training_seconds in "
                f"grading.yaml; from good initial weights it takes a few seconds). Weights that make training "
                f"this slow are usually extremely small (below 1e-300) or extremely large", "training_seconds")
            if key:
                self._stopped[key] = stopped
            raise stopped from None
        if budget is not None:
            budget.cpu_used += used
        return Outcome(**fields)

    @staticmethod
    def train_in_this_process(t, data, params: dict[str, np.ndarray]) -> Outcome:
        """One training in the calling process, unbounded: what the bounded child of ``_train`` runs."""
        # Imported here, in the training's own child: a grading whose trainings are all cached never loads it.
        from threadpoolctl import threadpool_limits

        train_x, train_y, test_x, test_y = data
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
                costs=[_finite(c) for c in result.costs],
                record_every=result.record_every,
                hidden_rows_identical=identical,
                final_cost=_finite(cost_of(train_x, train_y, trained)),
            )

