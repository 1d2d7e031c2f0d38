"""Grade a batch: parallel workers, resumable, one gradebook at the end.

Each submission's result is keyed by a hash of its bytes, the grader's version
and grading.yaml. A re-run (after Ctrl-C, a crash, or simply again) reuses every
result whose key still matches and grades only the rest. Reports are written
atomically as submissions finish (by the worker that graded them); the gradebook last.

The reference trainings are warmed into the shared disk cache first, so every
correct submission costs no training. Submissions are then graded in chunks (a task of
a worker, or a stretch of a serial batch): the trainings a chunk's submissions need and
nobody trained yet are queued and trained together, stacked (autograder.training.queue),
and the submissions that waited for them are graded again, with everything cached.
A worker that meets a training another worker is running trains what the other workers posted
and nobody started (autograder.training.spool) before it waits on that training's lock.

The report writers (autograder.outputs.reports, the feedback pages and the class summary) are
imported where they are first used, not with this module: a serial batch loads them on a thread
while its first sandbox loads (``_load_report_writers_meanwhile``), after the grader's own start.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograder import __version__, environment
from autograder.base.atomic import write_atomic
from autograder.base.ids import display_name, unique_ids
from autograder.base.results import Evidence, SubmissionResult, check_from_test
from autograder.base.statuses import ERROR, NOT_GRADED
from autograder.batch import early_isolation
from autograder.batch.stopping import (
    Interrupted,
    WorkerStop,
    acknowledge_stop,
    hold_stops,
    stop_checkpoint,
    stop_signals,
    stop_workers,
)
from autograder.config import GradingConfig
from autograder.engine import Grader
from autograder.intake import Skipped, discover_all
from autograder.intake.files import bytes_digest
from autograder.intake.work import RULE as WORK_RULE
from autograder.limits import POOL_REBUILDS
from autograder.outputs.outdir import check_output_folder
from autograder.sandbox import Isolation
from autograder.sandbox.host.grants import read_grants, sandbox_needs
from autograder.sandbox.host.hard_links import LinkedSecrets, bind_mounted_secrets, linked_secrets, refusal
from autograder.sandbox.host.secrets import secret_paths
from autograder.sandbox.host.zygote import (
    close_early,
    close_handed_over,
    hand_over_early,
    reap_handed_over,
    start_for_workers,
)
from autograder.sandbox.isolation_policy import IsolationRefused, check_isolation
from autograder.training.queue import TrainingQueue
from autograder.training.submission_trainer import TrainingDeferred
from autograder.training.trainer import Trainer


def default_cache_dir() -> Path:
    explicit = environment.cache_dir()
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "initgrade" / "training"


def batch_secrets(isolation: Isolation, extra: list[str]) -> list[str]:
    """What no sandbox of this batch may read (autograder.sandbox.host.secrets), given what it needs;
    ``extra``: the batch's folders and the course's (GradingConfig.course_secrets)."""
    needed = [Path(p) for p in sandbox_needs((*isolation.python_dirs, *isolation.staged_from))]
    return secret_paths(needed, extra, [isolation.kit] if isolation.kit else [])


def _refuse_linked_secrets(isolation: Isolation, secrets: list[str]) -> None:
    """Fail closed on a secret hard-linked into what the sandbox reads (autograder/sandbox/host/hard_links.py)."""
    try:
        readable = read_grants(sandbox_needs(isolation.python_dirs), secrets)
        found = linked_secrets(secrets, readable) + bind_mounted_secrets(secrets, readable)
    except LinkedSecrets as exc:
        raise IsolationRefused(f"{exc}; no submission was run") from None
    if found:
        raise IsolationRefused(refusal(found))


def config_digest(config: GradingConfig) -> str:
    """What of grading.yaml a grade depends on: everything but the ``semester`` section (due date,
    late policy, visibility, exports), which acts on grades after grading and regrades nothing."""
    return hashlib.sha256(config.model_dump_json(exclude={"semester"}).encode()).hexdigest()[:16]


def cache_key(path: Path, config: GradingConfig) -> str:
    on_disk = bytes_digest(path, (config.limits.submission_mb << 20) + 1, config.limits.folder_entries)
    # The rule that picks a folder's file is in the key: a kit that picked another file never hands
    # its result on as this one's.
    return f"{__version__}+{WORK_RULE}:{config_digest(config)}:{on_disk}"


def load_previous(folder: Path, key: str) -> SubmissionResult | None:
    """A finished result from an earlier run, if its key matches (results.json is our own output)."""
    path = folder / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        extra = data["extra_data"]
        if extra.get("cache_key") != key:
            return None
        checks = [check_from_test(q, c, t) for (q, c), t in zip(extra["checks"], data["tests"])]
        return SubmissionResult(id=extra["submission"], name=extra.get("name", ""), path=str(folder),
                                status=extra["status"], checks=checks,
                                error=extra.get("error", ""), kind=extra.get("kind", ""),
                                graded_file=str(extra.get("graded_file", "")),
                                graded_because=str(extra.get("graded_because", "")),
                                digest=extra.get("digest", ""), isolation=extra.get("isolation", ""),
                                landlock=extra.get("landlock") if isinstance(extra.get("landlock"), bool) else None,
                                seconds=float(data.get("execution_time", 0.0)), probes=int(extra.get("probes", 0)),
                                call_reuse=str(extra.get("call_reuse", "")),
                                load_errors_folded=[str(m) for m in extra.get("load_errors_folded", [])])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass
class BatchReport:
    results: list[SubmissionResult] = field(default_factory=list)
    reused: int = 0
    graded: int = 0
    trainings: int = 0
    trainings_stacked: int = 0  # of those, trained in stacks with others (autograder.training.queue)
    trainings_shared: int = 0  # of those, trained by a worker for another worker's submission (training.spool)
    isolation: str = ""
    isolation_level: str = ""
    landlock: bool | None = None
    # What the instructor must read about the level (autograder.sandbox.isolation_policy.check_isolation).
    isolation_warnings: list[str] = field(default_factory=list)
    # Set when a stop signal ended the batch early: which signal, and the submissions not graded.
    interrupted: Interrupted | None = None
    not_graded: list[SubmissionResult] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # submission id -> cache key of its results
    # Entries of the input folders that are not submissions, each with the reason (never a silent drop).
    skipped: list[Skipped] = field(default_factory=list)


_WORKER: Grader | None = None
_WORKER_STOP: WorkerStop | None = None


def _init_worker(config: GradingConfig, cache_dir: str, hide_extra: list[str], parent: int,
                 isolation: Isolation, trainer: Trainer | None = None) -> None:
    """``trainer``: the parent's, as the fork copied it (the workers are forked, so nothing is
    pickled): its datasets loaded and the reference's outcomes (the reference check's) in its memory,
    which every worker would otherwise read and verify from the disk cache again. (The call plan the
    parent found comes with each chunk: ``_grade_and_write_chunk``.)"""
    global _WORKER, _WORKER_STOP
    _WORKER_STOP = WorkerStop(_close_worker, parent)
    _WORKER = Grader(config, trainer or Trainer(config, cache_dir), hide_extra, isolation)
    _WORKER.prestart()
    # Run when the pool ends the worker: its sandbox starter goes with it.
    import multiprocessing.util  # in the worker only: see grade_batch

    multiprocessing.util.Finalize(None, _close_worker, exitpriority=10)


def _close_worker() -> None:
    if _WORKER is not None:
        _WORKER.close()


def _worker() -> Grader:
    """This pool worker's grader; only the pool's initializer makes one, before any task runs."""
    if _WORKER is None:
        raise RuntimeError("a batch task ran outside a pool worker (no _init_worker)")
    return _WORKER


def _worker_stop() -> WorkerStop:
    if _WORKER_STOP is None:
        raise RuntimeError("a batch task ran outside a pool worker (no _init_worker)")
    return _WORKER_STOP


#: Most submissions in one chunk: its queued trainings are trained together (more per chunk
#: means fuller stacks) and its results come back together (fewer per chunk: finer progress).
CHUNK_MAX = 24


def chunk_size(todo: int) -> int:
    """Submissions per chunk of a one-job batch: CHUNK_MAX (a stretch of the batch; its trainings
    stacked together)."""
    return max(1, min(CHUNK_MAX, todo))


def chunk_sizes(todo: int, jobs: int, cold: bool = False) -> list[int]:
    """The sizes of a parallel batch's chunks, in the order they are handed out: each a
    ``2 * jobs``-th of what is left (at most CHUNK_MAX), so they shrink to single submissions at
    the end. ``cold``: the batch started on an empty cache (its reference trainings were trained in
    this run), so most chunks queue trainings: each a ``jobs``-th of what is left, so that a small
    batch's trainings are stacked together rather than two or three at a time.

    A worker takes the next chunk when it finishes one; with chunks of equal size (a third of
    a worker's share each, before), a worker that drew the slower chunks (submissions
    that hang, start a second sandbox) kept going for up to a whole chunk while the others had
    nothing left; with the last chunks of one submission, the workers finish within about one
    submission of each other. The first chunks stay large (their trainings stacked together)."""
    sizes: list[int] = []
    left = todo
    while left > 0:
        size = max(1, min(CHUNK_MAX, -(-left // (max(jobs, 1) * (1 if cold else 2)))))
        sizes.append(size)
        left -= size
    return sizes


def chunks_of(todo: list, jobs: int, cold: bool = False) -> list[list]:
    """``todo`` cut into chunks of ``chunk_sizes``, in order."""
    out, i = [], 0
    for size in chunk_sizes(len(todo), jobs, cold):
        out.append(todo[i:i + size])
        i += size
    return out


def grade_chunk(grader: Grader, items: list[tuple[Path, str]],
                done: Callable[[SubmissionResult, int], None],
                starting: Callable[[str], None] = lambda sid: None) -> None:
    """Grade ``items`` (path, id) in two passes (module docstring); ``done(result, trainings)``
    for each, as soon as its result is final (in the first pass when it needed no training);
    ``starting(id)`` before each pass over a submission."""
    queue = TrainingQueue(grader.trainer)
    waiting = []
    for p, sid in items:
        starting(sid)
        result = _grade_one(grader, p, sid, queue=queue)
        if result.waiting is None:
            done(result, result.work.trainings if result.work else 0)
        else:
            waiting.append((p, sid, result.waiting))
    # The queue's own trainings, then the submissions that waited only for them, graded again while
    # the trainings other workers hold run on; then those (helping meanwhile), then the rest.
    queue.train_own()
    ready: list = []
    later: list = []
    for w in waiting:
        (later if queue.waits_on_others(w[2].waits_for) else ready).append(w)
    for group in (ready, later):
        if group is later:
            queue.finish_theirs()
        for p, sid, carried in group:
            starting(sid)
            result = _grade_one(grader, p, sid, resume=carried)
            done(result, result.work.trainings if result.work else 0)


def _grade_one(grader: Grader, path: Path, sid: str, **how) -> SubmissionResult:
    try:
        result = grader.grade(path, **how)
    except Interrupted:
        raise
    except Exception as exc:  # noqa: BLE001 - the grader's own failure, reported per submission
        result = SubmissionResult(id=sid, path=str(path), status=ERROR,
                                  error=f"grader failure: {type(exc).__name__}: {exc}")
    result.id, result.name = sid, display_name(path.name)
    return result


Finished = list[tuple[SubmissionResult, int]]  # results and the trainings each ran


def _grade_chunk_in_worker(items: list[tuple[str, str, str]], out: str, progress: str,
                           plan: list[tuple[str, tuple, bool]] | None = None) -> tuple[Finished, int, int]:
    return _worker_stop().run(_grade_and_write_chunk, items, out, progress, plan)


def _note_progress(progress: str, sid: str) -> None:
    """Which submission this worker is grading, in ``progress``/<pid>: if the worker dies (the OOM
    killer, a signal), the parent knows which submission was on it (autograder/batch/worker_loss.py)."""
    try:
        write_atomic(Path(progress) / str(os.getpid()), sid)
    except OSError:  # a full disk: the note is only a hint (without it, a lost worker's chunk is all regraded)
        pass


def _grade_and_write_chunk(items: list[tuple[str, str, str]], out: str, progress: str,
                           plan: list[tuple[str, tuple, bool]] | None = None) -> tuple[Finished, int, int]:
    """Grade a chunk and write each submission's reports here, in the worker: the parent, which
    shares the same cores, only collects slim results (no picture data) for the gradebook.
    Returns them with the number of trainings the chunk ran in stacks, and the number it ran for
    another worker's submissions (autograder.training.spool: counted by no submission of this chunk).
    ``plan``: the call plan the parent found (autograder.rubric.call_plan), which each worker would
    look up again; it comes with the chunks because the parent looks it up while its workers start."""
    grader = _worker()
    if plan is not None:
        grader.use_call_plan(plan)
    stacked, shared = grader.trainer.trainings_stacked, grader.trainer.trainings_shared
    keys = {sid: key for _, sid, key in items}
    finished: Finished = []

    def done(result: SubmissionResult, trainings: int) -> None:
        from autograder.outputs.reports import write_submission_reports

        write_submission_reports(Path(out), result, grader.config, keys[result.id])
        result.evidence = Evidence()
        finished.append((result, trainings))

    grade_chunk(grader, [(Path(p), sid) for p, sid, _ in items], done, lambda sid: _note_progress(progress, sid))
    return finished, grader.trainer.trainings_stacked - stacked, grader.trainer.trainings_shared - shared


def reference_warmups(grader: Grader) -> list[tuple[str, str]]:
    """The checks that train: run on the reference, they put its trainings in the cache."""
    return [(q, c) for (q, c) in grader.checks if "accuracy" in c or c == "symmetry"]


def warm_check(grader: Grader, question: str, check: str, trainer=None) -> None:
    """Run one training check on the reference solutions (trusted, in this process)."""
    from autograder.sandbox.probes import LocalStudent

    grader.run_check(question, check, LocalStudent(grader.reference), trainer)


def nothing_to_warm(grader: Grader) -> bool:
    """Every training check of the reference passed the command line's reference check with this
    grader's trainer (its trainings in that trainer's memory): ``warm_reference`` would run nothing."""
    return all(qc in grader.trainer.reference_passed for qc in reference_warmups(grader))


def warm_reference(grader: Grader, trainings: list[str] | None = None) -> None:
    """Train from the reference parameters once, so later gradings find them in the cache: the
    trainings of one setting together (autograder.training.queue). ``trainings``: only those of
    these settings (grading.yaml's ``training``), for a worker that warms a share. A check the
    command line's reference check passed with this grader's trainer is not run again."""
    queue = TrainingQueue(grader.trainer)
    for q, c in reference_warmups(grader):
        if (q, c) in grader.trainer.reference_passed:
            continue  # the reference check ran it with this trainer: its trainings are in memory
        try:
            warm_check(grader, q, c, queue.for_submission())
        except TrainingDeferred:
            pass
    if trainings is not None:
        queue.pending = {k: p for k, p in queue.pending.items() if p.training in trainings}
    queue.train_pending()


def _warm_in_worker(trainings: list[str]) -> tuple[int, int]:
    return _worker_stop().run(_warm, trainings)


def _warm(trainings: list[str]) -> tuple[int, int]:
    """Warm the reference trainings of these settings; returns (trainings run, of which stacked)."""
    grader = _worker()
    before, stacked = grader.trainer.trainings_run, grader.trainer.trainings_stacked
    warm_reference(grader, trainings)
    return grader.trainer.trainings_run - before, grader.trainer.trainings_stacked - stacked


def grade_batch(paths: list[Path], out: Path, config: GradingConfig, *, jobs: int = 1,
                cache_dir: Path | None = None, force: bool = False,
                on_start: Callable[[int], None] | None = None,
                on_result: Callable[[SubmissionResult, bool], None] | None = None,
                select: Callable[[dict[Path, str]], list[Path]] | None = None,
                junit: Path | None = None, trainer: Trainer | None = None,
                meanwhile: Callable[[], None] | None = None,
                closing: list[Callable[[], None]] | None = None) -> BatchReport:
    """Grade ``paths`` into ``out``. ``select`` (autograder.batch.shards) is given every discovered path
    with its id, ids made over the whole set, and returns the paths to grade here. Nothing is written
    when there is nothing to grade; an unusable output folder (or ``junit`` path) raises
    autograder.outputs.outdir.OutputFolderError before any grading. ``trainer``: the one this process
    grades with, on ``cache_dir`` (the command line's reference check hands its own over, the reference's
    outcomes in its memory); only the trainings it runs from here on count in the report. ``meanwhile``:
    the caller's own work for after the batch (the command line's imports for its closing lines), done
    on a thread while a serial batch's first sandbox loads, once the report writers are loaded, and by
    a parallel batch once its workers are forked, while it waits for their first results; never
    raises there (what fails fails again where it is used). ``closing``: a caller that passes a list
    finds there, when a parallel batch finished every submission, what waits for its pool's end (its
    workers' exits, the zygotes reaped), left running for the caller's own closing work, and must call
    each before it ends (the command line: after its closing lines, however they end); without it,
    every process of the batch has ended when this returns."""
    out = Path(out)
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    discovery = discover_all([Path(p) for p in paths])
    found = discovery.found
    if not found:
        return BatchReport(skipped=discovery.skipped)
    check_output_folder(out, [Path(p) for p in paths], junit)
    # The batch's own folders are secrets too: its outputs, the cache, every submission.
    hide_extra = [str(out.resolve()), str(cache_dir.resolve()), *(str(Path(p).resolve()) for p in paths)]
    # And what the platform running this batch names (nbgrader's course folder: INITGRADE_SECRETS).
    hide_extra += [str(p.resolve()) for p in environment.extra_secrets()]
    # One level for the whole batch, checked against grading.yaml before anything runs or is written.
    isolation = early_isolation.isolation()  # started by autograder.launch, or detected here
    secrets = batch_secrets(isolation, [*hide_extra, *config.course_secrets()])
    warnings = check_isolation(isolation, config.isolation.minimum, secrets)
    _refuse_linked_secrets(isolation, secrets)
    if not isolation.namespaces:  # the real reasons, as the probes found them: the instructor's to fix
        warnings.append("why not a stronger level: " + ("; ".join(isolation.reasons) or "no reason recorded"))
    landlock = None if isolation.namespaces else isolation.landlock
    ids = unique_ids(found)
    if select is not None:
        found = select(dict(ids))
    report = BatchReport(isolation_warnings=warnings, landlock=landlock, skipped=discovery.skipped)
    keys: dict[str, str] = {}

    def finish(result: SubmissionResult, trainings: int, written: bool = False) -> None:
        if not written:
            result = _write_reports_or_error_row(out, result, config, keys[result.id])
        result.evidence = Evidence()  # the pictures' data is in the reports now; a course's worth would pile up here
        report.results.append(result)
        report.graded += 1
        report.trainings += trainings
        if on_result:
            on_result(result, False)
        stop_checkpoint()  # a stop dropped where it landed (a fork hook, a finalizer) ends the batch here

    # The pool's end, left running while the gradebook and summaries are written (_end_meanwhile): waited
    # for before this returns, however it ends, unless the caller takes that wait over (``closing``).
    ending: list[Callable[[], None]] = []
    # From here on a stop signal ends the batch with a gradebook: every submission found is either
    # finished (now or in an earlier run) or listed as not graded, whenever the signal lands.
    with stop_signals():
        try:
            try:
                todo: list[tuple[Path, str, str]] = []
                for p in found:
                    sid = ids[p]
                    key = report.keys[sid] = cache_key(p, config)
                    previous = None if force else load_previous(out / sid, key)
                    if previous is not None and previous.isolation and (previous.isolation, previous.landlock) != (
                            isolation.level, landlock):
                        previous = None  # its code ran at another level: graded again, so the batch has one level
                    if previous is not None:
                        report.results.append(previous)
                        report.reused += 1
                    else:
                        todo.append((p, sid, key))
                keys.update({sid: key for _, sid, key in todo})
                if on_start:
                    on_start(len(found))
                for r in report.results:
                    if on_result:
                        on_result(r, True)
                parent = Grader(config, trainer or Trainer(config, cache_dir), hide_extra, isolation)
                report.isolation = parent.isolation.describe()
                report.isolation_level = parent.isolation.level
                if jobs <= 1 or len(todo) <= 1:
                    close_early()  # started for workers (autograder.launch) that this batch does not fork
                    _grade_serially(parent, todo, report, finish, meanwhile)
                else:
                    _grade_in_parallel(parent, todo, jobs, config, cache_dir, hide_extra, out, report, finish,
                                       meanwhile, ending)
            except Interrupted as stop:
                acknowledge_stop()
                report.interrupted = stop
                done = {r.id for r in report.results}
                # A worker writes each result as it finishes, but hands its chunk back whole: the
                # results of an unfinished chunk already written are read back, as a re-run would.
                for p in found:
                    sid, written_key = ids[p], report.keys.get(ids[p])
                    previous = None if sid in done or written_key is None else load_previous(out / sid, written_key)
                    if previous is not None:
                        report.results.append(previous)
                        report.graded += 1
                        done.add(sid)
                report.not_graded = [SubmissionResult(id=ids[p], name=display_name(p.name), path=str(p),
                                                      status=NOT_GRADED,
                                                      error=f"not graded: the batch was stopped ({stop})")
                                     for p in found if ids[p] not in done]
            # The gradebook and both summaries are written whole and together: a stop that lands now is
            # not raised; the command says it after its closing lines (autograder.batch.stopping.final_stop).
            with hold_stops(raise_after=False):
                from autograder.feedback.summary import write_class_summary
                from autograder.outputs.reports import BATCH_SUMMARY_FILE, batch_summary, gradebook_csv

                report.results.sort(key=lambda r: r.id)
                rows = sorted(report.results + report.not_graded, key=lambda r: r.id)
                write_atomic(out / "gradebook.csv", gradebook_csv(rows, config))
                write_class_summary(out, rows, config, skipped=report.skipped)
                summary = batch_summary(rows, config, isolation=report.isolation_level, reused=report.reused,
                                        interrupted=str(report.interrupted or ""), landlock=report.landlock,
                                        skipped=report.skipped)
                write_atomic(out / BATCH_SUMMARY_FILE, json.dumps(summary, indent=2))
        finally:
            if closing is not None:
                closing += ending
            else:
                with hold_stops(raise_after=False):
                    finish_closing(ending)
    return report


def finish_closing(closing: list[Callable[[], None]]) -> None:
    """Call what grade_batch left in ``closing`` (the pool's end first), each even when one before it
    raised; the first failure is raised after all of them."""
    failure: BaseException | None = None
    while closing:
        try:
            closing.pop(0)()
        except BaseException as exc:  # noqa: BLE001 - raised below, once every one has run
            failure = failure or exc
    if failure is not None:
        raise failure


def _write_reports_or_error_row(out: Path, result: SubmissionResult, config: GradingConfig,
                                key: str) -> SubmissionResult:
    """The submission's reports; if writing them fails (the grader's own failure on what this one
    submission holds), an error row's reports instead: the batch goes on, every other report is written."""
    from autograder.outputs.reports import write_submission_reports

    try:
        write_submission_reports(out, result, config, key)
        return result
    except Exception as exc:  # noqa: BLE001 - MemoryError included: this submission's row, not the batch
        failed = SubmissionResult(id=result.id, name=result.name, path=result.path, status=ERROR,
                                  isolation=result.isolation,
                                  error=f"grader failure writing the reports: {type(exc).__name__}: {str(exc)[:300]}")
        write_submission_reports(out, failed, config, key)
        return failed


