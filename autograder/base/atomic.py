"""One way to write a file whole: a temporary file beside it, then a rename over it.

A reader (a re-run, a merge, another machine sharing a cache folder) sees the old file or the new
one, never half of either, and an interrupted write leaves no partial file. Files are created with
mode 0666 less the umask, like any file the instructor's tools write.

:func:`replacing` is the one place that does it; :func:`write_atomic` (text) and :func:`place_atomic`
(a copy of another file) are its two common uses, and a writer that streams (a zip) uses it directly.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def _temporary_beside(path: Path) -> Path:
    # A random name: two writers of one path never share a temporary file.
    return path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"


@contextmanager
def _renamed_into_place(path: Path) -> Iterator[Path]:
    """A fresh temporary path beside ``path``; renamed over ``path`` when the block ends without an
    exception, removed (with whatever was written to it) when it raises."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_beside(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# O_EXCL: never write into a file someone else put at the temporary name.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _create(tmp: Path, *, text: bool = False) -> IO:
    fd = os.open(tmp, _NEW_FILE, 0o666)
    return os.fdopen(fd, "w", encoding="utf-8", newline="") if text else os.fdopen(fd, "wb")


@contextmanager
def replacing(path: Path, *, text: bool = False) -> Iterator[IO]:
    """A new file to write ``path``'s next contents into (binary, or UTF-8 text with ``text``); it
    replaces ``path`` only when the block ends without an exception."""
    with _renamed_into_place(Path(path)) as tmp, _create(tmp, text=text) as f:
        yield f


def write_atomic(path: Path, text: str) -> None:
    """``replacing(path, text=True)`` written ``text`` whole, with less around it (a batch writes some
    ten files per submission): the text is encoded first (UTF-8, strict, no newline translation: the
    bytes the text file wrote; text that cannot be encoded fails before any file is made), then
    written with one ``os.write`` per piece the kernel takes instead of through a text file object,
    and the folder is made only when the temporary file cannot be created for want of it."""
    data = text.encode("utf-8")
    path = Path(path)
    tmp = _temporary_beside(path)
    try:
        fd = os.open(tmp, _NEW_FILE, 0o666)
    except FileNotFoundError:  # the folder is not there yet
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, _NEW_FILE, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def place_atomic(src: Path, dst: Path) -> None:
    """Put the contents of ``src`` at ``dst`` by a rename: a hard link where the file system allows
    (no bytes copied; safe because every writer of the kit replaces files by rename, so the two names
    never change together), else a copy."""
    with _renamed_into_place(Path(dst)) as tmp:
        try:
            os.link(src, tmp)
        except OSError:
            with open(src, "rb") as s, _create(tmp) as f:
                shutil.copyfileobj(s, f, 1 << 20)
