"""The documented platform commands, run verbatim in a fresh clone.

Every ``sh`` block of docs/platforms.md (where README's "Hand it out" section sends
an instructor) is run in order, as written, by one bash with ``-euo pipefail``, from
the root of a fresh clone of this repository's last commit (its ``.venv`` is this
checkout's). ``PATH`` holds no virtual environment, so a command that works only with
the venv activated fails here. Then the files the page promises are checked.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT

PLATFORMS_DOC = Path("docs") / "platforms.md"


def platform_commands(page: str) -> list[str]:
    """The page's ``sh`` blocks, in order (a block indented under a list item loses its indent)."""
    return [re.sub(r"(?m)^  ", "", block) for block in re.findall(r"```sh\n(.*?)```", page, re.S)]


def test_the_page_has_a_command_for_every_platform():
    blocks = platform_commands((PROJECT_ROOT / PLATFORMS_DOC).read_text(encoding="utf-8"))
    joined = "\n".join(blocks)
    for needed in ("build student", "otter assign", "otter run", "nbgrader autograde", "build gradescope",
                   "build github", "--junit"):
        assert needed in joined, needed


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if not (PROJECT_ROOT / ".git").exists():
        pytest.fail("the README test needs the repository's git history (a clone, not an export)")
    folder = tmp_path_factory.mktemp("readme") / "clone"
    subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(folder)], check=True, timeout=120)
    venv = Path(sys.executable).parent.parent
    (folder / ".venv").symlink_to(venv, target_is_directory=True)
    return folder


def test_platform_commands_run_verbatim_from_a_fresh_clone(clone):
    script = "\n".join(platform_commands((clone / PLATFORMS_DOC).read_text(encoding="utf-8")))
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and Path(p).resolve() != Path(venv_bin).resolve())
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "INITGRADE_CONFIG")}
    env["PATH"] = path
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=clone, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"

    assert (clone / "build" / "weight-initialization.zip").is_file()
    otter = json.loads((clone / "results" / "otter" / "results.json").read_text())
    assert otter["tests"] and sum(t.get("score", 0) for t in otter["tests"]) == 0  # the unfilled notebook
    with open(clone / "build" / "nbgrader" / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["student_id"] for r in rows] == ["student1"] and float(rows[0]["score"]) == 0
    assert float(rows[0]["max_score"]) == 40
    assert (clone / "build" / "gradescope" / "gradescope-autograder.zip").is_file()
    assert (clone / "build" / "github" / ".github" / "workflows" / "classroom.yml").is_file()
    assert "<testsuite" in (clone / "results" / "ci" / "junit.xml").read_text()
