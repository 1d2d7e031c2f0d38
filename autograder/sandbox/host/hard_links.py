"""Secrets hard-linked into what the sandbox may read: found at the start of a batch, refused.

Every level grants or hides by path (Landlock's rules, the namespaces' mounts), and a hard link is
the same file under another path: a link to ``solutions/init_functions.py`` placed in the venv or
under ``/usr`` would be readable with that folder. So before anything runs, the batch lists the
secrets' regular files that have more than one link (``st_nlink``; a git checkout or a wheel
installed by copying has none) whose names are not all inside the secrets and, only if there are
some, walks the folders the sandbox reads on the same devices, matching device and inode (about
3 s for a machine's /usr and /etc, paid only where a secret has a name elsewhere: a checkout made
with ``git clone --local``, a kit installed by hard links from a package cache). A match refuses
the batch with both paths and the fix (fail closed): nothing is graded until the link is gone.

What stays: a link made after this check (by root: the granted folders are not writable by
others) and, at the uid level without Landlock, any world-readable copy outside the secrets.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from autograder.limits import SECRET_PROOF_ENTRIES


class LinkedSecrets(Exception):
    """The secrets could not be listed within the bound (the message says which)."""


def _files_with_links(secrets: Iterable[str]) -> dict[tuple[int, int], str]:
    """(device, inode) -> path of every regular file under the secrets with more than one link."""
    found: dict[tuple[int, int], str] = {}
    names: dict[tuple[int, int], int] = {}  # names of each such file met inside the secrets
    links: dict[tuple[int, int], int] = {}
    seen = 0
    for top in secrets:
        for folder, _dirs, files in os.walk(top, followlinks=False) if os.path.isdir(top) else [("", [], [top])]:
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
        walk = os.walk(root, followlinks=False) if os.path.isdir(root) else [("", [], [root])]
        for folder, dirs, files in walk:
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


def refusal(found: list[tuple[str, str]]) -> str:
    """The batch's refusal for ``found`` (linked_secrets), with the fix."""
    shown = "; ".join(f"{secret} is also {other}" for secret, other in found[:20])
    more = f" (and {len(found) - 20} more)" if len(found) > 20 else ""
    return (f"a secret is hard-linked inside a folder the sandbox reads, where student code could read it: "
            f"{shown}{more}. Remove those other names (rm them; `find / -xdev -samefile SECRET` lists every "
            "name of a file), or give the secret a copy of its own (cp -p SECRET SECRET.new && mv SECRET.new "
            "SECRET). No submission was run.")
