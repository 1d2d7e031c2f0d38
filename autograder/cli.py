"""The ``initgrade`` command line (also ``python -m autograder``).

``initgrade grade PATH... --out DIR`` grades submissions and writes per-submission
results.json (Gradescope schema) and feedback, plus DIR/gradebook.csv.
``initgrade demo`` grades the bundled examples. Exit status: 0 when every
submission got a result, whatever its score; 2 when the grader itself could not
run (bad configuration, nothing to grade).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from autograder import __version__
from autograder.batch import BatchReport, grade_batch
from autograder.config import PROJECT_ROOT, ConfigError, load_config

EXAMPLES = PROJECT_ROOT / "examples" / "submissions"


def _table(report: BatchReport, config) -> Table:
    table = Table(title="Grades", show_lines=False)
    table.add_column("submission", overflow="fold")
    for q in config.questions:
        table.add_column(f"{q}\n/{config.max_points(q):g}", justify="right")
    table.add_column(f"total\n/{config.max_points():g}", justify="right")
    table.add_column("status")
    for r in sorted(report.results, key=lambda r: r.id):
        per_q = r.question_scores()
        status = "[green]graded[/]" if r.status == "graded" else "[red]error[/]"
        table.add_row(r.id, *(f"{per_q.get(q, 0):g}" for q in config.questions), f"{r.score:g}", status)
    return table


def run_grading(paths, out, jobs, config_path, cache, force, progress, junit, console: Console) -> int:
    try:
        config = load_config(config_path)
        from autograder.course import check_reference

        check_reference(config, cache)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    on_start = on_result = None
    bar = contextlib.nullcontext()
    if progress:
        # Only when shown: rich.progress is 10 ms of a command whose output is not a terminal.
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       TextColumn("{task.description}"), console=console, transient=False)
        task = bar.add_task("", total=None)

        def on_start(n):
            bar.update(task, total=n)

        def on_result(r, reused):
            bar.update(task, advance=1, description=r.id + (" (unchanged)" if reused else ""))
    try:
        with bar:
            report = grade_batch([Path(p) for p in paths], Path(out), config, jobs=jobs, cache_dir=cache,
                                 force=force, on_start=on_start, on_result=on_result)
    except (FileNotFoundError, ConfigError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    if not report.results:
        click.echo("error: no submissions found (expected .ipynb, .py or .zip files, or package folders)", err=True)
        return 2
    console.print(_table(report, config))
    for r in sorted(report.results, key=lambda r: r.id):
        if r.status == "error":
            console.print(f"[red]error[/] {r.id}: {r.error}", soft_wrap=True)
    console.print(f"{len(report.results)} submissions: {report.graded} graded now, {report.reused} unchanged since "
                  f"the last run; {report.trainings} trainings run. Sandbox: {report.isolation}.")
    console.print(f"Gradebook: {Path(out) / 'gradebook.csv'}; class summary: {Path(out) / 'summary.html'}; "
                  f"feedback: {Path(out) / '<submission>' / 'feedback.html'}")
    if junit:
        from autograder.junit import write_junit

        write_junit(Path(junit), report.results)
        console.print(f"JUnit XML: {junit}")
    return 0


class _Commands(click.Group):
    """The command group, with ``build`` imported only when it is used (or listed in --help):
    packaging imports nbformat and jsonschema, 70 ms that ``initgrade grade`` does not need.

    ``initgrade build TARGET --out DIR``: platform packages generated from grading.yaml.
    """

    LAZY = {"build": "autograder.packaging.cli", "init": "autograder.course", "check": "autograder.course"}

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


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Folder for results and the gradebook.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 64), help="Submissions graded in parallel.")
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path), help="grading.yaml to use.")
@click.option("--cache", type=click.Path(path_type=Path), help="Training cache folder (default ~/.cache/initgrade).")
@click.option("--force", is_flag=True, help="Regrade even submissions unchanged since the last run.")
@click.option("--junit", type=click.Path(path_type=Path), help="Also write JUnit XML here.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when on a terminal).")
def grade(paths, out, jobs, config_path, cache, force, junit, progress):
    """Grade PATHS (notebooks, .py modules, package folders, .zip files, or folders of them)."""
    console = Console()
    progress = console.is_terminal if progress is None else progress
    sys.exit(run_grading(paths, out, jobs, config_path, cache, force, progress, junit, console))


@main.command()
@click.option("--out", "-o", default="out/demo", show_default=True, type=click.Path(path_type=Path))
@click.option("--jobs", "-j", default=min(2, os.cpu_count() or 1), show_default=True, type=click.IntRange(1, 64))
def demo(out, jobs):
    """Grade the bundled example submissions and print the table."""
    console = Console()
    console.print(f"Grading the bundled examples in {EXAMPLES.relative_to(PROJECT_ROOT)} ...")
    sys.exit(run_grading([EXAMPLES], out, jobs, None, None, True, console.is_terminal, None, console))
