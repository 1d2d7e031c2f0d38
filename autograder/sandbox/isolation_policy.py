"""Fail closed on isolation: the weakest level grading.yaml accepts, checked before any student code runs.

Levels, strongest first (``isolation.minimum`` in grading.yaml names one; default ``uid``):

- ``namespaces``: user/mount/net/ipc/pid namespaces;
- ``uid+landlock``: no namespaces; each sandbox another uid, its files confined by Landlock;
- ``uid``: the same without Landlock, accepted only once the secrets (host.secrets) are proven
  unreadable by a sandbox uid: a process of that uid tries to open every one of them at the start
  of the batch. Where it can, the batch is refused with the paths and how to close them;
- ``rlimits+landlock`` and ``rlimits``: the sandbox runs as the grader's own user (as root when
  the grader is root). Only for trusted code: never accepted unless grading.yaml says so.

The detected level, the reasons the stronger ones were unavailable, and the fix are in the
refusal (exit status 2, nothing graded).
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

from autograder.base.trees import walk
from autograder.limits import ISOLATION_PROBE_SECONDS, SECRET_PROOF_ENTRIES
from autograder.sandbox.host.isolation import UID_BASE, Isolation, sandbox_argv, sandbox_env, wrap
from autograder.sandbox.host.secrets import SECRET_FILES

# Secrets named in a refusal, each to close (a wheel's kit folder alone has some forty).
SECRETS_SHOWN = 200
RANKS = {"namespaces": 4, "uid+landlock": 3, "uid": 2, "rlimits+landlock": 1, "rlimits": 0}


class IsolationRefused(Exception):
    """The batch would run below the isolation grading.yaml accepts; the message says why and how to fix."""


def grade_name(iso: Isolation) -> str:
    """The name of ``iso`` on the minimum's scale (RANKS)."""
    if iso.namespaces:
        return "namespaces"
    base = "uid" if iso.drop_uid else "rlimits"
    return base + ("+landlock" if iso.landlock else "")


def _fixes(iso: Isolation) -> str:
    fixes = ["run the grader where unprivileged user namespaces work (a kernel with "
             "kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0, or a container allowed to "
             "create them)"]
    if not iso.drop_uid:
        fixes.append("or run it as root with a Python (with numpy and the kit) that other users can execute "
                     "(INITGRADE_SANDBOX_PYTHON)")
    elif not iso.landlock:
        fixes.append("or use a kernel with Landlock (Linux 5.13+, not refused by the container's seccomp profile)")
    fixes.append("or, for trusted code only, lower isolation.minimum in grading.yaml")
    return "; ".join(fixes)


def check_isolation(iso: Isolation, minimum: str, secrets: Iterable[str]) -> list[str]:
    """Raise IsolationRefused when ``iso`` is below ``minimum`` (or is the uid level without Landlock
    and a sandbox uid can read a secret); else the warnings the instructor must see."""
    name, warnings = grade_name(iso), []
    why = "; ".join(iso.reasons) or "no reason recorded"
    if RANKS[name] < RANKS[minimum]:
        raise IsolationRefused(
            f"sandbox isolation here is {iso.label!r} ({name}), below the minimum grading.yaml accepts "
            f"(isolation.minimum: {minimum}). Why the stronger levels are unavailable: {why}. To fix: "
            f"{_fixes(iso)}. No submission was run.")
    if name == "uid":
        readable = readable_by_sandbox_uid([s for s in secrets if s not in SECRET_FILES], iso)
        if readable:
            shown = " ".join(shlex.quote(p) for p in readable[:SECRETS_SHOWN]) + (
                f" (and {len(readable) - SECRETS_SHOWN} more)" if len(readable) > SECRETS_SHOWN else "")
            text = (f"without Landlock only file modes guard the secrets, and a sandbox uid can read what is in "
                    f"{len(readable)} of them. Close them to other users: chmod -R o-rwx {shown}")
            if RANKS[minimum] > RANKS["rlimits"]:
                raise IsolationRefused(f"sandbox isolation here is {iso.label!r}: {text}; or {_fixes(iso)}. "
                                       "No submission was run.")
            warnings.append(text)
    if not iso.namespaces and not iso.drop_uid and os.geteuid() == 0:
        warnings.append("student code runs as ROOT (isolation.minimum allows the rlimits level): "
                        + ("Landlock confines its files" if iso.landlock else "nothing confines its files"))
    return warnings


def _closed_above(path: str) -> bool:
    """Is a folder on the way to ``path`` one other users cannot enter (a checkout in a mode-700 home)?
    Then nothing under ``path`` is theirs to reach, whatever its own modes say.

    Only the real path counts, unlike host.isolation.blocked_on_the_way (where either way being
    closed stops the sandbox's interpreter): a secret named through a link inside a closed folder is
    still reachable by its real path. A folder that cannot be looked at is not taken as closed."""
    for folder in Path(os.path.realpath(path)).parents:
        try:
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                return True
        except OSError:
            continue
    return False


def _listing(secrets: list[str]) -> dict[str, str] | None:
    """Every path under the secrets another user might reach, with the secret it is under (folders
    other users cannot enter, or below one, are listed but not walked); None past SECRET_PROOF_ENTRIES."""
    out: dict[str, str] = {}
    for top in secrets:
        out[top] = top
        if not os.path.isdir(top) or os.path.islink(top) or _closed_above(top):
            continue
        for folder, dirs, files in walk(top):  # a student's folder may be of any depth (base/trees.py)
            try:
                closed = not os.lstat(folder).st_mode & stat.S_IXOTH
            except OSError:
                closed = True
            if closed and folder != top:
                dirs[:] = []
                continue
            out.update((os.path.join(folder, n), top) for n in dirs + files)
            if closed:
                dirs[:] = []
            if len(out) > SECRET_PROOF_ENTRIES:
                return None
    return out


_TRY = ("import json, os, sys\nfound = []\nfor p in json.load(sys.stdin):\n    try:\n"
        "        if os.path.isdir(p) and not os.path.islink(p):\n            os.listdir(p)\n"
        "        else:\n            os.close(os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW))\n"
        "        found.append(p)\n    except OSError:\n        pass\nprint(json.dumps(found))\n")


def readable_by_sandbox_uid(secrets: list[str], iso: Isolation | None = None) -> list[str]:
    """The secrets under which a process of a sandbox uid opens or lists something: tried for real,
    as that uid, not guessed from modes. Folders other users cannot enter are tried, not walked.

    Past SECRET_PROOF_ENTRIES (a world-readable checkout with its venv), the secrets themselves are
    still tried, so the refusal names those a sandbox uid reaches, and says the rest went unchecked."""
    under = _listing(secrets)
    if under is None:
        too_many = f"(more than {SECRET_PROOF_ENTRIES} entries under {', '.join(secrets[:3])}: not checked one by one)"
        return [*_tried({s: s for s in secrets}, iso), too_many]
    return _tried(under, iso)


def _tried(under: dict[str, str], iso: Isolation | None) -> list[str]:
    """The secrets (``under``'s values) of the paths a sandbox uid opened or listed."""
    level = iso if iso is not None and iso.drop_uid else Isolation(False, True)
    cmd = wrap(sandbox_argv(level, ["-I"], code=_TRY), level, UID_BASE)
    try:
        done = subprocess.run(cmd, input=json.dumps(list(under)), capture_output=True, text=True,
                              timeout=ISOLATION_PROBE_SECONDS * 2, env=sandbox_env("/tmp"))
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        return [f"(the check as the sandbox uid did not finish: {exc})"]
    return sorted({under[p] for p in found if isinstance(p, str) and p in under})
