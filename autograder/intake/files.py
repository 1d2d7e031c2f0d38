"""Read a submission from disk: the bytes of regular files inside the folder named, nothing else.

A submissions folder comes from a git checkout, an unpacked archive or a learning platform's
export, and a student can put more than files in it: a symbolic link to the solutions (graded
as the student's own work if followed), a link to ``/dev/zero`` or a FIFO (a read that never
ends, in the grader's process, before any sandbox or time limit applies), a folder of a million
entries. So every read here opens with ``O_NOFOLLOW | O_NONBLOCK``, checks the opened file is
regular, and reads at most the size cap; folders are walked without following links, with a cap
on entries. Anything else is a per-submission error (``NotRegularFile``) that names what was
found, so the rest of the batch goes on.

Errors derive from ``OSError``: the engine reports an unreadable submission as such.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class NotRegularFile(OSError):
    """Part of a submission is a link or a special file: it is not read, and the submission is refused."""


class SubmissionTooLarge(OSError):
    """A submission is over the size cap of grading.yaml (limits.submission_mb)."""


def _what(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refuse_link(path: Path, shown: str) -> None:
    if path.is_symlink():
        raise NotRegularFile(f"{shown} is a symbolic link; submissions must be regular files and folders "
                             f"(links are never followed)")


def read_regular(path: Path, max_bytes: int, shown: str | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``; never follows a link."""
    shown = shown or path.name
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        _refuse_link(path, shown)  # O_NOFOLLOW's ELOOP, said plainly
        try:
            mode = path.lstat().st_mode
        except OSError:
            mode = stat.S_IFREG
        if not stat.S_ISREG(mode):  # a socket cannot even be opened (ENXIO)
            raise NotRegularFile(f"{shown} is {_what(mode)}, not a regular file; it was not read") from None
        raise NotRegularFile(f"{shown} could not be opened ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"{shown} is {_what(info.st_mode)}, not a regular file; it was not read")
        if info.st_size > max_bytes:
            raise SubmissionTooLarge(f"{shown} is {info.st_size >> 20} MiB; submissions are limited to "
                                     f"{max_bytes >> 20} MiB")
        chunks, left = [], max_bytes + 1
        while left > 0 and (block := os.read(fd, min(left, 1 << 20))):
            chunks.append(block)
            left -= len(block)
        data = b"".join(chunks)
        if len(data) > max_bytes:  # grew after fstat
            raise SubmissionTooLarge(f"{shown} is larger than {max_bytes >> 20} MiB; submissions are limited to "
                                     f"{max_bytes >> 20} MiB")
        return data
    finally:
        os.close(fd)


def walk_regular(root: Path, max_entries: int) -> list[tuple[str, Path]]:
    """Every regular file under the folder ``root`` as (relative posix path, path), sorted.

    A package folder holds a handful of files: more than ``max_entries`` entries (grading.yaml's
    folder_entries) is not a submission, and walking it would be the grader's unbounded work.

    Hidden entries (a name starting with ``.``, such as ``.git`` or ``.ipynb_checkpoints``) are
    skipped unread; any other link or special file refuses the whole submission.
    """
    _refuse_link(root, root.name)
    found: list[tuple[str, Path]] = []
    seen = 0
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                seen += 1
                if seen > max_entries:
                    raise NotRegularFile(f"{root.name} holds more than {max_entries} files and folders; "
                                         f"it is not read as a submission")
                if entry.name.startswith("."):
                    continue
                rel = prefix + entry.name
                if entry.is_symlink():
                    raise NotRegularFile(f"{root.name}/{rel} is a symbolic link; submissions must be regular "
                                         f"files and folders (links are never followed)")
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    found.append((rel, Path(entry.path)))
                else:
                    mode = entry.stat(follow_symlinks=False).st_mode
                    raise NotRegularFile(f"{root.name}/{rel} is {_what(mode)}, not a regular file; it was not read")
    return sorted(found)


def bytes_digest(path: Path, block_cap: int, max_entries: int) -> str:
    """A hash of what the submission is on disk, for the batch's result cache, without following
    or blocking on anything: links and special files are hashed by what they are, not read.

    ``block_cap`` bounds what is read of one file (the size cap + 1: a larger file is refused by
    intake anyway, and its size and mtime already change the key); ``max_entries`` bounds a
    folder's walk as intake does.
    """
    h = hashlib.sha256()
    try:
        info = path.lstat()
    except OSError as exc:
        h.update(f"missing\0{exc.errno}".encode())
        return h.hexdigest()
    if stat.S_ISLNK(info.st_mode):
        h.update(b"link\0" + os.fsencode(os.readlink(path)))
    elif stat.S_ISDIR(info.st_mode):
        try:
            files = walk_regular(path, max_entries)
        except OSError as exc:
            h.update(f"refused\0{exc}\0{info.st_mtime_ns}".encode())
            return h.hexdigest()
        for rel, f in files:
            h.update(rel.encode() + b"\0")
            _feed(h, f, block_cap)
    elif stat.S_ISREG(info.st_mode):
        _feed(h, path, block_cap)
    else:
        h.update(f"special\0{info.st_mode}".encode())
    return h.hexdigest()


def _feed(h, path: Path, block_cap: int) -> None:
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        h.update(f"unreadable\0{exc.errno}".encode())
        return
    try:
        info = os.fstat(fd)
        h.update(f"{info.st_size}\0".encode())
        if not stat.S_ISREG(info.st_mode):
            return
        left = block_cap
        while left > 0 and (block := os.read(fd, min(left, 1 << 20))):
            h.update(block)
            left -= len(block)
    finally:
        os.close(fd)
