"""Landlock's read allowlist for the fallback levels, built so that no grant holds a secret.

Landlock can only allow (a rule grants a folder and everything under it); it cannot deny a
file inside a granted folder. So a folder the sandbox needs that holds a secret (``/usr`` with a
checkout at ``/usr/src/app``, a venv with the kit installed from its wheel, ``/etc`` with
``/etc/shadow``) is never granted whole: its entries are, one by one, except the secret and the
folders on the way to it, which are split the same way. Links met on the way are not granted
(Landlock checks the file a link leads to against that file's own rules).

Computed once per grader (the sandbox only applies the list: jail.landlock), from the secrets of
host.secrets.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from autograder.config import PROJECT_ROOT
from autograder.sandbox.host.secrets import secret_paths

# The project's folders a submission may read (the assignment's package, the datasets).
NEEDED_IN_PROJECT = ("assignment", "data")


def sandbox_needs(python_dirs: Iterable[str]) -> list[str]:
    """What a sandbox must read: its Python's folders (``python_dirs``) and the project's
    assignment/ and data/. The one list the grants, the secrets and the hard-link check start from."""
    return [*python_dirs, *(str(PROJECT_ROOT / name) for name in NEEDED_IN_PROJECT)]

# What any Python process needs to read; the sandbox's Python and the project's assignment/ and
# data/ come on top.
SYSTEM_READ = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc", "/proc", "/sys",
               "/dev/urandom", "/dev/random", "/dev/zero")


def _around(path: str, secrets: list[str]) -> list[str]:
    """``path`` if it holds no secret; else its entries that hold none, recursively.

    Resolved absolute paths as strings: a prefix test per secret, where ``Path.parents`` built and
    compared a path object per level (60 ms of every batch's start once /etc's closed entries
    became secrets)."""
    if path in secrets:
        return []
    prefix = path if path.endswith("/") else path + "/"
    inner = [s for s in secrets if s.startswith(prefix)]
    if not inner:
        return [path]
    out: list[str] = []
    try:
        entries = list(os.scandir(path))
    except OSError:
        return []  # cannot be split here: not granted at all
    for entry in entries:
        if entry.is_symlink():
            continue
        out += _around(entry.path, inner)
    return out


def read_grants(needed: Sequence[str | os.PathLike], secrets: Iterable[str | os.PathLike]) -> list[str]:
    """The folders and files the sandbox may read: the system's and ``needed``, none holding a secret.

    A needed path inside a secret folder (the project's assignment/ inside the kit folder of a
    wheel) is granted as it is: it was named as needed, and holds no secret itself.
    """
    real_secrets = []
    for s in secrets:
        try:
            real_secrets.append(str(Path(s).resolve()))
        except (OSError, RuntimeError):
            continue
    out: set[str] = set()
    for grant in [*SYSTEM_READ, *needed]:
        if not os.path.lexists(grant):
            continue
        try:
            real = Path(grant).resolve()
        except (OSError, RuntimeError):
            continue
        if real.exists():
            out.update(_around(str(real), real_secrets))
    return sorted(out)


def sandbox_grants(python_dirs: tuple[str, ...], kit: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """What a fallback sandbox may read: the system, its Python (``python_dirs``) and the project's
    assignment/ and data/, split around every secret (the kit ``kit`` the sandbox's Python imports
    included, and ``extra``: the batch's outputs, cache and submissions, and the course's folder and
    grading.yaml). Cached per grader and course."""
    return _grants(python_dirs, kit, extra)


@functools.lru_cache(maxsize=8)
def _grants(python_dirs: tuple[str, ...], kit: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    needed = sandbox_needs(python_dirs)
    secrets = secret_paths([Path(p) for p in needed], extra, [kit] if kit else [])
    return tuple(read_grants(needed, secrets))
