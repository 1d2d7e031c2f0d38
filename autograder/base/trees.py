"""Walking and removing folder trees a student made, however deep, without recursion or links.

A submission folder, an upload, a zip otter unpacked and a sandbox's working folder are trees the
student shaped. ``os.walk`` (before Python 3.12) and ``shutil.rmtree`` (before 3.13) recurse once per
level: a chain of a few thousand nested folders, made in a second with ``mkdir`` relative to an open
folder, raised RecursionError in the grader (red-team round 3): an upload that was never graded, a
``semester`` run that stopped for the whole class, a sandbox's working folder left on the disk for
good. These two functions keep their state in lists, never follow a link, and work by descriptor
where a path would pass PATH_MAX.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def walk(top: str | os.PathLike) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top, followlinks=False)`` top-down, without recursion: (folder, subfolders, other
    entries), a link to a folder listed among the subfolders but never entered, as ``os.walk`` does;
    the caller may prune the subfolders in place. A folder that cannot be listed (gone, closed, a
    path past PATH_MAX) is left out, as ``os.walk`` does."""
    stack = [os.fspath(top)]
    while stack:
        folder = stack.pop()
        dirs: list[str] = []
        files: list[str] = []
        links: set[str] = set()
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    try:
                        is_dir = entry.is_dir()
                        if is_dir and entry.is_symlink():
                            links.add(entry.name)
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
        except OSError:
            continue
        yield folder, dirs, files
        stack.extend(os.path.join(folder, d) for d in reversed(dirs) if d not in links)


def _clear(fd: int) -> list[str]:
    """Unlink every entry of the open folder ``fd`` that is not a folder; the names of its folders."""
    folders = []
    with os.scandir(fd) as it:
        for entry in it:
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.name)
                else:
                    os.unlink(entry.name, dir_fd=fd)
            except OSError:
                pass
    return folders


def remove_tree(path: str | os.PathLike) -> None:
    """Remove ``path`` and all under it, as far as it can be removed (errors ignored, like
    ``shutil.rmtree(path, ignore_errors=True)``). Never follows a link: a link is removed, not its
    target. Descends by descriptor and climbs back through "..", keeping only the names on the way
    down, so neither the depth nor the length of a path matters. The tree must not be changing (the
    sandbox that made it is dead): a folder moved meanwhile is only left in place."""
    path = os.fspath(path)
    try:
        fd = os.open(path, _DIR)
    except OSError:
        with contextlib.suppress(OSError):
            if not os.path.isdir(path) or os.path.islink(path):
                os.unlink(path)
        return
    way: list[str] = []  # the folders entered below ``path``, by name
    pending: list[list[str]] = []  # at each depth, the subfolders not entered yet
    try:
        with contextlib.suppress(OSError):
            pending.append(_clear(fd))
        while pending:
            if pending[-1]:
                name = pending[-1].pop()
                try:
                    child = os.open(name, _DIR, dir_fd=fd)
                except OSError:
                    continue  # gone, or not a folder any more: left as it is
                os.close(fd)
                fd = child
                way.append(name)
                try:
                    pending.append(_clear(fd))
                except OSError:
                    pending.append([])
                continue
            pending.pop()
            if not way:
                break
            parent = os.open("..", _DIR & ~os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = parent
            with contextlib.suppress(OSError):
                os.rmdir(way.pop(), dir_fd=fd)
    except OSError:
        pass
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(path)
