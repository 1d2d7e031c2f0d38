"""``initgrade semester``: the course around the grading (docs/semester.md).

``initgrade semester run PATHS... --grades DIR --roster FILE --out DIR`` reads what ``initgrade
grade PATHS... --out DIR`` wrote and writes the semester's gradebook, LMS exports, student views and
regrade report (autograder.semester.run). ``initgrade semester override`` appends one decision to
the overrides file, pinned to the student's current submission.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from autograder.base.escape import visible
from autograder.config import ConfigError, load_config


def _now(_ctx, _param, value):
    if value is None:
        return datetime.now(timezone.utc)
    from autograder.semester.times import parse_time

    when = parse_time(value)
    if when is None:
        raise click.BadParameter(f"{value!r}: expected an ISO time such as 2026-10-02T09:00:00+02:00")
    return when


@click.group()
def semester():
    """The course around the grading: roster, deadlines, overrides, visibility, LMS exports."""


@semester.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--grades", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The output folder of `initgrade grade` on the same PATHS.")
@click.option("--roster", "rosters", multiple=True, required=True, type=click.Path(exists=True, path_type=Path),
              help="The roster CSV (Canvas, Moodle, Gradescope, GitHub Classroom or the kit's); again for a "
                   "Classroom roster that adds GitHub accounts.")
@click.option("--overrides", type=click.Path(dir_okay=False, path_type=Path),
              help="The overrides CSV (student,question,points,reason,who,digest); absent: none.")
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path), help="grading.yaml to use.")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Folder for the semester's files.")
@click.option("--now", callback=_now, help="The time students see their feedback at (default: now).")
def run(paths, grades, rosters, overrides, config_path, out, now):
    """Match the graded PATHS to the roster; apply the late policy, the overrides and the visibility;
    write the gradebook, the Canvas and Moodle imports, the student views and the regrade report.

    \b
    Exit status: 0 written; 1 written, and something needs the instructor (a submission without a
    student, several submissions for one student, an override flagged or unusable); 2 nothing written
    (bad grading.yaml, roster or overrides file); 3 a file could not be written."""
    from autograder.semester.overrides import OverridesError
    from autograder.semester.roster import RosterError
    from autograder.semester.run import run_semester

    try:
        config = load_config(config_path)
        outcome = run_semester(list(paths), grades, list(rosters), overrides, config, out, now)
    except (ConfigError, RosterError, OverridesError, UnicodeDecodeError, FileNotFoundError) as exc:
        click.echo(f"error: {visible(exc)}", err=True)
        sys.exit(2)
    except OSError as exc:  # the output folder not writable, the disk full: each file is whole or absent
        click.echo(f"error: could not write the semester's files: {visible(exc)}", err=True)
        sys.exit(3)
    f = outcome.figures
    mean = "-" if f["mean_total"] is None else f"{f['mean_total']:g}"
    click.echo(f"{f['students']} students; mean {mean} / {config.max_points():g} over the {f['with_a_score']} "
               f"with a score; {len(f['late'])} late; {f['overrides_applied']} overrides applied.")
    attention: list[str] = []  # what needs the instructor: exit 1
    for label, items in (("without a submission", f["no_submission"]),
                         ("with several submissions (none used)", f["several_submissions"]),
                         ("submissions without a student", f["submissions_without_student"]),
                         ("not graded", f["not_graded"])):
        if items:
            click.echo(visible(f"{len(items)} {label}: {', '.join(items)}", one_line=True))
            if label not in ("without a submission", "not graded"):
                attention += items
    for line in outcome.problems + [x for e in outcome.entries for x in e.flagged]:
        click.echo(visible(f"attention: {line}", one_line=True), err=True)
    if outcome.changes is not None:
        click.echo(f"Regrade report: {len(outcome.changes)} rows changed ({out / 'regrade.md'}).")
    click.echo(visible(f"Semester gradebook: {out / 'gradebook.csv'}; Canvas: {out / 'canvas.csv'}; "
                       f"Moodle: {out / 'moodle.csv'}; summary: {out / 'summary.md'}"))
    flagged = outcome.problems or f["overrides_flagged"] or attention
    sys.exit(1 if flagged else 0)


@semester.command("override")
@click.option("--semester", "state", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The semester.json of the last `initgrade semester run` (for the submission's digest).")
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The overrides CSV to append to.")
@click.option("--student", required=True)
@click.option("--question", required=True, help="A question of grading.yaml, or 'total'.")
@click.option("--points", required=True, help="3 sets the score; +2 or -1.5 moves it.")
@click.option("--reason", required=True)
@click.option("--who", required=True)
def override(state, path, student, question, points, reason, who):
    """Append one override, pinned to the student's submission as last graded."""
    import re

    from autograder.semester.overrides import Override, append_override

    entries = json.loads(state.read_text(encoding="utf-8"))["entries"]
    entry = next((e for e in entries if (e.get("student") or {}).get("id") == student), None)
    if entry is None or not entry.get("digest"):
        click.echo(f"error: {visible(student, one_line=True)!r} has no graded submission in {state}", err=True)
        sys.exit(2)
    m = re.fullmatch(r"([+-])?(\d+(?:\.\d+)?)", points.strip())
    if not m:
        click.echo("error: --points: expected 3, +2 or -1.5", err=True)
        sys.exit(2)
    value = float(m.group(2)) * (-1 if m.group(1) == "-" else 1)
    append_override(path, Override(0, student, question, value, m.group(1) is not None, reason, who,
                                   entry["digest"][:12]))
    click.echo(visible(f"Added to {path}: {student} {question} {points} ({reason}; {who}), on submission "
                       f"{entry['digest'][:12]}", one_line=True))
