"""Run the semester steps over a graded folder and write every output (``initgrade semester run``).

Inputs: the submissions as given to ``initgrade grade`` (the same paths, so the same ids), its output
folder (results.json per submission), the roster file(s), the overrides file and grading.yaml.
Outputs, in ``out``: gradebook.csv (the kit's, with student columns), canvas.csv, moodle.csv,
summary.md, semester.json (every row and its reasons: the next run's "before"), regrade.csv and
regrade.md (against the previous semester.json, when there is one), and per student
``students/<id>/feedback.md`` and ``results.json``. Each file is written atomically.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from autograder.base.atomic import write_atomic
from autograder.base.escape import md_text
from autograder.base.ids import safe_id, unique_ids
from autograder.config import GradingConfig
from autograder.intake import discover
from autograder.semester import exports, ledger, regrade, student
from autograder.semester.matching import match
from autograder.semester.overrides import read_overrides
from autograder.semester.roster import read_roster

STATE_FILE = "semester.json"
REGRADE_CSV = "regrade.csv"
REGRADE_MD = "regrade.md"
SUMMARY_MD = "summary.md"


@dataclass
class Outcome:
    entries: list[ledger.Entry]
    problems: list[str] = field(default_factory=list)
    changes: list[regrade.Change] | None = None  # None: no previous run to compare with
    figures: dict = field(default_factory=dict)


def figures(entries: list[ledger.Entry]) -> dict:
    """The semester's numbers, each said once with what it is over."""
    scored = [e.total for e in entries if e.student and e.total is not None]
    return {
        "students": sum(e.student is not None for e in entries),
        "with_a_score": len(scored),
        "mean_total": round(statistics.fmean(scored), 4) if scored else None,
        "mean_over": "students of the roster with a score (final, after penalty and overrides); students "
                     "without a submission or not graded are not in it",
        "no_submission": [e.student.id for e in entries if e.status == ledger.NO_SUBMISSION and e.student],
        "several_submissions": [e.student.id for e in entries if e.status == ledger.SEVERAL and e.student],
        "submissions_without_student": [e.submission for e in entries if e.student is None],
        "not_graded": [e.key for e in entries if e.status == "not graded"],
        "late": [e.key for e in entries if e.late_days],
        "overrides_applied": sum(len(e.overrides) for e in entries),
        "overrides_flagged": sum(len(e.flagged) for e in entries),
    }


def run_semester(paths: list[Path], grades: Path, rosters: list[Path], overrides_file: Path | None,
                 config: GradingConfig, out: Path, now: datetime) -> Outcome:
    found = discover([Path(p) for p in paths])
    ids = unique_ids(found)
    by_sid = {sid: p for p, sid in ids.items()}
    roster = read_roster(rosters)
    overrides, problems = read_overrides(overrides_file, list(config.questions))
    prefix = config.semester.classroom_prefix or config.assignment
    matching = match(by_sid, roster, prefix)
    entries = ledger.build(matching, by_sid, Path(grades), roster.students, overrides, config)
    problems += ledger.unknown_students(overrides, roster.students)
    outcome = Outcome(entries, roster.problems + problems, figures=figures(entries))
    out = Path(out)
    previous = _previous(out / STATE_FILE)
    current = [e.to_json() for e in entries]
    if previous is not None:
        outcome.changes = regrade.compare(previous, current)
        write_atomic(out / REGRADE_CSV, exports.csv_text(regrade.REPORT_COLUMNS, regrade.report_rows(outcome.changes)))
        write_atomic(out / REGRADE_MD, _regrade_md(outcome.changes))
    write_atomic(out / exports.GRADEBOOK_FILE, exports.gradebook_csv(entries, config))
    write_atomic(out / exports.CANVAS_FILE, exports.canvas_csv(entries, config))
    write_atomic(out / exports.MOODLE_FILE, exports.moodle_csv(entries, config))
    for e in entries:
        folder = out / "students" / safe_id(e.student.id if e.student else f"submission-{e.submission}")
        write_atomic(folder / "feedback.md", student.feedback_markdown(e, config, now))
        write_atomic(folder / "results.json", json.dumps(student.results_json(e, config), indent=2))
    write_atomic(out / SUMMARY_MD, _summary_md(outcome, config, roster.layouts))
    write_atomic(out / STATE_FILE, json.dumps({"format": "initgrade-semester/1", "now": now.isoformat(),
                                               "layouts": roster.layouts, "problems": outcome.problems,
                                               "figures": outcome.figures, "entries": current}, indent=2))
    return outcome


def _previous(path: Path) -> list[dict] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [e for e in data["entries"] if isinstance(e, dict) and "key" in e]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _regrade_md(changes: list[regrade.Change]) -> str:
    lines = ["# Regrade report", "", f"{len(changes)} row{'s' * (len(changes) != 1)} changed.", ""]
    if changes:
        lines += ["| student | before | after | change | why |", "|---|---|---|---|---|"]
        lines += [f"| {md_text(r[1])} ({md_text(r[0])}) | {r[2] or '-'} | {r[3] or '-'} | {r[4]} | {md_text(r[5])} |"
                  for r in regrade.report_rows(changes)]
    return "\n".join(lines) + "\n"


def _summary_md(outcome: Outcome, config: GradingConfig, layouts: list[str]) -> str:
    f = outcome.figures
    mean = "-" if f["mean_total"] is None else f"{f['mean_total']:g}"
    lines = [f"# Semester: {md_text(config.title)}", "",
             f"Roster: {f['students']} students ({', '.join(layouts)} layout). "
             f"Mean {mean} / {config.max_points():g} over the {f['with_a_score']} {f['mean_over']}.", "",
             "| student | status | raw | late penalty | overrides | total |", "|---|---|---|---|---|---|"]
    for e in outcome.entries:
        who = e.student.name or e.student.id if e.student else f"(no student) {e.name}"
        lines.append(f"| {md_text(who)} | {md_text(e.status)} | {exports._num(e.raw_total)} | "
                     f"{exports._num(e.penalty) if e.penalty else ''} | {md_text('; '.join(e.overrides))} | "
                     f"{exports._num(e.total)} |")
    for title, items in (("Students without a submission", f["no_submission"]),
                         ("Students with several submissions (none used)", f["several_submissions"]),
                         ("Submissions without a student", f["submissions_without_student"]),
                         ("Not graded", f["not_graded"]),
                         ("Problems", outcome.problems),
                         ("Overrides not applied", [x for e in outcome.entries for x in e.flagged])):
        if items:
            lines += ["", f"## {title}", "", *(f"- {md_text(x)}" for x in items)]
    return "\n".join(lines) + "\n"
