"""A parallel batch's own work, counted (never timed): who starts the sandbox starters, and how the
submissions are cut into the chunks the workers take.

* ``initgrade grade -j 2`` starts one zygote, in the command's own process before the grader's
  imports (autograder.launch), and hands it to both workers, a connection each (before branch
  ``batchends``: a second zygote for the second worker, started at the pool's start, whose numpy
  import that worker waited for); no worker starts one after the fork, and the zygote is reaped
  when the command ends. A worker's first sandbox finds its keeper started ahead (at the worker's
  start), as every later one does.
* The workers grade with the parent's trainer, as the fork copied it: the reference's outcomes, which
  the reference check read from the disk cache, are not read and verified again by every worker; and
  with the call plan the parent looked up once.
* The chunks shrink to single submissions at the end of a parallel batch (grading.chunk_sizes), so
  no worker is left with a whole chunk to go while the other has nothing.
* The batch's fixed work around the grading (branch ``batchends``): no warm-up round trip through the
  pool when the reference check ran every warm-up check with the parent's trainer; the closing
  lines' imports done while the workers grade; the pool's end (the workers' exits) left running
  while the gradebook, summaries and closing lines are written, and waited for before the command
  ends.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from command_script import RUN_THE_COMMAND

from autograder.batch.grading import CHUNK_MAX, chunk_sizes
from autograder.config import PROJECT_ROOT
from autograder.sandbox import detect_isolation

CORRECT = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"
SUBMISSIONS = 9

# Runs ``initgrade ARGS`` through the entry point, recording (in the file named first) every zygote
# process started and the process that started it, every zygote a worker took over, whether each
# sandbox start found its keeper started ahead, every training read from the disk cache, and the
# size of every chunk a worker graded. The pool's workers are forks
# of this process: they record too.
_RECORD = """
import json, os, sys
record = sys.argv.pop(1)

def note(*item):
    fd = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(fd, (json.dumps([os.getpid(), *item]) + "\\n").encode())
    os.close(fd)

from autograder.sandbox.host import zygote
real_ensure = zygote.Zygote._ensure
def ensure(self):
    before = self._proc
    real_ensure(self)
    if self._proc is not None and self._proc is not before:
        note("started", self._proc.pid)
zygote.Zygote._ensure = ensure
real_adopt = getattr(zygote, "adopt_handed_over", None)
def adopt():
    z = real_adopt()
    note("adopted", z._proc.pid if z is not None and z._proc is not None else None)
    return z
if real_adopt is not None:
    zygote.adopt_handed_over = adopt

from autograder.rubric import call_plan
real_read_plan = call_plan.read_plan
def read_plan(*args):
    note("plan", None)
    return real_read_plan(*args)
call_plan.read_plan = read_plan
import autograder.engine
autograder.engine.read_plan = read_plan

from autograder.sandbox.host import ahead
real_take = ahead.take
def take(zygote, key):
    held = real_take(zygote, key)
    note("start", held is not None)
    return held
ahead.take = take

import autograder.batch.grading as grading
real_chunk = grading._grade_and_write_chunk
def chunk(items, *args):
    note("chunk", len(items))
    return real_chunk(items, *args)
grading._grade_and_write_chunk = chunk

real_warm = grading._warm
def warm(trainings):
    note("warm", trainings)
    return real_warm(trainings)
grading._warm = warm
real_end = grading._end_meanwhile
def end_meanwhile(pool):
    note("pool end", None)
    wait = real_end(pool)
    def waited():
        wait()
        note("pool ended", None)
    return waited
grading._end_meanwhile = end_meanwhile

from autograder.commands import cli
real_imports = cli._import_closing_lines
def imports():
    note("meanwhile", "rich.table" in sys.modules)
    real_imports()
cli._import_closing_lines = imports
real_closing = cli._closing_lines
def closing(*args):
    note("closing lines", None)
    return real_closing(*args)
cli._closing_lines = closing

from autograder.training.trainer import Trainer
real_read = Trainer._read_disk
def read_disk(self, key):
    found = real_read(self, key)
    note("read", key if found is not None else None)
    return found
Trainer._read_disk = read_disk

