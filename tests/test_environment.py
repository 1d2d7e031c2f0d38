"""The kit's environment switches are read in one module, autograder/environment.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder import environment

ROOT = Path(__file__).resolve().parents[1] / "autograder"
PREFIXES = ("INITGRADE_", "INITLAB_")


def _environment_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of each os.environ[...] / .get(...) / os.getenv(...) of a kit switch."""
    found = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args:
            called = ast.unparse(node.func)
            if called.endswith(("environ.get", "getenv")):
                key = node.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.startswith(PREFIXES):
            found.append((node.lineno, key.value))
        elif key is not None and _is_switch_name(tree, key):
            # A name held in a variable (CONFIG_ENV = "INITGRADE_CONFIG") counts as well.
            found.append((node.lineno, f"<{ast.unparse(key)}>"))
    return found


def _is_switch_name(tree: ast.AST, key: ast.expr) -> bool:
    if not isinstance(key, ast.Name):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == key.id for t in node.targets):
            value = node.value
            return isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.startswith(PREFIXES)
    return False


def test_no_module_but_environment_reads_a_switch():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.name == "environment.py" and path.parent == ROOT:
            continue
        tree = ast.parse(path.read_text(), str(path))
        offenders += [f"{path.relative_to(ROOT.parent)}:{line} reads {name}" for line, name in _environment_reads(tree)]
    assert offenders == [], "read these through autograder/environment.py:\n" + "\n".join(offenders)


def test_the_detector_sees_each_way_of_reading():
    source = (
        "import os\nNAME = 'INITGRADE_X'\n"
        "a = os.environ.get('INITGRADE_CACHE')\nb = os.environ['INITLAB_DATA']\n"
        "c = os.getenv('INITGRADE_BIN')\nd = os.environ.get(NAME)\ne = os.environ.get('HOME')\n"
    )
    names = sorted(name for _, name in _environment_reads(ast.parse(source)))
    assert names == ["<NAME>", "INITGRADE_BIN", "INITGRADE_CACHE", "INITLAB_DATA"]


def test_flags_mean_exactly_one(monkeypatch):
    for value, expected in (("1", True), ("0", False), ("", False), ("yes", False)):
        monkeypatch.setenv("INITGRADE_NO_CGROUPS", value)
        assert environment.cgroups_disabled() is expected
    monkeypatch.delenv("INITGRADE_NO_CGROUPS")
    assert environment.cgroups_disabled() is False


def test_paths_are_read_when_asked(monkeypatch, tmp_path):
    monkeypatch.delenv("INITGRADE_CACHE", raising=False)
    assert environment.cache_dir() is None
    monkeypatch.setenv("INITGRADE_CACHE", str(tmp_path))
    assert environment.cache_dir() == tmp_path
    monkeypatch.delenv("INITGRADE_AG_ROOT", raising=False)
    assert environment.gradescope_root() == Path("/autograder")


def test_an_unknown_switch_is_a_programming_error():
    with pytest.raises(KeyError, match="INITGRADE_TYPO"):
        environment.raw("INITGRADE_TYPO")
