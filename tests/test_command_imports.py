"""What the one-notebook command imports and when, counted (never timed) in a process of its own.

* A correct submission graded on a warm training cache loads none of the modules only a failed check
  or a training needs: the diagnosis's detectors (``autograder.diagnose.analysis`` and the modules it
  imports), the stacked and side-by-side trainings, threadpoolctl. A wrong submission loads the
  detectors when its checks fail, and gets its diagnoses.
* With ``--no-progress``, rich's console and table (the closing lines) are imported on the batch's
  ``initgrade-meanwhile`` thread while the first sandbox loads, not before the grading; the report
  writers and the class summary are not imported either before the first load request is sent.
* The command line's imports run without the cyclic garbage collector: every collection of the
  command comes after them, over what they made frozen; the collector is on and nothing is frozen
  once the command is over (a teardown then finalizes everything as before).
* ``initgrade --help`` lists every command with its help, the ones loaded on use among them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import click
import pytest
from command_script import RUN_THE_COMMAND

from autograder.config import PROJECT_ROOT

SUBMISSIONS = PROJECT_ROOT / "examples" / "submissions"

# Loaded only when a check fails (the detectors) or a training runs.
ONLY_WHEN_NEEDED = [
    "autograder.diagnose.analysis", "autograder.diagnose.detect_structure", "autograder.diagnose.detect_values",
    "autograder.diagnose.detect_weights", "autograder.diagnose.spread", "autograder.diagnose.wording",
    "autograder.training.stack", "autograder.training.side_by_side", "threadpoolctl",
]

# Used by the one-notebook command, but not before its first sandbox's load request is sent.
BEFORE_THE_FIRST_SANDBOX_NOT = [
    "autograder.outputs.reports", "autograder.feedback.summary", "autograder.feedback.page", "rich.console",
    "rich.table",
]

# Runs ``initgrade ARGS`` (run(): the process is looked at after it), recording the thread that first
# imports rich's console and table, the freeze count the collector saw at each of its collections, and
# the modules imported when the first load request is written.
_RECORD = """
import gc, json, sys, threading
collections = []
# (the freeze count, and whether the command had begun: its stop handlers' module is its first import)
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(
    (gc.get_freeze_count(), "autograder.batch.stopping" in sys.modules)))
first_import = {}
class Seen:
    def find_spec(self, name, path=None, target=None):
        if name in ("rich.console", "rich.table"):
            first_import.setdefault(name, threading.current_thread().name)
        return None
sys.meta_path.insert(0, Seen())
from autograder.sandbox import wire
at_load_request = []
real_write = wire.write_frame
def write(fd, obj, *args, **kwargs):
    if isinstance(obj, dict) and "chunks" in obj and not at_load_request:
        at_load_request.extend(sorted(sys.modules))
    return real_write(fd, obj, *args, **kwargs)
wire.write_frame = write
""" + RUN_THE_COMMAND + """print(json.dumps({"status": status, "modules": sorted(sys.modules),
                  "first_import": first_import, "collections": collections, "at_load_request": at_load_request,
                  "frozen_after": gc.get_freeze_count(), "on_after": gc.isenabled()}))
"""


def _command(submission: str, tmp_path, cache) -> tuple[dict, dict]:
    out = tmp_path / "out"
    args = ["grade", str(SUBMISSIONS / submission), "--out", str(out), "--cache", str(cache), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run([sys.executable, "-c", _RECORD, *args], capture_output=True, text=True, env=env,
                         cwd=PROJECT_ROOT, check=True)
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["status"] == 0, run.stderr[-2000:]
    assert "Gradebook:" in run.stdout  # the closing lines were printed
    results = json.loads((out / submission.rsplit(".", 1)[0] / "results.json").read_text())
    return found, results


@pytest.fixture
def warm_cache(tmp_path, warm_cache_at):
    return warm_cache_at(tmp_path / "cache")


def test_a_correct_notebook_loads_no_detector_and_no_training(tmp_path, warm_cache):
    found, results = _command("correct_notebook.ipynb", tmp_path, warm_cache)
    assert results["score"] == sum(t["max_score"] for t in results["tests"])
    loaded = set(found["modules"])
    assert [m for m in ONLY_WHEN_NEEDED if m in loaded] == []
    assert "autograder.diagnose.explain" in loaded  # the load messages' reader, from the same package
    assert found["first_import"] == {"rich.console": "initgrade-meanwhile", "rich.table": "initgrade-meanwhile"}
    # The report writers, the class summary and rich come after the first sandbox's load request.
    before = set(found["at_load_request"])
    assert "autograder.sandbox.host.sandbox" in before
    assert [m for m in BEFORE_THE_FIRST_SANDBOX_NOT if m in before] == []
    assert {*BEFORE_THE_FIRST_SANDBOX_NOT} <= loaded  # all used, later


def test_a_wrong_notebook_loads_the_detectors_and_is_diagnosed(tmp_path, warm_cache):
    found, results = _command("he_xavier_notebook.ipynb", tmp_path, warm_cache)
    assert results["score"] < sum(t["max_score"] for t in results["tests"])
    assert "autograder.diagnose.analysis" in found["modules"]
    feedback = (tmp_path / "out" / "he_xavier_notebook" / "feedback.md").read_text()
    assert "Likely mistake: LeCun factor" in feedback, feedback[:3000]  # a detector's finding


def test_the_imports_run_without_the_collector_and_nothing_stays_frozen(tmp_path, warm_cache):
    found, _ = _command("correct_notebook.ipynb", tmp_path, warm_cache)
    # The command's collections (it makes garbage enough for some) all came after its imports.
    during = [frozen for frozen, begun in found["collections"] if begun]
    assert during, "no collection seen: the count cannot tell"
    assert all(frozen > 0 for frozen in during), found["collections"]
    assert found["frozen_after"] == 0 and found["on_after"] is True


def test_help_lists_every_command_with_its_help():
    from autograder.commands.cli import main

    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run([sys.executable, "-m", "autograder", "--help"], capture_output=True, text=True, env=env,
                         check=True)
    listed = dict(re.findall(r"^  (\S+)\s+(\S.*)$", run.stdout.split("Commands:", 1)[1], flags=re.M))
    with click.Context(main) as ctx:
        names = main.list_commands(ctx)
        assert sorted(listed) == sorted(names) and {"grade", "demo", "build", "merge", "semester"} <= set(names)
        for name in names:
            shown = listed[name].removesuffix("...").strip()
            assert shown and main.get_command(ctx, name).get_short_help_str(limit=500).startswith(shown), name
    # A bad option still gets click's usage error, and a command's own help its options.
    bad = subprocess.run([sys.executable, "-m", "autograder", "grade", "--no-such-option"], capture_output=True,
                         text=True, env=env)
    assert bad.returncode == 2 and "No such option" in bad.stderr and "Usage:" in bad.stderr
    grade_help = subprocess.run([sys.executable, "-m", "autograder", "grade", "--help"], capture_output=True,
                                text=True, env=env, check=True)
    assert "--no-progress" in grade_help.stdout and "Exit status" in grade_help.stdout


def test_the_report_writers_load_compiles_the_escaping_patterns():
    """What ``load_report_writers`` loads on its thread (or before a batch forks its workers) the first
    report does not load again: the escaping patterns too, compiled on the first text that is not
    printable ASCII (every page's charts hold one)."""
    code = ("from autograder.base import escape\n"
            "from autograder.outputs.reports import load_report_writers\n"
            "before = escape._pattern.cache_info().currsize\n"
            "load_report_writers()\n"
            "print(before, escape._pattern.cache_info().currsize)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0", "2"]