def _grade_serially(parent: Grader, todo, report: BatchReport, finish,
                    meanwhile: Callable[[], None] | None = None) -> None:
    size = chunk_size(len(todo))
    # The trainer may have trained before the batch (the reference check): only this batch's count.
    run, stacked = parent.trainer.trainings_run, parent.trainer.trainings_stacked
    shared = parent.trainer.trainings_shared
    loading: threading.Thread | None = None

    def finish_loaded(result: SubmissionResult, trainings: int) -> None:
        if loading is not None and loading.ident is not None:
            loading.join()  # the report writers, loaded meanwhile (returns at once once they are)
        finish(result, trainings)

    if len(todo) == 1:  # the one-notebook command: a watched hide list and a keeper ahead would save nothing
        parent.hide_list.watch = False
        if parent.zygote is not None:
            parent.zygote.start_ahead = False
    with parent:  # the sandbox starter ends however this ends (a stop during the warm-up too)
        if todo:
            parent.prestart()  # the sandbox starter imports numpy while the reference is looked up
            warm_reference(parent)
            report.trainings += parent.trainer.trainings_run - run
            parent.prepare_first_sandbox()  # its keeper's set-up while the first submission is read
            # While the first sandbox loads: the call plan, then the report writers (a submission that
            # starts no sandbox loads the writers in its report, as without this).
            parent.make_plan_meanwhile()
            loading = _load_report_writers_meanwhile()
            parent.while_waiting.append(loading)
            if meanwhile is not None:
                parent.while_waiting.append(_after(loading, meanwhile))
        for i in range(0, len(todo), size):
            stop_checkpoint()
            grade_chunk(parent, [(p, sid) for p, sid, _ in todo[i:i + size]], finish_loaded)
    report.trainings_stacked += parent.trainer.trainings_stacked - stacked
    shared_now = parent.trainer.trainings_shared - shared
    report.trainings += shared_now  # for another machine's shard, on a shared cache folder
    report.trainings_shared += shared_now


