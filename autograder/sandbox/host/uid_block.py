"""The uids a grader process runs its sandboxes as, at the uid level: none that the machine already uses.

Each grader process has a block of ``UIDS_PER_PROCESS`` uids, ``UID_BASE + 64 * (pid + k * PID_SPAN)``
(``PID_SPAN`` is Linux's largest pid_max, so the blocks of two live graders never overlap). A sandbox runs
as one of them (uid and gid), and when it ends every process of that uid is killed and what the uid owns
in the world-writable folders is removed. A uid that belongs to someone else would hand that someone's
files to student code and their processes and scratch files to the sweep: a directory user (sssd, LDAP,
FreeIPA give uids in the millions), a user's subordinate range for rootless containers (``/etc/subuid``),
or any process running as it. So a block is used only when none of its uids or gids has an account or
group (through NSS), falls in a subordinate range, or runs a process; otherwise the next ``k`` is tried,
and when no block is free the uid level is not used for that grader (red-team round 3).
"""

from __future__ import annotations

import functools
import grp
import os
import pwd
from pathlib import Path

UID_BASE = 2_000_000
UIDS_PER_PROCESS = 64
PID_SPAN = 1 << 22  # pid_max can be at most 2**22 on Linux
_UID_MAX = (1 << 32) - 2  # (uid_t)-1 means "no change"; 65534-style sentinels lie far below UID_BASE


class NoFreeUids(RuntimeError):
    """Every block this grader process could use holds a uid the machine already uses."""


def block_starts(pid: int) -> list[int]:
    """The first uid of each block a grader of ``pid`` may use, in the order tried."""
    out, k = [], 0
    while (start := UID_BASE + UIDS_PER_PROCESS * (pid + k * PID_SPAN)) + UIDS_PER_PROCESS <= _UID_MAX:
        out.append(start)
        k += 1
    return out


def _subordinate_ranges(paths: tuple[str, ...] = ("/etc/subuid", "/etc/subgid")) -> list[tuple[int, int]]:
    """(first, count) of every subordinate uid and gid range the machine gives its users."""
    ranges = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                ranges.append((int(parts[1]), int(parts[2])))
    return ranges


def _process_uids() -> set[int]:
    """The real, effective, saved and file-system uids of every process running now."""
    uids: set[int] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue  # gone meanwhile
        for line in status.splitlines():
            if line.startswith("Uid:"):
                uids.update(int(x) for x in line.split()[1:])
                break
    return uids


def _has_account(uid: int) -> bool:
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
            return True
        except KeyError:
            pass
    return False


def taken(start: int, ranges: list[tuple[int, int]], running: set[int]) -> str:
    """Why the block at ``start`` cannot be used ("" when it can)."""
    end = start + UIDS_PER_PROCESS
    for first, count in ranges:
        if first < end and start < first + count:
            return f"uids {start}-{end - 1} overlap the subordinate range {first}+{count} (/etc/subuid or /etc/subgid)"
    busy = sorted(u for u in running if start <= u < end)
    if busy:
        return f"uid {busy[0]} runs a process"
    for uid in range(start, end):
        if _has_account(uid):
            return f"uid or gid {uid} belongs to an account or group of this machine"
    return ""


@functools.cache
def _block(pid: int) -> int:
    ranges, running = _subordinate_ranges(), _process_uids()
    reasons = []
    for start in block_starts(pid):
        why = taken(start, ranges, running)
        if not why:
            return start
        reasons.append(why)
    raise NoFreeUids("no free block of sandbox uids for this grader process: " + "; ".join(reasons[:3]))


def grader_block() -> int:
    """The first uid of this grader process's block (looked for once per process: a batch's workers
    each have their own). Raises NoFreeUids when none is free."""
    return _block(os.getpid())


def owner_pid(uid: int) -> int | None:
    """The pid of the grader process whose block holds ``uid`` (None for a uid below UID_BASE)."""
    if uid < UID_BASE:
        return None
    return ((uid - UID_BASE) // UIDS_PER_PROCESS) % PID_SPAN
