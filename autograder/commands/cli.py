"""The ``initgrade`` command line (also ``python -m autograder``).

``initgrade grade PATH... --out DIR`` grades submissions and writes per-submission
results.json (Gradescope schema) and feedback, plus DIR/gradebook.csv.
``initgrade grade ... --shard K/N`` grades shard K of N only (autograder.batch.shards);
``initgrade merge SHARD_DIR... --out DIR`` joins shards into one gradebook (autograder.batch.merge).
``initgrade demo`` grades the bundled examples. Exit status: see ``grade --help``.

Student-controlled text (ids, names, error messages) reaches the terminal only as
rich ``Text`` with control characters made visible (autograder.base.escape.terminal_text),
never as console markup.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autograder import __version__
from autograder.base.escape import terminal_text, visible
from autograder.base.statuses import ERROR, GRADED
from autograder.batch.grading import BatchReport, finish_closing, grade_batch
from autograder.batch.stopping import Interrupted, acknowledge_stop, hold_stops, stop_signals
from autograder.config import PROJECT_ROOT, ConfigError, load_config
from autograder.limits import SKIPPED_SHOWN, TABLE_ROWS_OFF_TERMINAL
from autograder.outputs.outdir import OutputFolderError
from autograder.sandbox import isolation_levels
from autograder.sandbox.isolation_policy import IsolationRefused

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

EXAMPLES = PROJECT_ROOT / "examples" / "submissions"
PROGRESS_SECONDS = 5.0


# What the closing lines print with: rich's console and table, 20 ms of imports. Given --progress or
# --no-progress, a grade needs neither before its batch (nothing asks whether stdout is a terminal): it
# imports them on a thread while its first sandbox loads (grade_batch's ``meanwhile``).
_CLOSING_LINES = ("rich.console", "rich.table")


def _import_closing_lines() -> None:
    for name in _CLOSING_LINES:
        importlib.import_module(name)


def _new_console() -> Console:
    from rich.console import Console

    return Console()


def _table(report: BatchReport, config) -> Table:
    from rich.table import Table

    table = Table(title="Grades", show_lines=False)
    table.add_column("submission", overflow="fold")
    for q in config.questions:
        table.add_column(f"{q}\n/{config.max_points(q):g}", justify="right")
    table.add_column(f"total\n/{config.max_points():g}", justify="right")
    table.add_column("status")
    for r in sorted(report.results, key=lambda r: r.id):
        per_q = r.question_scores()
        status = terminal_text("graded", style="green") if r.status == GRADED else terminal_text("error", style="red")
        table.add_row(terminal_text(r.id, one_line=True), *(f"{per_q.get(q, 0):g}" for q in config.questions),
                      f"{r.score:g}", status)
    return table


def run_grading(paths, out, jobs, config_path, cache, force, progress, junit, console: Console | None,
                strict: bool = False, shard=None) -> int:
    """Grade and report; the exit status. A stop signal at any moment ends it with 130 or 143 and a line
    saying what was and was not graded (autograder.batch.stopping). ``console``: None for a new one, made
    when first printed to (the same console: it looks at stdout and the environment as it prints)."""
    finished: list[BatchReport] = []  # the batch's report, once grade_batch has returned
    try:
        with stop_signals():
            return _run_grading(paths, out, jobs, config_path, cache, force, progress, junit, console, strict, shard,
                                finished)
    except Interrupted as stop:
        acknowledge_stop()
        if finished:  # between the batch's end and its closing lines
            return _stopped(stop, len(finished[0].not_graded))
        # Stopped before the batch knew its submissions (reading grading.yaml, checking the reference,
        # listing the inputs): nothing was graded and no gradebook was written.
        click.echo(f"Stopped ({stop}) before grading began: no submission was graded (all of them not graded), "
                   "no gradebook written. Run the same command again to grade them.", err=True)
        return stop.exit_status


def _run_grading(paths, out, jobs, config_path, cache, force, progress, junit, console: Console | None,
                 strict: bool, shard, finished: list[BatchReport]) -> int:
    try:
        config = load_config(config_path)
        from autograder.commands.course import check_reference

        reference_trainer = check_reference(config, cache, jobs)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    on_start = on_result = None
    bar: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if progress is None:  # not a terminal (a CI log): a plain line every few seconds instead of a bar
        console = console if console is not None else _new_console()
        lines = ProgressLines(console)
        on_start, on_result = lines.start, lines.result
    elif progress:
        # Only when shown: rich.progress is 10 ms of a command whose output is not a terminal.
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = console if console is not None else _new_console()
        shown = Progress(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                         TextColumn("{task.description}", markup=False), console=console, transient=False)
        bar = shown
        task = shown.add_task("", total=None)

        def on_start(n):
            shown.update(task, total=n)

        def on_result(r, reused):
            shown.update(task, advance=1, description=terminal_text(r.id, one_line=True).plain
                         + (" (unchanged)" if reused else ""))
    closing: list = []  # the pool's end of a parallel batch, waited for after the closing lines (grade_batch)
    try:
        return _grade_and_close(paths, out, jobs, config, cache, force, junit, console, strict, shard, finished,
                                on_start, on_result, bar, reference_trainer, closing)
    finally:
        with hold_stops(raise_after=False):
            finish_closing(closing)


def _grade_and_close(paths, out, jobs, config, cache, force, junit, console: Console | None, strict: bool, shard,
                     finished: list[BatchReport], on_start, on_result, bar, reference_trainer, closing: list) -> int:
    """The batch and the closing lines; a parallel batch's workers may still be ending meanwhile
    (``closing``: the caller waits for them)."""
    recorder = None
    if shard is not None:
        from autograder.batch.grading import config_digest
        from autograder.batch.shards import ShardRecorder

        recorder = ShardRecorder(Path(out), shard, config_digest(config))
    try:
        with bar, recorder or contextlib.nullcontext():
            report = grade_batch([Path(p) for p in paths], Path(out), config, jobs=jobs, cache_dir=cache,
                                 force=force, on_start=on_start, on_result=on_result,
                                 select=recorder.select if recorder else None, junit=Path(junit) if junit else None,
                                 trainer=reference_trainer,
                                 meanwhile=_import_closing_lines if console is None else None, closing=closing)
            finished.append(report)
            if recorder:
                recorder.finish(report)
    except (FileNotFoundError, ConfigError, OutputFolderError) as exc:
        click.echo(f"error: {visible(exc)}", err=True)
        return 2
    except IsolationRefused as exc:
        click.echo(f"error: refused: {visible(exc)}", err=True)
        return 2
    except OSError as exc:  # the disk filled up or the folder was removed mid-batch
        click.echo(f"error: could not write a report: {exc}. Fix it and run the same command again: "
                   "the submissions already graded are not graded again.", err=True)
        return 3
    # The batch is over: a stop from now on is said after these lines (_exit_after).
    with hold_stops(raise_after=False):
        console = console if console is not None else _new_console()
        return _closing_lines(report, config, console, out, junit, recorder, shard, strict)


def _print_skipped(report: BatchReport, console: Console) -> None:
    """Every entry of the input that is not a submission, with the reason: nothing vanishes unsaid."""
    if not report.skipped:
        return
    n = len(report.skipped)
    console.print(f"Not submissions ({n} entr{'y' if n == 1 else 'ies'} of the input, not graded):", markup=False)
    for s in report.skipped[:SKIPPED_SHOWN]:
        console.print(terminal_text("  ") + terminal_text(str(s.path), one_line=True) + terminal_text(f": {s.reason}"),
                      soft_wrap=True)
    if n > SKIPPED_SHOWN:
        console.print(f"  and {n - SKIPPED_SHOWN} more (summary.json and summary.html list them all)", markup=False)


def _closing_lines(report: BatchReport, config, console: Console, out, junit, recorder, shard, strict: bool) -> int:
    if report.interrupted is None and not report.results and not (recorder and recorder.total):
        _print_skipped(report, console)
        click.echo("error: no submissions found (expected .ipynb, .py or .zip files, or package folders)", err=True)
        return 2
    if console.is_terminal or len(report.results) <= TABLE_ROWS_OFF_TERMINAL:
        console.print(_table(report, config))
    else:
        console.print(f"({len(report.results)} rows: see the gradebook)", markup=False)
    for r in sorted(report.results, key=lambda r: r.id):
        if r.status == ERROR:
            console.print(terminal_text("error ", style="red") + terminal_text(f"{r.id}: {r.error}"),
                          soft_wrap=True)
    _print_skipped(report, console)
    console.print(f"{len(report.results)} submissions: {report.graded} graded now, {report.reused} unchanged since "
                  f"the last run; {report.trainings} trainings run.")
    level = isolation_levels.label(report.isolation_level, report.landlock)
    console.print(f"Sandbox isolation: {level} ({report.isolation}).", markup=False)
    if report.isolation_level != "namespaces":
        click.echo(f"WARNING: weak isolation: {isolation_levels.warning(report.isolation_level, report.landlock)}",
                   err=True)
    for warning in report.isolation_warnings:
        click.echo(f"WARNING: {warning}", err=True)
    # The instructor's own paths, printed as text too: a folder name may hold brackets.
    console.print(terminal_text(f"Gradebook: {Path(out) / 'gradebook.csv'}; class summary: "
                                f"{Path(out) / 'summary.html'} (for scripts: {Path(out) / 'summary.json'}); "
                                f"feedback: {Path(out) / '<submission>' / 'feedback.html'}"))
    # The manifest is made when grade_batch selects the shard's share, which it does whenever it
    # found submissions; a batch that found none returned above.
    if recorder is not None and recorder.manifest is not None:
        console.print(terminal_text(f"Shard {shard}: {len(report.results)} of {recorder.total} submissions "
                                    f"({recorder.manifest.status}); manifest: {Path(out) / 'shard.json'}"))
    if junit:
        from autograder.outputs.junit import write_junit

        try:
            write_junit(Path(junit), report.results)
        except OSError as exc:
            click.echo(f"error: could not write the JUnit file {junit}: {exc}", err=True)
            return 3
        console.print(terminal_text(f"JUnit XML: {junit}"))
    if report.interrupted is not None:
        return _stopped(report.interrupted, len(report.not_graded))
    errors = sum(r.status == ERROR for r in report.results)
    if strict and errors:
        click.echo(f"--strict: {errors} submission{'s' * (errors != 1)} could not be graded", err=True)
        return 1
    return 0


def _stopped(stop: Interrupted, n: int) -> int:
    """The line a stopped batch ends with (README, "Stopping, re-runs"), and its exit status."""
    click.echo(f"Stopped ({stop}): {n} submission{'s' * (n != 1)} not graded, listed as "
               f"'not graded' in the gradebook and summary. Run the same command again to grade them; "
               f"finished submissions are kept.", err=True)
    return stop.exit_status


def _exit_after(status: int) -> None:
    """Exit with ``status``, unless a stop signal came after the batch had finished: then it is said,
    and the command ends with the signal's status all the same."""
    from autograder.batch.stopping import ENDING, final_stop

    late = final_stop()
    if late is not None:
        stop = Interrupted(late)
        click.echo(ENDING.format(name=stop), err=True)
        status = stop.exit_status
    sys.exit(status)


