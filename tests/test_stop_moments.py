"""Stopping says the truth at every moment: 20 stops of a small batch, from the first instant to the last.

Each run grades three tiny submissions (two correct, one whose function sleeps past its time limit,
so the batch lasts while sandboxes run), half with an empty training cache (the reference warm-up
is under way when the stop lands early) and half with a warm one, with one and with two workers,
and is stopped by Ctrl-C (SIGINT to the process group) or SIGTERM (to the grader alone) at a moment
named by what has happened so far: nothing yet (the interpreter starting), the first child process,
a forked helper (a training or a worker), a sandbox running, a first or second result on disk, the
gradebook written, the closing lines printed, or a pause after the start. Which phase a pause
reaches depends on the machine; every outcome is checked all the same:

* the exit status is the signal's (130, 143), with the "Stopped (SIG...)" line docs/grading.md describes and neither
  a traceback nor click's "Aborted!" - or, when the batch finished before the signal could land,
  0 with a complete gradebook; or, for a signal that lands while the interpreter itself is still
  starting (before the kit's first line can install its handlers), the interpreter's own reaction
  (death by that signal, or its start-up KeyboardInterrupt) with nothing started or written;
* every process the command started (seen while it ran, or still in its process group) is gone;
* the gradebook, summary.json and summary.html agree: the same rows and counts, the same mean over
  the same rows, "Incomplete" exactly when something was not graded, and no "No submissions." or
  "None: every submission was graded." beside a submission not graded; a stop before the batch
  listed its submissions writes no gradebook and says so.

No timing is asserted; the runs are counted, and most must end by the signal.
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
import threading
import time
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT

SLOW = PROJECT_ROOT / "examples" / "hostile" / "res_sleep_in_function.py"
CORRECT = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"

# (moment, cold cache, jobs, signal): 20 stops.
MOMENTS = [
    ("start", True, 1, signal.SIGTERM), ("start", False, 2, signal.SIGINT),
    ("pause:0.15", True, 1, signal.SIGINT), ("pause:0.15", False, 1, signal.SIGTERM),
    ("pause:0.5", True, 2, signal.SIGTERM), ("pause:0.5", False, 2, signal.SIGINT),
    ("child", True, 1, signal.SIGINT), ("child", False, 1, signal.SIGTERM),
    ("fork", True, 1, signal.SIGTERM), ("fork", True, 2, signal.SIGINT),
    ("pause:1.5", True, 1, signal.SIGTERM), ("fork", False, 2, signal.SIGTERM),
    ("sandbox", True, 2, signal.SIGINT), ("sandbox", False, 1, signal.SIGINT),
    ("result:1", False, 1, signal.SIGTERM), ("result:1", False, 2, signal.SIGINT),
    ("result:2", False, 2, signal.SIGTERM), ("gradebook", False, 1, signal.SIGINT),
    ("closing", False, 1, signal.SIGTERM), ("closing", False, 2, signal.SIGINT),
]


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory, warm_cache_at) -> Path:
    """The runs' warm cache: the reference trainings already made (tests/conftest.py)."""
    return warm_cache_at(tmp_path_factory.mktemp("warm") / "training")


