"""The roster: who is in the course, read from the CSV an LMS, GitHub Classroom or Gradescope exports.

Each export is recognised by its header (the columns its platform documents), never by its file name:

* Canvas, Grades > Export: ``Student, ID, SIS User ID, SIS Login ID, Section, ...`` (a ``Points
  Possible`` row under the header, and Canvas's ``Student, Test`` row, are not students);
* Moodle, Grade administration > Export > Plain text file: ``First name, Last name, ID number,
  Institution, Department, Email address, ...``;
* Gradescope, Roster > Download: ``First Name, Last Name`` (or ``Name``), ``SID``, ``Email``, ``Role``,
  ``Sections`` (only rows whose role is a student);
* GitHub Classroom, Roster > Download: ``identifier, github_username, github_id, name``;
* the kit's own: ``id, name, email, lms_id, section, github, extension``.

Any layout may carry an ``Extension`` column the instructor adds (``2d``, ``36h``, ``1.5`` days): that
student's due date moves by it. A Classroom roster usually comes second, beside the LMS's: its
``identifier`` (whatever the instructor set: a student id, an email, a login) links each GitHub
account to a student already listed; a Classroom row whose identifier names no listed student is a
student of its own. Ambiguity is refused, never resolved by a guess: a key two students share
matches neither (``Roster.lookup`` returns the clash).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.limits import ROSTER_BYTES

EXTENSION_COLUMNS = ("extension", "Extension")


class RosterError(Exception):
    """A roster file that cannot be read as any known layout; the message says which columns it has."""


@dataclass(frozen=True)
class Student:
    id: str  # the roster's own key: SIS user id, ID number, SID, identifier
    name: str = ""
    email: str = ""
    lms_id: str = ""  # the LMS's internal id (Canvas's ID), where its export has one
    login: str = ""  # SIS Login ID, Moodle username
    section: str = ""
    github: str = ""
    extension_hours: float = 0.0

    def keys(self) -> list[str]:
        """Every name a submission may carry for this student, lower-cased (each matched exactly)."""
        return [k.strip().lower() for k in (self.id, self.email, self.lms_id, self.login, self.github) if k.strip()]


def parse_extension(text: str) -> float:
    """An extension as hours: ``2d``, ``2 days``, ``36h``, ``36 hours``; a bare number is days."""
    t = text.strip().lower()
    if not t:
        return 0.0
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(d|day|days|h|hour|hours)?", t)
    if not m:
        raise RosterError(f"extension {text!r}: expected days or hours, such as 2d, 36h or 1.5")
    value = float(m.group(1))
    return value if (m.group(2) or "d").startswith("h") else value * 24


def _rows(path: Path) -> list[dict[str, str]]:
    data = Path(path).read_bytes()
    if len(data) > ROSTER_BYTES:
        raise RosterError(f"{path}: larger than {ROSTER_BYTES >> 20} MB; is this a roster?")
    text = data.decode("utf-8-sig")  # Excel and the LMSs write a byte-order mark
    reader = csv.DictReader(io.StringIO(text))
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items() if isinstance(v, str)} for row in reader]


def _extension(row: dict[str, str]) -> float:
    return next((parse_extension(row[c]) for c in EXTENSION_COLUMNS if row.get(c)), 0.0)


def _canvas(row):
    if row["Student"].lower().startswith(("points possible", "student, test")) or not (row["ID"] or
                                                                                       row["SIS User ID"]):
        return None
    return Student(id=row["SIS User ID"] or row["ID"], name=row["Student"], lms_id=row["ID"],
                   login=row["SIS Login ID"], section=row["Section"], extension_hours=_extension(row))


def _moodle(row):
    email = row["Email address"]
    return Student(id=row["ID number"] or email, name=f"{row['First name']} {row['Last name']}".strip(), email=email,
                   lms_id=row["ID number"], login=row.get("Username", ""), section=row.get("Groups", ""),
                   extension_hours=_extension(row))


def _gradescope(row):
    if row.get("Role", "Student").strip().lower() not in ("student", ""):
        return None
    name = row.get("Name") or f"{row.get('First Name', '')} {row.get('Last Name', '')}".strip()
    return Student(id=row["SID"] or row["Email"], name=name, email=row["Email"], lms_id=row["SID"],
                   section=row.get("Sections", row.get("Section", "")), extension_hours=_extension(row))


def _classroom(row):
    return Student(id=row["identifier"] or row["github_username"], name=row["name"], github=row["github_username"],
                   lms_id=row["github_id"], extension_hours=_extension(row))


def _kit(row):
    return Student(id=row["id"], name=row.get("name", ""), email=row.get("email", ""), lms_id=row.get("lms_id", ""),
                   login=row.get("login", ""), section=row.get("section", ""), github=row.get("github", ""),
                   extension_hours=_extension(row))


# Layout name -> (columns its header must hold, row reader). The first whose columns are all there wins.
LAYOUTS = {
    "canvas": ({"Student", "ID", "SIS User ID", "SIS Login ID", "Section"}, _canvas),
    "moodle": ({"First name", "Last name", "ID number", "Email address"}, _moodle),
    "gradescope": ({"SID", "Email"}, _gradescope),
    "classroom": ({"identifier", "github_username", "github_id", "name"}, _classroom),
    "kit": ({"id"}, _kit),
}


def read_layout(path: Path) -> tuple[str, list[Student]]:
    """The students of one roster file, and which layout it was read as."""
    rows = _rows(path)
    header = set(rows[0]) if rows else set()
    for layout, (needed, read) in LAYOUTS.items():
        if needed <= header:
            students = [s for s in (read(r) for r in rows) if s is not None]
            return layout, students
    raise RosterError(f"{path}: not a roster layout the kit knows (columns: {sorted(header)}); expected the "
                      "export of Canvas, Moodle, Gradescope or GitHub Classroom, or id,name,email,... "
                      "(docs/semester.md)")


@dataclass
class Roster:
    students: list[Student]
    layouts: list[str]
    problems: list[str]

    def lookup(self) -> tuple[dict[str, Student], dict[str, list[str]]]:
        """Every key (lower-cased) -> its student; keys two students share -> their ids (matching none)."""
        owners: dict[str, list[Student]] = {}
        for s in self.students:
            for k in set(s.keys()):
                owners.setdefault(k, []).append(s)
        unique = {k: v[0] for k, v in owners.items() if len(v) == 1}
        clashes = {k: [s.id for s in v] for k, v in owners.items() if len(v) > 1}
        return unique, clashes


def read_roster(paths: list[Path]) -> Roster:
    """One roster from one or more files: the first is the course's list; a GitHub Classroom roster
    after it adds GitHub accounts to the students its identifiers name."""
    students: list[Student] = []
    layouts, problems = [], []
    for path in paths:
        layout, found = read_layout(path)
        layouts.append(layout)
        if layout != "classroom" or not students:
            students.extend(found)
            continue
        by_key = {k: i for i, s in enumerate(students) for k in s.keys()}
        for s in found:
            i = by_key.get(s.id.lower())
            if i is None:
                problems.append(f"{Path(path).name}: Classroom identifier {s.id!r} (GitHub {s.github!r}) names no "
                                "student of the roster; listed on its own")
                students.append(s)
            else:
                students[i] = replace(students[i], github=s.github,
                                      extension_hours=students[i].extension_hours or s.extension_hours)
    seen: set[str] = set()
    for s in students:
        if s.id in seen:
            problems.append(f"student id {s.id!r} is listed twice in the roster")
        seen.add(s.id)
    return Roster(students, layouts, problems)