def _load_report_writers_meanwhile() -> threading.Thread:
    """A thread (not started: the grader starts it once its first sandbox's load request is sent,
    Grader.while_waiting) to load the report writers (outputs.reports.load_report_writers: Jinja, the
    page templates, about 25 ms of CPU) while this process mostly waits on that sandbox (its load, the
    exchange of calls): the first report, which waits for the thread, then finds them loaded. A failure
    there is left for the report itself to meet (and turn into the submission's error row), never
    raised on the thread."""
    def load() -> None:
        try:
            from autograder.outputs.reports import load_report_writers

            load_report_writers()
        except Exception:  # noqa: BLE001 - the report that needs them fails the same way, where it is handled
            pass

    return threading.Thread(target=load, name="initgrade-report-writers", daemon=True)


def _after(first: threading.Thread, work: Callable[[], None]) -> threading.Thread:
    """A thread (not started: as ``_load_report_writers_meanwhile``'s) that does ``work`` once ``first``
    is done, so the two never take turns at the interpreter: what the first report needs is ready
    first. A failure of ``work`` is not raised on the thread."""
    def run() -> None:
        first.join()
        try:
            work()
        except Exception:  # noqa: BLE001 - what fails here fails again where it is used, and is handled there
            pass

    return threading.Thread(target=run, name="initgrade-meanwhile", daemon=True)


