"""The hide list kept from one submission to the next while nothing it was computed from changed.

``hiding.hide_paths`` lists the folders on the ways to what the sandbox needs and hides every other
entry. It is computed for every submission so that an entry made while a batch runs (another
checkout, a copy of the solutions) is hidden from the next submission on. Listing and resolving
those folders was most of the grader's CPU in a sandbox's start (about 4 ms). This keeps that
guarantee by watching what the list was computed from, and computes it again on any change:

* every folder the computation listed is watched with inotify from *before* it was listed, for
  entries made, removed or renamed in it, its own attributes, removal or move; any event (or a full
  event queue) means the list is computed again;
* the mount table (``/proc/self/mountinfo``, which the kernel marks when a mount or unmount happens
  in this mount namespace): a mount over a listed folder changes what it holds without an inotify
  event;
* every path the computation names rather than finds by listing (the batch's and the course's
  folders, the kit, the project, the secret system files, the needed folders, the private
  folders, the jail's own files) is looked up again each time (its real path, whether it exists, whether it is a folder)
  and compared.

Where that cannot be watched exactly the list is computed every time, as before: a link met among
the listed entries or on the way to a listed folder (its target's folders are not watched), a listed
folder on a file system whose changes may come from elsewhere without an event (only ext2/3/4, xfs,
btrfs, tmpfs, overlayfs and f2fs are trusted), no inotify, no readable mount table.
"""

from __future__ import annotations

import ctypes
import os
import select
from collections.abc import Sequence
from pathlib import Path

from autograder.config import PROJECT_ROOT
from autograder.sandbox.host import hiding, secrets

IN_ATTRIB, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x4, 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_ONLYDIR = 0x400, 0x800, 0x1000000
WATCHED = IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
# File systems whose folders report every change made to them through inotify (no remote writers).
LOCAL_TYPES = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "overlay", "f2fs"})


def _libc():
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None


def _named(extra: Sequence[str | os.PathLike], course: Sequence[str | os.PathLike]) -> list[str]:
    """The paths hide_paths names rather than finds by listing: each is looked up again per use."""
    root = hiding.ROOT
    named = [str(p) for p in (*extra, *course)]
    named += [str(secrets.KIT_FOLDER), str(PROJECT_ROOT), str(PROJECT_ROOT / "solutions")]
    named += [str(Path(hiding.__file__).resolve().parents[2])]
    named += [str(root / p.lstrip("/")) for p in (*secrets.SECRET_FILES, *hiding.PRIVATE_FOLDERS)]
    named += [str(p) for p in (*secrets.SECRET_FILES, *secrets.private_system_entries())]
    named += [str(p) for p in hiding.needed_paths()]
    named += [str(secrets.KIT_FOLDER / rel) for rel in secrets.JAIL_FILES]  # needed by the jail: never hidden
    return named


def _look(paths: list[str]) -> tuple:
    return tuple((os.path.realpath(p), os.path.lexists(p), os.path.isdir(p)) for p in paths)


class _Watch:
    """What one computation of the list rested on, and whether any of it changed since."""

    def __init__(self, libc, fd: int, mounts, devices: dict[str, str], named: list[str]):
        self.libc, self.fd, self.mounts, self.devices = libc, fd, mounts, devices
        self.named, self.looked = named, _look(named)
        self.exact = True  # False once something met cannot be watched exactly
        self.folders = 0
        # An inotify queue is shared with a fork: only the process that made it reads it.
        self.owner = os.getpid()

    @classmethod
    def open(cls, named: list[str]) -> _Watch | None:
        libc = _libc()
        if libc is None:
            return None
        try:
            mounts = open("/proc/self/mountinfo", "rb")  # noqa: SIM115 - kept open: it is the watch
        except OSError:
            return None
        try:
            table = mounts.read().decode(errors="replace")
        except OSError:
            mounts.close()
            return None
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            mounts.close()
            return None
        devices: dict[str, str] = {}
        for line in table.splitlines():
            pre, _, post = line.partition(" - ")
            fields, kind = pre.split(), post.split()[:1]
            if len(fields) > 2 and kind:
                devices.setdefault(fields[2], kind[0])
        return cls(libc, fd, mounts, devices, named)

    # -- called by secrets.listed_with_real_paths and hiding.hide_paths during the computation
    def folder(self, path: Path) -> None:
        """``path`` is about to be listed: watched from now on, if it can be exactly."""
        self.folders += 1
        text = str(path)
        try:
            st = os.stat(text)
        except OSError:
            return  # not listable either: hide_paths decides without its entries
        if os.path.realpath(text) != text:
            self.exact = False  # a link on the way: its target's folders are not watched
            return
        if self.devices.get(f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}") not in LOCAL_TYPES:
            self.exact = False
            return
        if self.libc.inotify_add_watch(self.fd, os.fsencode(text), WATCHED) < 0:
            self.exact = False

    def link(self, path: Path) -> None:
        self.exact = False

    # -- checked before each later use
    def unchanged(self) -> bool:
        if self.owner != os.getpid():
            return False
        try:
            if os.read(self.fd, 4096):
                return False  # an event: something listed changed
        except BlockingIOError:
            pass
        except OSError:
            return False
        poller = select.poll()
        poller.register(self.mounts.fileno(), select.POLLPRI | select.POLLERR)
        if poller.poll(0):
            return False  # a mount or unmount in this mount namespace
        return _look(self.named) == self.looked

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.mounts.close()


class WatchedHideList:
    """``hide_paths(extra, course)``, computed again only when what it was computed from changed.

    ``walks`` counts the computations, ``reused`` the uses of a kept list (tests count both).
    ``watch=False``: computed every time, never watched, for a grader that starts one sandbox (the
    one-notebook command), which a watch could not save anything and costs its set-up."""

    def __init__(self, watch: bool = True):
        self._kept: tuple[tuple, list[str], _Watch] | None = None
        self.walks = 0
        self.reused = 0
        self.watch = watch

    def get(self, extra: Sequence[str | os.PathLike] = (), course: Sequence[str | os.PathLike] = ()) -> list[str]:
        key = (tuple(str(p) for p in extra), tuple(str(p) for p in course), str(hiding.ROOT))
        kept = self._kept
        if kept is not None and kept[0] == key and kept[2].unchanged():
            self.reused += 1
            return list(kept[1])
        self.close()
        if not self.watch:
            self.walks += 1
            return hiding.hide_paths(extra, course)
        watch = _Watch.open(_named(extra, course))
        secrets.observer = watch
        try:
            result = hiding.hide_paths(extra, course)
        finally:
            secrets.observer = None
        self.walks += 1
        if watch is not None:
            if watch.exact and watch.folders:
                self._kept = (key, list(result), watch)
            else:
                watch.close()
        return result

    def close(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            kept[2].close()
