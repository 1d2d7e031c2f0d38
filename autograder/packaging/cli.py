"""``initgrade build TARGET --out DIR``: package the assignment for a platform.

Registered on the ``initgrade`` group in :mod:`autograder.commands.cli` with
``from autograder.packaging.cli import build`` and ``main.add_command(build)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from autograder.config import ConfigError, load_config
from autograder.packaging import TARGETS, build_target
from autograder.packaging.common import BuildError


@click.command("build")
@click.argument("target", type=click.Choice([*TARGETS, "all"]))
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (with `all`: one subfolder per target).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="grading.yaml to build from (default: the repository's).")
def build(target: str, out: Path, config_path: Path | None):
    """Build TARGET from grading.yaml and the solutions: student, otter, nbgrader, gradescope, github, all."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    targets = list(TARGETS) if target == "all" else [target]
    for name in targets:
        dest = out / name if target == "all" else out
        try:
            written = build_target(name, dest, config)
        except (BuildError, ConfigError) as exc:
            click.echo(f"error: {name}: {exc}", err=True)
            sys.exit(2)
        for label, path in written.items():
            click.echo(f"{name}: {label}: {path}")
        step = TARGETS[name][1].format(out=dest, assignment=config.assignment, notebook=config.notebook)
        click.echo(f"{name}: next: {step}")