def _grade_in_parallel(parent: Grader, todo, jobs: int, config: GradingConfig, cache_dir: Path, hide_extra,
                       out: Path, report: BatchReport, finish, meanwhile: Callable[[], None] | None = None,
                       closing: list[Callable[[], None]] | None = None) -> None:
    """Grade ``todo`` in a pool of ``jobs`` workers. A worker that dies (the OOM killer, a signal) breaks
    the pool: what was finished is read back, the submission each worker was on is graded again alone
    (once: dying again, it gets an error row saying so), the rest in a new pool (worker_loss.py).
    ``meanwhile`` and ``closing``: as ``_pool_round``'s (the first pool's work meanwhile; the last
    pool's end)."""
    from autograder.batch.worker_loss import lost_row, suspects_of

    with _progress_folder(closing) as progress:
        left, rebuilds = list(todo), 0
        while left:
            lost = _pool_round(parent, left, jobs, config, cache_dir, hide_extra, out, report, finish, progress,
                               warm=rebuilds == 0, meanwhile=meanwhile if rebuilds == 0 else None,
                               closing=closing)
            if lost is None:
                return
            unfinished = []
            for p, sid, key in lost:
                previous = load_previous(out / sid, key)  # written by its worker before the pool broke
                if previous is not None:
                    finish(previous, 0, True)
                else:
                    unfinished.append((p, sid, key))
            suspects = suspects_of(progress, {sid for _, sid, _ in unfinished})
            for p, sid, key in [t for t in unfinished if t[1] in suspects]:
                cause = _pool_round(parent, [(p, sid, key)], 1, config, cache_dir, hide_extra, out, report,
                                    finish, progress, warm=False, alone=True)
                if cause is not None:  # it broke a worker twice: its own row says so, the batch goes on
                    finish(lost_row(p, sid, cause[0][1] if cause else ""), 0)
            left = [t for t in unfinished if t[1] not in suspects]
            rebuilds += 1
            if rebuilds > POOL_REBUILDS:
                for p, sid, _ in left:
                    finish(lost_row(p, sid, "", gave_up=True), 0)
                return


