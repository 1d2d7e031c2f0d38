"""Stopping a batch: Ctrl-C (SIGINT to the process group) or SIGTERM to the grader alone.

Each run grades a folder of slow submissions (a function that sleeps past its time limit) with one
and with two workers, stops it once a first result is on disk, and checks that

* the command ends with the shell's status for that signal (130, 143);
* every process the grader started (workers, sandbox starters, keepers, sandboxes), recorded while it
  ran, is gone;
* the gradebook and the class summary are written, with the submissions not reached marked
  ``not graded`` (no score) and the summary saying the batch is incomplete;
* a re-run grades only those, and reports the finished ones as unchanged.

No timing is asserted: that every sandbox ends is what the checks see, however loaded the machine.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT

SLOW = PROJECT_ROOT / "examples" / "hostile" / "res_sleep_in_function.py"
CORRECT = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"
N_SLOW = 8


@pytest.fixture(scope="module")
def cache(tmp_path_factory, warm_cache_at) -> Path:
    return warm_cache_at(tmp_path_factory.mktemp("cache") / "training")  # the reference trainings made


def _folder(root: Path) -> Path:
    folder = root / "in"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "a_correct.py")
    for i in range(N_SLOW):
        shutil.copy(SLOW, folder / f"slow_{i}.py")
    return folder


def _start(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="300")
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", *args, "--no-progress"], cwd=PROJECT_ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _start_time(pid: int) -> str | None:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _descendants(pid: int) -> set[tuple[int, str]]:
    """Every process below ``pid``, as (pid, start time) so a reused pid is not mistaken for it."""
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            started = _start_time(child)
            if started is not None:
                found.add((child, started))
                todo.append(child)
    return found


def _alive(procs: set[tuple[int, str]]) -> list[int]:
    return sorted(p for p, started in procs if _start_time(p) == started)


def _gradebook(out: Path) -> dict[str, dict]:
    with (out / "gradebook.csv").open(newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


@pytest.mark.parametrize("jobs,signum,to_group", [(2, signal.SIGINT, True), (2, signal.SIGTERM, False),
                                                   (1, signal.SIGTERM, False)])
def test_a_stopped_batch_ends_everything_keeps_what_finished_and_resumes(tmp_path, config_path, cache, jobs,
                                                                         signum, to_group):
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    args = [str(folder), "--out", str(out), "--config", str(config_path), "--cache", str(cache), "-j", str(jobs)]
    proc = _start(args)
    seen: set[tuple[int, str]] = set()
    deadline = time.monotonic() + 180
    while not list(out.glob("*/results.json")):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "no result appeared"
        seen |= _descendants(proc.pid)
        time.sleep(0.05)
    seen |= _descendants(proc.pid)
    assert any("sandbox.jail" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")
               for p, _ in seen if _start_time(p)), "no sandbox was seen running"
    if to_group:
        os.killpg(proc.pid, signum)  # Ctrl-C in a terminal
    else:
        os.kill(proc.pid, signum)  # a scheduler or `kill`: the grader alone
    text, _ = proc.communicate(timeout=60)

    assert proc.returncode == 128 + signum, text
    assert "not graded" in text and "Run the same command again" in text, text
    end = time.monotonic() + 10
    while _alive(seen) and time.monotonic() < end:  # the kernel reaps what was killed
        time.sleep(0.1)
    assert _alive(seen) == [], [Path(f"/proc/{p}/cmdline").read_bytes() for p in _alive(seen)]

    book = _gradebook(out)
    names = {"a_correct", *(f"slow_{i}" for i in range(N_SLOW))}
    assert set(book) == names
    done = {sid for sid in names if (out / sid / "results.json").exists()}
    pending = names - done
    assert done and pending, (done, pending)
    for sid in pending:
        assert book[sid]["status"] == "not graded" and book[sid]["total"] == "", book[sid]
    for sid in done:
        # (when not: was its results.json written after the gradebook, by a process still running?)
        late = (out / sid / "results.json").stat().st_mtime_ns - (out / "gradebook.csv").stat().st_mtime_ns
        assert book[sid]["status"] in ("graded", "error") and book[sid]["total"] != "", (book[sid], late, text)
    summary = (out / "summary.html").read_text()
    assert "Incomplete" in summary and f"{len(pending)} of {len(names)}" in summary
    numbers = json.loads((out / "summary.json").read_text())
    assert numbers["complete"] is False and numbers["stopped_by"] == signal.Signals(signum).name
    assert numbers["not_graded"] == len(pending) and numbers["submissions"] == len(names)
    assert {r["submission"] for r in numbers["results"] if r["status"] == "not graded"} == pending
    assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []

    again = subprocess.run([sys.executable, "-m", "autograder", "grade", *args, "--no-progress"], cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=600, env=dict(os.environ, COLUMNS="300"))
    assert again.returncode == 0, again.stdout + again.stderr
    m = re.search(r"(\d+) submissions:\s+(\d+) graded now,\s+(\d+)\s+unchanged", again.stdout)
    assert m and (int(m.group(2)), int(m.group(3))) == (len(pending), len(done)), again.stdout
    book = _gradebook(out)
    assert all(row["status"] != "not graded" for row in book.values()), book
    assert "Incomplete" not in (out / "summary.html").read_text()
    numbers = json.loads((out / "summary.json").read_text())
    assert numbers["complete"] is True and numbers["not_graded"] == 0
    assert numbers["unchanged_since_last_run"] == len(done) and numbers["submissions"] == len(names)


def test_strict_fails_the_job_when_a_submission_errors(tmp_path, config_path, cache):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "ok.py")
    (folder / "broken.py").write_text("")  # an empty file: status error
    base = [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(tmp_path / "out"),
            "--config", str(config_path), "--cache", str(cache)]
    lax = subprocess.run(base, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    strict = subprocess.run([*base, "--strict"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert lax.returncode == 0, lax.stdout + lax.stderr
    assert strict.returncode == 1 and "--strict: 1 submission could not be graded" in strict.stderr, strict.stderr
    numbers = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (numbers["graded"], numbers["errors"], numbers["complete"]) == (1, 1, True), numbers
    assert [r["status"] for r in numbers["results"]] == ["error", "graded"]  # broken, ok


@pytest.mark.parametrize("no_namespaces", ["", "1"])
def test_a_log_gets_progress_lines_and_the_isolation_level(tmp_path, config_path, cache, no_namespaces):
    """Off a terminal (no --progress flag): plain progress lines, and the closing lines say the
    isolation, with a warning when it is weaker than namespaces (INITGRADE_NO_NAMESPACES=1 forces the
    fallback); results.json keeps the level for the instructor, out of the student's visible output."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        shutil.copy(CORRECT, folder / f"ok_{i}.py")
    env = {k: v for k, v in os.environ.items() if k != "INITGRADE_NO_NAMESPACES"}
    if no_namespaces:
        env["INITGRADE_NO_NAMESPACES"] = no_namespaces
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(tmp_path / "out"),
                          "--config", str(config_path), "--cache", str(cache)], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "graded 3/3 (100%)" in run.stdout, run.stdout
    assert "\x1b" not in run.stdout  # no bar, no colours in a log
    m = re.search(r"Sandbox isolation: (\S+)((?: with| without) Landlock)? ", run.stdout)
    assert m, run.stdout
    assert (m.group(1) == "namespaces") != bool(no_namespaces), run.stdout
    assert ("WARNING: weak isolation" in run.stderr) == (m.group(1) != "namespaces"), run.stderr
    data = json.loads((tmp_path / "out" / "ok_0" / "results.json").read_text())
    # the level is the instructor's (extra_data), never in what the student reads
    assert data["extra_data"]["isolation"] == m.group(1)
    # Landlock or not is part of a fallback level: in extra_data and the console alike.
    assert data["extra_data"]["landlock"] == (None if m.group(1) == "namespaces" else m.group(2) == " with Landlock")
    assert "isolation" not in data["output"].lower() and "Sandbox:" not in data["output"], data["output"]


