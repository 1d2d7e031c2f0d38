"""``initgrade init COURSE_DIR`` and ``initgrade check``: an instructor's own course folder.

``init`` writes the course files the kit grades with (grading.yaml, the reference
solutions, the student notebook and package, the public tests, the data) into a
new folder the instructor edits. Run from that folder, every ``initgrade`` command
uses them: grading.yaml is found by :func:`autograder.config.find_config`
(``--config``, then ``$INITGRADE_CONFIG``, then ``./grading.yaml``, then the kit's
own), and the solutions and data next to it are the ones graded against.

``check`` grades the reference solutions with the configuration, in this process
(they are trusted code), and refuses a configuration under which they lose points:
a threshold set above what the reference reaches would take points from every
correct submission without a word. ``initgrade grade`` runs the same check
before grading; the trainings it needs are the reference's, which grading caches
anyway, so it adds nothing but the first run's trainings.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autograder.config import PROJECT_ROOT, ConfigError, GradingConfig, load_config

if TYPE_CHECKING:
    from autograder.training.trainer import Trainer

# What an instructor's course folder holds (relative to the kit's course root).
COURSE_FILES = ["grading.yaml", "solutions/init_functions.py", "assignment", "public_tests", "data"]
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def init_course(dest: Path) -> list[Path]:
    """Copy the kit's course files into ``dest`` (new or empty); returns what was written."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise click.ClickException(f"{dest} is not empty; choose a new folder")
    written = []
    for rel in COURSE_FILES:
        src, target = PROJECT_ROOT / rel, dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=_SKIP)
        else:
            shutil.copyfile(src, target)
        written.append(target)
    return written


def reference_failures(config: GradingConfig, cache_dir: Path | None = None,
                       trainer: Trainer | None = None, processes: int = 1) -> list[str]:
    """Every check the reference solutions do not pass in full, as "question.check: message".
    ``trainer``: the one to train (or find the trainings in the cache) with; a new one by default.
    ``processes``: how many may train the trainings that are not cached (autograder.training.side_by_side)."""
    from autograder.rubric import collect_checks
    from autograder.rubric.reference import reference_functions
    from autograder.rubric.runner import Broken, Passed, run_check
    from autograder.sandbox.probes import LocalStudent
    from autograder.training.queue import TrainingQueue
    from autograder.training.submission_trainer import SubmissionTrainer, TrainingDeferred
    from autograder.training.trainer import Trainer as NewTrainer
    from autograder.training.trainer import TrainingBudget

    reference = reference_functions(config)
    trainer = trainer if trainer is not None else NewTrainer(config, cache_dir=cache_dir)
    fixtures = {"student": LocalStudent(reference), "reference": reference,
                "trainer": SubmissionTrainer(trainer), "config": config}
    checks = [(q, c, test) for (q, c), test in collect_checks(config).items()
              if config.questions[q].checks[c]]  # one worth nothing cannot take points
    # The trainings that are not cached (the first run on a course) are queued rather than run one
    # by one as each check asks: trained together, stacked (autograder.training.queue), then the
    # checks that waited run again with every outcome cached. Each outcome is the one it gets
    # alone, and a training stopped at training_seconds is stopped in the second run too (the
    # trainer remembers it), so every check ends as it would have in one run. The reference is
    # trusted: no per-submission budget, as when trained one by one.
    queue = TrainingQueue(trainer)
    queueing = SubmissionTrainer(trainer, "queue", queue=queue, budget=TrainingBudget(float("inf"), sys.maxsize))
    outcomes, waited = {}, []
    for q, c, test in checks:
        try:
            outcomes[q, c] = run_check(test, {**fixtures, "trainer": queueing})
        except TrainingDeferred:
            waited.append((q, c, test))
    if waited:  # an empty cache only: a warm one never loads the side-by-side trainings
        from autograder.training.side_by_side import train_side_by_side

        train_side_by_side(queue, processes)
    for q, c, test in waited:
        outcomes[q, c] = run_check(test, fixtures)
    failures = []
    for q, c, _ in checks:
        outcome = outcomes[q, c]
        if isinstance(outcome, Passed):
            trainer.reference_passed.add((q, c))
        elif isinstance(outcome, Broken):
            failures.append(f"{q}.{c}: {outcome.error}")
        elif not isinstance(outcome, Passed):  # failed, or partial credit: not full points either
            failures.append(f"{q}.{c}: {outcome.message.splitlines()[0] if outcome.message else 'check failed'}")
    return failures


def check_reference(config: GradingConfig, cache_dir: Path | None = None, jobs: int = 1) -> Trainer:
    """Raise ConfigError naming each check the reference solutions lose points on.

    The trainings go through the grading cache (``cache_dir`` or the default one), so
    after the first run this costs no training at all. Returns the trainer it used, which holds
    the reference's outcomes in memory: the batch that follows grades with it (its warm-up and
    every correct submission then find them there, not on disk again). ``jobs``: the batch's
    processes, which may train the reference's training settings side by side on an empty cache.
    """
    from autograder.batch.grading import default_cache_dir
    from autograder.training.trainer import Trainer as NewTrainer

    trainer = NewTrainer(config, cache_dir=cache_dir or default_cache_dir())
    failures = reference_failures(config, trainer=trainer, processes=jobs)
    if failures:
        raise ConfigError("the reference solutions lose points under this grading.yaml, so every correct "
                          "submission would too; fix these checks (a threshold above what the reference "
                          "reaches?):\n  " + "\n  ".join(failures))
    return trainer


def limits_table(config: GradingConfig) -> str:
    """grading.yaml's limits, one per line: name, value (the default when grading.yaml leaves it
    out), and the description declared with it in autograder.config.Limits."""
    fields = type(config.limits).model_fields
    width = max(len(name) for name in fields)
    values = {name: f"{getattr(config.limits, name):g}" for name in fields}
    value_width = max(len(v) for v in values.values())
    return "\n".join(f"{name:<{width}}  {values[name]:>{value_width}}  {field.description}"
                     for name, field in fields.items())


@click.command("init")
@click.argument("course_dir", type=click.Path(file_okay=False, path_type=Path))
def init(course_dir: Path):
    """Write an editable course folder (grading.yaml, solutions, notebook, public tests, data) to COURSE_DIR."""
    for path in init_course(course_dir):
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {course_dir} && initgrade check && initgrade grade SUBMISSIONS --out results")


@click.command("check")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="grading.yaml to check (default: found as `initgrade grade` finds it).")
@click.option("--cache", type=click.Path(path_type=Path), help="Training cache folder (default ~/.cache/initgrade).")
@click.option("--limits", "show_limits", is_flag=True,
              help="Only validate grading.yaml and print its limits, each with its value and what it bounds.")
def check(config_path: Path | None, cache: Path | None, show_limits: bool):
    """Validate grading.yaml and grade the reference solutions with it: they must get every point."""
    try:
        config = load_config(config_path)
        if show_limits:
            click.echo(limits_table(config))
            return
        check_reference(config, cache)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"ok: {config.course_root}: the reference solutions get {config.max_points():g}/{config.max_points():g}")
