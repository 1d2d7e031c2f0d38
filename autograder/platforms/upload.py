"""Grade one uploaded submission with the kit's sandboxed engine, for CI-style hosts.

Used by the Gradescope autograder (``run_autograder``) and the GitHub Classroom
workflow. Both hand over a folder of whatever the student uploaded; this module
picks the one submission in it, runs ``initgrade grade`` on it in a subprocess,
and returns its ``results.json``. It never fails without a result: when the
folder holds nothing gradable, or the grader itself cannot run, it returns a
zero-score result that says why, so the host always has something to show.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.atomic import write_atomic
from autograder.statuses import ERROR

MODULE_NAME = "init_functions.py"
# Folders that never hold the student's submission.
IGNORED_DIRS = {".git", ".github", ".ipynb_checkpoints", "__pycache__", "public_tests", "data", ".venv",
                "node_modules", "__MACOSX"}


class NoSubmission(Exception):
    """Nothing gradable was uploaded; the message is for the student."""


def _candidates(root: Path, suffix: str) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            # A symlink could point at the grader's own files (the solved notebook): never graded.
            if name.endswith(suffix) and not name.startswith(".") and not path.is_symlink():
                found.append(path)
    return found


def find_submission(root: Path, explicit: str | None = None, *, notebook: str) -> Path:
    """The one file to grade under ``root``.

    ``explicit`` (a path relative to ``root``) wins. Otherwise: the only notebook;
    among several, the one named ``notebook`` (grading.yaml's ``notebook:``) if exactly
    one is; with no notebook, the only ``init_functions.py`` or ``.zip``.
    """
    root = Path(root)
    if explicit:
        path = root / explicit
        inside = path.resolve().is_relative_to(root.resolve())
        if not inside or path.is_symlink() or not path.is_file():
            raise NoSubmission(f"the expected file {explicit} was not found in your submission "
                               "(or it is a link, which is not accepted)")
        return path
    notebooks = _candidates(root, ".ipynb")
    if len(notebooks) == 1:
        return notebooks[0]
    if len(notebooks) > 1:
        named = [p for p in notebooks if p.name == notebook]
        if len(named) == 1:
            return named[0]
        names = ", ".join(str(p.relative_to(root)) for p in notebooks[:6])
        raise NoSubmission(f"your submission holds several notebooks ({names}); submit only {notebook}")
    for suffix in (MODULE_NAME, ".zip"):
        found = [p for p in _candidates(root, suffix) if suffix != MODULE_NAME or p.name == MODULE_NAME]
        if len(found) == 1:
            return found[0]
    raise NoSubmission(f"no notebook found in your submission; upload {notebook}")


def failure_result(message: str, max_score: float, seconds: float = 0.0) -> dict:
    """A results.json (Gradescope schema) for a submission that could not be graded."""
    return {
        "score": 0.0,
        "execution_time": round(seconds, 3),
        "output": f"Score: 0 / {max_score:g}\nYour submission could not be graded: {message}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"status": ERROR, "error": message},
    }


def initgrade_command() -> list[str]:
    """How to start ``initgrade``: ``$INITGRADE_BIN``, the script next to this Python, or ``-m autograder``."""
    from autograder import environment

    explicit = environment.kit_command()
    if explicit:
        return [explicit]
    script = Path(sys.executable).with_name("initgrade")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-I", "-m", "autograder"]


def pinned_config() -> Path:
    """The platform's grading.yaml: ``$INITGRADE_CONFIG`` or the kit's own, never the current folder's."""
    from autograder import environment
    from autograder.config import DEFAULT_CONFIG

    return environment.config_path() or DEFAULT_CONFIG


def grade_upload(submission_root: Path, *, cache: Path | None = None, explicit: str | None = None,
                 log: Path | None = None, timeout: float = 1800) -> dict:
    """Grade the submission found under ``submission_root``; always returns a results dict."""
    from autograder.config import ConfigError, GradingConfig, load_config

    t0 = time.monotonic()
    # Never the ./grading.yaml rule: the current folder may be one the student controls.
    config_path = pinned_config()
    try:
        config = load_config(config_path)
        max_score, notebook = config.max_points(), config.notebook
    except ConfigError:
        # The grader cannot run; the default name still lets the student hear what to upload.
        max_score, notebook = 0.0, GradingConfig.model_fields["notebook"].default
    try:
        target = find_submission(Path(submission_root), explicit, notebook=notebook)
    except NoSubmission as exc:
        return failure_result(str(exc), max_score, time.monotonic() - t0)
    out = Path(tempfile.mkdtemp(prefix="initgrade-out-"))
    try:
        cmd = [*initgrade_command(), "grade", str(target), "--out", str(out), "--no-progress", "--force"]
        if cache:
            cmd += ["--cache", str(cache)]
        cmd += ["--config", str(config_path)]
        env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=env, timeout=timeout)
            text, code = proc.stdout.decode("utf-8", "replace"), proc.returncode
        except subprocess.TimeoutExpired:
            text, code = f"initgrade did not finish within {timeout:g} s", -1
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(text, encoding="utf-8")
        results = sorted(out.glob("*/results.json"))
        if code == 0 and len(results) == 1:
            return json.loads(results[0].read_text(encoding="utf-8"))
        reason = (f"the grader found {len(results)} results" if code == 0
                  else f"the grader stopped with status {code}; please tell your instructor")
        return failure_result(reason, max_score, time.monotonic() - t0)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def write_json_atomic(path: Path, data: dict) -> None:
    write_atomic(Path(path), json.dumps(data, indent=2))
