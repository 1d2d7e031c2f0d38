"""The code passes the team's linter: ``ruff check`` with pyproject.toml's ``[tool.ruff]`` rules, and
the sandbox passes the type checker: ``mypy`` with pyproject.toml's ``[tool.mypy]``.

Every tree of Python the kit ships, runs or tests is linted. A finding fails the test with the
tool's own report (file, line, rule), so the fix is where it says.
"""

from __future__ import annotations

import subprocess
import sys

from autograder.config import PROJECT_ROOT

LINTED = ["autograder", "assignment", "tests", "bench", "public_tests", "solutions"]


def test_ruff_reports_nothing():
    for folder in LINTED:
        assert (PROJECT_ROOT / folder).is_dir(), f"{folder}/ is gone: update LINTED"
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", *LINTED],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"ruff check found problems:\n{proc.stdout}{proc.stderr}"


def test_mypy_finds_nothing_in_the_sandbox():
    """The sandbox (autograder/sandbox) is the code that must never be wrong: it is type-checked whole."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "pyproject.toml", "autograder/sandbox"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0 and "Success" in proc.stdout, f"mypy found problems:\n{proc.stdout}{proc.stderr}"
