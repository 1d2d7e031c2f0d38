"""Grade one submission: intake, sandbox, rubric, scores.

The flow never lets one failure end the grading: a submission that cannot be read
gets status ``error`` with the reason; one that loads but whose functions fail
gets every check it truly passed. Student code runs only inside the sandbox; the
checks, trainings and scores run here on plain data.

A failed check carries the diagnoses behind it (``CheckResult.diagnoses``, from
autograder.diagnose via the rubric's CheckFailure); a check that raises
``PartialCredit`` gets that fraction of its points, capped by grading.yaml's
``partial_credit``. Each check runs through autograder.rubric.runner, its trainings through
the submission's one SubmissionTrainer. After the checks, ``SubmissionResult.evidence``
collects the plain data of the feedback pictures (autograder.evidence). Its records are
autograder.base.results'.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from autograder.base.results import CheckResult, SubmissionResult, Work
from autograder.base.statuses import ERROR, GRADED
from autograder.config import GradingConfig
from autograder.diagnose.explain import LoadContext
from autograder.evidence import evidence_calls, gather_evidence
from autograder.intake import Submission
from autograder.intake.bounded import read_submission
from autograder.rubric import check_title, collect_checks
from autograder.rubric.call_plan import plan_key, read_plan, write_plan
from autograder.rubric.reference import reference_functions, solutions_file
from autograder.rubric.runner import Failed, Partial, Passed, run_check
from autograder.rubric.told_once import prefer_the_named_mistake, say_each_untrainable_once
from autograder.sandbox import Isolation, Sandbox, SandboxError, detect_isolation, new_zygote, prepare_first
from autograder.sandbox.host.grants import sandbox_grants
from autograder.sandbox.host.hide_watch import WatchedHideList
from autograder.sandbox.host.uid_cleanup import refresh_world_writable_dirs
from autograder.sandbox.probes import CallDeferred, LocalStudent, PlanRecorder, SandboxStudent, Student
from autograder.training.queue import TrainingQueue
from autograder.training.submission_trainer import Carried, SubmissionTrainer, TrainingDeferred
from autograder.training.trainer import Trainer


def _say_each_cause_once(checks: list[CheckResult]) -> None:
    """A call error that fails several checks (the same TypeError from every call of a
    function, whatever the call's sizes) is told in full by the first; the others point to it."""
    first: dict[str, str] = {}
    for c in checks:
        # The same error of the same function with other numbers in it (the sizes of another call:
        # "Cannot interpret '5'" and "'2'", two shapes too large to allocate) is the same cause.
        cause = re.sub(r"\d+", "#", c.cause)
        if not cause:
            continue
        if cause in first:  # one message per cause: the later checks point to it
            c.message = f"Not run: the function failed as described in \"{first[cause]}\"."
        else:
            first[cause] = c.name


def _prefer_the_default(checks: list[CheckResult]) -> None:
    """A question whose function is right whenever its defaulted argument is passed (the seeded
    calls show it) has a wrong default, not a fixed factor: a check that saw only a call without the
    argument and blamed a fixed factor gets the default's diagnosis instead."""
    defaults = {c.question: d for c in checks for d in c.diagnoses if d.code == "wrong-default"}
    for c in checks:
        wd = defaults.get(c.question)
        if wd is None:
            continue
        for i, d in enumerate(c.diagnoses):
            if d.code == "random-scale-ignored":
                c.message = c.message.replace(f"{d.title}. {d.message}", f"{wd.title}. {wd.message}")
                c.diagnoses[i] = wd


def _say_each_diagnosis_once(checks: list[CheckResult]) -> None:
    """A diagnosis behind several checks of a question is explained by the first; the others
    name it and point there (results.json shows every check's message in full)."""
    first: dict[tuple[str, str], str] = {}
    for c in checks:
        shortened = False
        for d in c.diagnoses:
            key = (c.question, d.code)
            body = f"{d.title}. {d.message}"
            if key in first and body in c.message:
                c.message = c.message.replace(body, f"{d.title}. Explained under \"{first[key]}\".")
                shortened = True
            first.setdefault(key, c.name)
        if shortened and all((c.question, d.code) in first and first[(c.question, d.code)] != c.name
                             for d in c.diagnoses):
            cut = c.message.rfind(" Re-read section ")
            if cut > 0:
                c.message = c.message[:cut]


#: Rounds of calls the plan did not foresee, after the plan's own exchange: a wrong submission's
#: checks need two (the evidence of a failed check, then the fresh calls of its diagnosis); past
#: these, calls are made one by one when asked.
CALL_ROUNDS = 4


class _FreshStudent(SandboxStudent):
    """SandboxStudent plus ``call_fresh``: the same call again in a newly started process.

    Probes fork from the loaded submission, so within one process an unseeded function
    returns the same numbers every time. ``call_fresh`` answers from a process started with
    another random state than the one its memoised call saw; every ordinary call runs in a
    process started with the sandbox's first random state. So what an unseeded function draws,
    and every check and partial credit that rests on it (its training accuracy, the evidence of
    a missing seed), is the same whatever other question asked for a fresh call before. Used only
    for evidence (autograder.diagnose's ``repeat``) when seeded values differ in a way no known
    mistake explains, and only where that evidence could change a finding or the submission
    printed something (``may_leave_out_fresh``, autograder.rubric.common.check_seeded_values).
    """

    def _base_seed(self) -> int:
        return self.__dict__.setdefault("base_seed", self.sandbox.random_seed)

    def _call(self, function, args, as_tuple):
        self.sandbox.use_random_seed(self._base_seed())
        return super()._call(function, args, as_tuple)

    def _fresh_call(self, function, args, as_tuple):
        self.sandbox.use_random_seed(self._base_seed() + 1)
        return SandboxStudent._call(self, function, args, as_tuple)

    def _use_process(self, fresh: bool) -> None:
        self.sandbox.use_random_seed(self._base_seed() + (1 if fresh else 0))
        super()._use_process(fresh)


class Grader:
    """Grades submissions against one grading configuration; reusable across a batch."""

    def __init__(self, config: GradingConfig, trainer: Trainer | None = None, hide_extra: Sequence[str] = (),
                 isolation: Isolation | None = None):
        self.config = config
        self.checks = collect_checks(config)
        self.trainer = trainer or Trainer(config)
        self.reference = reference_functions(config)
        self.hide_extra = list(hide_extra)  # the grader's outputs: covered in every sandbox
        self.course = config.course_secrets()  # this course's folder and grading.yaml: secret too
        # One level for the whole batch: the parent's, handed to every worker.
        self.isolation = isolation or detect_isolation()
        self.grants = [] if self.isolation.namespaces else list(sandbox_grants(
            self.isolation.python_dirs, self.isolation.kit, (*(str(p) for p in hide_extra), *self.course)))
        if self.isolation.drop_uid:  # what a sandbox uid can write to, as it is for this batch
            refresh_world_writable_dirs()
        self.zygote = new_zygote(self.isolation)
        self.hide_list = WatchedHideList()
        self._plan: list[tuple[str, tuple, bool]] | None = None
        self._plan_lock = threading.Lock()  # the plan is made once, by a thread (make_plan_meanwhile) or here
        # Threads to start once the next sandbox's load request is sent: this process then waits for the
        # sandbox (the load, the exchange of calls), so what they run overlaps that wait instead of the
        # grader's own work (one thread at a time runs Python).
        self.while_waiting: list[threading.Thread] = []

    def call_plan(self) -> list[tuple[str, tuple, bool]]:
        """The calls the checks make of a correct submission, in order (recorded once, on the
        reference solutions, with every training left out): what ``prefetch`` asks in one exchange.
        Kept in the signed training cache when there is one (autograder.rubric.call_plan)."""
        with self._plan_lock:
            if self._plan is None:
                store = self.trainer.store
                key = self._plan_key() if store is not None else ""
                self._plan = read_plan(store, key, self.config.functions) if store is not None else None
                if self._plan is None:
                    self._plan = self.record_call_plan()
                    if store is not None:
                        write_plan(store, key, self._plan)
            return self._plan

    def make_plan_meanwhile(self) -> None:
        """Have the call plan made (read from the cache, its key hashed: about 5 ms) on a thread while
        the first sandbox loads (``while_waiting``); ``call_plan`` then waits for it. A failure there
        is left for ``call_plan``'s own attempt, which meets it where it is handled."""
        def make() -> None:
            try:
                self.call_plan()
            except Exception:  # noqa: BLE001 - made again, and failing again, in the grading itself
                pass

        self.while_waiting.append(threading.Thread(target=make, name="initgrade-call-plan", daemon=True))

    def _start_while_waiting(self) -> None:
        threads, self.while_waiting = self.while_waiting, []
        for thread in threads:
            thread.start()

    def use_call_plan(self, plan: list[tuple[str, tuple, bool]]) -> None:
        """Take ``plan`` as this grader's call plan: the one a batch's parent found for the same
        configuration and trainer (its forked workers would each look it up again)."""
        with self._plan_lock:
            self._plan = list(plan)

    def record_call_plan(self) -> list[tuple[str, tuple, bool]]:
        """Run the checks on the reference solutions, trainings left out, and record their calls;
        then the calls of the evidence of a failed question (the first call a failed seeded check
        adds), last: a wrong submission then needs no round for them. Each costs a correct
        submission microseconds in the sandbox, and its answer is only used if asked for."""
        plan = self.checks_calls()
        for call in evidence_calls(self.config, self.trainer, set(self.config.questions), []):
            if call[0] in self.config.functions and call not in plan:
                plan.append(call)
        return plan

    def checks_calls(self) -> list[tuple[str, tuple, bool]]:
        """The calls the checks make of the reference solutions, in order, trainings left out."""
        recorder = PlanRecorder(LocalStudent(self.reference))
        for q, c in self.checks:
            try:
                self.run_check(q, c, recorder, SubmissionTrainer(self.trainer, "plan"))
            except TrainingDeferred:
                pass
        return list(recorder.plan)

    def _plan_key(self) -> str:
        layers = [self.trainer.layers(name) for name in self.config.training]
        return plan_key(self.config, solutions_file(self.config).resolve(), layers)

    def prestart(self) -> None:
        """Start the sandbox starter now, so it imports numpy while this process does other work.
        One a batch worker took over has imported it already: its first sandbox's keeper is started
        now too, while the worker warms up and reads its first submission."""
        if self.zygote is not None:
            self.zygote.prestart()
            if self.zygote.adopted:
                self.prepare_first_sandbox()

    def prepare_first_sandbox(self) -> None:
        """Start the first sandbox's keeper now (autograder.sandbox.host.sandbox.prepare_first): its
        set-up overlaps the reading of the first submission instead of following it."""
        if self.zygote is not None:
            prepare_first(self.zygote, self.config.limits, self.config.sandbox.preload_modules)

    def close(self) -> None:
        """End the sandbox starter (a later ``grade`` starts a new one) and the hide list's watch."""
        if self.zygote is not None:
            self.zygote.close()
        self.hide_list.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _zero_checks(self, message: str) -> list[CheckResult]:
        """Every check at zero for one cause, told in full by the first check; the others point to it
        (a student reads the cause once, not once per check)."""
        checks = [CheckResult(q, c, check_title(q, c), 0.0, float(self.config.questions[q].checks[c]), False,
                              message) for (q, c) in self.checks]
        for later in checks[1:]:
            later.message = (f"Not run: nothing could be graded, for the reason given under \"{checks[0].name}\"; "
                             "fix that first.")
        return checks

    def grade(self, path: Path, submission: Submission | None = None, *, queue: TrainingQueue | None = None,
              resume: Carried | None = None) -> SubmissionResult:
        """Grade one submission. With ``queue``, trainings that are not cached are queued there
        instead of run, and a submission that queued one comes back with ``waiting`` set (its
        checks, evidence and scores not final); ``resume`` is that value, for the second pass."""
        t0 = time.monotonic()
        path = Path(path)
        result = SubmissionResult(id=path.stem if path.is_file() else path.name, path=str(path), status=GRADED,
                                  isolation=self.isolation.level,
                                  landlock=None if self.isolation.namespaces else self.isolation.landlock)
        try:
            return self._grade(path, submission, result, t0, queue, resume)
        except Exception as exc:  # noqa: BLE001 - MemoryError included: one submission's row, never the batch
            failed = SubmissionResult(id=result.id, path=result.path, status=ERROR, isolation=self.isolation.level,
                                      landlock=result.landlock,
                                      error=f"grader failure: {type(exc).__name__}: {str(exc)[:300]}")
            failed.checks = self._zero_checks("the grader failed on this submission; please tell your instructor")
            failed.seconds = time.monotonic() - t0
            return failed

    def _grade(self, path: Path, submission: Submission | None, result: SubmissionResult, t0: float,
               queue: TrainingQueue | None = None, resume: Carried | None = None):
        if submission is None and resume is not None:
            submission = resume.submission  # read in the first pass (None: read again)
        if submission is None:
            # In a child process under grading.yaml's grader_memory_mb (autograder.intake.bounded).
            reading = read_submission(path, self.config.limits, self.config.functions, self.config.notebook)
            if reading.submission is None:
                result.status, result.error = ERROR, reading.error
                result.checks = self._zero_checks(f"the submission could not be read: {reading.error}")
                result.seconds = time.monotonic() - t0
                return result
            submission = reading.submission
        sub = submission
        result.kind, result.digest = sub.kind, sub.digest
        result.graded_file, result.graded_because = sub.graded_file, sub.graded_because
        # What to hide, looked at again for each submission: an entry made while the batch runs
        # (another checkout, a copy of the solutions) is covered from the next submission on
        # (computed again, or kept while nothing it was computed from changed: host.hide_watch).
        sandbox = Sandbox(sub.chunks, sub.files, self.config.functions, self.config.limits,
                          self.hide_list.get(self.hide_extra, self.course),
                          self.config.sandbox.stub_modules, self.isolation, self.zygote,
                          self.config.sandbox.preload_modules, self.grants)
        sandbox.on_request = self._start_while_waiting if self.while_waiting else None
        try:
            try:
                # A resumed grading has its first pass's load report and answers: its sandbox
                # starts only if a call has no answer saved (Sandbox.call_planned, restart_if_ended).
                load = resume.load if resume is not None and resume.load is not None else sandbox.start()
            except SandboxError as exc:
                result.status, result.error = ERROR, str(exc)
                result.checks = self._zero_checks(str(exc))
                return result
            result.call_reuse = load.call_reuse
            context = LoadContext(sub.chunks, load.messages, load.signatures, self.reference)
            student = _FreshStudent(sandbox, context, question_of=self.config.question_of)
            if resume is not None:  # the first pass's answers, as if the grading had not stopped
                student._memo.update(resume.memo)
                student.held_bytes, student.hung = resume.held_bytes, dict(resume.hung)
                student._planned.update(resume.planned)
                student._fresh.update(resume.fresh)
                student._fresh_bytes = resume.fresh_bytes
                student.printed_before = any(resume.output)
                sandbox.fatal.update(resume.fatal)
            student.prefetch(self.call_plan())
            # The shared trainer (and its cache) within this submission's training bounds.
            trainer = (queue.for_submission() if queue is not None else
                       SubmissionTrainer(self.trainer, "resume", carried=resume) if resume is not None else
                       SubmissionTrainer.bounded(self.trainer))
            iterations = self.trainer.iterations_run - (resume.iterations if resume else 0)
            result.checks, waiting = self._run_checks_in_rounds(student, trainer)
            if waiting:
                result.waiting = trainer.carried
            if result.waiting is not None:
                carried = result.waiting
                carried.memo, carried.held_bytes = student._memo, student.held_bytes
                carried.hung, carried.fatal = student.hung, dict(sandbox.fatal)
                carried.submission, carried.load = sub, load
                carried.planned, carried.fresh, carried.fresh_bytes = student._planned, student._fresh, \
                    student._fresh_bytes
                return result  # graded again once the queue is trained
            _say_each_cause_once(result.checks)
            # after the checks: what was left out is listed only when a call needed it
            result.load_messages = context.load_lines(self.config.functions,
                                                      full_score=all(c.passed for c in result.checks))
            result.load_note = context.load_note()
            result.load_errors_folded = list(context.errors) if context.errors_folded else []
            _prefer_the_default(result.checks)
            prefer_the_named_mistake(result.checks, self.config.notebook)
            say_each_untrainable_once(result.checks)
            _say_each_diagnosis_once(result.checks)
            result.evidence = gather_evidence(self.config, self.reference, self.trainer, student, result.checks,
                                              trainer.runs)
            result.probes = student.calls_made
            budget = trainer.budget
            result.work = Work(trainings=budget.started if budget else 0,
                               training_iterations=self.trainer.iterations_run - iterations,
                               training_cpu_seconds=round(budget.cpu_used, 2) if budget else 0.0,
                               reply_bytes_held=student.held_bytes, sandbox_exchanges=student.exchanges)
        finally:
            sandbox.close()
            # A resumed grading's output is its first pass's, then that of any sandbox it started.
            result.output = sandbox.output(before=resume.output if resume is not None else ())
            if result.waiting is not None:
                result.waiting.output = sandbox.output_pieces()
            result.seconds = time.monotonic() - t0
        return result

    def _run_checks_in_rounds(self, student: SandboxStudent,
                              trainer: SubmissionTrainer) -> tuple[list[CheckResult], bool]:
        """Every check's result, in order, and whether one waits for a queued training.

        The calls the plan did not foresee are asked in rounds (autograder.sandbox.probes): the
        checks run, those that asked for a call with no answer yet stop (CallDeferred), the calls
        they asked for, and those of the evidence of the questions already failed, go in one
        round, and the stopped checks run again; at most ``CALL_ROUNDS`` rounds, then the
        rest runs with its calls made one by one. A stopped check's trainings are forgotten
        (run again, they are cache look-ups), and the trainings kept are put back in the
        order of the checks, as if each check had run once."""
        done: dict[tuple[str, str], CheckResult] = {}
        waiting = False
        pending = list(self.checks)
        order: dict[tuple[str | None, str | None], int] = {key: i for i, key in enumerate(self.checks)}
        try:
            for round_ in range(CALL_ROUNDS + 1):
                student.gathering = round_ < CALL_ROUNDS
                stopped = []
                for q, c in pending:
                    kept = len(trainer.runs)
                    try:
                        done[q, c] = self.run_check(q, c, student, trainer)
                    except TrainingDeferred:
                        waiting = True
                    except CallDeferred:
                        del trainer.runs[kept:]
                        stopped.append((q, c))
                trainer.runs.sort(key=lambda r: order.get((r.question, r.check), len(order)))
                if not waiting:  # the evidence is gathered now (else on the second pass)
                    finished = {q for q, _ in self.checks} - {q for q, _ in stopped}
                    failed = {c.question for c in done.values() if not c.passed and c.question in finished}
                    student.want(evidence_calls(self.config, self.trainer, failed, trainer.runs))
                asked = student.next_round()
                pending = stopped
                if not pending and not asked:
                    break
        finally:
            student.gathering = False
        return [done[key] for key in self.checks if key in done], waiting

    def run_check(self, question: str, check: str, student: Student,
                  trainer: SubmissionTrainer | None = None) -> CheckResult:
        """Run one check of the rubric with its fixtures (autograder.rubric.runner) and score it (partial
        credit capped by grading.yaml); any failure, even a bug in the check, is a result, never
        an exception (but TrainingDeferred: the check runs again once its training is done).

        ``student``: the proxy the test calls (autograder.probes.Student); ``trainer``: the
        submission's (it records the check's trainings), else the grader's own, unbounded."""
        points = float(self.config.questions[question].checks[check])
        trainer = trainer if trainer is not None else SubmissionTrainer(self.trainer)
        trainer.begin(question, check)
        fixtures = {"student": student, "reference": self.reference, "trainer": trainer, "config": self.config}
        outcome = run_check(self.checks[question, check], fixtures)
        name = check_title(question, check)
        if isinstance(outcome, Passed):
            return CheckResult(question, check, name, points, points, True, "")
        if isinstance(outcome, Partial):
            # Only as much as grading.yaml's partial_credit allows for this check.
            fraction = min(max(outcome.fraction, 0.0), self.config.partial_fraction(question, check))
            return CheckResult(question, check, name, round(points * fraction, 6), points, False, outcome.message,
                               list(outcome.diagnoses))
        if isinstance(outcome, Failed):
            return CheckResult(question, check, name, 0.0, points, False, outcome.message, list(outcome.diagnoses),
                               outcome.cause)
        return CheckResult(question, check, name, 0.0, points, False, outcome.message)  # Broken
