"""A batch's trainings, deferred and trained together: several submissions' trainings in one stack.

A cold batch grades a chunk of submissions in two passes. In the first, each submission's
checks run with a ``DeferringTrainer``: a training that is cached is used at once; one that
is not is queued (admitted against the submission's budget exactly as a training would be)
and the check is stopped with ``TrainingDeferred``. The submission's other checks go on, so
every training it needs is queued. ``TrainingQueue.train_pending`` then trains the queue:
members of one training setting in stacks (autograder.training.stack), the rest one by one
through ``Trainer.outcome``. In the second pass the submissions that waited are graded again
(engine ``Grader.grade(resume=...)``): every training they need is cached by then, and their
budget (trainings started, CPU seconds charged) carries over from the first pass.

Each member's outcome is the one it gets alone, bit for bit (autograder.training.stack), and
every bound of a single training holds:

* A stack runs in the same killable child as one training (autograder.training.worker), with
  one training's CPU seconds (``training_seconds``) for the whole stack, and is sized so a
  healthy stack needs at most half of them. A member that alone would be stopped at
  ``training_seconds`` (the only way a training of these models gets slow is subnormal
  arithmetic, whose extra time a member brings to the stack as much as to its own run) makes
  the stack exceed them too: the stack is stopped, and every member trains alone with its
  own bounds, as it would have without the stack. Members whose initial weights are already
  extreme (below 1e-100 or above 1e100, or not finite) skip the stack and train alone.
* A member whose submission has less than ``training_seconds`` left of
  ``training_submission_seconds`` trains alone (its per-submission bound decides).
* Each member of a stack that finished is charged an equal share of the stack's CPU seconds.
* Only small models are stacked (the circles network): a large one (the images network) is
  limited by the arithmetic of its first layer, which stacking does not reduce.

With a shared disk cache the queue claims each training's lock without waiting before it
trains any (``TrainingQueue.train_pending``): it trains what it claimed, then reads what
another worker claimed from the cache (or trains it alone after ``Trainer.lock_wait``, by
``Trainer.outcome``): a worker never waits for another while it has trainings of its own.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np

from autograder.limits import TRAINING_WALL_FACTOR, TRAINING_WALL_SLACK_SECONDS
from autograder.training.cache_lock import advisory_lock
from autograder.training.stack import stacked_outcomes
from autograder.training.trainer import Outcome, Trainer, TrainingBudget, TrainingLimit, flush_subnormals
from autograder.training.worker import WorkStopped, run_bounded

#: Weights per example of a model (sum of n_l * n_(l-1)) up to which stacking pays: the
#: circles network has 75, the images network 24,000 (its first layer is BLAS-bound).
STACK_MAX_WEIGHTS = 1000
#: Estimated CPU seconds of one stacked member per gradient step and activation unit per
#: example (measured on the circles network: about 40 microseconds a step for 16 units x 300 examples).
STACK_SECONDS_PER_UNIT_STEP = 10e-9
#: Members per stack at most (the result of a stack is read as one message of a few KB each).
STACK_MAX_MEMBERS = 32
#: Initial weights beyond these magnitudes (or not finite) train alone, never in a stack.
EXTREME_SMALL, EXTREME_LARGE = 1e-100, 1e100


class TrainingDeferred(Exception):
    """A training was queued; the check asking for it runs again once the queue is trained.

    Not an AssertionError, so no check mistakes it for a failure of the submission."""


@dataclass
class Pending:
    training: str
    key: str
    params: dict
    requester: DeferringTrainer


@dataclass
class Carried:
    """What one submission's first pass leaves for its second: its training budget, the
    gradient steps trained for it, the trainings refused or stopped at a bound (by key), and
    its calls' answers (the student's memo, held bytes, functions that hung or ended the
    sandbox: the engine fills these), so the second pass sees the very answers the queued
    trainings were made from, even from a function that draws new numbers at every call."""

    budget: TrainingBudget
    iterations: int = 0
    failures: dict[str, TrainingLimit] = field(default_factory=dict)
    memo: dict = field(default_factory=dict)
    held_bytes: int = 0
    hung: dict = field(default_factory=dict)
    fatal: dict = field(default_factory=dict)


class DeferringTrainer:
    """The trainer a submission's checks see in the first pass (see the module docstring)."""

    def __init__(self, queue: TrainingQueue, budget: TrainingBudget):
        self.queue = queue
        self.budget = budget
        self.carried = Carried(budget)

    def outcome(self, training: str, params: dict[str, np.ndarray]) -> Outcome:
        return self.queue.request(training, params, self)

    def __getattr__(self, name):  # cached(), layers(), data(), config, trainings_run...
        return getattr(self.queue.trainer, name)


