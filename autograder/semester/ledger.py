"""One row per student (and per submission without a student): the steps composed.

grade (results.json) -> submission time and lateness -> overrides -> the final score, with every
step's reason kept beside its number, so the gradebook, the feedback, the exports and the regrade
report all say the same thing. A pure function of its inputs: the matched submissions' grades and
times, the roster, the overrides and grading.yaml; ``Entry.to_json`` is what semester.json keeps
for the next regrade report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.base.statuses import NOT_GRADED
from autograder.config import GradingConfig
from autograder.semester.grades import Grade, read_grade
from autograder.semester.lateness import lateness
from autograder.semester.matching import Matching
from autograder.semester.overrides import TOTAL, Override, matches
from autograder.semester.roster import Student
from autograder.semester.times import submitted_at

NO_SUBMISSION = "no submission"
NO_STUDENT = "no student"
SEVERAL = "several submissions"


@dataclass
class Entry:
    student: Student | None
    status: str  # graded, error, not graded, no submission, several submissions, no student
    submission: str = ""
    name: str = ""
    matched_by: str = ""
    digest: str = ""
    submitted: str = ""  # ISO time
    time_source: str = ""
    due: str = ""
    late_days: int = 0
    late_reason: str = ""
    raw: dict[str, float] = field(default_factory=dict)  # per question, as graded
    scores: dict[str, float] = field(default_factory=dict)  # per question, after question overrides
    raw_total: float | None = None
    penalty: float = 0.0
    total: float | None = None  # the final score
    max_total: float = 0.0
    overrides: list[str] = field(default_factory=list)  # applied, described
    flagged: list[str] = field(default_factory=list)  # not applied, with why
    notes: list[str] = field(default_factory=list)
    grade: Grade | None = None  # not serialized: the checks, for what students see

    @property
    def key(self) -> str:
        """The row's identity across runs: the student id, or the submission of no student."""
        return self.student.id if self.student else f"submission:{self.submission}"

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("grade")
        data["key"] = self.key
        return data


def _score(entry: Entry, grade: Grade, config: GradingConfig, mine: list[Override], late) -> None:
    entry.raw = grade.question_scores(config)
    entry.scores = dict(entry.raw)
    entry.raw_total = sum(entry.raw.values())
    for ov in mine:
        if not matches(ov, grade.digest):
            entry.flagged.append(f"line {ov.line}: {ov.describe()} - NOT APPLIED: made on submission "
                                 f"{ov.digest}, and the submission is now {grade.digest[:12] or 'unknown'}")
        elif ov.question != TOTAL:
            entry.scores[ov.question] = ov.apply(entry.scores[ov.question], config.max_points(ov.question))
            entry.overrides.append(ov.describe())
    after_late = late.apply(sum(entry.scores.values()))
    entry.penalty = round(sum(entry.scores.values()) - after_late, 6)
    entry.total = after_late
    for ov in mine:
        if ov.question == TOTAL and matches(ov, grade.digest):
            entry.total = ov.apply(entry.total, config.max_points())
            entry.overrides.append(ov.describe())


def build(matching: Matching, paths: dict[str, Path], grades_dir: Path, students: list[Student],
          overrides: list[Override], config: GradingConfig) -> list[Entry]:
    """Every student of the roster, then every submission no student claimed, in a stable order."""
    most = config.max_points()
    entries: list[Entry] = []
    for s in students:
        mine = [ov for ov in overrides if ov.student == s.id]
        if s.id in matching.duplicates:
            entries.append(Entry(s, SEVERAL, max_total=most,
                                 notes=["several submissions name this student: "
                                        f"{', '.join(matching.duplicates[s.id])}; none used (remove or rename one)"]))
            continue
        sid = matching.by_student.get(s.id)
        if sid is None:
            entries.append(Entry(s, NO_SUBMISSION, max_total=most,
                                 flagged=[f"line {ov.line}: {ov.describe()} - NOT APPLIED: no submission"
                                          for ov in mine]))
            continue
        entries.append(_entry(s, sid, paths[sid], grades_dir, config, mine, matching.how.get(sid, "")))
    for sid, why in sorted(matching.without_student.items()):
        entry = _entry(None, sid, paths[sid], grades_dir, config, [], "")
        entry.status = NO_STUDENT if entry.status != NOT_GRADED else entry.status
        entry.notes.append(f"no student: {why}")
        entries.append(entry)
    return entries


def unknown_students(overrides: list[Override], students: list[Student]) -> list[str]:
    """Override lines whose student is not in the roster (said as problems: nothing to apply them to)."""
    ids = {s.id for s in students}
    return [f"overrides line {ov.line}: student {ov.student!r} is not in the roster" for ov in overrides
            if ov.student not in ids]


def _entry(student: Student | None, sid: str, path: Path, grades_dir: Path, config: GradingConfig,
           mine: list[Override], how: str) -> Entry:
    grade = read_grade(grades_dir, sid, path.name)
    when = submitted_at(path)
    late = lateness(when.when, student.extension_hours if student else 0.0, config.semester, config.max_points())
    entry = Entry(student, grade.status, submission=sid, name=grade.name, matched_by=how, digest=grade.digest,
                  submitted=when.when.isoformat() if when.when else "", time_source=when.source,
                  due=late.due.isoformat() if late.due else "", late_days=late.days_late, late_reason=late.reason,
                  max_total=config.max_points(), grade=grade)
    if grade.status == NOT_GRADED:
        entry.notes.append(grade.error)
        entry.flagged = [f"line {ov.line}: {ov.describe()} - NOT APPLIED: not graded" for ov in mine]
        return entry
    _score(entry, grade, config, mine, late)
    if grade.error:
        entry.notes.append(f"grading error: {grade.error}")
    return entry
