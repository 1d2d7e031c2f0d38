"""What the sandbox must never read, wherever the kit and the course are installed.

The secrets are named by what they are, not by where someone put them: the kit's own package
folder (the rubric, and in a wheel the course files under ``autograder/course/``), each
course folder (the checkout or ``initgrade init``'s folder: its solutions, grading.yaml,
examples, .git), the grading.yaml in use, and the batch's own folders (outputs, the training
cache, the submissions). A secret folder that holds something the sandbox needs (the project's
``assignment/`` and ``data/``, the venv of the sandbox's Python inside a checkout) is not
secret as a whole: its entries off the ways to those needs are.

Every level uses the list: the namespaces hide it under empty mounts (host.hiding), Landlock
never grants a folder that contains one of them (host.grants), and the uid fallback without
Landlock proves the sandbox uid cannot read them (autograder.sandbox.isolation_policy).
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from autograder.config import PROJECT_ROOT

# The grader's own package: autograder/ (this file is autograder/sandbox/host/secrets.py).
KIT_FOLDER = Path(__file__).resolve().parents[2]
# What the sandbox's Python imports of the kit before it confines itself (the jail and what it
# uses), relative to the kit folder: not secret, so a uid fallback without Landlock can close every
# other file of the kit to the sandbox uid. tests/test_levels_policy.py holds it to the jail's imports.
JAIL_FILES = ("__init__.py", "limits.py", "sandbox/__init__.py", "sandbox/wire.py", "sandbox/values.py",
              "sandbox/outcomes.py", "sandbox/keeper_protocol.py", "sandbox/jail")
# Files of the system that no sandbox needs (meaningful when the sandbox runs as root).
SECRET_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/sudoers", "/etc/ssh")
# System folders the sandbox sees, whose entries that other users cannot read are secret by rule: with
# namespaces the sandbox is the grader's own uid (root mapped to it, without capabilities), and an owner
# needs no capability to read a file of mode 0600, so a CI runner's token, /etc/ssl/private or a
# credential store of a root grader would otherwise be readable (red-team round 3).
PRIVATE_SYSTEM_FOLDERS = ("/etc",)


def _real(path: str | os.PathLike) -> Path | None:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return None


class ListingObserver(Protocol):
    """Told of every folder about to be listed and every link met while a hide list is computed
    (host.hide_watch watches them, to keep the list while none of them changes)."""

    def folder(self, path: Path) -> None: ...

    def link(self, path: Path) -> None: ...


observer: ListingObserver | None = None  # set only while host.hide_watch computes a list


def listed_with_real_paths(folder: Path) -> list[tuple[Path, Path | None, bool]]:
    """(entry, its real path or None, whether it is a folder and no link) for each entry of
    ``folder``. The real path of an entry that is no link is its resolved folder's joined with
    its name, exactly what resolving it gives: only links are resolved one by one (resolving
    each entry was most of a sandbox's start in the grader). Raises OSError like iterdir."""
    watch = observer
    if watch is not None:
        watch.folder(folder)  # before the listing: a change after it is seen
    with os.scandir(folder) as it:
        entries = list(it)
    base = _real(folder)
    out = []
    for e in entries:
        entry = folder / e.name
        try:
            link = e.is_symlink()
            plain_dir = not link and e.is_dir(follow_symlinks=False)
        except OSError:
            link, plain_dir = True, False  # cannot tell: resolved as a link would be
        if link and watch is not None:
            watch.link(entry)
        real = base / e.name if base is not None and not link else _real(entry)
        out.append((entry, real, plain_dir))
    return out


def _off_the_ways(folder: Path, keep: frozenset[Path], needed: frozenset[Path]) -> list[Path]:
    """Entries of ``folder`` that are neither needed nor on the way to something needed."""
    try:
        entries = listed_with_real_paths(folder)
    except OSError:
        return [folder]  # cannot be listed here: secret as a whole (fail closed)
    out = []
    for entry, real, plain_dir in entries:
        if real is None:
            out.append(entry)
        elif real in needed:
            continue
        elif real in keep:
            if plain_dir:
                out += _off_the_ways(entry, keep, needed)
        else:
            out.append(entry)
    return out


def _closed_to_others(st: os.stat_result) -> bool:
    """An entry another user cannot read: a file without o+r, a folder without o+r or o+x."""
    if stat.S_ISDIR(st.st_mode):
        return st.st_mode & 0o005 != 0o005
    return not st.st_mode & 0o004


@functools.cache
def private_system_entries(folders: tuple[str, ...] = PRIVATE_SYSTEM_FOLDERS) -> tuple[str, ...]:
    """Every entry of ``folders`` that other users cannot read (a closed folder as a whole, not walked),
    links not followed. Once per grader process: /etc changes with the machine's set-up, not per
    submission (a private file made there while a batch runs is covered from the next batch on)."""
    found: list[str] = []
    todo = [Path(f) for f in folders]
    while todo:
        folder = todo.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue  # a folder that vanished; one the grader cannot list, the sandbox cannot either
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                continue  # its target is checked where it lies
            if _closed_to_others(st):
                found.append(e.path)
            elif stat.S_ISDIR(st.st_mode):
                todo.append(Path(e.path))
    return tuple(sorted(found))


def secret_roots(extra: Iterable[str | os.PathLike] = (), kits: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """The secrets as named: the kit folders and ``extra`` (the batch's outputs, cache and submissions,
    and the course's folder and grading.yaml: GradingConfig.course_secrets)."""
    roots = [KIT_FOLDER, *(Path(k) for k in kits), PROJECT_ROOT]
    roots += [Path(p) for p in extra]
    roots += [Path(p) for p in SECRET_FILES]
    roots += [Path(p) for p in private_system_entries()]
    return roots


def secret_paths(needed: Sequence[Path], extra: Iterable[str | os.PathLike] = (),
                 kits: Iterable[str | os.PathLike] = ()) -> list[str]:
    """Existing absolute paths no sandbox may read; ``needed``: what it must (its Python's folders,
    the project's assignment/ and data/), which no secret covers, nor the jail's own files."""
    kits = list(kits)
    jail = [Path(k) / rel for k in [KIT_FOLDER, *kits] for rel in JAIL_FILES]
    need = frozenset(p for p in (_real(n) for n in [*needed, *jail]) if p is not None)
    keep = frozenset(a for n in need for a in (n, *n.parents))
    out: set[Path] = set()
    for root in secret_roots(extra, kits):
        real = _real(root)
        if real is None or not os.path.lexists(root):
            continue
        if real in keep and real not in need:
            out.update(_off_the_ways(real, keep, need) if real.is_dir() else [real])
        else:
            out.add(real)
    return sorted(str(p) for p in out if os.path.lexists(p))
