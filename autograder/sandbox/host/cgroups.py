"""Per-sandbox control groups: a hard cap on processes (and memory), and a sure kill.

Resource limits (``setrlimit``) are per process, and ``RLIMIT_NPROC`` is not
enforced at all for processes whose real uid is root, which namespace-root
mapped to a root grader is. A control group bounds the sandbox as a whole: the
pids controller makes a fork or thread bomb hit ``pids.max`` (fork fails with
EAGAIN), the memory controller caps the memory of all its processes together,
and listing ``cgroup.procs`` finds every process of the sandbox, even one that
left the process group with ``setsid`` and double-forked, so nothing survives
the end of a submission.

Everything here is detected at run time and optional: when no hierarchy is
writable (not root, read-only ``/sys/fs/cgroup``, a supervisor's cgroup we
should not nest into), ``create`` returns ``None`` and the sandbox relies on
namespaces, rlimits and timeouts alone.

Supported layouts:

* cgroup v1 (``/sys/fs/cgroup/<controller>`` hierarchies): ``pids`` and, when
  available, ``memory``. Only used when this process sits in the root cgroup of
  that hierarchy; the sandbox cgroups are ``<hierarchy>/initgrade/<name>``.
  A process already placed in a cgroup by a supervisor (a container runtime,
  systemd) keeps that supervisor's limits and we do not write into its tree.
* cgroup v2 (``/sys/fs/cgroup/cgroup.controllers`` exists): ``initgrade/<name>``
  under this process's own cgroup, when the ``pids`` controller can be enabled
  there (the cgroup root, or a delegated subtree).

The child is moved in by the command wrapper returned by ``wrap_command``
before it execs anything else, so every process the sandbox ever starts is
born inside the cgroup (no race with an early fork).
"""

from __future__ import annotations

import errno
import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import environment

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP = "initgrade"
# The n-th sandbox of this grader process: part of each group's name, and the rhythm of the
# stale-group sweep (``create``).
sandbox_numbers = itertools.count()


@dataclass(frozen=True)
class Layout:
    """Where this process may make sandbox groups: what ``detect`` found, what ``create`` uses."""

    version: int                       # 1 or 2
    bases: tuple[tuple[str, Path], ...]  # (controller, folder that holds our GROUP folder)


def own_cgroups(table: str = "/proc/self/cgroup") -> dict[str, str]:
    """controller -> path of this process's cgroup ("" key: the v2 unified path).

    One of the two kernel tables detection rests on (with ``v1_mounts``); {} when unreadable.
    """
    out = {}
    try:
        with open(table) as f:
            for line in f:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) != 3:
                    continue
                _, controllers, path = parts
                if not controllers:
                    out[""] = path
                for c in controllers.split(","):
                    if c:
                        out[c] = path
    except OSError:
        pass
    return out


def v1_mounts(mountinfo: str = "/proc/self/mountinfo") -> dict[str, Path]:
    """controller -> mount point of its v1 hierarchy (``pids`` and ``memory`` only); {} when unreadable."""
    found: dict[str, Path] = {}
    try:
        with open(mountinfo) as f:
            for line in f:
                pre, _, post = line.partition(" - ")
                fields, post_fields = pre.split(), post.split()
                if len(post_fields) < 3 or post_fields[0] != "cgroup":
                    continue
                point = fields[4].encode().decode("unicode_escape")
                for opt in post_fields[2].split(","):
                    if opt in ("pids", "memory"):
                        found.setdefault(opt, Path(point))
    except OSError:
        pass
    return found


