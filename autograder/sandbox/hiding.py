"""Which paths the sandbox hides from student code.

Namespace-root in the sandbox is the grader's own uid without capabilities, so
owner permissions still apply to the grader's files: anything private must be
covered by an empty mount. That is the grader's own folders (hidden tests,
solutions, outputs, caches, the repository's history) and, generically, the
private entries of home directories, except the ones on the path to the Python
installation the sandbox itself runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from autograder.config import PROJECT_ROOT

# What student code may see of the repository: its own package, the data, the public tests.
VISIBLE_IN_PROJECT = {"assignment", "data", "public_tests"}
SECRET_FILES = ["/etc/shadow", "/etc/gshadow", "/etc/sudoers"]


def _ancestors_of_needed() -> set[Path]:
    needed = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent,
              PROJECT_ROOT / "assignment", PROJECT_ROOT / "data"}
    out = set()
    for p in needed:
        p = p.resolve()
        out.add(p)
        out.update(p.parents)
    return out


def hide_paths(extra: list[str | os.PathLike] = ()) -> list[str]:
    """Absolute paths to cover, most specific last (mount order does not matter here)."""
    keep = _ancestors_of_needed()
    hide: set[Path] = {Path(__file__).resolve().parents[1], PROJECT_ROOT / "solutions"}
    for entry in PROJECT_ROOT.iterdir():
        if entry.name not in VISIBLE_IN_PROJECT and entry.resolve() not in keep:
            hide.add(entry)
    for home in (Path("/root"), Path("/home")):
        try:
            entries = list(home.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.resolve() not in keep:
                hide.add(entry)
            elif entry.is_dir() and entry.resolve() != Path(sys.prefix).resolve():
                for sub in entry.iterdir():  # e.g. /root/.pyenv is needed, /root/.pyenv/.git is not
                    if sub.resolve() not in keep and sub.name.startswith("."):
                        hide.add(sub)
    hide.update(Path(p) for p in extra)
    hide.update(Path(p) for p in SECRET_FILES)
    return sorted(str(p.resolve()) if p.exists() else str(p) for p in hide)