class ProgressLines:
    """Progress for a log, not a terminal: one plain line every PROGRESS_SECONDS (and at the end), so
    a CI job shows it is alive without a bar's control characters."""

    def __init__(self, console: Console):
        self.console, self.total, self.done, self.errors = console, 0, 0, 0
        self.t0 = self.last = time.monotonic()

    def start(self, total: int) -> None:
        self.total = total

    def result(self, r, reused: bool) -> None:
        self.done += 1
        self.errors += r.status == ERROR
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS or self.done == self.total:
            self.last = now
            pct = 100 * self.done // max(self.total, 1)
            self.console.print(f"graded {self.done}/{self.total} ({pct}%) in {now - self.t0:.0f} s; "
                               f"{self.errors} could not be graded", markup=False, highlight=False)


class _GradeCommand(click.Command):
    """``initgrade grade`` refuses a word that is both an option and an existing file: ``initgrade
    grade *`` in a folder holding ``--junit=x.py`` would otherwise take that submission for an option
    (and write over ``x.py``)."""

    def parse_args(self, ctx, args):
        for arg in args:
            if arg == "--":
                break
            if arg.startswith("-") and len(arg) > 1 and os.path.lexists(arg):
                raise click.UsageError(
                    f"{visible(arg, one_line=True)!r} is a file here, and also reads as an option. "
                    "If it is a submission, put the paths after `--` (initgrade grade --out DIR -- *) "
                    "or name the folder instead of a glob.",
                    ctx)
        return super().parse_args(ctx, args)


