"""Set-up shared by the test modules, and what keeps one run of the suite to itself.

Several suites may run at once on one machine (engineers' worktrees, a CI job): a run's caches
live in a folder of its own (``XDG_CACHE_HOME``: the training cache, the in-kernel cache and the
compiled templates, unless a test names another), and a check of what sandboxes left behind
counts only what this run started (tests/own_processes.py), never another run's sandboxes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


# The longest test files (minutes, where most take seconds), longest first. Collected first, they
# start first on the two pytest-xdist workers of `make test` and the short files fill in after them,
# instead of one long file starting last while the other worker has nothing left to run.
LONGEST_FIRST = ("test_platform_record.py", "test_hostile.py", "test_packaging.py", "test_wheel.py",
                 "test_stopping.py", "test_zygote.py", "test_gradescope_fallback.py", "test_engine.py",
                 "test_feedback.py", "test_installed_levels.py", "test_stop_moments.py", "test_realistic_round3.py",
                 "test_work_done.py", "test_shards.py", "test_outputs.py", "test_semester.py", "test_readme.py")


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), order[id(item)]))


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


def _run_shared(tmp_path_factory) -> Path:
    """A folder shared by every pytest-xdist worker of this run (the run's own base folder otherwise)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _once(tmp_path_factory, name: str) -> Iterator[Path]:
    """``name``'s folder, under a lock that the run's other workers wait on: the first to take it
    makes the content, the others find it made."""
    shared = _run_shared(tmp_path_factory)
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield shared / name


@pytest.fixture(scope="session")
def kit_wheel(tmp_path_factory) -> Path:
    """The kit's wheel, built once a run from a copy of the checkout (building in place leaves a
    build/ folder, a second kit, in it): tests/test_wheel.py and tests/test_installed_levels.py
    install it."""
    with _once(tmp_path_factory, "kit-wheel") as folder:
        wheels = sorted((folder / "dist").glob("initgrade-*.whl"))
        if not wheels:
            assert PROJECT_ROOT.resolve() not in folder.resolve().parents
            src = folder / "src"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(PROJECT_ROOT, src, ignore=shutil.ignore_patterns(
                ".venv*", ".git", "build", "out", "__pycache__", "*.egg-info", ".pytest_cache", "node_modules",
                ".mypy_cache", ".ruff_cache"))
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
            proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder / "dist"),
                                   str(src)], cwd=folder, env=dict(env, PIP_DISABLE_PIP_VERSION_CHECK="1"),
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, proc.stderr[-3000:]
            shutil.rmtree(src, ignore_errors=True)
            wheels = sorted((folder / "dist").glob("initgrade-*.whl"))
        assert len(wheels) == 1, wheels
        return wheels[0]


@pytest.fixture(scope="session")
def warm_cache_at(tmp_path_factory):
    """``warm_cache_at(folder)`` makes ``folder`` a training cache that holds grading.yaml's reference
    trainings (a private copy: what a test trains stays its own). The reference trainings are made
    once a run, by one `initgrade grade` of a correct submission into an empty cache, instead of once
    in every test module whose batches start cold without testing it."""
    with _once(tmp_path_factory, "warm-training-cache") as folder:
        cache = folder / "cache"
        if not (folder / "ready").exists():
            shutil.rmtree(folder, ignore_errors=True)
            (folder / "in").mkdir(parents=True)
            shutil.copy(PROJECT_ROOT / "examples" / "submissions" / "correct_module.py", folder / "in")
            done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder / "in"), "--out",
                                   str(folder / "out"), "--cache", str(cache), "--no-progress"], cwd=PROJECT_ROOT,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, done.stdout + done.stderr
            (folder / "ready").touch()

    def copy_to(target: Path) -> Path:
        shutil.copytree(cache, target, symlinks=True)
        return target

    return copy_to


@pytest.fixture(scope="module")
def warm_grader(tmp_path_factory, warm_cache_at):
    """A grader of grading.yaml on a private warm training cache (the reference trainings made), one per
    test module: what the call-round tests grade their mistakes with."""
    from autograder.config import load_config
    from autograder.engine import Grader
    from autograder.training.trainer import Trainer

    config = load_config()
    cache = warm_cache_at(tmp_path_factory.mktemp("cache") / "training")
    with Grader(config, Trainer(config, cache), [str(cache)]) as g:
        yield g
