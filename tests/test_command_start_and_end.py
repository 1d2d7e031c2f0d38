"""The one-notebook command's fixed work, counted (never timed): what a ``grade`` does once per command.

* A ``grade`` ends without the interpreter's teardown (autograder.launch.end_now): the atexit handlers
  run, once, last registered first, the threads that are not daemons are joined, stdout and stderr
  are flushed, and the status is the one ``sys.exit`` gives; no module-level finalizer runs after.
* The first sandbox's keeper is started before the submission is read, and the first start takes it:
  one keeper for the one-notebook command, taken ahead.
* The call plan and the report writers are made on threads started once the first load request is
  sent (the grader then waits on the sandbox), not beside the reading of the submission; the plan is
  read once.
* pydantic looks for no plugins (it would read the entry points of every installed distribution).
* The weight pictures' quantiles and the diagnoses' median and distinct values are numpy's answers,
  bit for bit, without numpy.ma.
* The batch's warm-up of the reference runs none of the checks the command line's reference check
  passed with the same trainer (their trainings are in its memory): on the bundled course, none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from command_script import RUN_THE_COMMAND

from autograder import launch
from autograder.config import PROJECT_ROOT

NOTEBOOK = PROJECT_ROOT / "examples" / "submissions" / "correct_notebook.ipynb"

# Runs ``initgrade ARGS`` through launch.ENTRY (main or run) with a module-level object whose finalizer
# says when the interpreter's teardown reached it.
_WITH_FINALIZER = """
import sys
class Teardown:
    def __del__(self):
        sys.stderr.write("TEARDOWN-RAN\\n")
marker = Teardown()
from autograder import launch
sys.argv = ["initgrade", *sys.argv[2:]]
getattr(launch, {entry!r})()
"""


def _command(entry: str, args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-c", _WITH_FINALIZER.format(entry=entry), "-", *args],
                          capture_output=True, text=True, env=env, cwd=PROJECT_ROOT)


def test_a_grade_ends_without_the_interpreters_teardown_and_with_its_outputs(tmp_path):
    out = tmp_path / "out"
    args = ["grade", str(NOTEBOOK), "--out", str(out), "--cache", str(tmp_path / "cache"), "--no-progress"]
    ended = _command("main", args)
    assert ended.returncode == 0, ended.stderr
    assert "TEARDOWN-RAN" not in ended.stderr
    # What the command prints and writes is all there: the table's last line, the gradebook, the results.
    assert "Gradebook:" in ended.stdout and (out / "gradebook.csv").is_file()
    assert json.loads((out / "correct_notebook" / "results.json").read_text())["score"] > 0
    # The same command through run() (for callers that look at the process after it) tears down as before.
    torn = _command("run", [*args[:3], str(tmp_path / "out2"), *args[4:]])
    assert torn.returncode == 0 and "TEARDOWN-RAN" in torn.stderr


def test_a_command_other_than_grade_ends_the_interpreters_way(tmp_path):
    ended = _command("main", ["--version"])
    assert ended.returncode == 0 and "version" in ended.stdout
    assert "TEARDOWN-RAN" in ended.stderr


def test_a_grade_that_refuses_keeps_its_status(tmp_path):
    ended = _command("main", ["grade", str(tmp_path / "missing"), "--out", str(tmp_path / "out")])
    assert ended.returncode == 2 and "does not exist" in ended.stderr
    assert "TEARDOWN-RAN" not in ended.stderr


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (2, 2), (130, 130), (True, 1), ("a message", 1)])
def test_exit_status_is_the_one_sys_exit_gives(code, status):
    assert launch.exit_status(code) == status
    run = subprocess.run([sys.executable, "-c", f"import sys; sys.exit({code!r})"], capture_output=True)
    assert run.returncode == status


# end_now in a process of its own (it runs the atexit handlers and ends the process): a thread that is not
# a daemon still working, two atexit handlers, a line left in stdout's buffer; os._exit counted.
_END_NOW = """
import atexit, json, os, sys, threading, time
from autograder import launch
seen = []
def worker():
    time.sleep(0.2)
    seen.append("thread")