def _proc_stat(pid: int) -> list[str] | None:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _descendants(pid: int) -> set[tuple[int, str]]:
    """Every process below ``pid``, as (pid, start time) so a reused pid is not mistaken for it."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields:
                tree.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            fields = _proc_stat(child)
            if fields:
                found.add((child, fields[19]))
                todo.append(child)
    return found


def _in_group(pgid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields and int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def _alive(procs: set[tuple[int, str]]) -> list[int]:
    return sorted(p for p, started in procs if (_proc_stat(p) or [None] * 20)[19] == started
                  and (_proc_stat(p) or ["Z"])[0] != "Z")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _reached(moment: str, proc, out: Path, seen: set, text: list[str]) -> bool:
    kind, _, arg = moment.partition(":")
    if kind == "start":
        return True
    if kind == "child":
        return bool(seen)
    if kind == "fork":
        own = _cmdline(proc.pid)
        return any(_cmdline(p) == own for p, _ in seen)
    if kind == "sandbox":
        return any(b"sandbox.jail" in _cmdline(p) for p, _ in seen)
    if kind == "result":
        return len(list(out.glob("*/results.json"))) >= int(arg)
    if kind == "gradebook":
        return (out / "gradebook.csv").exists()
    if kind == "closing":
        return "Sandbox isolation" in "".join(text)
    raise AssertionError(moment)


def _rows(out: Path) -> dict[str, dict]:
    with (out / "gradebook.csv").open(newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def _check_consistent(out: Path, names: set[str], stopped: bool) -> None:
    book = _rows(out)
    assert set(book) == names
    numbers = json.loads((out / "summary.json").read_text())
    html = (out / "summary.html").read_text()
    statuses = [row["status"] for row in book.values()]
    pending = statuses.count("not graded")
    assert (numbers["submissions"], numbers["graded"], numbers["errors"], numbers["not_graded"]) == (
        len(book), statuses.count("graded"), statuses.count("error"), pending)
    assert {r["submission"]: r["status"] for r in numbers["results"]} == {k: v["status"] for k, v in book.items()}
    totals = [float(row["total"]) for row in book.values() if row["status"] != "not graded"]
    assert all(row["total"] == "" for row in book.values() if row["status"] == "not graded")
    if totals:
        assert numbers["mean_total"] == pytest.approx(sum(totals) / len(totals), abs=1e-4)
        assert f"mean {sum(totals) / len(totals):.2f}" in html
        assert f"over the {len(totals)} submission" in numbers["mean_over"] and numbers["mean_over"] in html
    else:
        assert numbers["mean_total"] is None and "No submission was graded before the batch was stopped." in html
    assert ("Incomplete" in html) == (pending > 0)
    if pending or not stopped:  # (a stop after the last result may leave a batch marked stopped with none pending)
        assert numbers["complete"] == (pending == 0)
    if pending:
        assert "No submissions." not in html and "None: every submission was graded." not in html
        assert f"{pending} of {len(book)} submissions were not graded" in html
        for sid, row in book.items():
            if row["status"] == "not graded":
                assert sid in html.split("id='not-graded'")[1].split("</section>")[0]


@pytest.mark.parametrize("moment,cold,jobs,signum", MOMENTS,
                         ids=[f"{m}-{'cold' if c else 'warm'}-j{j}-{s.name}" for m, c, j, s in MOMENTS])
def test_a_stop_at_any_moment_says_the_truth_and_leaves_nothing_running(tmp_path, config_path, warm_cache, moment,
                                                                        cold, jobs, signum, stop_counts):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a_one.py", "b_two.py"):
        shutil.copy(CORRECT, folder / name)
    shutil.copy(SLOW, folder / "c_slow.py")
    out, cache = tmp_path / "out", tmp_path / "cold" if cold else warm_cache
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
                             "--config", str(config_path), "--cache", str(cache), "-j", str(jobs), "--no-progress"],
                            cwd=PROJECT_ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="300"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    text: list[str] = []
    reader = threading.Thread(target=lambda: text.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    seen: set[tuple[int, str]] = set()
    kind, _, arg = moment.partition(":")
    start = time.monotonic()
    while proc.poll() is None:
        seen |= _descendants(proc.pid)
        if kind == "pause" and time.monotonic() - start >= float(arg):
            break
        if kind != "pause" and _reached(moment, proc, out, seen, text):
            break
        time.sleep(0.01)
    sent = proc.poll() is None
    if sent:
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C in a terminal
        else:
            os.kill(proc.pid, signum)  # a scheduler or `kill`: the grader alone
    proc.wait(timeout=120)
    reader.join(timeout=30)
    output = "".join(text)
    end = time.monotonic() + 10
    while (_alive(seen) or _in_group(proc.pid)) and time.monotonic() < end:  # the kernel reaps what was killed
        time.sleep(0.1)
    assert _alive(seen) == [] and _in_group(proc.pid) == [], \
        (moment, [_cmdline(p) for p in _alive(seen) + _in_group(proc.pid)])
    names = {"a_one", "b_two", "c_slow"}
    interpreter_start = proc.returncode == -signum and output == "" or (
        signum == signal.SIGINT and "KeyboardInterrupt" in output and "autograder" not in output)
    if interpreter_start:
        # Only before the kit's first line runs: the interpreter's own reaction while it starts (the
        # signal's default action, or Python's start-up KeyboardInterrupt). Nothing was started or written.
        assert moment == "start" and not seen and not out.exists(), (moment, output)
        stop_counts["before_the_kit"] += 1
        return
    assert "Traceback" not in output and "Aborted!" not in output, output
    if proc.returncode == 0:  # the batch finished before the signal could land
        _check_consistent(out, names, stopped=False)
        assert all(r["status"] != "not graded" for r in _rows(out).values())
        stop_counts["finished"] += 1
        return
    assert proc.returncode == 128 + signum, (moment, proc.returncode, output)
    assert f"Stopped ({signal.Signals(signum).name})" in output, output
    stop_counts["stopped"] += 1
    if (out / "gradebook.csv").exists():
        _check_consistent(out, names, stopped=True)
        book = _rows(out)
        pending = [sid for sid, row in book.items() if row["status"] == "not graded"]
        m = re.search(r"Stopped \(SIG\w+\)[^:]*: (\d+) submissions? not graded", output)
        assert m and int(m.group(1)) == len(pending), output
        if pending:
            assert "Run the same command again" in output
    else:
        assert "no gradebook written" in output, output
        assert not out.exists() or not any(out.iterdir()), list(out.rglob("*"))


@pytest.fixture(scope="module")
def stop_counts():
    counts = {"stopped": 0, "finished": 0, "before_the_kit": 0}
    yield counts
    print(f"\nstops: {counts}")  # shown with -s: how the 20 moments ended
    # Most stops land while the command runs: a run that finished first is the exception.
    assert counts["stopped"] >= len(MOMENTS) - 5, counts


def test_a_command_started_with_the_stop_signals_blocked_still_stops(tmp_path, config_path, warm_cache):
    """A parent that blocks SIGTERM (a test runner, a service manager) passes its mask on through exec:
    the grader lifts it at its first instant, so the signal stops the batch rather than waiting."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "a_one.py")
    shutil.copy(SLOW, folder / "c_slow.py")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
                             "--config", str(config_path), "--cache", str(warm_cache), "--no-progress"],
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM}))
    while not (out / "a_one" / "results.json").exists():
        assert proc.poll() is None, proc.stdout.read()
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "Stopped (SIGTERM): 1 submission not graded" in output, output
    assert _rows(out)["c_slow"]["status"] == "not graded"