class _Commands(click.Group):
    """The command group, with ``build`` imported only when it is used (or listed in --help):
    packaging imports nbformat and jsonschema, 70 ms that ``initgrade grade`` does not need.

    ``initgrade build TARGET --out DIR``: platform packages generated from grading.yaml.
    """

    LAZY = {"build": "autograder.packaging.cli", "merge": "autograder.batch.merge",
            "init": "autograder.commands.course", "check": "autograder.commands.course",
            "semester": "autograder.semester.command"}

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx, name):
        if name in self.LAZY and name not in self.commands:
            import importlib

            self.add_command(getattr(importlib.import_module(self.LAZY[name]), name))
        return super().get_command(ctx, name)


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="initgrade")
def main():
    """Grade the weight-initialization assignment in a sandbox."""


def _shard_option(ctx, _param, value):
    if value is None:
        return None
    from autograder.batch.shards import ShardSpec, ShardSpecError

    try:
        return ShardSpec.parse(value)
    except ShardSpecError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command(cls=_GradeCommand)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path),
              help="Folder for results and the gradebook.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Submissions graded in parallel.")
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path), help="grading.yaml to use.")
@click.option("--cache", type=click.Path(path_type=Path), help="Training cache folder (default ~/.cache/initgrade).")
@click.option("--force", is_flag=True, help="Regrade even submissions unchanged since the last run.")
@click.option("--junit", type=click.Path(path_type=Path), help="Also write JUnit XML here.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: a bar on a terminal, a line every few seconds otherwise).")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any submission could not be graded.")
@click.option("--shard", callback=_shard_option, metavar="K/N",
              help="Grade only shard K (0 to N-1) of N, chosen by a hash of each submission id; "
                   "join the shards with `initgrade merge`.")
