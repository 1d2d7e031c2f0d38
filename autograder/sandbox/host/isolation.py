"""How a sandbox is isolated on this machine: detected once, and the command line that applies it.

With namespaces the child is started under ``unshare`` (or forked by the zygote, host.zygote);
without them, as an unprivileged uid (``setpriv``) when the grader is root, or as the grader's
own uid with rlimits, seccomp and Landlock alone.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from autograder import environment
from autograder.limits import ISOLATION_PROBE_SECONDS
from autograder.sandbox.host import cgroups

# In the uid fallback each sandbox has a uid of its own: UID_BASE + 64 * (grader pid) + a
# per-process count, so no two sandboxes (of one worker or of two) share a uid, its files or
# its processes. pid_max is at most 2**22: the largest uid stays below 2**28.
UID_BASE = 2_000_000
_UIDS_PER_PROCESS = 64
_uid_count = itertools.count()


def sandbox_uid() -> int:
    return UID_BASE + _UIDS_PER_PROCESS * os.getpid() + next(_uid_count) % _UIDS_PER_PROCESS


def sandbox_python() -> str:
    """The Python the uid fallback runs sandboxes with: the grader's own, unless
    ``INITGRADE_SANDBOX_PYTHON`` names another with numpy and the kit (one that an
    unprivileged uid can execute, when the grader's is in a private home folder)."""
    return environment.sandbox_python() or sys.executable


def sandbox_env(workdir: str = "/tmp", tmpdir: str = "/tmp") -> dict[str, str]:
    """The only environment a sandbox (and the zygote) sees: nothing of the grader's leaks through."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": tmpdir,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


@dataclass(frozen=True)
class Isolation:
    """What the machine lets the sandbox do, detected once per grader process.

    With namespaces the child is root of its own user namespace only long enough
    to hide folders and remount the file system read-only, then drops every
    capability. Without them (no unprivileged user namespaces), a root grader at
    least runs the child as an unprivileged uid when that uid can run Python.
    """

    namespaces: bool
    drop_uid: bool

    @property
    def level(self) -> str:
        if self.namespaces:
            return "namespaces"
        return "uid+rlimits" if self.drop_uid else "rlimits"

    def describe(self) -> str:
        layout = cgroups.detect()
        cap = (f"; per-sandbox cgroup v{layout.version} ({', '.join(c for c, _ in layout.bases)})"
               if layout else "; no cgroup (process count bounded by rlimits and timeouts only)")
        if self.namespaces:
            return ("user/mount/net/ipc/pid namespaces: no network, grader folders hidden, read-only "
                    "file system and kernel knobs, minimal /dev, private /tmp and process table, no "
                    "capabilities, seccomp filter; resource limits; scrubbed environment; per-call timeouts"
                    + cap)
        base = ("resource limits, scrubbed environment, per-call timeouts, seccomp filter (no sockets, no "
                "System V IPC or message queues), Landlock where the kernel has it (files outside the "
                "sandbox's folder unreadable and unwritable, no TCP); NO mount, network or pid namespaces")
        return base + ("; unprivileged uid per sandbox, its leftovers swept" if self.drop_uid else "") + cap


def _runs(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=ISOLATION_PROBE_SECONDS, env=sandbox_env("/tmp")).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.lru_cache(maxsize=1)
def detect_isolation() -> Isolation:
    """Try the namespace wrapper once; fall back to what works.

    ``INITGRADE_NO_NAMESPACES=1`` forces the fallback (to test it, or on a machine
    where namespaces misbehave).
    """
    probe = [sandbox_python(), "-I", "-c", "import numpy, autograder.sandbox.jail.main"]
    # In the namespaces the child is the grader's own uid (or root mapped to it): it reads what
    # the grader reads, so starting Python there is the test; importing numpy in it cost 90 ms
    # of every grader start. Another uid may not read the venv: that probe imports numpy.
    starts = [sys.executable, "-I", "-c", "pass"]
    if not environment.namespaces_disabled() and _runs(wrap(starts, Isolation(True, False), 0)):
        return Isolation(namespaces=True, drop_uid=False)
    if os.geteuid() == 0 and shutil.which("setpriv") and _runs(wrap(probe, Isolation(False, True), UID_BASE)):
        return Isolation(namespaces=False, drop_uid=True)
    return Isolation(namespaces=False, drop_uid=False)



def wrap(cmd: list[str], iso: Isolation, uid: int, pdeathsig: bool = False) -> list[str]:
    """The command line that starts ``cmd`` isolated as ``iso`` describes.

    With ``pdeathsig`` the first process (unshare, or the child itself) is killed
    by the kernel when the grader thread that started it dies: a grader killed
    with SIGKILL leaves no sandbox running (``unshare --kill-child`` passes it on).
    """
    prefix = []
    if pdeathsig and shutil.which("setpriv"):
        prefix = ["setpriv", "--pdeathsig", "KILL"]
    if iso.namespaces:
        return [*prefix, "unshare", "--user", "--map-root-user", "--mount", "--net", "--ipc", "--pid", "--fork",
                "--kill-child", "--mount-proc", *cmd]
    if iso.drop_uid:
        base = prefix or ["setpriv"]
        return [*base, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *cmd]
    return [*prefix, *cmd]
