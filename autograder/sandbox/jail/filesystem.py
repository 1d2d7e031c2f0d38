"""Inside the sandbox, before any student code: the grader's folders hidden, the file system
read-only, a minimal ``/dev``, the kernel's ``/proc`` knobs covered, a private ``/tmp``.

Why so much: namespace-root is mapped to the grader's uid. When the grader runs as root, a
process without capabilities is still *owner* of every root-owned file, so without the
read-only mounts it could write ``/proc/sys/kernel/*``, ``/sys/power/state`` or a disk
device. See docs/threat-model.md.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from autograder.sandbox.jail import libc
from autograder.sandbox.jail.libc import MOUNT_ATTR_RDONLY, CannotIsolate, mount, require_mount
from autograder.sandbox.jail.privileges import no_nested_user_namespaces

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
O_PATH = getattr(os, "O_PATH", 0o10000000)
EMPTY_FILE = "/dev/.initgrade-empty"  # what hidden files show: empty, on a read-only tmpfs
EMPTY_DIR = "/dev/.initgrade-empty-dir"  # what hidden folders show: empty, mode 000, on the same tmpfs
_STATVFS_TO_MS = [(os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                  (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
                  (os.ST_RELATIME, MS_RELATIME)]
SCRATCH = ("/tmp", "/var/tmp", "/run", "/dev/shm")
DEVICES = ("null", "zero", "full", "random", "urandom")
# /proc entries that stay visible but read-only (kernel knobs), and ones replaced by nothing.
PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")
PROC_MASKED = ("kcore", "keys", "key-users", "timer_list", "sched_debug", "latency_stats", "kallsyms",
               "acpi", "scsi", "asound", "kmsg", "kpagecount", "kpageflags", "kpagecgroup")


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            points.append(point)
    return points


def _kept_flags(point: str) -> int:
    """The per-mount flags a user namespace may not clear (remounting must repeat them)."""
    try:
        existing = os.statvfs(point).f_flag
    except OSError:
        return -1
    keep = 0
    for st, ms in _STATVFS_TO_MS:
        if existing & st:
            keep |= ms
    return keep


def _read_only(point: str, recursive_bind: bool = False) -> int:
    keep = _kept_flags(point)
    if keep < 0:
        return errno.ENOENT
    if recursive_bind:
        err = mount(point, point, None, MS_BIND | MS_REC)
        if err:
            return err
        keep = _kept_flags(point)
    return mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | keep)


def _touch(path: str) -> None:
    """An empty file, as ``open(path, "w")`` makes it (the same flags and mode), without the file
    object: in a fresh sandbox its buffers and text layer cost copy-on-write faults, six times."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666))


