"""Overrides: the instructor's hand decisions, kept in a file of their own and applied after grading.

``overrides.csv`` has one row per decision::

    student,question,points,reason,who,digest
    s1004,he,3,"scale right; the tolerance was too strict for float32",T. Ng,9f2c41d0a7b3
    s1011,total,+2,"regrade request 14: plot counted",T. Ng,51aa07e9c2d4

``question`` is a question of grading.yaml or ``total``; ``points`` sets the score (``3``) or moves it
(``+2``, ``-1.5``); a question's score stays within 0 and its maximum, the total within 0 and the
assignment's. A question override acts on the raw score (before the late penalty), a total override
on the score after it (the last word: it can waive a penalty). ``digest`` is the start (8 characters
or more) of the submission's content hash as the semester gradebook shows it: the decision was made
on that submission. When the student's submission has changed since, the override is flagged and not
applied, until the instructor looks again and updates the digest. The file is the instructor's:
nothing here writes it (``initgrade semester override`` appends a row, with the digest filled in).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.limits import ROSTER_BYTES

COLUMNS = ("student", "question", "points", "reason", "who", "digest")
TOTAL = "total"
DIGEST_MIN = 8


class OverridesError(Exception):
    """The overrides file cannot be read (missing columns); a bad row is a problem, not this."""


@dataclass(frozen=True)
class Override:
    line: int  # in the file, for the instructor
    student: str
    question: str  # a question name or "total"
    points: float
    relative: bool  # "+2" / "-1": moves the score; "3": sets it
    reason: str
    who: str
    digest: str

    def describe(self) -> str:
        how = f"{self.points:+g}" if self.relative else f"set to {self.points:g}"
        return f"{self.question} {how} by {self.who}: {self.reason}"

    def apply(self, score: float, most: float) -> float:
        value = score + self.points if self.relative else self.points
        return min(max(value, 0.0), most)


def read_overrides(path: Path | None, questions: list[str]) -> tuple[list[Override], list[str]]:
    """The overrides of ``path`` (none when it is None or absent) and a problem line per unusable row."""
    if path is None or not Path(path).exists():
        return [], []
    data = Path(path).read_bytes()
    if len(data) > ROSTER_BYTES:
        raise OverridesError(f"{path}: larger than {ROSTER_BYTES >> 20} MB")
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise OverridesError(f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}")
    found, problems = [], []
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        where = f"{Path(path).name} line {line}"
        m = re.fullmatch(r"([+-])?\s*(\d+(?:\.\d+)?)", row["points"])
        if not row["student"]:
            problems.append(f"{where}: no student")
        elif row["question"] not in (*questions, TOTAL):
            problems.append(f"{where}: question {row['question']!r} is neither a question of grading.yaml "
                            f"({', '.join(questions)}) nor 'total'")
        elif not m:
            problems.append(f"{where}: points {row['points']!r}: expected 3, +2 or -1.5")
        elif not row["reason"] or not row["who"]:
            problems.append(f"{where}: every override says why (reason) and who decided it (who)")
        elif len(row["digest"]) < DIGEST_MIN:
            problems.append(f"{where}: digest {row['digest']!r}: name the submission the decision was made on "
                            f"(at least {DIGEST_MIN} characters of its digest in the semester gradebook)")
        else:
            sign = -1.0 if m.group(1) == "-" else 1.0
            found.append(Override(line, row["student"], row["question"], sign * float(m.group(2)),
                                  m.group(1) is not None, row["reason"], row["who"], row["digest"].lower()))
    return found, problems


def matches(override: Override, digest: str) -> bool:
    """Whether the override was made on this very submission (its digest starts with the override's)."""
    return bool(digest) and digest.lower().startswith(override.digest)


def append_override(path: Path, override: Override) -> None:
    """Add one row to the instructor's file (made with a header when new)."""
    new = not Path(path).exists() or Path(path).stat().st_size == 0
    with Path(path).open("a", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        if new:
            writer.writerow(COLUMNS)
        points = f"{override.points:+g}" if override.relative else f"{override.points:g}"
        writer.writerow([override.student, override.question, points, override.reason, override.who,
                         override.digest])