def test_workers_of_a_grader_killed_outright_end_with_their_sandboxes(tmp_path, config_path, cache):
    """SIGKILL to a parallel grader: the kernel tells its workers (parent-death signal), and every
    worker, sandbox starter and sandbox ends instead of grading on unseen."""
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    proc = _start([str(folder), "--out", str(out), "--config", str(config_path), "--cache", str(cache), "-j", "2"])
    seen: set[tuple[int, str]] = set()
    deadline = time.monotonic() + 180
    while not any("sandbox.jail" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")
                  for p, _ in seen if _start_time(p)):
        assert proc.poll() is None and time.monotonic() < deadline, "no sandbox started"
        seen |= _descendants(proc.pid)
        time.sleep(0.05)
    seen |= _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    end = time.monotonic() + 20
    while _alive(seen) and time.monotonic() < end:
        time.sleep(0.1)
    assert _alive(seen) == [], [Path(f"/proc/{p}/cmdline").read_bytes() for p in _alive(seen)]


# Ctrl-C lands while the stop handlers' own module is being imported: the narrowest moment of start-up,
# made certain by an import hook that sends the signal from inside that import.
_STOP_DURING_IMPORT = """
import importlib.abc, os, signal, sys

class StopDuringImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "autograder.batch.stopping":
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, StopDuringImport())
sys.argv = ["initgrade", "grade", sys.argv[1], "--out", sys.argv[2], "--no-progress"]
from autograder.launch import main
main()
"""


def test_a_stop_while_the_stop_handlers_are_imported_is_held_for_them(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "a_one.py")
    run = subprocess.run([sys.executable, "-c", _STOP_DURING_IMPORT, str(folder), str(tmp_path / "out")],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    said = run.stdout + run.stderr
    assert run.returncode == 130, said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said
    assert "Stopped (SIGINT) before grading began" in said and not (tmp_path / "out" / "a_one").exists()


def test_a_fork_that_inherited_the_stop_handlers_ends_as_the_signal_would(tmp_path):
    """A pool worker is a fork of the command: a stop that lands before its initializer installs its
    own handlers ends it as the signal's default would (killed by SIGTERM), instead of raising the
    parent's Interrupted in the middle of multiprocessing's start-up (a traceback on the console)."""
    code = ("import os, signal\n"
            "from autograder.batch.stopping import install_stop_handlers\n"
            "install_stop_handlers()\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "    for _ in range(1000):\n"
            "        pass\n"
            "    os._exit(0)\n"
            "_, status = os.waitpid(pid, 0)\n"
            "print(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True" and "Traceback" not in done.stderr, done.stdout + done.stderr