def _private_dev(notes: list[str]) -> None:
    """Replace /dev by a tmpfs holding only null, zero, full, random, urandom and links.

    Device nodes ignore read-only mounts; a process that owns them (uid 0 mapped to
    the grader's root) could otherwise open the disks, /dev/kmsg or /dev/mem.
    """
    keep = {}
    for name in DEVICES:
        try:
            keep[name] = os.open(f"/dev/{name}", O_PATH)
        except OSError:
            pass
    err = mount("none", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    if err:
        for fd in keep.values():
            os.close(fd)
        require_mount(err, "replacing /dev")
    for name, fd in keep.items():
        target = f"/dev/{name}"
        try:
            _touch(target)
            err = mount(f"/proc/self/fd/{fd}", target, None, MS_BIND)
            if err:
                notes.append(f"/dev/{name} unavailable: {os.strerror(err)}")
        except OSError as exc:
            notes.append(f"/dev/{name} unavailable: {exc}")
        os.close(fd)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        try:
            os.symlink(target, f"/dev/{name}")
        except OSError:
            pass
    os.mkdir("/dev/shm")
    _touch(EMPTY_FILE)
    os.chmod(EMPTY_FILE, 0o444)
    os.mkdir(EMPTY_DIR, 0o000)  # a umask only takes bits away: mode 000
    require_mount(mount(None, "/dev", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "size=64k,mode=755"),
                  "making /dev read-only")


def _cover_proc() -> None:
    """Kernel knobs under /proc read-only, leaky entries masked (as container runtimes do)."""
    for name in PROC_READ_ONLY:
        path = f"/proc/{name}"
        if os.path.exists(path):
            require_mount(_read_only(path, recursive_bind=True), f"making {path} read-only")
    for name in PROC_MASKED:
        path = f"/proc/{name}"
        if os.path.isdir(path) and not os.path.islink(path):
            err = mount("none", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=000")
        elif os.path.exists(path):
            err = mount(EMPTY_FILE if os.path.isfile(EMPTY_FILE) else "/dev/null", path, None, MS_BIND)
        else:
            continue
        require_mount(err, f"masking {path}")


def _private_scratch(tmp_mb: int, keep: list[str]) -> None:
    """A fresh, size-capped tmpfs on each scratch folder (/tmp, /var/tmp, /run, /dev/shm).

    Nothing of the host's folder stays reachable: not its files, folders, Unix sockets, FIFOs or
    device nodes, nor an entry created there after the batch started. The needed folders that lie
    under one (``keep``: a CI clone under /tmp, a virtual environment there) are bound back,
    read-only, from descriptors opened before the tmpfs covers them; any failure refuses.
    """
    for folder in SCRATCH:
        if not os.path.isdir(folder):
            continue  # hidden itself (/var covered whole), or absent on this machine
        real = os.path.realpath(folder)
        inside = [p for p in keep if p == real or p.startswith(real.rstrip("/") + "/")]
        if real in inside:
            raise CannotIsolate(f"{folder} is itself a folder the sandbox needs; it cannot be made private")
        held = []
        try:
            for path in inside:
                held.append((path, os.open(path, O_PATH | os.O_CLOEXEC | os.O_DIRECTORY | os.O_NOFOLLOW)))
        except OSError as exc:
            for _, fd in held:
                os.close(fd)
            raise CannotIsolate(f"a needed folder under {folder} cannot be opened: {exc}") from None
        try:
            require_mount(mount("none", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777"),
                          f"a private {folder}")
            for path, fd in held:
                os.makedirs(path, mode=0o755, exist_ok=True)
                require_mount(mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC), f"keeping {path}")
                require_mount(_read_only(path), f"making {path} read-only")
        finally:
            for _, fd in held:
                os.close(fd)


def isolate_filesystem(hide: list[str], tmp_mb: int, keep: list[str]) -> list[str]:
    """Hide the grader's folders, make everything read-only, give a private /tmp and /dev.

    ``keep``: the needed folders under a scratch folder (autograder.sandbox.host.hiding's
    ``keep_in_private``), bound back into its private tmpfs.

    Every mount that hides something or makes it read-only must succeed: a failure raises
    CannotIsolate (no student code runs). Returns notes on the rest (a device of /dev that
    could not be made available), reported to the parent.
    """
    notes: list[str] = []
    require_mount(mount(None, "/", None, MS_REC | MS_PRIVATE), "making the mounts private")
    _private_dev(notes)
    _hide(hide)
    no_nested_user_namespaces()
    _cover_proc()
    _read_only_everywhere()
    _private_scratch(tmp_mb, keep)
    return notes


def _hide(hide: list[str]) -> None:
    """Cover each hidden path: a folder by the one empty folder of the private /dev, a file (a
    Unix socket, a FIFO, a device node) by its one empty file, each bound over it.

    Until issue 23's second round each folder got a tmpfs of its own (size 4k, mode 000,
    read-only): a superblock made, and destroyed at the sandbox's end, per hidden folder (about 60
    on the development machine). The bind shows the same: an empty folder of mode 000 on a tmpfs
    that is read-only as a file system (``/dev``, remounted so before this), its mount read-only,
    nosuid and noexec as ``/dev``'s is (a bind takes its source mount's flags); nothing can be
    created in it nor its mode changed (EROFS), whoever owns it. One ``lstat`` per path where
    there were three (``islink``, ``lexists``, ``isdir``), the same decisions.
    """
    empty_file = EMPTY_FILE if os.path.isfile(EMPTY_FILE) else "/dev/null"
    empty_dir = EMPTY_DIR if os.path.isdir(EMPTY_DIR) else None
    for path in hide:
        try:
            mode = os.lstat(path).st_mode
        except (OSError, ValueError):
            continue  # not there
        if stat.S_ISLNK(mode):
            continue  # a link leads to a covered entry or an allowed one; it is not one itself
        if stat.S_ISDIR(mode):
            if empty_dir is not None:
                err = mount(empty_dir, path, None, MS_BIND)
            else:
                err = mount("none", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=000")
        else:  # a file, and also a Unix socket, a FIFO or a device node: an empty read-only file
            err = mount(empty_file, path, None, MS_BIND)
        require_mount(err, f"hiding {path}")


def _read_only_everywhere() -> None:
    """Every mount read-only but the new ``/proc`` itself (its knobs were covered read-only before,
    ``_cover_proc``), and the scratch tmpfs mounted after this.

    One ``mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY)`` on ``/`` where the kernel has it (Linux
    5.12+): the kernel sets the flag on every mount of the tree or on none, and keeps each mount's
    other flags (which a remount must repeat). Then ``/proc``'s own mount is made writable again,
    as the remounts below always left it. What that covers is a superset of what the remounts
    cover: they skip ``/dev``'s device binds (device nodes ignore the flag: the same) and mounts
    under a hidden folder (out of reach: the same). The outcome is checked before any student code
    runs (``writable_mounts``): any mount but ``/proc`` left writable refuses the sandbox. Where the
    call is missing or refused (an older kernel, a container's seccomp profile), the remounts, one
    per mount point, each checked, as before: about 120 mount calls and 120 ``statvfs``.
    """
    if libc.mount_setattr("/", MOUNT_ATTR_RDONLY, 0, recursive=True) == 0:
        libc.mount_setattr("/proc", 0, MOUNT_ATTR_RDONLY, recursive=False)  # as before; if not, more locked
        left = writable_mounts()
        if left:
            raise CannotIsolate(f"making the file system read-only left {len(left)} mount(s) writable: "
                                f"{', '.join(left[:3])}")
        return
    for point in sorted(set(_mount_points()), key=len):
        if point == "/proc" or point.startswith("/proc/") or point == "/dev" or point.startswith("/dev/"):
            continue
        err = _read_only(point)
        if err != errno.ENOENT:  # a mount point under a hidden folder cannot be reached any more
            require_mount(err, f"making {point} read-only")


# A line of /proc/self/mountinfo: id, parent id, device, root, mount point (spaces escaped, so none
# inside a field), then the mount's own options, which always begin with "ro" or "rw".
_MOUNT_LINE = re.compile(rb"^\d+ \d+ \S+ \S+ (\S+) r([ow])[ ,]", re.MULTILINE)


def writable_mounts(allowed: tuple[str, ...] = ("/proc",)) -> list[str]:
    """The mount points whose own mount is not read-only, but ``allowed``; a line of
    ``/proc/self/mountinfo`` this cannot read counts as one (fail closed).

    Read as bytes and scanned by one compiled pattern: a text file read line by line, decoded and
    split, cost about 1 ms in a fresh sandbox, most of it copy-on-write faults."""
    fd = os.open("/proc/self/mountinfo", os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    found = _MOUNT_LINE.findall(data)
    # Compared as bytes: decoding imports the unicode_escape codec (about 0.8 ms in a sandbox),
    # needed only to name what is left, when the sandbox is refused anyway.
    skip = {a.encode() for a in allowed}
    left = [point.decode("unicode_escape") for point, mode in found if mode != b"o" and point not in skip]
    if len(found) != data.count(b"\n"):
        left.append("(a line of /proc/self/mountinfo not understood)")
    return left


def verify_isolation(extra: list[str]) -> list[str]:
    """After dropping capabilities: can this process still write where it must not?"""
    notes = []
    probe = "/usr/.initgrade-ro-probe"
    try:
        with open(probe, "w"):
            pass
        os.unlink(probe)
        notes.append("UNSAFE: the file system is writable outside the sandbox folder")
    except OSError:
        pass
    for path in ["/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger", "/sys/power/state",
                 "/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/cgroup.procs", *extra]:
        if not os.path.exists(path):
            continue
        try:
            os.close(os.open(path, os.O_WRONLY))
            notes.append(f"UNSAFE: {path} is writable")
        except OSError:
            pass
    return notes