class ResumedTrainer:
    """The trainer of a submission's second pass: the shared trainer within the budget carried
    from the first pass, and the first pass's refusals said again in the same words."""

    def __init__(self, trainer: Trainer, carried: Carried):
        self.trainer = trainer
        self.carried = carried
        self.budget = carried.budget

    def outcome(self, training: str, params: dict[str, np.ndarray]) -> Outcome:
        failed = self.carried.failures.get(self.trainer.cache_key(training, params))
        if failed is not None:
            raise TrainingLimit(str(failed), failed.bound)
        return self.trainer.outcome(training, params, self.budget)

    def __getattr__(self, name):
        return getattr(self.trainer, name)


def _extreme(params: dict[str, np.ndarray]) -> bool:
    for a in params.values():
        a = np.asarray(a, dtype=np.float64)
        if not np.all(np.isfinite(a)):
            return True
        mag = np.abs(a[a != 0])
        if mag.size and (mag.min() < EXTREME_SMALL or mag.max() > EXTREME_LARGE):
            return True
    return False


class TrainingQueue:
    """The trainings the submissions of one chunk of a batch asked for, trained together."""

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.pending: dict[str, Pending] = {}
        # Trainings another worker held the lock of when this queue was trained (then read from
        # the cache, or trained here after Trainer.lock_wait): what tests count.
        self.claimed_by_others = 0

    def for_submission(self) -> DeferringTrainer:
        return DeferringTrainer(self, TrainingBudget.from_limits(self.trainer.config.limits))

    def request(self, training: str, params: dict[str, np.ndarray], requester: DeferringTrainer) -> Outcome:
        """The cached outcome, or a queued training and TrainingDeferred (or a TrainingLimit:
        the same refusals ``Trainer.outcome`` gives, in the same order)."""
        trainer = self.trainer
        key = trainer.cache_key(training, params)
        found = trainer.cached(training, params)
        if found is not None:
            return found
        stopped = trainer._stopped.get(key)
        if stopped is not None:
            raise TrainingLimit(str(stopped), stopped.bound)
        if key in self.pending:  # asked for by an earlier submission: cached for this one, as alone
            raise TrainingDeferred(key)
        requester.budget.admit()
        requester.budget.started += 1
        self.pending[key] = Pending(training, key, params, requester)
        raise TrainingDeferred(key)

    # ------------------------------------------------------------------------- training the queue

    def train_pending(self) -> None:
        """Train every queued training (stacked where it pays), then empty the queue.

        With a shared disk cache, every queued training's lock is claimed first, without
        waiting: this worker trains all it claimed (stacked, then alone), and only then
        turns to the trainings another worker claimed, which by then are usually in the
        cache. So a worker never sits waiting for another while it has trainings of its
        own, and the wait it may still have is ``Trainer.lock_wait`` at most (a holder that
        died releases its lock with its process; one that stalls is passed by)."""
        pending, self.pending = list(self.pending.values()), {}
        with contextlib.ExitStack() as locks:
            ours, theirs = self._claim(pending, locks)
            alone: list[Pending] = []
            by_training: dict[str, list[Pending]] = {}
            cpu = float(self.trainer.config.limits.training_seconds)
            for p in ours:
                budget = p.requester.budget
                if (not self._stackable(p.training) or _extreme(p.params)
                        or budget.cpu_seconds - budget.cpu_used < cpu):
                    alone.append(p)
                else:
                    by_training.setdefault(p.training, []).append(p)
            for training, members in by_training.items():
                size = self.stack_size(training)
                for i in range(0, len(members), size):
                    alone += self._train_stack(training, members[i:i + size])
            for p in sorted(alone, key=pending.index):  # in the order they were asked for, as alone
                self._train_alone(p, lock_held=True)
        for p in theirs:  # our locks released: another worker waiting on one of ours goes on
            self._train_alone(p)
        self.claimed_by_others += len(theirs)

    def _claim(self, pending: list[Pending], locks: contextlib.ExitStack) -> tuple[list[Pending], list[Pending]]:
        """Split ``pending`` into the trainings this worker holds the lock of (or needs none: a
        memory-only cache) and those another worker holds; drop those already in the cache."""
        ours: list[Pending] = []
        theirs: list[Pending] = []
        for p in pending:
            path = self.trainer._disk_path(p.key)
            if path is None:
                ours.append(p)
                continue
            held = locks.enter_context(advisory_lock(path.with_suffix(".lock"), 0, done=path))
            if self.trainer.cached(p.training, p.params) is not None:
                self._cached_meanwhile(p)
            elif held:
                ours.append(p)
            else:
                theirs.append(p)
        return ours, theirs

    @staticmethod
    def _cached_meanwhile(p: Pending) -> None:
        """Another worker trained it since it was queued: this submission got it from the cache,
        as alone it would have (no training of its own counted)."""
        p.requester.budget.started -= 1

    def _stackable(self, training: str) -> bool:
        dims = self.trainer.layers(training)
        return sum(a * b for a, b in zip(dims, dims[1:])) <= STACK_MAX_WEIGHTS

    def stack_size(self, training: str) -> int:
        """Members per stack: a healthy stack needs at most half of ``training_seconds``."""
        t = self.trainer.config.training[training]
        dims = self.trainer.layers(training)
        examples = int(self.trainer.data(t.dataset)[1].shape[1])
        member = t.num_iterations * examples * sum(dims[1:]) * STACK_SECONDS_PER_UNIT_STEP
        half = self.trainer.config.limits.training_seconds / 2
        return int(max(2, min(STACK_MAX_MEMBERS, half // max(member, 1e-9))))

    def _train_alone(self, p: Pending, lock_held: bool = False) -> None:
        budget = p.requester.budget
        budget.started -= 1  # counted again by Trainer.outcome if it trains
        before = self.trainer.iterations_run
        try:
            self.trainer.outcome(p.training, p.params, budget, lock_held=lock_held)
        except TrainingLimit as exc:
            p.requester.carried.failures[p.key] = exc
        p.requester.carried.iterations += self.trainer.iterations_run - before

    def _train_stack(self, training: str, members: list[Pending]) -> list[Pending]:
        """Train ``members`` (their locks held, when there are locks) as one stack; returns those
        left to train alone."""
        if len(members) < 2:
            return members
        trainer = self.trainer
        t = trainer.config.training[training]
        data = trainer.data(t.dataset)
        clean = [flush_subnormals(p.params) for p in members]
        cpu = float(trainer.config.limits.training_seconds)
        try:
            result, used = run_bounded(lambda: {"outcomes": stacked_outcomes(t, data, clean)},
                                       cpu_seconds=max(int(cpu), 1),
                                       wall_seconds=TRAINING_WALL_FACTOR * cpu + TRAINING_WALL_SLACK_SECONDS)
            outcomes = [Outcome(**fields) for fields in result["outcomes"]]
            if len(outcomes) != len(members):
                raise WorkStopped("died", used)
        except WorkStopped:
            trainer.stacks_stopped += 1
            return members  # every member alone, within its own bounds
        trainer.stacks_run += 1
        for p, outcome in zip(members, outcomes):
            trainer.remember(p.key, outcome)
            trainer.trainings_run += 1
            trainer.trainings_stacked += 1
            trainer.iterations_run += t.num_iterations
            p.requester.budget.cpu_used += used / len(members)
            p.requester.carried.iterations += t.num_iterations
        return []
