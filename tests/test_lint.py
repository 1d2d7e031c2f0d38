"""The code passes the team's linter: ``ruff check`` with pyproject.toml's ``[tool.ruff]`` rules, the
package passes the type checker: ``mypy`` with pyproject.toml's ``[tool.mypy]``, and the kit holds no
code that nothing uses: ``vulture`` with pyproject.toml's ``[tool.vulture]``.

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


def test_mypy_finds_nothing_in_the_grader_package():
    """The whole autograder package is type-checked (pyproject.toml's [tool.mypy] files), the sandbox
    included; its overrides name the few modules whose findings are not reported yet, and why."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "pyproject.toml"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0 and "Success" in proc.stdout, f"mypy found problems:\n{proc.stdout}{proc.stderr}"
    # The scope is the package, not a part of it: checking one folder would pass with the rest broken.
    checked = int(proc.stdout.rsplit(" in ", 1)[1].split()[0])
    assert checked >= len(list((PROJECT_ROOT / "autograder").rglob("*.py"))), proc.stdout


# What vulture reports on: the code the kit ships or runs. tests/ is read only as a user of it: a
# helper a test calls is not dead, and the tests' own framework hooks are not reported.
SHIPPED = ["autograder", "assignment", "bench", "public_tests", "solutions"]


def test_vulture_finds_no_unused_code():
    """A function, class, method, attribute or variable that nothing refers to is dead: remove it. What
    only a framework, a template or a string refers to goes in [tool.vulture] with who calls it."""
    proc = subprocess.run(
        [sys.executable, "-m", "vulture", *SHIPPED, "tests"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode in (0, 3) and not proc.stderr, f"vulture did not run:\n{proc.stdout}{proc.stderr}"
    findings = [line for line in proc.stdout.splitlines() if line.startswith(tuple(f"{d}/" for d in SHIPPED))]
    assert findings == [], "vulture found unused code:\n" + "\n".join(findings)