def _writable_dir(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


def _v2_enable(folder: Path, controllers: list[str]) -> list[str]:
    """Enable controllers for the children of ``folder``; returns the ones that are on."""
    try:
        available = set((folder / "cgroup.controllers").read_text().split())
        current = set((folder / "cgroup.subtree_control").read_text().split())
    except OSError:
        return []
    on = []
    for c in controllers:
        if c in current:
            on.append(c)
        elif c in available:
            try:
                (folder / "cgroup.subtree_control").write_text(f"+{c}")
                on.append(c)
            except OSError:
                pass
    return on


@functools.lru_cache(maxsize=1)
def detect() -> Layout | None:
    """Which cgroup layout this process may use for sandboxes (None: none)."""
    if environment.cgroups_disabled():
        return None
    own = own_cgroups()
    if (CGROUP_ROOT / "cgroup.controllers").is_file():
        base = CGROUP_ROOT / own.get("", "/").lstrip("/")
        group = base / GROUP
        try:
            # Fails (EBUSY) in a non-root cgroup that holds processes, e.g. our own
            # undelegated one: then there is nothing we may do here.
            if "pids" not in _v2_enable(base, ["pids", "memory"]):
                return None
            group.mkdir(exist_ok=True)
            if "pids" not in _v2_enable(group, ["pids", "memory"]):
                return None
        except OSError:
            return None
        return Layout(2, (("unified", base),))
    mounts = v1_mounts()
    bases = []
    for controller in ("pids", "memory"):
        mount = mounts.get(controller)
        if mount is None or own.get(controller, "/") != "/":
            continue  # not mounted, or we live in someone else's cgroup: leave their tree alone
        if _writable_dir(mount):
            bases.append((controller, mount))
    if not any(c == "pids" for c, _ in bases):
        return None
    return Layout(1, tuple(bases))


class SandboxCgroup:
    """One sandbox's cgroup(s): created before the child starts, removed after it is killed."""

    def __init__(self, layout: Layout, folders: list[tuple[str, Path]]):
        self.layout = layout
        self.folders = folders  # (controller, leaf folder)

    @property
    def procs_files(self) -> list[str]:
        return [str(f / "cgroup.procs") for _, f in self.folders]

    def describe(self) -> str:
        names = sorted({c for c, _ in self.folders if c != "unified"} or {"pids"})
        return f"cgroup v{self.layout.version} ({', '.join(names)})"

    def pids(self) -> set[int]:
        found: set[int] = set()
        for _, folder in self.folders:
            try:
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def kill_all(self, timeout: float = 5.0) -> bool:
        """SIGKILL every process in the cgroup until it is empty; True when empty."""
        deadline = time.monotonic() + timeout
        if self.layout.version == 2:
            for _, folder in self.folders:
                try:
                    (folder / "cgroup.kill").write_text("1")
                except OSError:
                    pass
        pause = 0.0005  # the usual case is a process exiting right now: look again soon
        while True:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if time.monotonic() > deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.01)

    def remove(self) -> bool:
        """Kill what is left and remove the folders; True when all are gone."""
        self.kill_all()
        ok = True
        for _, folder in self.folders:
            for attempt in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or attempt == 49:
                        ok = False
                        break
                    self.kill_all(timeout=0.1)
                    time.sleep(0.02)
        return ok


def _sweep_stale(group: Path) -> None:
    """Remove leftovers of graders that died without cleaning up (name starts with their pid)."""
    try:
        entries = list(group.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.is_dir():
            continue
        owner = entry.name.split("-", 1)[0]
        if not owner.isdigit() or Path(f"/proc/{owner}").exists():
            continue
        try:
            if not (entry / "cgroup.procs").read_text().strip():
                entry.rmdir()
        except OSError:
            pass


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def create(processes: int, memory_bytes: int | None) -> SandboxCgroup | None:
    """A fresh cgroup for one sandbox with ``pids.max = processes`` (and a memory cap), or None."""
    layout = detect()
    if layout is None:
        return None
    n = next(sandbox_numbers)
    name = f"{os.getpid()}-{n}-{os.urandom(3).hex()}"
    folders: list[tuple[str, Path]] = []
    try:
        for controller, base in layout.bases:
            group = base / GROUP
            group.mkdir(exist_ok=True)
            if n % 64 == 0:  # the first sandbox of each grader process, then now and then
                _sweep_stale(group)
            leaf = group / name
            leaf.mkdir()
            folders.append((controller, leaf))
            if controller in ("pids", "unified"):
                if not _write(leaf / "pids.max", str(processes)):
                    raise OSError("pids.max")
            if memory_bytes and controller == "memory":
                _write(leaf / "memory.limit_in_bytes", str(memory_bytes))
                _write(leaf / "memory.memsw.limit_in_bytes", str(memory_bytes))
            if memory_bytes and controller == "unified":
                _write(leaf / "memory.max", str(memory_bytes))
                _write(leaf / "memory.swap.max", "0")
    except OSError:
        SandboxCgroup(layout, folders).remove()
        return None
    return SandboxCgroup(layout, folders)


# The wrapper's exit status when it could not join a group: the command never ran.
WRAPPER_FAILED = 97
# The wrapper moves itself into the cgroup(s), then execs the real command: the pid
# stays the same, so every process the sandbox starts is created inside the cgroup.
_WRAPPER = ('n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit ' + str(WRAPPER_FAILED)
            + '; shift; n=$((n-1)); done; exec "$@"')


def wrap_command(cmd: list[str], cgroup: SandboxCgroup | None) -> list[str]:
    if cgroup is None:
        return cmd
    files = cgroup.procs_files
    return ["/bin/sh", "-c", _WRAPPER, "initgrade-cgroup", str(len(files)), *files, *cmd]
