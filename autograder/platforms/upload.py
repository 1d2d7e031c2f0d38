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
from collections.abc import Sequence
from pathlib import Path

from autograder.base.atomic import write_atomic
from autograder.base.statuses import ERROR
from autograder.base.trees import walk

MODULE_NAME = "init_functions.py"
# Folders that never hold the student's submission.
IGNORED_DIRS = {".git", ".github", ".ipynb_checkpoints", "__pycache__", "public_tests", "data", ".venv",
                "node_modules", "__MACOSX"}


class NoSubmission(Exception):
    """Nothing gradable was uploaded; the message is for the student."""


def _candidates(root: Path, suffix: str) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in walk(root):  # the student's tree: any depth (autograder/base/trees.py)
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            # A symlink could point at the grader's own files (the solved notebook): never graded.
            if name.casefold().endswith(suffix) and not name.startswith(".") and not path.is_symlink():
                found.append(path)
    return found


def find_work(root: Path, explicit: str | None = None, *, notebook: str, functions: Sequence[str] = (),
              max_bytes: int = 64 << 20, max_code_bytes: int | None = None,
              max_seconds: float = 60.0) -> tuple[Path, str]:
    """The one file to grade under ``root`` and why, by the rule every entry point follows
    (autograder.intake.work): ``explicit`` (a path relative to ``root``) wins; else the notebook
    named ``notebook`` (grading.yaml's), or the only one; ``init_functions.py`` only when the
    notebook is absent or untouched; with neither, the only ``.zip``. Reading a candidate to tell
    whether it is written is bounded as intake is (``max_bytes``, ``max_code_bytes``, ``max_seconds``
    each); one past a bound counts as written: it is the student's work, and grading it says why.
    """
    from autograder.base.deadline import OutOfTime, time_limit
    from autograder.intake import IntakeError, ReadingBounds
    from autograder.intake.files import read_regular
    from autograder.intake.modules import module_chunks
    from autograder.intake.notebooks import notebook_chunks
    from autograder.intake.work import NoWork, choose, written_functions

    root = Path(root)
    if explicit:
        path = root / explicit
        inside = path.resolve().is_relative_to(root.resolve())
        if not inside or path.is_symlink() or not path.is_file():
            raise NoSubmission(f"the expected file {explicit} was not found in your submission "
                               "(or it is a link, which is not accepted)")
        return path, "your instructor set it as the file to grade"
    rel = {str(p.relative_to(root).as_posix()): p for p in _candidates(root, ".ipynb")}
    notebooks = sorted(rel)
    modules = sorted(r for r, p in ((str(p.relative_to(root).as_posix()), p) for p in _candidates(root, MODULE_NAME))
                     if p.name == MODULE_NAME)
    rel.update({m: root / m for m in modules})
    if not notebooks and not modules:
        zips = _candidates(root, ".zip")
        if len(zips) == 1:
            return zips[0], "it is the only file of the upload that can be a submission"
        raise NoSubmission(f"no notebook found in your submission; upload {notebook}")

    def written(r: str) -> bool:
        bounds = ReadingBounds(max_code_bytes)
        try:
            with time_limit(max_seconds) as deadline:
                bounds.deadline = deadline
                raw = read_regular(rel[r], max_bytes)
                reader = notebook_chunks if r.casefold().endswith(".ipynb") else module_chunks
                return bool(written_functions(reader(raw, r, bounds), functions))
        except (IntakeError, OSError, OutOfTime):
            return True  # unreadable: still the student's work; grading it says what is wrong

    try:
        choice = choose(notebooks, modules, notebook, written)
    except NoWork as exc:
        raise NoSubmission(f"your submission: {exc}") from None
    return rel[choice.path], choice.reason


def find_submission(root: Path, explicit: str | None = None, *, notebook: str,
                    functions: Sequence[str] = ()) -> Path:
    """The one file to grade under ``root`` (:func:`find_work` without the reason)."""
    return find_work(root, explicit, notebook=notebook, functions=functions)[0]


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
                 log: Path | None = None, timeout: float = 1800, secrets: Sequence[Path] = ()) -> dict:
    """Grade the submission found under ``submission_root``; always returns a results dict. ``secrets``:
    folders of the platform around the submission (nbgrader's course folder, holding the other
    students' notebooks, the source notebook with the solutions and gradebook.db) that no sandbox
    may read, added to the batch's own (INITGRADE_SECRETS)."""
    from autograder.config import ConfigError, GradingConfig, load_config

    t0 = time.monotonic()
    # Never the ./grading.yaml rule: the current folder may be one the student controls.
    config_path = pinned_config()
    try:
        config = load_config(config_path)
        max_score, notebook, functions = config.max_points(), config.notebook, config.functions
        max_bytes, max_code = config.limits.submission_mb << 20, config.limits.code_kb << 10
        max_seconds = float(config.limits.intake_seconds)
    except ConfigError:
        # The grader cannot run; the default name still lets the student hear what to upload.
        max_score, notebook = 0.0, GradingConfig.model_fields["notebook"].default
        functions, max_bytes, max_code, max_seconds = [], 64 << 20, None, 60.0
    try:
        target, because = find_work(Path(submission_root), explicit, notebook=notebook, functions=functions,
                                    max_bytes=max_bytes, max_code_bytes=max_code, max_seconds=max_seconds)
    except NoSubmission as exc:
        return failure_result(str(exc), max_score, time.monotonic() - t0)
    out = Path(tempfile.mkdtemp(prefix="initgrade-out-"))
    try:
        cmd = [*initgrade_command(), "grade", str(target), "--out", str(out), "--no-progress", "--force"]
        if cache:
            cmd += ["--cache", str(cache)]
        cmd += ["--config", str(config_path)]
        env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
        if secrets:
            from autograder import environment

            named = [*(Path(p).resolve() for p in secrets), *environment.extra_secrets()]
            env["INITGRADE_SECRETS"] = os.pathsep.join(str(p) for p in named)
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
            return _with_work(json.loads(results[0].read_text(encoding="utf-8")),
                              target.relative_to(submission_root).as_posix(), because)
        reason = (f"the grader found {len(results)} results" if code == 0
                  else f"the grader stopped with status {code}; please tell your instructor")
        return failure_result(reason, max_score, time.monotonic() - t0)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _with_work(results: dict, graded_file: str, because: str) -> dict:
    """The upload's graded file and the rule's reason in results.json (the batch saw one file)."""
    extra = results.setdefault("extra_data", {})
    extra["graded_file"], extra["graded_because"] = graded_file, because
    line = f"Graded: {graded_file} ({because})."
    lines = [x for x in str(results.get("output", "")).split("\n") if not x.startswith("Graded: ")]
    results["output"] = "\n".join(lines[:1] + [line] + lines[1:])
    return results


def write_json_atomic(path: Path, data: dict) -> None:
    write_atomic(Path(path), json.dumps(data, indent=2))
