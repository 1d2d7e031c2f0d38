"""README.md read in one sitting, with what a newcomer needs; the platform commands, run verbatim.

README stays under 300 lines and gives the two set-up commands, the second being exactly what CI
runs; its table of platforms is the build's targets, and its table of documentation names every
page of docs/. (Links, commands, options, counts and figures of every page: test_docs_facts.py.)

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
README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_reads_in_one_sitting():
    lines = README.count("\n")
    assert lines <= 300, f"README.md has {lines} lines: move the detail to a page of docs/ and link it"


def test_set_up_is_two_commands_and_the_second_is_what_ci_runs():
    block = re.search(r"## Set-up: two commands\n.*?```\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    ci = [line.strip() for line in (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert ci[-1] == commands[1], f".ci/run runs {ci[-1]!r}, README gives {commands[1]!r}"
    assert ".ci/run" in block
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def _table_after(heading: str) -> list[list[str]]:
    section = README[README.index(heading):]
    rows = section[section.index("\n|") + 1:].splitlines()
    rows = rows[:next((i for i, r in enumerate(rows) if not r.startswith("|")), len(rows))]
    return [[c.strip() for c in r.strip("|").split("|")] for r in rows[2:]]


def test_the_platform_table_is_the_builds_targets():
    from autograder.packaging import TARGETS

    named = [row[0].strip("`") for row in _table_after("### Hand it out and grade it on a platform")]
    assert sorted(named) == sorted(TARGETS), named
    assert "(docs/platforms.md)" in README[README.index("### Hand it out"):]


def test_the_documentation_table_names_every_page():
    linked = {row[0] for row in _table_after("## Documentation")}
    pages = {f"[docs/{p.name}](docs/{p.name})" for p in (PROJECT_ROOT / "docs").glob("*.md")}
    assert pages <= linked, f"README's Documentation table lacks {sorted(pages - linked)}"
    for section in ("## For students", "## For instructors", "### Install it, start a course",
                    "### Grade a folder of submissions", "### The semester", "## Documentation"):
        assert section in README, section


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
