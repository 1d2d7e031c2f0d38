"""Secrets hard-linked or bind-mounted into what the sandbox may read: found at a batch's start, refused.

Every level grants or hides by path (Landlock's rules, the namespaces' mounts), and a hard link is
the same file under another path: a link to ``solutions/init_functions.py`` placed in the venv or
under ``/usr`` would be readable with that folder. So before anything runs, the batch lists the
secrets' regular files that have more than one link (``st_nlink``; a git checkout or a wheel
installed by copying has none) whose names are not all inside the secrets and, only if there are
some, walks the folders the sandbox reads on the same devices, matching device and inode (about
3 s for a machine's /usr and /etc, paid only where a secret has a name elsewhere: a checkout made
with ``git clone --local``, a kit installed by hard links from a package cache). A match refuses
the batch with both paths and the fix (fail closed): nothing is graded until the link is gone.
A git repository's own folder (``.git``) is left out: git itself hard-links its objects between
clones (``git clone --local``), which makes a second repository, a copy of the course, never a
name inside a folder the sandbox reads; a copy is not what this check can find (see below). So is a
Python environment's (a folder holding ``pyvenv.cfg``: the test venvs and a second interpreter's
venv of a checkout): its files are installed copies of packages, never the course's own files,
and tools link them from their caches (uv does by default), so any link found there would only say
that a copy exists. Searching them was most of a one-notebook command's time in a checkout with
its test venvs (60,000 files, 270 ms); the course's own files around them are still searched.

A bind mount shows a secret's folder a second time under another path (``mount --bind``, a
container volume): /proc/self/mountinfo says which part of which file system each mount shows, so
a mount of a secret (or of a folder holding one) under a folder the sandbox reads is refused the
same way.

What stays: a link or mount made after this check (by root: the granted folders are not writable by
others) and, at the uid level without Landlock, any world-readable copy outside the secrets.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable

from autograder.base.trees import walk
from autograder.limits import LINKED_SECRETS_SHOWN, SECRET_PROOF_ENTRIES

# A repository's own folder, whose objects git hard-links between clones (see the docstring).
GIT_FOLDER = ".git"
# What marks a folder as a Python environment (PEP 405), whose files are installed copies (the docstring).
ENVIRONMENT_MARK = "pyvenv.cfg"


class LinkedSecrets(Exception):
    """The secrets could not be listed within the bound (the message says which)."""


def _files_with_links(secrets: Iterable[str]) -> dict[tuple[int, int], str]:
    """(device, inode) -> path of every regular file under the secrets with more than one link."""
    found: dict[tuple[int, int], str] = {}
    names: dict[tuple[int, int], int] = {}  # names of each such file met inside the secrets
    links: dict[tuple[int, int], int] = {}
    seen = 0
    for top in secrets:
        if os.path.basename(top) == GIT_FOLDER:
            continue
        for folder, dirs, files in walk(top) if os.path.isdir(top) else [("", [], [top])]:  # any depth
            if ENVIRONMENT_MARK in files:
                dirs[:] = []
                continue
            dirs[:] = [d for d in dirs if d != GIT_FOLDER]
            for name in files:
                path = os.path.join(folder, name) if folder else name
                seen += 1
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    found.setdefault(key, path)
                    names[key] = names.get(key, 0) + 1
                    links[key] = st.st_nlink
            if seen > SECRET_PROOF_ENTRIES * 10:
                raise LinkedSecrets(f"more than {SECRET_PROOF_ENTRIES * 10} files under the secrets "
                                    f"({', '.join(list(secrets)[:3])}): their hard links were not checked")
    # A file whose every name is inside the secrets (a backup made with ln) has no name elsewhere.
    return {key: path for key, path in found.items() if names[key] < links[key]}


def linked_secrets(secrets: Iterable[str], readable: Iterable[str]) -> list[tuple[str, str]]:
    """(secret, other name) for each secret file with another hard link under ``readable`` (the
    folders and files the sandbox reads), outside the secrets themselves."""
    secrets = list(secrets)
    linked = _files_with_links(secrets)
    if not linked:
        return []
    devices = {dev for dev, _ in linked}
    inside = tuple(os.path.join(s, "") for s in secrets)
    found = []
    for root in readable:
        try:
            if os.lstat(root).st_dev not in devices:
                continue  # a hard link never crosses file systems: /proc, /sys, other mounts skipped
        except OSError:
            continue
        tree = walk(root) if os.path.isdir(root) else [("", [], [root])]  # any depth (base/trees.py)
        for folder, dirs, files in tree:
            kept = []
            for d in dirs:
                try:
                    if os.lstat(os.path.join(folder, d)).st_dev in devices:
                        kept.append(d)
                except OSError:
                    pass
            dirs[:] = kept
            for name in files:
                path = os.path.join(folder, name) if folder else name
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in linked and path != linked[key] and not path.startswith(inside) \
                        and path not in secrets:
                    found.append((linked[key], path))
    return sorted(set(found))


def _unescape(field: str) -> str:
    """A path of /proc/self/mountinfo, whose spaces, tabs, newlines and backslashes are octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _mounts() -> list[tuple[int, str, str]]:
    """(device, root inside its file system, mount point) of every mount this process sees."""
    out = []
    try:
        with open("/proc/self/mountinfo") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    for line in lines:
        fields = line.split(" ")
        try:
            major, minor = (int(x) for x in fields[2].split(":"))
        except (IndexError, ValueError):
            continue
        out.append((os.makedev(major, minor), _unescape(fields[3]), _unescape(fields[4])))
    return out


