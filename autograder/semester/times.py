"""When a submission was handed in, from the platform that received it, and which source said so.

In order of trust:

1. ``submission_metadata.json`` in the submission folder: Gradescope's ``created_at`` (and the
   submitters' emails and SIDs, used by autograder.semester.matching);
2. ``timestamp.txt``: nbgrader's submit step writes the submission time there, which collect keeps;
   neither file is read in a repository clone, where it would be one the student committed
   (red-team round 3: a Classroom repository claimed other students and an earlier time). Elsewhere
   they are taken as the platform's: a folder must hold only what the platform put there;
3. a GitHub Classroom clone (a ``.git`` folder): the last commit's committer time, read with
   ``git log`` made safe (below) - the student's own clock, so the source says so;
4. the file's modification time (a folder: its newest file), the last resort: a copy or an unzip
   may have changed it, and the source says that too.

Every file read here is the student's: each is read with a size cap, never followed through a
link, and parsed as data. ``git`` runs on the clone's own ``.git`` (``--git-dir``, so a broken one
never falls back to a repository above it), with no system or global configuration, no pager, no
signature check (``gpg.program`` could name a program), no fsmonitor hook, no optional locks, a
clean environment, a time limit and a cap on what it prints.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from autograder.base.trees import walk
from autograder.limits import GIT_LOG_BYTES, GIT_LOG_SECONDS, MTIME_ENTRIES, PLATFORM_METADATA_BYTES

GRADESCOPE_METADATA = "submission_metadata.json"
NBGRADER_TIMESTAMP = "timestamp.txt"


@dataclass(frozen=True)
class SubmittedAt:
    when: datetime | None  # aware; None when no source could say
    source: str  # "gradescope", "nbgrader", "git commit", "file time", or "unknown"
    note: str = ""  # what the source is worth, or why none was read


def read_capped(path: Path, cap: int = PLATFORM_METADATA_BYTES) -> bytes | None:
    """A regular file's bytes (no link followed, nothing blocking), or None when absent, special or too big."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, cap + 1)
        return None if len(data) > cap else data
    finally:
        os.close(fd)


def is_clone(folder: Path) -> bool:
    """A repository clone (a GitHub Classroom one): every file in it is one the student committed,
    a ``submission_metadata.json`` or ``timestamp.txt`` included, so none of them is a platform's word."""
    git_dir = folder / ".git"
    return git_dir.is_dir() and not git_dir.is_symlink()


def gradescope_metadata(folder: Path) -> dict | None:
    """Gradescope's metadata in a submission folder; None in a repository clone, where a file of that
    name is one the student committed (it would name other submitters and an earlier time)."""
    if is_clone(folder):
        return None
    data = read_capped(folder / GRADESCOPE_METADATA)
    if data is None:
        return None
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time, or nbgrader's ``2026-10-01 12:00:00.123456 UTC``; a time without a zone is UTC
    (nbgrader's default). None for anything else."""
    t = text.strip()
    t = re.sub(r"\s*(UTC|GMT|Z)$", "+00:00", t)
    try:
        when = datetime.fromisoformat(t.replace(" ", "T", 1) if "T" not in t else t)
    except ValueError:
        return None
    return when if when.utcoffset() is not None else when.replace(tzinfo=timezone.utc)


def _git_commit_time(folder: Path) -> datetime | None:
    git_dir = folder / ".git"
    if not git_dir.is_dir() or git_dir.is_symlink():
        return None
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "HOME": os.devnull, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    cmd = ["git", "--no-pager", "--no-optional-locks", f"--git-dir={git_dir}", "-c", "core.fsmonitor=false",
           "-c", "log.showSignature=false", "-c", "gpg.program=false", "-c", "core.hooksPath=/dev/null",
           "log", "-1", "--no-show-signature", "--format=%cI", "HEAD", "--"]
    try:
        done = subprocess.run(cmd, env=env, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=GIT_LOG_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or len(done.stdout) > GIT_LOG_BYTES:
        return None
    return parse_time(done.stdout.decode("ascii", "replace"))


def _newest_mtime(path: Path) -> float | None:
    """The file's modification time; a folder's newest regular file's, hidden entries and links
    skipped, at most MTIME_ENTRIES entries looked at (a folder is the student's: bounded work)."""
    try:
        if path.is_symlink():
            return None
        if path.is_file():
            return path.stat().st_mtime
        times: list[float] = []
        seen = 0
        for top, dirs, files in walk(path):  # the student's tree: any depth (autograder/base/trees.py)
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                seen += 1
                if seen > MTIME_ENTRIES:
                    return max(times, default=None)
                f = Path(top) / name
                if not name.startswith(".") and f.is_file() and not f.is_symlink():
                    times.append(f.lstat().st_mtime)
    except OSError:
        return None
    return max(times, default=None)


def submitted_at(path: Path) -> SubmittedAt:
    """The submission time of the file or folder ``path``, with its source."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        meta = gradescope_metadata(path)
        when = parse_time(str(meta.get("created_at", ""))) if meta else None
        if when is not None:
            return SubmittedAt(when, "gradescope", "Gradescope's submission time")
        stamp = None if is_clone(path) else read_capped(path / NBGRADER_TIMESTAMP)
        when = parse_time(stamp.decode("utf-8", "replace")) if stamp else None
        if when is not None:
            return SubmittedAt(when, "nbgrader", "nbgrader's collection timestamp")
        when = _git_commit_time(path)
        if when is not None:
            return SubmittedAt(when, "git commit", "the last commit's time: the student's own clock")
    mtime = _newest_mtime(path)
    if mtime is None:
        return SubmittedAt(None, "unknown", "no platform time and no readable file time")
    return SubmittedAt(datetime.fromtimestamp(mtime, tz=timezone.utc), "file time",
                       "the file's modification time (last resort: a copy or unzip may have changed it)")
