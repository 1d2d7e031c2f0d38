"""The code passes the team's linter: ``ruff check`` with pyproject.toml's ``[tool.ruff]`` rules.

Every tree of Python the kit ships, runs or tests is checked. A finding fails the test with ruff's
own report (file, line, rule), so the fix is where it says.
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