threading.Thread(target=worker).start()
atexit.register(lambda: seen.append("first registered"))
atexit.register(lambda: seen.append("last registered"))
real_exit = os._exit
def counted_exit(status):
    atexit._run_exitfuncs()  # none is left to run twice
    sys.stderr.write(json.dumps({"status": status, "seen": seen}) + "\\n")
    sys.stderr.flush()
    real_exit(status)
os._exit = counted_exit
sys.stdout.write("buffered line")
launch.end_now("a message")
"""


def test_end_now_joins_threads_runs_the_exit_handlers_once_flushes_and_exits():
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run([sys.executable, "-c", _END_NOW], capture_output=True, text=True, env=env)
    said = json.loads(run.stderr.strip().splitlines()[-1])
    assert run.returncode == 1 == said["status"]
    assert said["seen"] == ["thread", "last registered", "first registered"]
    assert run.stdout == "buffered line" and "a message" in run.stderr


# Runs ``initgrade ARGS`` (run(): the process is looked at after it), counting the reference's checks:
# those of the command line's reference check and those of the batch's warm-up.
_COUNT_REFERENCE_CHECKS = """
import json, sys
from autograder.batch import grading
from autograder.rubric import runner
checked, warmed = [], []
real_run_check, real_warm_check = runner.run_check, grading.warm_check
def counted_run_check(test, fixtures):
    checked.append(test.__name__)
    return real_run_check(test, fixtures)
def counted_warm_check(grader, question, check, trainer=None):
    warmed.append(f"{question}.{check}")
    return real_warm_check(grader, question, check, trainer)
runner.run_check, grading.warm_check = counted_run_check, counted_warm_check
""" + RUN_THE_COMMAND + """print(json.dumps({"status": status, "warmed": warmed, "checks": len(checked)}))
"""


def test_the_warm_up_runs_no_check_the_reference_check_passed(tmp_path):
    from types import SimpleNamespace

    from autograder.batch.grading import reference_warmups
    from autograder.config import kit_config
    from autograder.rubric import collect_checks

    args = ["grade", str(NOTEBOOK), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run([sys.executable, "-c", _COUNT_REFERENCE_CHECKS, *args], capture_output=True, text=True,
                         env=env, check=True)
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["status"] == 0 and found["checks"]  # the reference check ran
    assert found["warmed"] == []
    # The course has checks to warm (they train): the warm-up found them all done, not none to do.
    assert reference_warmups(SimpleNamespace(checks=collect_checks(kit_config())))
    results = json.loads((tmp_path / "out" / "correct_notebook" / "results.json").read_text())
    assert results["score"] == sum(t["max_score"] for t in results["tests"])


# Runs ``initgrade ARGS`` (run()), counting the keepers the zygote forks and those a start took ahead.
_COUNT_KEEPERS = """
import json, sys
from autograder import launch
from autograder.sandbox.host import zygote
spawned, read_after = [], []
real_spawn = zygote.Zygote.spawn
zygote.Zygote.spawn = lambda self, **kw: (spawned.append(self), real_spawn(self, **kw))[1]
from autograder import engine
real_read = engine.read_submission
engine.read_submission = lambda *a, **k: (read_after.append(len(spawned)), real_read(*a, **k))[1]
""" + RUN_THE_COMMAND + """print(json.dumps({"status": status, "keepers": len(spawned), "read_after": read_after,
                  "taken_ahead": spawned[0].taken_ahead if spawned else 0}))
"""


def test_the_first_keeper_starts_before_the_submission_is_read_and_is_taken(tmp_path):
    args = ["grade", str(NOTEBOOK), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run([sys.executable, "-c", _COUNT_KEEPERS, *args], capture_output=True, text=True, env=env,
                         check=True)
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found == {"status": 0, "keepers": 1, "read_after": [1], "taken_ahead": 1}, run.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "correct_notebook" / "results.json").read_text())
    assert results["score"] == sum(t["max_score"] for t in results["tests"])


# Runs ``initgrade ARGS`` (run()), recording the order of the first load request and of the threads
# started to work while the grader waits, and counting the reads of the call plan.
_COUNT_ORDER = """
import json, sys, threading
from autograder import engine, launch
from autograder.sandbox import wire
order, plan_reads = [], []
real_write = wire.write_frame
def write(fd, obj, *args, **kwargs):
    if isinstance(obj, dict) and "chunks" in obj:
        order.append("load request")
    return real_write(fd, obj, *args, **kwargs)
