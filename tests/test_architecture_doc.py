"""docs/architecture.md matches the code: every module it names exists, every module of the
packages it maps is named, and its table of environment switches is environment.py's."""

from __future__ import annotations

import re
from pathlib import Path

from autograder import environment

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text()
# The packages the page maps module by module.
MAPPED = ("sandbox", "sandbox/host", "sandbox/jail", "intake", "diagnose", "packaging", "platforms", "semester")


def _sections() -> dict[str, set[str]]:
    """Module file names the trees name, by package (a path from autograder/; "" for its top)."""
    sections: dict[str, set[str]] = {}
    for block in re.findall(r"```\n(.*?)```", DOC, re.S):
        if "TRUST BOUNDARY" in block:  # the flow picture, not a tree
            continue
        current = None
        top = "\nautograder/\n" in f"\n{block}"  # the whole tree: its folder lines only point to the maps below
        for line in block.splitlines():
            words = line.split()
            if not words:
                continue
            head = words[0].rstrip("/")
            if words[0] == "autograder/":
                current = ""
                continue
            if words[0].endswith("/"):
                if not top and (head in MAPPED or f"sandbox/{head}" in MAPPED):
                    current = head if head in MAPPED else f"sandbox/{head}"
                continue  # a folder that is not mapped here (templates/, hidden_tests/): its files are not modules
            for token in re.findall(r"[\w/<>]+\.py", line):
                folder, _, name = token.rpartition("/")
                if folder or current is not None:
                    sections.setdefault(folder or current or "", set()).add(name)
    return sections


def test_every_module_the_page_names_exists():
    missing = sorted(f"{package}/{name}".lstrip("/") for package, names in _sections().items() for name in names
                     if not (ROOT / "autograder" / package / name).is_file())
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"


def test_every_module_of_the_mapped_packages_is_named():
    sections = _sections()
    for package in ("", *MAPPED):
        present = {p.name for p in (ROOT / "autograder" / package).glob("*.py")} - {"__init__.py", "__main__.py"}
        unnamed = sorted(present - sections.get(package, set()))
        assert unnamed == [], f"docs/architecture.md does not say what autograder/{package} {unnamed} do"


def test_the_environment_table_is_environment_py():
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|$", DOC, re.M))
    assert sorted(rows) == sorted(environment.SWITCHES)
