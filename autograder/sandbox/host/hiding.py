"""Which paths the sandbox hides from student code: everything but an allowlist.

Namespace-root in the sandbox is the grader's own uid without capabilities, so
owner permissions still apply to the grader's files, and a copy of the solutions
may sit anywhere on the machine (another checkout, a backup, a CI clone). Hiding
known paths is not enough; the sandbox sees only:

- the system folders a Python process needs (``/usr``, ``/lib*``, ``/bin``, ``/etc``
  without its secret files, ``/proc``, ``/dev``, ``/sys``);
- the folders on the way to what the sandbox runs and reads: the virtual
  environment, the Python installation, and the project's ``assignment/`` and
  ``data/`` folders.

Every other entry at the top level, and every sibling of a folder on those ways
(``/root/.ssh`` beside ``/root/.pyenv``, ``solutions/`` beside ``assignment/``),
is covered by an empty read-only mount (files by ``/dev/null``). So are the secrets
(host.secrets) wherever they are, even inside a system folder: a checkout under
``/usr/src/app`` keeps only its ``assignment/`` and ``data/`` (and its venv) in sight.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.config import PROJECT_ROOT
from autograder.sandbox.host.grants import NEEDED_IN_PROJECT
from autograder.sandbox.host.secrets import SECRET_FILES, secret_paths

# The file system as the sandbox sees it; a test points it at a fake tree.
ROOT = Path("/")
SYSTEM_TOP = {"usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin", "etc", "proc", "dev", "sys", "run"}


def needed_paths() -> list[Path]:
    """What the sandboxed process must be able to read."""
    paths = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent]
    paths += [PROJECT_ROOT / name for name in NEEDED_IN_PROJECT]
    return [p.resolve() for p in paths]


@functools.lru_cache(maxsize=1)
def ancestors_of_needed() -> frozenset[Path]:
    """Every needed path and each folder above one: what the hiding must leave reachable.

    Cached for the process (like ``tmp_holds_needed``): a test that changes ``needed_paths``
    clears both.
    """
    out: set[Path] = set()
    for p in needed_paths():
        out.add(p)
        out.update(p.parents)
    return frozenset(out)


@functools.lru_cache(maxsize=1)
def tmp_holds_needed() -> bool:
    """Is the project or the Python installation under /tmp (a CI clone, say)?

    Then /tmp cannot simply be covered by a private tmpfs: its other entries are
    hidden one by one instead, and the sandbox gets its own scratch mount.
    """
    return (ROOT / "tmp").resolve() in ancestors_of_needed()


def _siblings_to_hide(folder: Path, keep: frozenset[Path], needed: set[Path]) -> list[Path]:
    """Entries of ``folder`` that are neither needed nor on the way to something needed."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    hide = []
    for entry in entries:
        try:
            real = entry.resolve()
        except OSError:
            continue
        if real in needed:
            continue  # needed as a whole, content included
        if real in keep:
            if entry.is_dir() and not entry.is_symlink():
                hide += _siblings_to_hide(entry, keep, needed)
            continue
        hide.append(entry)
    return hide


def hide_paths(extra: Sequence[str | os.PathLike] = ()) -> list[str]:
    """Absolute paths to cover in the sandbox (the grader's outputs are passed as ``extra``)."""
    keep = ancestors_of_needed()
    needed = set(needed_paths())
    hide: set[Path] = set()
    for entry in ROOT.iterdir():
        if entry.name in SYSTEM_TOP or entry.name == "tmp":
            continue
        real = entry.resolve()
        if real in needed:
            continue
        if real in keep:
            hide.update(_siblings_to_hide(entry, keep, needed))
        else:
            hide.add(entry)
    if tmp_holds_needed():
        hide.update(_siblings_to_hide(ROOT / "tmp", keep, needed))
    # Belt and braces: the grader's own folders even if they were somehow on an allowed path.
    hide.update({Path(__file__).resolve().parents[2], PROJECT_ROOT / "solutions"})
    for p in extra:  # the batch's folders: whole, or around what is needed when they hold it
        real = Path(p).resolve()
        hide.update(_siblings_to_hide(real, keep, needed) if real in keep and real not in needed else [Path(p)])
    hide.update(ROOT / p.lstrip("/") for p in SECRET_FILES)
    hide.update(ROOT / p.lstrip("/") for p in secret_paths(sorted(needed), extra))
    found = {str(p) for p in hide if os.path.lexists(p)}
    # An entry inside another hidden folder is out of sight already: one mount fewer.
    return sorted(p for p in found if not any(str(a) in found for a in Path(p).parents))