def grade(paths, out, jobs, config_path, cache, force, junit, progress, strict, shard):
    """Grade PATHS (notebooks, .py modules, package folders, .zip files, or folders of them).

    \b
    Exit status: 0 every submission got a result; 1 with --strict, some could not be graded;
    2 the grader could not start, nothing graded (bad grading.yaml, nothing to grade, --shard not
    K/N with 0 <= K < N, an output folder inside an input or not writable, an unusable --junit path,
    a file name that reads as an option: put the paths after --); 3 a report could not be written
    during the batch (run again to finish); 130 or 143 stopped by SIGINT (Ctrl-C) or SIGTERM (the
    gradebook lists what was not graded, a shard's shard.json says interrupted; run again to finish).
    """
    # Whether stdout is a terminal decides the default progress; given, the console is made after the batch.
    console = _new_console() if progress is None else None
    if console is not None and console.is_terminal:
        progress = True
    _exit_after(run_grading(paths, out, jobs, config_path, cache, force, progress, junit, console, strict, shard))


@main.command()
@click.option("--out", "-o", default="out/demo", show_default=True, type=click.Path(path_type=Path))
@click.option("--jobs", "-j", default=min(2, os.cpu_count() or 1), show_default=True, type=click.IntRange(1, 64))
def demo(out, jobs):
    """Grade the bundled example submissions and print the table."""
    console = _new_console()
    console.print(f"Grading the bundled examples in {EXAMPLES.relative_to(PROJECT_ROOT)} ...")
    _exit_after(run_grading([EXAMPLES], out, jobs, None, None, True, console.is_terminal or None, None, console))