@contextlib.contextmanager
def _progress_folder(closing: list[Callable[[], None]] | None):
    """A temporary folder for the workers' notes of what they grade (``_note_progress``), removed when
    the batch is over: with ``closing``, after the pool's end (its removal, a few ms, is not on the
    way to the gradebook), otherwise at once."""
    from autograder.batch.worker_loss import progress_folder

    folder = progress_folder()
    try:
        yield folder
    finally:
        def remove() -> None:
            shutil.rmtree(folder, ignore_errors=True)

        if closing is not None:
            closing.append(remove)
        else:
            remove()


def _pool_round(parent: Grader, todo, jobs: int, config: GradingConfig, cache_dir: Path, hide_extra,
                out: Path, report: BatchReport, finish, progress: str, *, warm: bool, alone: bool = False,
                meanwhile: Callable[[], None] | None = None,
                closing: list[Callable[[], None]] | None = None):
    """One pool over ``todo``: None when every submission was finished; else, the pool having broken,
    the (path, id, key) of those whose chunk did not come back (``alone``: [(None, cause)], the
    cause of the single worker's death). ``meanwhile``: the caller's own work for after the batch
    (grade_batch's), done here once every worker is forked, while this process only waits for their
    results. ``closing``: when every submission was finished, the pool's end is left running
    (``_end_meanwhile``) and what waits for it appended here, for the caller to call once it has
    written the gradebook; otherwise the pool has ended when this returns, as always."""
    # Imported only for a parallel batch: 15 ms of a one-notebook command otherwise.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from autograder.batch.worker_loss import death_cause

    # The workers' sandbox starters: the one autograder.launch started before the imports, shared by
    # up to zygote.WORKERS_PER_ZYGOTE workers (so none more at -j 2), others started now, numpy's
    # import in them beside the report writers' load and the fork; handed to the workers, a
    # connection each (zygote.hand_over_early). A worker left without one starts its own.
    start_for_workers(jobs, parent.zygote)
    from autograder.outputs.reports import load_report_writers

    load_report_writers()  # once here, inherited by every worker (the fork below), not loaded by each
    if hand_over_early(parent.zygote, jobs):
        parent.zygote = None  # the parent grades nothing itself
    ctx = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                               initargs=(config, str(cache_dir), hide_extra, os.getpid(), parent.isolation,
                                         parent.trainer))
    lost: list = []
    finished_all = False  # every chunk came back: the pool's end may run on beside the gradebook
    try:
        # A pool of forks forks all its workers at its first task: this no-op, so that their start (each
        # asks its zygote for its first keeper) runs while this process looks up the call plan.
        pool.submit(os.getpid)
        try:  # once here rather than once per worker (its key hashes the kit's sources; a miss records it)
            plan: list[tuple[str, tuple, bool]] | None = parent.call_plan()
        except Exception:  # noqa: BLE001 - each worker then looks it up itself, and meets the failure per submission
            plan = None
        # The workers grade with the parent's trainer (the fork's copy): when the reference check ran
        # every warm-up check with it, a warm-up would run nothing in either worker, and only delay
        # the first chunks by a round trip through the pool.
        if warm and not nothing_to_warm(parent):
            # The reference trainings first, one training setting per worker (its trainings stacked),
            # and waited for: a submission graded meanwhile would queue them again.
            warmups = [pool.submit(_warm_in_worker, [name]) for name in config.training]
            stop_checkpoint()
            for fut in warmups:
                try:
                    trainings, stacked = fut.result()
                    report.trainings += trainings
                    report.trainings_stacked += stacked
                except Exception:  # noqa: BLE001 - a submission that needs it trains it and says so
                    pass
        # Cold: the reference's trainings were trained in this run (by the reference check, whose
        # trainer this is, or by the warm-up just now).
        cold = parent.trainer.trainings_run > 0 or report.trainings > 0
        try:
            futures = {pool.submit(_grade_chunk_in_worker, [(str(p), sid, key) for p, sid, key in chunk],
                                   str(out), progress, plan): chunk for chunk in chunks_of(todo, jobs, cold)}
        except BrokenProcessPool:  # a worker died before any submission (in the warm-up): all to do again
            futures, lost = {}, list(todo)
        close_handed_over()  # every worker is forked (at the submissions above): the parent's copies go
        workers = list((getattr(pool, "_processes", None) or {}).values())  # for a death's cause, where readable
        if meanwhile is not None:
            with hold_stops():  # a stop that comes meanwhile is raised once it is done, as any stop here
                _quietly(meanwhile)
        stop_checkpoint()
        for graded in as_completed(futures):
            try:
                results, stacked, shared = graded.result()
                finished = [(result, trainings, True) for result, trainings in results]
                report.trainings_stacked += stacked
                report.trainings += shared
                report.trainings_shared += shared
            except BrokenProcessPool:
                lost += futures[graded]
                continue
            except Exception as exc:  # noqa: BLE001 - the grader's own failure, reported per submission
                finished = [(SubmissionResult(id=sid, name=display_name(p.name), path=str(p), status=ERROR,
                                              error=f"grader failure: {type(exc).__name__}: {exc}"), 0, False)
                            for p, sid, _ in futures[graded]]
            for result, trainings, written in finished:
                finish(result, trainings, written)
        finished_all = not lost
    except Interrupted:
        finished_all = False
        pool.shutdown(wait=False, cancel_futures=True)
        stop_workers()
        raise
    finally:
        close_handed_over()
        if closing is not None and finished_all:
            closing.append(_end_meanwhile(pool))
        else:
            pool.shutdown(wait=True, cancel_futures=True)
            reap_handed_over()
    if not lost:
        return None
    return [(None, death_cause(workers))] if alone else lost


def _quietly(work: Callable[[], None]) -> None:
    """``work`` (the caller's, for after the batch: imports), whose failure is not the batch's: what
    fails there fails again where it is used, and is handled there."""
    try:
        work()
    except Exception:  # noqa: BLE001 - see the docstring
        pass


def _end_meanwhile(pool) -> Callable[[], None]:
    """The end of a pool whose every chunk came back, on a thread: its workers' exits (each closes its
    zygote connection, its keeper ahead and its hide list's watch, whose inotify instance the kernel
    takes up to 19 ms to close) run while the parent writes the gradebook and the summaries. Returns
    what waits for that end and then reaps the zygotes; grade_batch calls it before it returns,
    however it ends, so no process of the batch outlives it, as before."""
    failed: list[BaseException] = []

    def end() -> None:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        except BaseException as exc:  # noqa: BLE001 - raised by ``wait``, where the shutdown was before
            failed.append(exc)

    ending = threading.Thread(target=end, name="initgrade-pool-end", daemon=True)
    ending.start()

    def wait() -> None:
        ending.join()
        reap_handed_over()
        if failed:
            raise failed[0]

    return wait