wire.write_frame = write
real_start = threading.Thread.start
def start(self):
    if self.name in ("initgrade-call-plan", "initgrade-report-writers"):
        order.append(self.name)
    return real_start(self)
threading.Thread.start = start
real_read_plan = engine.read_plan
engine.read_plan = lambda *a, **k: (plan_reads.append(threading.current_thread().name), real_read_plan(*a, **k))[1]
""" + RUN_THE_COMMAND + """print(json.dumps({"status": status, "order": order, "plan_reads": plan_reads}))
"""


def test_the_plan_and_the_report_writers_are_made_while_the_first_sandbox_loads(tmp_path):
    args = ["grade", str(NOTEBOOK), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, check=True, env=env)
    run = subprocess.run([sys.executable, "-c", _COUNT_ORDER, *args, "--force"], capture_output=True, text=True,
                         env=env, check=True)
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found == {"status": 0, "order": ["load request", "initgrade-call-plan", "initgrade-report-writers"],
                     "plan_reads": ["initgrade-call-plan"]}, run.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "correct_notebook" / "results.json").read_text())
    assert results["score"] == sum(t["max_score"] for t in results["tests"])


# Runs ``initgrade ARGS`` (run()), counting the scans of the installed distributions' entry points
# (installed before anything of the kit or of pydantic is imported).
_COUNT_SCANS = """
import importlib.metadata, json, sys
scans = []
real_entry_points = importlib.metadata.entry_points
importlib.metadata.entry_points = lambda *a, **k: (scans.append(k.get("group")), real_entry_points(*a, **k))[1]
""" + RUN_THE_COMMAND + """import pydantic
print(json.dumps({"status": status, "scans": scans, "models": "autograder.config" in sys.modules}))
"""


def test_the_grade_command_looks_for_no_pydantic_plugins(tmp_path):
    args = ["grade", str(NOTEBOOK), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    run = subprocess.run([sys.executable, "-c", _COUNT_SCANS, *args], capture_output=True, text=True, env=env,
                         check=True)
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found == {"status": 0, "scans": [], "models": True}, run.stderr[-2000:]
    # The same models built outside the command do look (the count above can see a scan).
    plain = subprocess.run([sys.executable, "-c", _COUNT_SCANS.replace("launch.run()", "import autograder.config"),
                            *args], capture_output=True, text=True, env=env, check=True)
    assert json.loads(plain.stdout.strip().splitlines()[-1])["scans"] == ["pydantic"]


# In a process of its own: numpy.ma is not imported by anything before.
_QUANTILES_ALONE = """
import sys
import numpy as np
from autograder.base.order_stats import median, quantiles, varies
values = np.random.default_rng(0).normal(size=12288)
print(quantiles(values, [0.005, 0.995]).tolist(), median(values), varies(values), "numpy.ma" in sys.modules)
"""


def test_the_quantiles_and_median_are_numpys_and_import_no_numpy_ma():
    import numpy as np

    from autograder.base.order_stats import median, quantiles, varies

    rng = np.random.default_rng(23)
    compared = 0
    for n in [*range(1, 120), 1000, 4999, 12288, 245760]:
        for values in (rng.normal(size=n), rng.integers(-3, 3, size=n).astype(float),
                       rng.normal(size=n) * 10.0 ** float(rng.integers(-30, 30)), np.full(n, rng.normal())):
            for qs in ([0.005, 0.995], [0.0, 1.0], [0.5], [0.25, 0.75, 0.999]):
                assert quantiles(values, qs).tobytes() == np.quantile(values, qs).tobytes(), (n, qs)
                compared += 1
            assert varies(values) == (np.unique(values).size > 1)
            assert varies(values[:1]) is False and varies(values[:0]) is False
            holed = np.where(rng.random(n) < 0.1, np.nan, values)
            for data in (values, holed, np.where(rng.random(n) < 0.2, -np.inf, values)):
                ours, theirs = median(data), np.median(data)
                assert type(ours) is type(theirs) and np.asarray(ours).tobytes() == np.asarray(theirs).tobytes(), n
                compared += 1
    assert compared == 123 * 4 * (4 + 3)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run([sys.executable, "-c", _QUANTILES_ALONE], capture_output=True, text=True, env=env, check=True)
    assert run.stdout.split()[-1] == "False"
