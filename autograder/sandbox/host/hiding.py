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
is covered by an empty read-only mount (files, sockets, FIFOs and devices by an empty file). So are the secrets
(host.secrets) wherever they are, even inside a system folder: a checkout under
``/usr/src/app`` keeps only its ``assignment/`` and ``data/`` (and its venv) in sight.

The scratch folders (``/tmp``, ``/var/tmp``, ``/run``, ``/dev/shm``) are not hidden entry by
entry: the jail replaces each by a private tmpfs, whatever it holds now or later (a host's
sockets, FIFOs, a file created after the batch started), and binds back read-only only the
needed folders that lie under one (a CI clone under ``/tmp``: ``keep_in_private``).
The list is looked at again for every submission (``autograder.engine``), so an entry created
elsewhere while a batch runs is covered from the next submission on: computed again, or kept while
nothing it was computed from changed (host.hide_watch).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.config import PROJECT_ROOT
from autograder.sandbox.host import secrets
from autograder.sandbox.host.grants import NEEDED_IN_PROJECT
from autograder.sandbox.host.secrets import SECRET_FILES, listed_with_real_paths, secret_paths

# The file system as the sandbox sees it; a test points it at a fake tree.
ROOT = Path("/")
SYSTEM_TOP = {"usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin", "etc", "proc", "dev", "sys", "run"}
# Folders the jail covers by a private tmpfs of its own (jail/filesystem.py's SCRATCH; a test
# holds the two equal): never hidden or walked here, their needed folders bound back instead.
PRIVATE_FOLDERS = ("/tmp", "/var/tmp", "/run", "/dev/shm")


def needed_paths() -> list[Path]:
    """What the sandboxed process must be able to read."""
    paths = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent]
    paths += [PROJECT_ROOT / name for name in NEEDED_IN_PROJECT]
    return [p.resolve() for p in paths]


@functools.lru_cache(maxsize=1)
def ancestors_of_needed() -> frozenset[Path]:
    """Every needed path and each folder above one: what the hiding must leave reachable.

    Cached for the process: a test that changes ``needed_paths`` clears it.
    """
    out: set[Path] = set()
    for p in needed_paths():
        out.add(p)
        out.update(p.parents)
    return frozenset(out)


def _private_folders() -> set[Path]:
    return {(ROOT / p.lstrip("/")).resolve() for p in PRIVATE_FOLDERS}


def keep_in_private() -> list[str]:
    """The needed folders that lie under a private folder, outermost only: what the jail binds
    back, read-only, into its private tmpfs (a project or a virtual environment under /tmp)."""
    private = [str(f) for f in _private_folders()]
    inside = sorted({p for p in needed_paths() if any(_within(str(p), f) for f in private)})
    texts = [str(p) for p in inside]
    return [t for t in texts if not any(q != t and _within(t, q) for q in texts)]


def _within(path: str, folder: str) -> bool:
    """``Path(folder) == Path(path) or Path(folder) in Path(path).parents``, for two absolute,
    resolved paths (no ``.``, ``..``, doubled or trailing slash), on their text: the sandbox's every
    start asks it of each needed path, and pathlib's parents took most of a tenth of a millisecond."""
    return path == folder or path.startswith(folder if folder.endswith("/") else folder + "/")


def _siblings_to_hide(folder: Path, keep: frozenset[Path], needed: set[Path], private: set[Path]) -> list[Path]:
    """Entries of ``folder`` that are neither needed nor on the way to something needed (nor a
    private folder, which the jail replaces whole)."""
    try:
        entries = listed_with_real_paths(folder)
    except OSError:
        return []
    hide = []
    for entry, real, plain_dir in entries:
        if real is None:
            continue
        if real in needed or real in private:
            continue  # needed as a whole, content included; or replaced whole by the jail
        if real in keep:
            if plain_dir:
                hide += _siblings_to_hide(entry, keep, needed, private)
            continue
        hide.append(entry)
    return hide


def hide_paths(extra: Sequence[str | os.PathLike] = (), course: Sequence[str | os.PathLike] = ()) -> list[str]:
    """Absolute paths to cover in the sandbox (the grader's outputs are passed as ``extra``; the
    course's folder and grading.yaml, secret like the kit's, as ``course``)."""
    keep = ancestors_of_needed()
    needed = set(needed_paths())
    private = _private_folders()
    hide: set[Path] = set()
    watch = secrets.observer  # host.hide_watch, when it keeps the list between submissions
    if watch is not None:
        watch.folder(ROOT)
    for entry in ROOT.iterdir():
        if entry.name in SYSTEM_TOP or entry.name == "tmp":
            continue
        if watch is not None and entry.is_symlink():
            watch.link(entry)
        real = entry.resolve()
        if real in needed or real in private:
            continue
        if real in keep:
            hide.update(_siblings_to_hide(entry, keep, needed, private))
        else:
            hide.add(entry)
    # Belt and braces: the grader's own folders even if they were somehow on an allowed path.
    hide.update({Path(__file__).resolve().parents[2], PROJECT_ROOT / "solutions"})
    for p in extra:  # the batch's folders: whole, or around what is needed when they hold it
        real = Path(p).resolve()
        inside = real in keep and real not in needed
        hide.update(_siblings_to_hide(real, keep, needed, private) if inside else [Path(p)])
    hide.update(ROOT / p.lstrip("/") for p in SECRET_FILES)
    hide.update(ROOT / p.lstrip("/") for p in secret_paths(sorted(needed), [*extra, *course]))
    found = {str(p) for p in hide if os.path.lexists(p)}
    # An entry inside another hidden folder is out of sight already: one mount fewer.
    return sorted(p for p in found if not any(str(a) in found for a in Path(p).parents))
