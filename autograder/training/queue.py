"""A batch's trainings, deferred and trained together: several submissions' trainings in one stack.

A cold batch grades a chunk of submissions in two passes. In the first, each submission's
checks run with a queueing ``SubmissionTrainer`` (autograder.training.submission_trainer): a training
that is cached is used at once; one that is not is queued (admitted against the submission's
budget exactly as a training would be) and the check is stopped with ``TrainingDeferred``. The
submission's other checks go on, so every training it needs is queued.
``TrainingQueue.train_pending`` then trains the queue: members of one training setting in
stacks (autograder.training.stack), the rest one by one through ``Trainer.outcome``. In the
second pass the submissions that waited are graded again (engine ``Grader.grade(resume=...)``):
every training they need is cached by then, and their budget (trainings started, CPU seconds
charged) carries over from the first pass, with their calls' answers (no sandbox is started unless
a call has no saved answer).

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
* A stack is sized by its model (``TrainingQueue.stack_size``): the circles network about ten
  members, the images network two (its first layer's products are most of its time, and a stack
  saves only the rest: about 13% a member); a model of which two trainings do not fit in half of
  ``training_seconds`` is not stacked.

With a shared disk cache the queue posts its trainings for the other workers
(autograder.training.spool), then claims each training's lock without waiting just before it
trains it (``TrainingQueue.train_pending``): it trains what it claimed, then, for what another
worker claimed, trains what other workers posted and nobody started while it waits, and reads
the other's outcome from the cache (or trains it alone after ``Trainer.lock_wait``, by
``Trainer.outcome``): a worker never waits for another while a training it could run waits too.
A batch's chunk calls the two halves itself (``train_own``, then ``finish_theirs``), grading again
in between the submissions that waited only for this worker's trainings.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from autograder.limits import TRAINING_WALL_FACTOR, TRAINING_WALL_SLACK_SECONDS
from autograder.training.cache_lock import advisory_lock
from autograder.training.spool import Spool
from autograder.training.submission_trainer import Carried, SubmissionTrainer, TrainingDeferred
from autograder.training.trainer import Outcome, Trainer, TrainingBudget, TrainingLimit, flush_subnormals
from autograder.training.worker import WorkStopped, run_bounded

#: Estimated CPU seconds of one stacked member per gradient step and activation unit per
#: example (measured on the circles network: about 40 microseconds a step for 16 units x 300 examples).
STACK_SECONDS_PER_UNIT_STEP = 10e-9
#: ... and per weight per example (the products of the forward and backward pass: measured on the
#: images network, 24,180 weights x 260 examples, about 0.85 ms a step in a stack, 0.95 alone).
STACK_SECONDS_PER_WEIGHT_STEP = 0.2e-9
#: Memory of one stack's arrays at most (parameters, gradients, activations of every member).
STACK_MAX_BYTES = 64 << 20
#: Members per stack at most (the result of a stack is read as one message of a few KB each).
STACK_MAX_MEMBERS = 32
#: Initial weights beyond these magnitudes (or not finite) train alone, never in a stack.
EXTREME_SMALL, EXTREME_LARGE = 1e-100, 1e100


@dataclass
class Pending:
    training: str
    key: str
    params: dict
    budget: TrainingBudget  # the requesting submission's, and what its first pass carries
    carried: Carried


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
        self._own: set[str] = set()  # keys of the trainings being trained from this queue
        self._theirs: list[Pending] = []  # queued trainings another worker held (train_own), not yet finished

    def for_submission(self) -> SubmissionTrainer:
        """A submission's trainer whose trainings that are not cached are queued here."""
        return SubmissionTrainer(self.trainer, "queue", budget=TrainingBudget.from_limits(self.trainer.config.limits),
                                 queue=self)

    def request(self, training: str, params: dict[str, np.ndarray], requester: SubmissionTrainer) -> Outcome:
        """The cached outcome, or a queued training and TrainingDeferred (or a TrainingLimit:
        the same refusals ``Trainer.outcome`` gives, in the same order)."""
        trainer = self.trainer
        key = trainer.cache_key(training, params)
        found = trainer.cached_as(key)
        if found is not None:
            return found
        stopped = trainer._stopped.get(key)
        if stopped is not None:
            raise TrainingLimit(str(stopped), stopped.bound)
        budget, carried = requester.budget, requester.carried
        if budget is None or carried is None:
            raise ValueError("a queueing trainer has a budget and carries it")
        carried.waits_for.add(key)
        if key in self.pending:  # asked for by an earlier submission: cached for this one, as alone
            raise TrainingDeferred(key)
        budget.admit()
        budget.started += 1
        self.pending[key] = Pending(training, key, params, budget, carried)
        raise TrainingDeferred(key)

    # ------------------------------------------------------------------------- training the queue

    def train_pending(self) -> None:
        """Train every queued training (stacked where it pays), then empty the queue.

        With a shared disk cache: every queued training that another worker could train for
        this one is posted first (autograder.training.spool). Then each training's lock is
        claimed without waiting just before it is trained (a stack's members together), so a
        training this worker has not started yet can be taken by an idle worker meanwhile; a
        training whose lock another worker holds is left for the end. This worker trains all it
        claimed (stacked, then alone), and only then turns to those others hold: while they are
        not in the cache, it trains what other workers posted and nobody has started (``_help``),
        and waits on a lock (``Trainer.lock_wait`` at most: a holder that died releases its lock
        with its process; one that stalls is passed by) only when there is nothing to help with.
        So a worker never sits waiting while a training it could run is waiting too."""
        self.train_own()
        self.finish_theirs()

    def train_own(self) -> None:
        """The first half of ``train_pending``: post, then train every queued training this worker
        claims. Those another worker holds are left for ``finish_theirs``, so the submissions that
        waited only for this worker's trainings can be graded again meanwhile (batch.grade_chunk)."""
        pending, self.pending = list(self.pending.values()), {}
        self._own = {p.key for p in pending}
        spool = Spool(self.trainer.store) if self.trainer.store is not None else None
        posted = [p for p in pending if spool is not None and self._shareable(p) and spool.post(p.key, p.training,
                                                                                                  p.params)]
        try:
            theirs = self._train_ours(pending, spool)
            self.claimed_by_others += len(theirs)
            self._theirs += [p for p in theirs if not self._cached_now(p)]
        finally:
            for p in posted:
                spool.take_off(p.key)  # type: ignore[union-attr]

    def waits_on_others(self, keys: set[str]) -> bool:
        """Whether a training of ``keys`` is one another worker held at ``train_own`` and is not
        in the cache yet: a submission that asked for it is graded again after ``finish_theirs``."""
        return any(p.key in keys for p in self._theirs)

    def finish_theirs(self) -> None:
        """The second half of ``train_pending``: for each training another worker held, while it is
        not in the cache, train what other workers posted and nobody started (``_help``), and wait
        on its lock (``Trainer.lock_wait`` at most; then it is trained here) only when there is
        nothing to help with."""
        theirs, self._theirs = self._theirs, []
        spool = Spool(self.trainer.store) if self.trainer.store is not None else None
        while theirs:
            theirs = [p for p in theirs if not self._cached_now(p)]
            if not theirs or (spool is not None and self._help(spool)):
                continue
            self._train_alone(theirs.pop(0))  # nothing to help with: wait for it (or train it)

    def _shareable(self, p: Pending) -> bool:
        """Whether another worker may train ``p`` (spool module docstring: the bounds)."""
        cpu = float(self.trainer.config.limits.training_seconds)
        return not _extreme(p.params) and p.budget.cpu_seconds - p.budget.cpu_used >= cpu

    def _train_ours(self, pending: list[Pending], spool: Spool | None) -> list[Pending]:
        """Train every training of ``pending`` whose lock this worker gets (or that needs none: a
        memory-only cache): stacks first, then the rest alone in the order they were asked for.
        Returns those another worker held."""
        theirs: list[Pending] = []
        alone: list[Pending] = []
        by_training: dict[str, list[Pending]] = {}
        for p in pending:
            if self._shareable(p) and self._stackable(p.training):
                by_training.setdefault(p.training, []).append(p)
            else:
                alone.append(p)
        for training, members in by_training.items():
            size = self.stack_size(training)
            while members:
                with contextlib.ExitStack() as locks:
                    group: list[Pending] = []
                    while members and len(group) < size:
                        p = members.pop(0)
                        claim = self._claim(p, locks)
                        if claim == "ours":
                            group.append(p)
                        elif claim == "theirs":
                            theirs.append(p)
                    # Room left in the stack: trainings of this setting other workers posted
                    # and nobody started join it (the batch's, not only this chunk's).
                    taken = (self._take_posted(spool, training, size - len(group), locks)
                             if spool is not None and group and not members else [])
                    left = self._train_stack(training, group + taken)
                    self.trainer.trainings_shared += len(taken) if not left else 0
                    if spool is not None:
                        for p in left + taken:
                            spool.take_off(p.key)  # trained; or stopped with its stack: no helper tries it again
                    alone += [p for p in left if p not in taken]  # a poster's own worker trains its own alone
        for p in sorted(alone, key=pending.index):  # in the order they were asked for, as alone
            with contextlib.ExitStack() as locks:
                claim = self._claim(p, locks)
                if claim == "ours":
                    self._train_alone(p, lock_held=True)
                elif claim == "theirs":
                    theirs.append(p)
        return theirs

    def _claim(self, p: Pending, locks: contextlib.ExitStack) -> str:
        """``p``'s lock, without waiting: "ours" (held, or a memory-only cache), "theirs" (another
        worker holds it), or "cached" (already trained by another: nothing to do)."""
        path = self.trainer._disk_path(p.key)
        if path is None:
            return "ours"
        held = locks.enter_context(advisory_lock(path.with_suffix(".lock"), 0, done=path))
        if self._cached_now(p):
            return "cached"
        return "ours" if held else "theirs"

    def _cached_now(self, p: Pending) -> bool:
        if self.trainer.cached(p.training, p.params) is None:
            return False
        self._cached_meanwhile(p)
        return True

    def _help(self, spool: Spool) -> bool:
        """Train trainings other workers posted that nobody has started: those of one setting, as
        one stack (or one alone, for a model that is not stacked). False if there were none."""
        with contextlib.ExitStack() as locks:
            group = self._take_posted(spool, None, 1, locks)
            if not group:
                return False
            trainer = self.trainer
            before = trainer.trainings_run
            if self._train_stack(group[0].training, group) and len(group) == 1:
                (p,) = group
                # Its own worker's training, not this one's: a failure here is said there, when that
                # worker trains it alone within its submission's bounds.
                with contextlib.suppress(TrainingLimit, RuntimeError):
                    trainer.outcome(p.training, p.params, None, lock_held=True)
            trainer.trainings_shared += trainer.trainings_run - before
            for p in group:  # trained, or stopped (with its stack, or alone): its own worker takes it from here
                spool.take_off(p.key)
        return True

    def _take_posted(self, spool: Spool, training: str | None, room: int,
                     locks: contextlib.ExitStack) -> list[Pending]:
        """Up to ``room`` trainings other workers posted and nobody started, of ``training`` (None:
        of the setting of the first one found, as many as its stack holds), their locks held in
        ``locks``. Their budget is a blank one: the poster's submission keeps its own."""
        trainer = self.trainer
        group: list[Pending] = []
        for key in spool.keys():
            path = trainer._disk_path(key)
            if path is None or len(group) >= room:
                break
            if key in self._own or key in trainer._memory or key in trainer._stopped:
                continue
            lock = contextlib.ExitStack()
            if not lock.enter_context(advisory_lock(path.with_suffix(".lock"), 0, done=path)):
                lock.close()
                continue  # being trained (or already trained) by another worker
            found = spool.read(key, trainer)
            if found is None or trainer._read_disk(key) is not None or (training is not None and found[0] != training):
                lock.close()
                continue
            locks.enter_context(lock)
            budget = TrainingBudget.from_limits(trainer.config.limits)
            group.append(Pending(found[0], key, found[1], budget, Carried(budget)))
            if training is None:
                training = found[0]
                room = self.stack_size(training) if self._stackable(training) else 1
        return group

    @staticmethod
    def _cached_meanwhile(p: Pending) -> None:
        """Another worker trained it since it was queued: this submission got it from the cache,
        as alone it would have (no training of its own counted)."""
        p.budget.started -= 1

    def _stackable(self, training: str) -> bool:
        """Whether two trainings of this model fit in a stack (``stack_size``)."""
        return self._fits(training) >= 2

    def stack_size(self, training: str) -> int:
        """Members per stack: a healthy stack needs at most half of ``training_seconds`` and holds
        at most STACK_MAX_BYTES of arrays (2 at least: a model of which two do not fit is not stacked)."""
        return max(2, self._fits(training))

    def _fits(self, training: str) -> int:
        t = self.trainer.config.training[training]
        dims = self.trainer.layers(training)
        examples = int(self.trainer.data(t.dataset)[1].shape[1])
        units, weights = sum(dims[1:]), sum(a * b for a, b in zip(dims, dims[1:]))
        member = t.num_iterations * examples * (units * STACK_SECONDS_PER_UNIT_STEP
                                                + weights * STACK_SECONDS_PER_WEIGHT_STEP)
        member_bytes = 8 * (3 * (weights + units) + 5 * units * examples)
        half = self.trainer.config.limits.training_seconds / 2
        return int(min(STACK_MAX_MEMBERS, half // max(member, 1e-9), STACK_MAX_BYTES // member_bytes))

    def _train_alone(self, p: Pending, lock_held: bool = False) -> None:
        budget = p.budget
        budget.started -= 1  # counted again by Trainer.outcome if it trains
        before = self.trainer.iterations_run
        try:
            self.trainer.outcome(p.training, p.params, budget, lock_held=lock_held)
        except TrainingLimit as exc:
            p.carried.failures[p.key] = exc
        p.carried.iterations += self.trainer.iterations_run - before

    def _train_stack(self, training: str, members: list[Pending]) -> list[Pending]:
        """Train ``members`` (their locks held, when there are locks) as one stack; returns those
        left to train alone."""
        if len(members) < 2:
            return members
        # Only a cold grading stacks: a warm one (every training cached) never loads the stacked arithmetic.
        from autograder.training.stack import stacked_outcomes

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
            p.budget.cpu_used += used / len(members)
            p.carried.iterations += t.num_iterations
        return []
