"""Which student handed in which submission: exact keys only, every leftover listed.

A submission names its student in one of these ways, tried in this order:

* Gradescope: ``submission_metadata.json`` in its folder lists the submitters (``users``: ``sid``,
  ``email``); a group submission belongs to each of them;
* GitHub Classroom: a repository folder ``<prefix>-<github username>`` (the prefix is
  ``semester.classroom_prefix``, else the assignment's name);
* Canvas's "Download Submissions": ``<name>_[late_]<Canvas user id>_<submission id>_<file>``;
* any other: its file name without the extension (a folder: its name) equals a student's id,
  email, LMS id, login or GitHub username (letter case aside).

Nothing is guessed: no partial or fuzzy match; a key two students share matches neither; two
submissions for one student are both listed and neither is used. Students without a submission
and submissions without a student are listed as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.semester.roster import Roster, Student
from autograder.semester.times import gradescope_metadata

_SUFFIXES = (".ipynb", ".py", ".zip")
_CANVAS_DOWNLOAD = re.compile(r"^[a-z0-9-]+_(?:late_)?(\d+)_\d+_.+$", re.I)


@dataclass
class Matching:
    by_student: dict[str, str] = field(default_factory=dict)  # student id -> submission id
    how: dict[str, str] = field(default_factory=dict)  # submission id -> how it was matched
    without_submission: list[Student] = field(default_factory=list)
    without_student: dict[str, str] = field(default_factory=dict)  # submission id -> why not matched
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # student id -> its several submissions


def _stem(name: str) -> str:
    lower = name.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _candidates(path: Path, prefix: str) -> tuple[list[str], str]:
    """The keys a submission names its student by, and how it names them."""
    if path.is_dir() and not path.is_symlink():
        meta = gradescope_metadata(path)
        users = meta.get("users") if meta else None
        if isinstance(users, list) and users:
            keys = [str(u.get("sid") or u.get("email") or "") for u in users if isinstance(u, dict)]
            return [k for k in keys if k], "Gradescope submission metadata"
        if prefix and path.name.lower().startswith(prefix.lower() + "-"):
            return [path.name[len(prefix) + 1:]], "GitHub Classroom repository"
    m = _CANVAS_DOWNLOAD.match(path.name)
    if m:
        return [m.group(1)], "Canvas submission download (user id)"
    return [_stem(path.name)], "file name"


def match(submissions: dict[str, Path], roster: Roster, prefix: str) -> Matching:
    """``submissions``: submission id -> its path (as ``initgrade grade`` discovered them)."""
    unique, clashes = roster.lookup()
    result = Matching()
    claims: dict[str, list[str]] = {}
    for sid, path in sorted(submissions.items()):
        keys, how = _candidates(Path(path), prefix)
        found, why = [], []
        for key in keys:
            k = key.strip().lower()
            if k in clashes:
                why.append(f"{key!r} is shared by students {', '.join(clashes[k])}: not matched")
            elif k in unique:
                found.append(unique[k])
            else:
                why.append(f"no student has {key!r} ({how})")
        if not found:
            result.without_student[sid] = "; ".join(why) or f"no key found ({how})"
            continue
        result.how[sid] = how
        for s in found:
            claims.setdefault(s.id, []).append(sid)
    for student_id, sids in claims.items():
        if len(sids) == 1:
            result.by_student[student_id] = sids[0]
        else:
            result.duplicates[student_id] = sorted(sids)
    result.without_submission = [s for s in roster.students
                                 if s.id not in result.by_student and s.id not in result.duplicates]
    return result
