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
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import environment
from autograder.limits import ISOLATION_PROBE_SECONDS, PROBE_ATTEMPTS
from autograder.sandbox.host import cgroups, uid_block

# In the uid fallback each sandbox has a uid of its own: one of the 64 of the grader process's block
# (host.uid_block: UID_BASE + 64 * grader pid, or a further block when a uid there belongs to an account,
# a subordinate range or a running process of the machine), so no two sandboxes (of one worker or of two)
# share a uid, its files or its processes, and none is someone else's.
UID_BASE = uid_block.UID_BASE
_UIDS_PER_PROCESS = uid_block.UIDS_PER_PROCESS
_uid_count = itertools.count()


def sandbox_uid() -> int:
    """A uid of this grader's block (raises uid_block.NoFreeUids when the machine uses every block)."""
    return uid_block.grader_block() + next(_uid_count) % _UIDS_PER_PROCESS


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

    ``landlock``: the fallback levels confine the sandbox's files with Landlock (the kernel
    has it and it is not turned off); a sandbox that then cannot apply it refuses to load.
    ``reasons``: why each stronger level was not used, as the probes found it.
    ``python_dirs`` and ``kit``: the sandbox's Python (prefix, base prefix, folder of the
    executable, and its staged folder) and the kit package it imports, as that Python reports them.
    """

    namespaces: bool
    drop_uid: bool
    landlock: bool = False
    reasons: tuple[str, ...] = ()
    python_dirs: tuple[str, ...] = ()
    kit: str = ""
    # The uid fallback with a staged layout (host.staging): the interpreter to run and the folder
    # first on its path; "" when the sandbox's Python is run as it is.
    interpreter: str = ""
    stage: str = ""
    # The package folders the stage was laid out from (hard links of their files): what the sandbox
    # reads through the stage, so not secret (autograder.batch.grading.batch_secrets).
    staged_from: tuple[str, ...] = ()

    @property
    def level(self) -> str:
        if self.namespaces:
            return "namespaces"
        return "uid+rlimits" if self.drop_uid else "rlimits"

    @property
    def label(self) -> str:
        """The level with its file confinement, as every output states it."""
        if self.namespaces:
            return "namespaces"
        return f"{self.level} {'with' if self.landlock else 'without'} Landlock"

    def describe(self) -> str:
        layout = cgroups.detect()
        cap = (f"; per-sandbox cgroup v{layout.version} ({', '.join(c for c, _ in layout.bases)})"
               if layout else "; no cgroup (process count bounded by rlimits and timeouts only)")
        if self.namespaces:
            return ("user/mount/net/ipc/pid namespaces: no network, grader folders hidden, read-only "
                    "file system and kernel knobs, minimal /dev, private /tmp and process table, no "
                    "capabilities, seccomp filter; resource limits; scrubbed environment; per-call timeouts"
                    + cap)
        files = ("Landlock: files outside the sandbox's folder unreadable (the kit and course files never "
                 "granted) and unwritable, no TCP" if self.landlock else
                 "NO Landlock: files guarded by their modes only")
        base = ("resource limits, scrubbed environment, per-call timeouts, seccomp filter (no sockets, no "
                f"System V IPC or message queues, no new user namespaces), {files}; NO mount, network or pid "
                "namespaces")
        who = ("; unprivileged uid per sandbox, its leftovers swept" if self.drop_uid else
               "; the sandbox runs as the grader's own user" + (" (ROOT)" if os.geteuid() == 0 else ""))
        return base + who + cap


def sandbox_argv(iso: Isolation, flags: list[str], *, module: str = "", code: str = "") -> list[str]:
    """The command line that runs ``module`` (as ``-m``) or ``code`` (as ``-c``) in the sandbox's Python at
    level ``iso``: the grader's own Python at the rlimits level; else the sandbox Python, or the staged
    interpreter with the staged folder first on its path (host.staging)."""
    if not iso.drop_uid:
        python = sys.executable
    else:
        python = iso.interpreter or sandbox_python()
    if iso.stage:
        boot = f"import sys; sys.path[:0] = [{iso.stage!r}]\n"
        run = (f"import runpy; runpy.run_module({module!r}, run_name='__main__', alter_sys=True)" if module else code)
        return [python, *flags, "-c", boot + run]
    return [python, *flags, *(["-m", module] if module else ["-c", code])]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version as this process sees it (0: none, or refused by seccomp)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        version = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))  # create_ruleset, VERSION
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def _attempt(cmd: list[str], attempts: int = PROBE_ATTEMPTS) -> tuple[bool, str]:
    """Run a probe; (True, its stdout) or (False, why it failed, the last attempt's words).

    A busy machine can fail a probe once (a fork refused, a timeout): each is tried up to
    ``attempts`` times before the level is given up.
    """
    why = ""
    for n in range(attempts):
        if n:
            time.sleep(0.1 * n)
        try:
            done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  errors="replace", timeout=ISOLATION_PROBE_SECONDS, env=sandbox_env("/tmp"))
        except subprocess.TimeoutExpired:
            why = f"no answer within {ISOLATION_PROBE_SECONDS} s"
            continue
        except OSError as exc:
            why = f"could not start {cmd[0]}: {exc.strerror or exc}"
            continue
        if done.returncode == 0:
            return True, done.stdout
        last = [line for line in done.stderr.strip().splitlines() if line.strip()][-1:]
        why = (last[0].strip()[:300] if last else "") or f"exit status {done.returncode}"
    return False, why


def blocked_on_the_way(path: str) -> str:
    """The first folder on the way to ``path`` (or to where its links lead) that users other than its
    owner cannot enter, worded with how to open it; "" when there is none."""
    for target in dict.fromkeys([path, os.path.realpath(path)]):
        for folder in reversed(Path(target).parents):
            try:
                mode = os.stat(folder).st_mode
            except OSError:
                continue
            if not mode & 0o001:
                return (f"{folder} is mode {stat.S_IMODE(mode):o}: other users cannot enter it (chmod o+x {folder}, "
                        "or set INITGRADE_SANDBOX_PYTHON to a Python with numpy and the kit outside it)")
    return ""


_PROBE = ("import json, os, sys, numpy, autograder.sandbox.jail.main as m; print(json.dumps({'dirs': "
          "[sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))], "
          "'kit': os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(m.__file__))))}))")


def _own_python() -> tuple[tuple[str, ...], str]:
    kit = str(Path(__file__).resolve().parents[2])
    return (sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))), kit


@functools.lru_cache(maxsize=1)
def detect_isolation() -> Isolation:
    """Try the namespace wrapper; fall back to what works, saying why each stronger level was not used.

    ``INITGRADE_NO_NAMESPACES=1`` forces the fallback (to test it, or on a machine
    where namespaces misbehave).
    """
    # In the namespaces the child is the grader's own uid (or root mapped to it): it reads what
    # the grader reads, so starting Python there is the test; importing numpy in it cost 90 ms
    # of every grader start. Another uid may not read the venv: that probe imports numpy.
    own_dirs, own_kit = _own_python()
    reasons: list[str] = []
    if environment.namespaces_disabled():
        reasons.append("namespaces: turned off (INITGRADE_NO_NAMESPACES=1)")
    else:
        ok, why = _attempt(wrap([sys.executable, "-I", "-c", "pass"], Isolation(True, False), 0))
        if ok:
            return Isolation(namespaces=True, drop_uid=False, python_dirs=own_dirs, kit=own_kit)
        reasons.append(f"namespaces: unshare failed: {why}")
    landlock = not environment.landlock_disabled() and landlock_abi() >= 1
    if os.geteuid() != 0:
        reasons.append(f"uid+rlimits: the grader is not root (uid {os.geteuid()}): there is no other uid to run "
                       "sandboxes as")
    elif not shutil.which("setpriv"):
        reasons.append("uid+rlimits: setpriv (util-linux) is not installed")
    elif environment.uid_fallback_disabled():
        reasons.append("uid+rlimits: turned off (INITGRADE_NO_UID=1)")
    else:
        python = sandbox_python()
        ok, out = _attempt(wrap(sandbox_argv(Isolation(False, True), ["-I"], code=_PROBE), Isolation(False, True),
                                UID_BASE))
        info = _probe_reply(out) if ok else None
        if info is not None:
            return Isolation(False, True, landlock, tuple(reasons), *info)
        hint = blocked_on_the_way(python)
        why = (f"the sandbox uid cannot run {python} with numpy and the kit: "
               f"{(out if not ok else 'no usable answer')}" + (f" ({hint})" if hint else ""))
        staged = _staged(python, landlock, reasons, why) if hint else None
        if staged is not None:
            return staged
        reasons.append(f"uid+rlimits: {why}")
    return Isolation(False, False, landlock, tuple(reasons), own_dirs, own_kit)


def _staged(python: str, landlock: bool, reasons: list[str], why: str) -> Isolation | None:
    """The uid level with the sandbox's imports laid out where the uid can read them (host.staging),
    or None, with the reason added to ``reasons``."""
    from autograder.sandbox.host.staging import StageUnavailable, stage

    try:
        exe, site, sources = stage(python)
    except StageUnavailable as exc:
        reasons.append(f"uid+rlimits: {why}; nothing could be staged instead: {exc}")
        return None
    trial = Isolation(False, True, interpreter=exe, stage=site)
    ok, out = _attempt(wrap(sandbox_argv(trial, ["-I"], code=_PROBE), trial, UID_BASE))
    info = _probe_reply(out) if ok else None
    if info is None:
        reasons.append(f"uid+rlimits: {why}; the staged copy in {site} did not run either: {out}")
        return None
    dirs, kit = info
    note = f"uid+rlimits: {why}; so its packages and the jail's modules were staged in {site}, run by {exe}"
    return Isolation(False, True, landlock, (*reasons, note), (*dirs, site), kit, exe, site, sources)


def _probe_reply(out: str) -> tuple[tuple[str, ...], str] | None:
    """The sandbox Python's folders and kit from the probe's line (our own code, run as the uid)."""
    import json

    try:
        data = json.loads(out.strip().splitlines()[-1])
        dirs = tuple(str(d) for d in data["dirs"])
        return dirs, str(data["kit"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


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
