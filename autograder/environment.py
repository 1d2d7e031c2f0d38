"""Every environment variable the kit reads, in one place.

Each switch is read when it is asked for, never at import: tests and platform scripts set them
per command, and a value frozen at import would silently outlive the change. A module that
needs a switch calls the function here; no other module reads ``os.environ`` for an
``INITGRADE_*`` name (or ``INITLAB_DATA``). The shell scripts the kit generates (Gradescope's ``setup.sh`` and
``run_autograder``, the GitHub workflows) read their own variables, listed in
``docs/platforms.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

# name -> what it does (docs/architecture.md shows this table).
SWITCHES: dict[str, str] = {
    "INITGRADE_CONFIG": "the grading.yaml to use when --config is not given",
    "INITGRADE_CACHE": "the training cache folder (default: $XDG_CACHE_HOME/initgrade/training)",
    "INITGRADE_SANDBOX_PYTHON": "the Python that runs sandboxes (default: the grader's own)",
    "INITGRADE_NO_NAMESPACES": "1: use the uid fallback even where Linux namespaces work",
    "INITGRADE_NO_LANDLOCK": "1: do not apply Landlock in the uid fallback",
    "INITGRADE_NO_UID": "1: do not run sandboxes as another uid (tests reach the rlimits level as root with it)",
    "INITGRADE_NO_CGROUPS": "1: do not put sandboxes in cgroups",
    "INITGRADE_BIN": "the initgrade command platform scripts start",
    "INITGRADE_SUBMISSION_FILE": "which uploaded file a platform grades",
    "INITGRADE_AG_ROOT": "Gradescope's /autograder folder (tests point it at a fake one)",
    "INITGRADE_INKERNEL_CACHE": "the reference-result cache of the in-notebook checks",
    "INITGRADE_CHECK_SECONDS": "the per-call limit of the in-notebook checks",
    "INITGRADE_SECRETS": "more files and folders no sandbox may read, separated by ':' (nbgrader's course folder)",
    # The assignment's own package (assignment/initlab/data.py) reads this one too: the
    # student's notebook and the grader must find the same datasets.
    "INITLAB_DATA": "the folder of the .h5 datasets (default: the course's data/)",
}


def raw(name: str) -> str | None:
    """The text of one of ``SWITCHES``, None when unset or empty. The readers below interpret it;
    a name outside the table is a typo in the kit, so it raises instead of reading as unset."""
    if name not in SWITCHES:
        raise KeyError(f"{name} is not one of the kit's environment switches")
    return os.environ.get(name) or None


def _flag(name: str) -> bool:
    return raw(name) == "1"


def config_path() -> Path | None:
    value = raw("INITGRADE_CONFIG")
    return Path(value) if value else None


def cache_dir() -> Path | None:
    value = raw("INITGRADE_CACHE")
    return Path(value) if value else None


def extra_secrets() -> list[Path]:
    """INITGRADE_SECRETS: paths a platform (nbgrader's course folder) or the instructor adds to the
    batch's secrets, so every level hides them, Landlock never grants them and the uid level without
    Landlock refuses until they are closed."""
    value = raw("INITGRADE_SECRETS")
    return [Path(p) for p in value.split(os.pathsep) if p] if value else []


def sandbox_python() -> str | None:
    return raw("INITGRADE_SANDBOX_PYTHON")


def namespaces_disabled() -> bool:
    return _flag("INITGRADE_NO_NAMESPACES")


def landlock_disabled() -> bool:
    return _flag("INITGRADE_NO_LANDLOCK")


def uid_fallback_disabled() -> bool:
    return _flag("INITGRADE_NO_UID")


def cgroups_disabled() -> bool:
    return _flag("INITGRADE_NO_CGROUPS")


def kit_command() -> str | None:
    return raw("INITGRADE_BIN")


def submission_file() -> str | None:
    return raw("INITGRADE_SUBMISSION_FILE")


def gradescope_root() -> Path:
    return Path(raw("INITGRADE_AG_ROOT") or "/autograder")


def inkernel_cache() -> Path | None:
    value = raw("INITGRADE_INKERNEL_CACHE")
    return Path(value) if value else None


def check_seconds() -> str | None:
    """The raw override; the in-notebook checks parse it and say so when it is not a number."""
    return raw("INITGRADE_CHECK_SECONDS")


def data_dir() -> Path | None:
    value = raw("INITLAB_DATA")
    return Path(value) if value else None
