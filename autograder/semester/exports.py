"""The exports: the kit's semester gradebook (student columns), Canvas's and Moodle's import CSVs.

Every cell passes autograder.base.escape.csv_cell (formula injection: a name or a reason starting with
``=``, ``+``, ``-`` or ``@`` gets a leading quote), as the grading gradebook's do. A number is written
as a plain number: a score cell never starts with a formula character (no score is negative).

Canvas (Grades > Import): the columns of its own export, ``Student, ID, SIS User ID, SIS Login ID,
Section``, then the assignment's column, named as the export names it (``Title (assignment id)``);
the ``Points Possible`` row under the header. Canvas matches rows by ID, then SIS User ID; an empty
score cell changes nothing. Moodle (Grades > Import > CSV file): a column to identify the user by
(``Email address``; ``ID number`` beside it) and the grade item's column, plus a feedback column to
map to the item's feedback. Students without a score (no submission, not graded) get an empty cell:
the LMS keeps what it has, and the semester gradebook says why.
"""

from __future__ import annotations

import csv
import io
import re

from autograder.base.escape import csv_cell
from autograder.config import GradingConfig
from autograder.semester.ledger import Entry

GRADEBOOK_FILE = "gradebook.csv"
CANVAS_FILE = "canvas.csv"
MOODLE_FILE = "moodle.csv"


# A cell that is a plain number (as _num writes it) is no formula, whatever its sign: left as it is.
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?(e[+-]?\d+)?")


def _cell(value: object) -> str:
    text = str(value)
    return text if _NUMBER.fullmatch(text) else csv_cell(text)


def _num(x: float | None) -> str:
    return "" if x is None else f"{round(x, 4):g}"


def csv_text(header: list[str], rows: list[list]) -> str:
    """A CSV file: text cells through the kit's one CSV rule (autograder.base.escape.csv_cell)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def gradebook_columns(config: GradingConfig) -> list[str]:
    return ["student_id", "name", "email", "lms_id", "section", "status", "submission", "submitted_as",
            "matched_by", "digest", "submitted_at", "time_source", "due", "late",
            *config.questions, "raw_total", "late_penalty", "overrides", "total", "max_total",
            "flagged", "notes"]


def gradebook_csv(entries: list[Entry], config: GradingConfig) -> str:
    """The kit's semester gradebook: who, what was handed in and when, raw score, penalty beside it,
    overrides with their reasons, the final total; flagged overrides and notes last."""
    rows = []
    for e in entries:
        s = e.student
        rows.append([s.id if s else "", s.name if s else "", s.email if s else "", s.lms_id if s else "",
                     s.section if s else "", e.status, e.submission, e.name, e.matched_by, e.digest[:12],
                     e.submitted, e.time_source, e.due, e.late_reason,
                     *(_num(e.scores.get(q)) if e.scores else "" for q in config.questions),
                     _num(e.raw_total), _num(e.penalty) if e.total is not None else "", "; ".join(e.overrides),
                     _num(e.total), _num(e.max_total), "; ".join(e.flagged), "; ".join(e.notes)])
    return csv_text(gradebook_columns(config), rows)


def canvas_column(config: GradingConfig) -> str:
    return config.semester.exports.canvas_column or config.title


def moodle_column(config: GradingConfig) -> str:
    return config.semester.exports.moodle_column or config.title


def canvas_csv(entries: list[Entry], config: GradingConfig) -> str:
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", canvas_column(config)]
    rows = [["Points Possible", "", "", "", "", _num(config.max_points())]]
    for e in entries:
        if e.student is None:
            continue
        s = e.student
        rows.append([s.name, s.lms_id, s.id, s.login, s.section, _num(e.total)])
    return csv_text(header, rows)


def feedback_line(e: Entry) -> str:
    """One line for the LMS's feedback column: raw score, penalty, overrides, final."""
    if e.total is None:
        return e.status
    parts = [f"raw {_num(e.raw_total)}/{_num(e.max_total)}"]
    if e.penalty:
        parts.append(f"late penalty -{_num(e.penalty)} ({e.late_reason})")
    parts += [f"override: {o}" for o in e.overrides]
    parts.append(f"final {_num(e.total)}")
    return "; ".join(parts)


def moodle_csv(entries: list[Entry], config: GradingConfig) -> str:
    header = ["First name", "Last name", "ID number", "Email address", moodle_column(config), "Feedback"]
    rows = []
    for e in entries:
        if e.student is None:
            continue
        s = e.student
        first, _, last = s.name.partition(" ")
        if "," in s.name:  # "Last, First" (Canvas's sortable name)
            last, _, first = (p.strip() for p in s.name.partition(","))
        rows.append([first, last, s.id, s.email, _num(e.total), feedback_line(e)])
    return csv_text(header, rows)
