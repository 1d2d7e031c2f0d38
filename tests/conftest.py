"""Set-up shared by the test modules, and what keeps one run of the suite to itself.

Several suites may run at once on one machine (engineers' worktrees, a CI job): a run's caches
live in a folder of its own (``XDG_CACHE_HOME``: the training cache, the in-kernel cache and the
compiled templates, unless a test names another), and a check of what sandboxes left behind
counts only what this run started (tests/own_processes.py), never another run's sandboxes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

from autograder.config import PROJECT_ROOT

_CACHE_HOME: list[str] = []


def pytest_configure(config):
    # Before any test module is imported: every default cache of the kit below this run's folder
    # (mode 0700, as the kit wants its caches), never the user's ~/.cache that other runs share.
    # A pytest-xdist worker keeps the folder of the run that started it (its environment).
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    _CACHE_HOME.append(tempfile.mkdtemp(prefix="initgrade-suite-cache-"))
    os.environ["XDG_CACHE_HOME"] = _CACHE_HOME[-1]


def pytest_unconfigure(config):
    for folder in _CACHE_HOME:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def config_path(tmp_path_factory) -> Path:
    """grading.yaml with short limits, so a submission that sleeps past them is stopped soon
    (tests/test_stopping.py, tests/test_stop_moments.py)."""
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    raw["limits"].update({"probe_seconds": 2, "load_seconds": 5, "submission_seconds": 30})
    path = tmp_path_factory.mktemp("config") / "grading.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