""" + RUN_THE_COMMAND + """print(json.dumps({"status": status, "pid": os.getpid()}))
"""


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory, warm_cache_at):
    tmp = tmp_path_factory.mktemp("parallel")
    folder = tmp / "in"
    folder.mkdir()
    for i in range(SUBMISSIONS):
        shutil.copy(CORRECT, folder / f"s{i}.py")
    record = tmp / "record.jsonl"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("INITGRADE_NO_NAMESPACES", None)
    done = subprocess.run([sys.executable, "-c", _RECORD, str(record), "grade", str(folder), "--out", str(tmp / "out"),
                           "--cache", str(warm_cache_at(tmp / "cache")), "-j", "2", "--no-progress"],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["status"] == 0
    assert len(list((tmp / "out").glob("s*/feedback.html"))) == SUBMISSIONS
    events = [json.loads(line) for line in record.read_text().splitlines()]
    return found["pid"], events


@pytest.mark.skipif(not detect_isolation().namespaces and os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                    reason="zygotes are used only with namespaces")
def test_the_two_workers_share_the_zygote_the_command_started(parallel_run):
    parent, events = parallel_run
    started = [(pid, zpid) for pid, kind, zpid in events if kind == "started"]
    adopted = [(pid, zpid) for pid, kind, zpid in events if kind == "adopted"]
    # One zygote in the whole batch, started by the command's own process.
    assert len(started) == 1 and started[0][0] == parent
    # Each of the two workers took a connection to it.
    assert len(adopted) == 2 and len({pid for pid, _ in adopted}) == 2 and parent not in {p for p, _ in adopted}
    assert [z for _, z in adopted] == [started[0][1]] * 2
    # It does not outlive the command (it ended with its last worker and was reaped by the command).
    with pytest.raises(ProcessLookupError):
        os.kill(started[0][1], 0)


@pytest.mark.skipif(not detect_isolation().namespaces and os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                    reason="keepers are started ahead only with namespaces")
def test_every_sandbox_start_of_the_workers_takes_a_keeper_started_ahead(parallel_run):
    parent, events = parallel_run
    starts = [(pid, took) for pid, kind, took in events if kind == "start"]
    assert len(starts) == SUBMISSIONS and parent not in {pid for pid, _ in starts}
    assert all(took for _, took in starts), starts  # the first of each worker too (before: not ahead)


def test_the_last_chunks_of_a_parallel_batch_are_single_submissions(parallel_run):
    _, events = parallel_run
    sizes = sorted((size for _, kind, size in events if kind == "chunk"), reverse=True)
    # 9 submissions, 2 workers: a quarter of what is left each time (before: 2, 2, 2, 2, 1).
    assert sizes == [3, 2, 1, 1, 1, 1]


@pytest.mark.parametrize("todo,jobs", [(1, 2), (2, 2), (9, 2), (24, 2), (100, 2), (1000, 2), (24, 4), (50, 64)])
def test_chunk_sizes_cover_the_batch_and_shrink_to_one(todo, jobs):
    sizes = chunk_sizes(todo, jobs)
    assert sum(sizes) == todo and all(1 <= s <= CHUNK_MAX for s in sizes)
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-min(jobs, todo):] == [1] * min(jobs, todo)  # every worker's last chunk is one submission


def test_each_cached_training_is_read_from_disk_once_in_the_whole_batch(parallel_run):
    """The reference check (in the command's process) reads the reference's outcomes; the workers, forked
    from it with its trainer, find them in memory (before: each worker read its own again)."""
    parent, events = parallel_run
    reads = [(pid, key) for pid, kind, key in events if kind == "read" and key is not None]
    assert reads  # the warm cache was read
    assert {pid for pid, _ in reads} == {parent}
    keys = [key for _, key in reads]
    assert len(keys) == len(set(keys)), reads


def test_the_call_plan_is_looked_up_once_by_the_parent_for_every_worker(parallel_run):
    parent, events = parallel_run
    lookups = [pid for pid, kind, _ in events if kind == "plan"]
    assert lookups == [parent]  # before: once in each worker, none in the parent


def test_a_warm_batch_sends_no_warm_up_to_its_workers(parallel_run):
    """The reference check ran every warm-up check with the trainer the workers inherit: a warm-up
    would run nothing (before: one task per training setting, waited for before the first chunk)."""
    _, events = parallel_run
    assert [e for e in events if e[1] == "warm"] == []
    assert [e for e in events if e[1] == "chunk"]  # the chunks were graded all the same


def test_nothing_to_warm_only_when_the_reference_check_passed_every_training_check(tmp_path):
    from autograder.batch.grading import nothing_to_warm, reference_warmups
    from autograder.config import load_config
    from autograder.engine import Grader
    from autograder.training.trainer import Trainer

    config = load_config()
    with Grader(config, Trainer(config, tmp_path / "cache"), [str(tmp_path)]) as grader:
        warmups = reference_warmups(grader)
        assert warmups and not nothing_to_warm(grader)
        grader.trainer.reference_passed.update(warmups[:-1])
        assert not nothing_to_warm(grader)  # one left to warm
        grader.trainer.reference_passed.add(warmups[-1])
        assert nothing_to_warm(grader)


def test_the_end_of_a_parallel_batch_overlaps_its_closing_work(parallel_run):
    """In the command's process, in this order: the closing lines' imports, once the workers are forked
    (rich.table not yet imported by anything); the pool's end started once every result is in; the
    closing lines printed; the pool's end waited for; and every process gone after the command."""
    parent, events = parallel_run
    mine = [(kind, arg) for pid, kind, arg in events if pid == parent and kind in
            ("meanwhile", "pool end", "closing lines", "pool ended")]
    assert mine == [("meanwhile", False), ("pool end", None), ("closing lines", None), ("pool ended", None)]
    workers = {pid for pid, kind, _ in events if kind == "adopted"}
    assert len(workers) == 2
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
