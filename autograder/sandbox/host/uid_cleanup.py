"""The uid fallback's cleanup: what a sandbox's own uid left behind (files in world-writable
folders, System V IPC objects, processes) is found by that uid and removed."""

from __future__ import annotations

import os
import subprocess

from autograder.base.trees import remove_tree
from autograder.limits import KILL_UID_SECONDS, SCRATCH_SCAN_DEPTH
from autograder.sandbox.host.isolation import Isolation, sandbox_argv

# Folders other users may write to: where a sandbox's uid could leave files (found once a batch).
_SCRATCH_ROOTS = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue", "/run", "/var", "/home", "/opt", "/srv", "/mnt",
                  "/media", "/etc")


_found: tuple[str, ...] | None = None


def world_writable_dirs() -> tuple[str, ...]:
    """Every folder under the usual writable roots that any uid may create entries in, as found by
    the last ``refresh_world_writable_dirs`` (the first call finds them)."""
    return _found if _found is not None else refresh_world_writable_dirs()


def refresh_world_writable_dirs() -> tuple[str, ...]:
    """Find the world-writable folders again: once per batch (``Grader`` at the uid level), so a folder
    made world-writable after an earlier batch is swept too. (A walk takes about 0.1 s: not per submission.)

    Found by walking, not listed by name: an image may have more than /tmp, /var/tmp,
    /dev/shm and /run/lock. System code folders (/usr, /lib, ...) are not walked.
    """
    global _found
    found = []
    for root in _SCRATCH_ROOTS:
        base_depth = root.count("/")
        for folder, dirs, _ in os.walk(root, followlinks=False):
            try:
                st = os.lstat(folder)
            except OSError:
                continue
            if st.st_mode & 0o002:
                found.append(folder)
            if not st.st_mode & 0o001 or folder.count("/") - base_depth >= SCRATCH_SCAN_DEPTH:
                dirs[:] = []  # other uids cannot even pass through it
    _found = tuple(sorted(set(found)))
    return _found


def sweep_uid_files(uid: int) -> None:
    """Uid fallback: remove what the sandbox's uid left in folders anyone may write to.

    Landlock already refuses such writes where the kernel has it; this is the rest.
    """
    for scratch in world_writable_dirs():
        try:
            entries = list(os.scandir(scratch))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    remove_tree(entry.path)  # however deep (autograder/base/trees.py)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


_IPC_TABLES = (("shm", 7, 9), ("sem", 4, 6), ("msg", 7, 9))  # /proc/sysvipc file, its uid and cuid columns


def uid_ipc_objects(uid: int) -> list[tuple[str, int]]:
    """System V IPC objects owned or created by ``uid``: (kind, id)."""
    found = []
    for kind, uid_col, cuid_col in _IPC_TABLES:
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                lines = table.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            try:
                if uid in (int(cols[uid_col]), int(cols[cuid_col])):
                    found.append((kind, int(cols[1])))
            except (IndexError, ValueError):
                pass
    return found


def remove_uid_ipc(uid: int) -> None:
    """Uid fallback: remove System V IPC objects of the sandbox's uid (seccomp already refuses
    creating them; this is the second line)."""
    objects = uid_ipc_objects(uid)
    if not objects:
        return
    import ctypes

    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    ipc_rmid = 0
    for kind, ident in objects:
        if kind == "shm":
            libc.shmctl(ident, ipc_rmid, None)
        elif kind == "sem":
            libc.semctl(ident, 0, ipc_rmid)
        else:
            libc.msgctl(ident, ipc_rmid, None)


_KILL_ALL = ("import os\n"
             "for _ in range(200):\n"
             "    try:\n"
             "        os.kill(-1, 9)\n"
             "    except ProcessLookupError:\n"
             "        break\n")


def kill_uid(uid: int, iso: Isolation | None = None) -> None:
    """Uid fallback: SIGKILL every process of the sandbox's uid (kill(-1) from inside that uid,
    again until none is left: a process forked meanwhile goes in the next round). ``iso``: the
    level, whose Python the uid can run (a staged one included)."""
    argv = sandbox_argv(iso if iso is not None and iso.drop_uid else Isolation(False, True), ["-I", "-S"],
                        code=_KILL_ALL)
    try:
        subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *argv],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=KILL_UID_SECONDS, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.SubprocessError):
        pass
