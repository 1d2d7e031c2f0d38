"""The uid fallback when the sandbox's Python lies where other users cannot go.

A fresh clone in a folder of mode 700 (``mktemp -d``, root's home) is a normal layout; there the
sandbox uid can execute neither the venv's Python nor read the kit. Rather than run student code
as root, the grader lays out what a sandbox imports in a folder of its own that holds no secret:
the packages of the sandbox's Python (numpy, ...; never the kit, its ``.pth`` files or editable
finders), the jail's own modules (host.secrets.JAIL_FILES) and the assignment's package, in a
root-owned, world-readable folder under the temporary folder. The sandbox then runs the real
interpreter behind the venv (``/usr/bin/python3`` for Debian's) with that folder first on its
path. Files are hard-linked where they can be (no copy of numpy), else copied.

When the interpreter itself is out of reach (a pyenv Python under ``/root``) nothing is staged:
the level is unavailable, and the reason says so.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

from autograder.base.stale_folders import folder_of_this_process
from autograder.config import PROJECT_ROOT
from autograder.limits import ISOLATION_PROBE_SECONDS
from autograder.sandbox.host.secrets import JAIL_FILES, KIT_FOLDER

STAGE_PREFIX = "initgrade-stage-"
# Entries of a site-packages folder never staged: the kit itself (its grader-only modules and, in a
# wheel, the course), and the files that would put unreachable folders back on the path.
_NOT_STAGED = ("autograder", "initgrade", "__editable__", "_initgrade")


class StageUnavailable(Exception):
    """What a sandbox imports cannot be laid out for the sandbox uid; the message says why."""


def _layout(python: str) -> tuple[str, list[str]]:
    """The real interpreter behind ``python`` and its package folders, asked of ``python`` itself (run as
    the grader: it is the kit's own configured Python, not student code)."""
    code = ("import json, os, site, sys; print(json.dumps({'exe': os.path.realpath(sys.executable), "
            "'site': [p for p in site.getsitepackages() if os.path.isdir(p)]}))")
    try:
        done = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True,
                              timeout=ISOLATION_PROBE_SECONDS, stdin=subprocess.DEVNULL)
        data = json.loads(done.stdout.strip().splitlines()[-1])
        return str(data["exe"]), [str(p) for p in data["site"]]
    except (OSError, subprocess.SubprocessError, ValueError, IndexError, KeyError, TypeError) as exc:
        raise StageUnavailable(f"{python} did not say where its packages are ({exc})") from None


def _place(src: Path, dst: Path) -> None:
    """One file, readable by every user: a hard link when the file already is, else a copy."""
    mode = src.lstat().st_mode
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(src), dst)
        return
    if mode & stat.S_IROTH:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o755 if mode & stat.S_IXUSR else 0o644)


def _lay(src: Path, dst: Path) -> None:
    if src.is_symlink() or not src.is_dir():
        _place(src, dst)
        return
    dst.mkdir(mode=0o755)
    os.chmod(dst, 0o755)
    for entry in src.iterdir():
        if entry.name != "__pycache__":
            _lay(entry, dst / entry.name)


def _remover(top: str, owner: int):
    def remove() -> None:
        if os.getpid() == owner:  # not in forked batch workers, which share the stage
            shutil.rmtree(top, ignore_errors=True)
    return remove


def stage(python: str) -> tuple[str, str, tuple[str, ...]]:
    """Lay out what a sandbox of ``python`` imports; (the interpreter to run, the folder to put first on
    its path, the package folders laid out there). Removed when this process exits. StageUnavailable
    says why when it cannot be done."""
    from autograder.sandbox.host.isolation import blocked_on_the_way

    exe, sites = _layout(python)
    blocked = blocked_on_the_way(exe)
    if blocked:
        raise StageUnavailable(f"its interpreter {exe} is out of reach too ({blocked})")
    # Staged folders of graders that died without removing theirs (killed outright) go first.
    top = folder_of_this_process(STAGE_PREFIX)
    atexit.register(_remover(top, os.getpid()))
    os.chmod(top, 0o755)
    site = Path(top) / "site"
    site.mkdir(mode=0o755)
    try:
        for folder in sites:
            for entry in Path(folder).iterdir():
                if entry.name.startswith(_NOT_STAGED) or entry.suffix == ".pth" or (site / entry.name).exists():
                    continue
                _lay(entry, site / entry.name)
        for rel in JAIL_FILES:
            target = site / "autograder" / rel
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
            _lay(KIT_FOLDER / rel, target)
        initlab = PROJECT_ROOT / "assignment" / "initlab"
        if initlab.is_dir() and not (site / "initlab").exists():
            _lay(initlab, site / "initlab")
        for folder, dirs, _ in os.walk(site):
            for d in dirs:
                os.chmod(os.path.join(folder, d), 0o755)
    except OSError as exc:
        raise StageUnavailable(f"could not lay out its packages in {top}: {exc}") from None
    return exe, str(site), tuple(sites)