def _join(folder: str, rest: str) -> str:
    """``folder`` + ``rest`` (a path's tail that may start with a slash), with one slash between."""
    rest = rest.strip("/")
    return folder if not rest else folder.rstrip("/") + "/" + rest


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def bind_mounted_secrets(secrets: Iterable[str], readable: Iterable[str]) -> list[tuple[str, str]]:
    """(secret, other path) for each secret that a bind mount also shows under ``readable``: the same
    file system's part mounted a second time (``mount --bind solutions /usr/share/x``, a container's
    volume of the course under /opt), which grants and hiding by path do not see either."""
    mounts = _mounts()
    readable = [os.path.realpath(r) for r in readable]
    found = []
    for secret in secrets:
        try:
            real = os.path.realpath(secret)
            dev = os.lstat(real).st_dev
        except OSError:
            continue
        own = [m for m in mounts if m[0] == dev and _inside(real, m[2])]
        if not own:
            continue
        _, root, point = max(own, key=lambda m: len(m[2]))  # the mount the secret is seen through
        rel = _join(root, real[len(point):])
        for m_dev, m_root, m_point in mounts:
            if m_dev != dev or m_point == point:
                continue
            if _inside(rel, m_root):
                other = _join(m_point, rel[len(m_root):])
            elif _inside(m_root, rel):
                other = m_point
            else:
                continue
            if any(_inside(other, r) or _inside(r, other) for r in readable):
                found.append((secret, other))
    return sorted(set(found))


def refusal(found: list[tuple[str, str]]) -> str:
    """The batch's refusal for ``found`` (linked_secrets), with the fix."""
    shown = "; ".join(f"{secret} is also {other}" for secret, other in found[:LINKED_SECRETS_SHOWN])
    more = f" (and {len(found) - LINKED_SECRETS_SHOWN} more)" if len(found) > LINKED_SECRETS_SHOWN else ""
    return (f"a secret is reachable under another name inside a folder the sandbox reads (a hard link or a "
            f"bind mount), where student code could read it: {shown}{more}. Remove those other names (rm a hard "
            "link, `find / -xdev -samefile SECRET` lists every name of a file; umount a bind mount), or give the "
            "secret a copy of its own (cp -p SECRET SECRET.new && mv SECRET.new SECRET). No submission was run.")
