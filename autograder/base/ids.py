"""Submission ids: one name per submission that is safe as a folder name, in a URL, in a CSV cell
and on a terminal, and the same on every run.

A file or folder name is the student's choice (or their platform's): it can hold markup, a formula,
control characters, a leading dash, a backtick, bidi controls, a Cyrillic letter that looks Latin,
or the name of a batch output (``gradebook.csv.py``). The id keeps the name when it is plain ASCII
(``alice``), and otherwise is an ASCII-safe rendering of it followed by a short hash of the exact
name (``_lice-3f09c2d1`` for a Cyrillic ``аlice``), so two names that look alike never get two ids
that look alike. The original name is kept beside the id (results.json, gradebook.csv) in
:func:`display_name` form.

An id depends only on the submission's own name, except when two submissions of one batch would get
the same id (``alice.py`` and ``alice.ipynb``, or the same name in two input folders): then each of
them keeps its extension; if still equal, each takes the name of the nearest folder that tells them
apart (``initgrade grade -- */assignment/initialization.ipynb`` names each row after its repository);
failing that, it gets a hash of its path as given. Either way the same
command line gives the same ids, so a re-run finds its earlier results.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

from autograder.limits import ID_CHARS

#: Characters an id may hold: nothing a shell, a URL, a spreadsheet, a file system or a terminal reads
#: as anything but text. An id starts with a letter, digit or underscore (never '-', '.', '=', '+', '@').
PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")

#: Top-level files of a batch's output folder: a submission folder never takes one of these names
#: (compared case-insensitively, for case-insensitive file systems)...
RESERVED = frozenset({"gradebook.csv", "summary.html", "summary.json"})
#: ...nor any name with the extension of a file a batch writes there (the JUnit file, ``--junit
#: grades/junit.xml``, is checked by autograder.outputs.outdir to sit directly in the folder with one of these).
RESERVED_SUFFIXES = frozenset({".csv", ".html", ".htm", ".xml", ".json", ".md", ".txt", ".svg"})
#: Names Windows refuses for a file or folder, whatever follows the first dot (``PRN.x-3f09c2d1``,
#: ``con.e-…``, ``nul.tar.gz``): the name up to its first dot, in any case, is compared with these.
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", "conin$", "conout$", "clock$",
                              *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})


def _device_name(candidate: str) -> bool:
    """Whether Windows reads ``candidate`` as a device: its part before the first dot, without the
    trailing spaces Windows ignores, is a device name."""
    return candidate.split(".")[0].rstrip(" ").casefold() in _WINDOWS_DEVICES


def display_name(name: str) -> str:
    """The name as text that JSON and UTF-8 files can hold: bytes that are not UTF-8 (a POSIX file name
    can be any bytes) become ``\\xNN``. Control characters are left for each output's own rule."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def renamed(sid: str, name: str) -> bool:
    """Whether a reader needs the original name beside the id (the id is not just the name or its stem)."""
    return bool(name) and sid not in (name, Path(name).stem)


def _short_hash(text: str) -> str:
    return hashlib.sha256(os.fsencode(text)).hexdigest()[:8]


def _is_plain(candidate: str, reserved: frozenset[str]) -> bool:
    return (len(candidate) <= ID_CHARS and PLAIN.fullmatch(candidate) is not None
            and not candidate.endswith(".") and candidate.casefold() not in reserved
            and Path(candidate).suffix.casefold() not in RESERVED_SUFFIXES
            and not _device_name(candidate))


def safe_id(name: str, reserved: frozenset[str] = RESERVED) -> str:
    """``name`` itself when it is plain, else an ASCII-safe form of it plus a hash of the exact name."""
    if _is_plain(name, reserved):
        return name
    # NFKD keeps the base letter of accented and compatibility forms (é -> e, ｆ -> f); anything else
    # (Cyrillic, invisible characters, controls, markup, undecodable bytes) becomes '_'.
    chars = [c if c.isascii() and (c.isalnum() or c in "._-") else "_"
             for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)]
    stem = re.sub(r"_+", "_", "".join(chars)).lstrip(".-")[:ID_CHARS - 9].rstrip(".") or "_"
    if _device_name(f"{stem}-"):  # PRN.x_-3f09c2d1 (from PRN.x<U+202E>) still names the printer on Windows
        stem = ("_" + stem)[:ID_CHARS - 9].rstrip(".")
    return f"{stem}-{_short_hash(name)}"


def submission_id(path: Path, reserved: frozenset[str] = RESERVED) -> str:
    """The id a submission gets on its own: its name without the extension (a file) or its name (a folder)."""
    path = Path(path)
    return safe_id(path.name if path.is_dir() else path.stem, reserved)  # links and special files too, by their name


def _from_folders(ids: dict[Path, str], clashing: set[Path], reserved: frozenset[str], clashes) -> None:
    """Submissions that share a name (``alice/assignment/initialization.ipynb``,
    ``bob/assignment/initialization.ipynb``) take the name of the nearest folder that tells them
    apart (``alice``, ``bob``: the student's repository), when those names clash with nothing."""
    groups: dict[str, list[Path]] = {}
    for p in clashing:
        groups.setdefault(ids[p].casefold(), []).append(p)
    for group in groups.values():
        parents = [Path(p).parent.parts for p in group]
        for level in range(1, min(len(parts) for parts in parents) + 1):
            names = [parts[-level] for parts in parents]
            if len({n.casefold() for n in names}) < len(names):
                continue
            trial = dict(ids)
            trial.update({p: safe_id(n, reserved) for p, n in zip(group, names)})
            if not (clashes(trial) & set(group)):
                ids.update(trial)
            break


def unique_ids(paths: list[Path], reserved: frozenset[str] = RESERVED) -> dict[Path, str]:
    """Ids for a batch, unique case-insensitively (so the folders differ on any file system)."""
    reserved = frozenset(r.casefold() for r in reserved)

    def clashes(ids: dict[Path, str]) -> set[Path]:
        seen: dict[str, list[Path]] = {}
        for p, sid in ids.items():
            seen.setdefault(sid.casefold(), []).append(p)
        return {p for group in seen.values() if len(group) > 1 for p in group}

    ids = {p: submission_id(p, reserved) for p in paths}
    for p in clashes(ids):
        ids[p] = safe_id(p.name, reserved)  # alice.py and alice.ipynb: each keeps its extension
    _from_folders(ids, clashes(ids), reserved, clashes)
    for p in clashes(ids):
        # The same name in two input folders: the path as given tells them apart, on every run.
        ids[p] = f"{safe_id(p.name, reserved)[:ID_CHARS]}-{_short_hash(str(p))}"
    n = 2
    while dup := sorted(clashes(ids)):  # only a hash collision gets here
        for p in dup[1:]:
            ids[p] = f"{ids[p]}-{n}"
        n += 1
    return ids
