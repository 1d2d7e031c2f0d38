"""The grading step of the GitHub Classroom workflow (``python -m autograder.platforms.classroom``).

It grades the student's repository with the kit's sandboxed engine
(:func:`autograder.platforms.upload.grade_upload`), then reports in the three
places GitHub reads:

* the job summary (``$GITHUB_STEP_SUMMARY``): score per question and what to fix;
* the step output ``result`` (``$GITHUB_OUTPUT``): base64 JSON in the format that
  ``classroom-resources/autograding-grading-reporter`` reads from
  ``<RUNNER>_RESULTS`` (``version``, ``status``, ``max_score``, ``tests[]`` with
  ``name``, ``status``, ``score``, ``message``); the reporter adds up the tests'
  scores and posts "Points X/Y" for Classroom;
* the log: the same feedback, wrapped in ``::stop-commands::<token>`` /
  ``::<token>::`` with a fresh random token, so nothing derived from student
  code can be read by the runner as a workflow command.

Student text never reaches the log unwrapped: the grader's own output (which can
quote student code) goes to a file, not to stdout, and messages passed to the
reporter (which prints them) are flattened to one line with ``::`` broken up.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import sys
from pathlib import Path

from autograder import environment
from autograder.base.escape import md_block
from autograder.base.statuses import ERROR
from autograder.limits import CLASSROOM_MESSAGE_CHARS, CLASSROOM_NAME_CHARS
from autograder.platforms.upload import grade_upload, pinned_config, write_json_atomic


def one_line(text: str, limit: int = CLASSROOM_MESSAGE_CHARS) -> str:
    """Flatten text for places that print it raw: one line, no ``::`` (workflow command syntax)."""
    text = re.sub(r"[\r\n\t\x00-\x1f\x7f]+", " ", str(text))
    text = text.replace("::", ": :")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def classroom_payload(results: dict, max_score: float) -> dict:
    tests = []
    for t in results.get("tests", []):
        passed = t.get("status") == "passed"
        tests.append({
            "name": one_line(t.get("name", "check"), CLASSROOM_NAME_CHARS),
            "status": "pass" if passed else "fail",
            "score": float(t.get("score") or 0.0),
            "message": "" if passed else one_line(t.get("output", "")),
            "line_no": 0,
            "execution_time": "",
        })
    error = (results.get("extra_data") or {}).get("status") == ERROR
    if not tests:
        tests.append({"name": "grading", "status": "error", "score": 0.0,
                      "message": one_line((results.get("extra_data") or {}).get("error", "not graded")),
                      "line_no": 0, "execution_time": ""})
    status = "error" if error else ("pass" if all(t["status"] == "pass" for t in tests) else "fail")
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def summary_markdown(results: dict, max_score: float) -> str:
    score = float(results.get("score") or 0.0)
    lines = [f"## initgrade: {score:g} / {max_score:g} points", ""]
    by_q: dict[str, list[dict]] = {}
    for t in results.get("tests", []):
        by_q.setdefault(str(t.get("name", "")).split(":")[0], []).append(t)
    if by_q:
        lines += ["| question | points |", "|---|---|"]
        for q, tests in by_q.items():
            got = sum(float(t.get("score") or 0) for t in tests)
            total = sum(float(t.get("max_score") or 0) for t in tests)
            lines.append(f"| {one_line(q, 80)} | {got:g} / {total:g} |")
        lines.append("")
    failed = [t for t in results.get("tests", []) if t.get("status") != "passed"]
    if failed:
        lines += ["### What to fix", ""]
        for t in failed:
            lines.append(f"**{one_line(t.get('name', ''), CLASSROOM_NAME_CHARS)}** "
                         f"({float(t.get('score') or 0):g}/{float(t.get('max_score') or 0):g})")
            lines += [md_block(str(t.get("output", ""))), ""]
    elif not results.get("tests"):
        lines += [md_block(str(results.get("output", ""))), ""]
    return "\n".join(lines) + "\n"


def log_feedback(results: dict, max_score: float, stream=None) -> str:
    """Print the feedback to the log between stop-commands markers; returns the token used."""
    stream = stream or sys.stdout
    body = summary_markdown(results, max_score)
    token = secrets.token_hex(16)
    while token in body:  # cannot happen by chance; be exact anyway
        token = secrets.token_hex(16)
    stream.write(f"::stop-commands::{token}\n")
    stream.write(body)
    stream.write(f"::{token}::\n")
    stream.write(f"initgrade: {float(results.get('score') or 0):g} / {max_score:g} points\n")
    stream.flush()
    return token


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)


def main(argv: list[str] | None = None) -> int:
    from autograder.config import load_config

    parser = argparse.ArgumentParser(prog="python -m autograder.platforms.classroom",
                                     description="Grade a student repository in GitHub Actions.")
    parser.add_argument("--submission", type=Path, required=True, help="the checked-out student repository")
    parser.add_argument("--out", type=Path, required=True, help="folder for results.json and the grader's log")
    parser.add_argument("--file", default=environment.submission_file(),
                        help="the file to grade, relative to --submission (default: the notebook found)")
    args = parser.parse_args(argv)
    max_score = load_config(pinned_config()).max_points()
    results = grade_upload(args.submission, explicit=args.file, log=args.out / "initgrade.log",
                           cache=environment.cache_dir())
    write_json_atomic(args.out / "results.json", results)
    payload = classroom_payload(results, max_score)
    encoded = base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    _append(os.environ.get("GITHUB_OUTPUT"), f"result={encoded}\n")
    _append(os.environ.get("GITHUB_STEP_SUMMARY"), summary_markdown(results, max_score))
    log_feedback(results, max_score)
    return 0


if __name__ == "__main__":
    sys.exit(main())
