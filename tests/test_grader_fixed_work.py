"""The grader's own work per command and per submission, counted (never timed).

* The isolation level is probed once per command, on the thread autograder.launch starts before the
  grader's imports, and the batch uses that answer (autograder.batch.early_isolation).
* A notebook's code cells are parsed once each (the plain-Python check's tree is kept for the chunks), and
  the imports a chunk lists are found by visiting statements only, in ast.walk's order.
* A parallel batch's parent loads the report writers (Jinja, templates) once, before it forks; a one-job
  batch loads them on a thread while it waits on its first sandbox; neither imports numpy.ma.
* Printable ASCII text is written out as it is, without a pass of the invisible-characters pattern.
* A check's parameters are read once per process, not once per check and submission.
* The reference check's trainer grades the batch: each cached training is read from disk once per command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from command_script import RUN_THE_COMMAND

from autograder.config import PROJECT_ROOT

NOTEBOOK = PROJECT_ROOT / "examples" / "submissions" / "correct_notebook.ipynb"

# Runs ``initgrade ARGS`` through the entry point, counting the isolation probes and the thread of each.
_COUNT_PROBES = """
import json, sys, threading
from autograder.sandbox.host import isolation
real_attempt = isolation._attempt
probes = []
def counted(cmd, *args, **kwargs):
    probes.append(threading.current_thread().name)
    return real_attempt(cmd, *args, **kwargs)
isolation._attempt = counted
""" + RUN_THE_COMMAND + """from autograder.batch import early_isolation
seen = list(probes)
print(json.dumps({"status": status, "probes": seen, "started": early_isolation.started(),
                  "level": isolation.detect_isolation().level}))
"""


def _run_counted(args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    out = subprocess.run([sys.executable, "-c", _COUNT_PROBES, *args], capture_output=True, text=True, check=True,
                         env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_isolation_probe_runs_once_beside_the_imports_and_the_batch_uses_its_answer(tmp_path):
    out = tmp_path / "out"
    found = _run_counted(["grade", str(NOTEBOOK), "--out", str(out), "--cache", str(tmp_path / "cache")])
    assert found["status"] == 0 and found["started"]
    # Every probe of the detection ran on the early thread, and the detection ran once: the batch's
    # own call took the cached answer instead of probing again.
    assert found["probes"] and set(found["probes"]) == {"initgrade-isolation-probe"}
    results = json.loads((out / "correct_notebook" / "results.json").read_text())
    assert results["extra_data"]["isolation"] == found["level"]


def test_a_command_that_grades_nothing_starts_no_probe(tmp_path):
    found = _run_counted(["grade", "--help"])
    assert found["status"] == 0 and not found["started"]
    assert found["probes"] == []


def test_reading_a_notebook_parses_each_code_cell_once(monkeypatch):
    """The check that a cell is plain Python parses it; the reader keeps that tree for the cell's
    chunks instead of parsing the same text again."""
    import ast

    from autograder.intake import notebooks
    from autograder.intake.notebooks import notebook_chunks

    raw = NOTEBOOK.read_bytes()
    cells = [c for c in json.loads(raw)["cells"] if c["cell_type"] == "code"]
    parsed: list[str] = []
    real_parse = ast.parse

    def counted(source, *args, **kwargs):
        parsed.append(source)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counted)
    # As a fresh process reads it: the cells an earlier reading of this process kept are not there.
    monkeypatch.setattr(notebooks, "_PLAIN_CELLS", {})
    chunks = notebook_chunks(raw, NOTEBOOK.name)
    assert chunks and any("def " in c["code"] for c in chunks)
    assert len(parsed) == len(cells), parsed


_NESTED_IMPORTS = '''
import os
def f(x=lambda: 0):
    import sys as system
    try:
        from a import b, c as d
    except ImportError:
        import e.f
    else:
        from g import *
    finally:
        import h
    class K:
        import i
        def m(self):
            with open(x) as fh:
                import j
    match x:
        case 1:
            import k
        case _:
            if x:
                import l
            else:
                import m
    return [y for y in range(3)]
for q in range(2):
    import n
else:
    import o
while False:
    import p
import r.s.t
'''


def test_the_imports_a_chunk_lists_are_found_without_walking_expressions_in_ast_walks_order():
    """code._imports visits statements only; what it finds, and in which order, is what a walk of
    every node finds."""
    import ast

    from autograder.intake import code

    sources = [_NESTED_IMPORTS, *(p.read_bytes() for p in sorted((PROJECT_ROOT / "examples").rglob("*.py")))]
    visited: list[int] = []
    source: str | bytes
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):  # the examples of code that does not parse
            continue
        every = [{"line": n.lineno, "names": [(a.asname or a.name.split(".")[0]) for a in n.names if a.name != "*"]}
                 for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert code._imports(tree) == every
        visited.append(sum(1 for _ in code._statements(tree)) - sum(1 for _ in ast.walk(tree)))
    assert len(visited) > 10 and all(v <= 0 for v in visited) and sum(visited) < 0  # never more nodes visited
    # the nested source: an import at every depth a statement can be, each found once
    assert len(code._imports(ast.parse(_NESTED_IMPORTS))) == _NESTED_IMPORTS.count("import ")


# Runs ``initgrade ARGS`` through the entry point, recording which process imports what a report loads.
_COUNT_LOADS = """
import importlib.abc, json, os, sys, threading
record = sys.argv.pop(1)
WATCHED = {"jinja2", "numpy.ma", "autograder.feedback.html"}

class Recorder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name in WATCHED:
            with open(record, "a") as f:
                f.write(json.dumps([os.getpid(), name, threading.current_thread().name]) + "\\n")
        return None

sys.meta_path.insert(0, Recorder())
""" + RUN_THE_COMMAND + """print(json.dumps({"status": status, "pid": os.getpid()}))
"""


def test_a_parallel_batch_loads_the_report_writers_once_in_the_parent_for_every_worker(tmp_path):
    """Jinja and the page templates' module are imported by the parent before it forks its workers: each
    is imported once in the whole batch, never again by a worker for its first report; numpy.ma by none
    (the pictures' quantiles are base/order_stats.py's)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        (folder / f"s{i}.ipynb").write_bytes(NOTEBOOK.read_bytes())
    record = tmp_path / "imports.jsonl"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    out = subprocess.run([sys.executable, "-c", _COUNT_LOADS, str(record), "grade", str(folder), "--out",
                          str(tmp_path / "out"), "--cache", str(tmp_path / "cache"), "-j", "2"],
                         capture_output=True, text=True, check=True, env=env)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["status"] == 0
    assert len(list((tmp_path / "out").glob("s*/feedback.html"))) == 4  # the workers wrote the reports
    loads = [tuple(json.loads(line)[:2]) for line in record.read_text().splitlines()]
    assert sorted(loads) == sorted((found["pid"], name) for name in ("jinja2", "autograder.feedback.html"))


def test_the_one_notebook_command_loads_the_report_writers_on_a_thread_while_it_grades(tmp_path):
    """With one job, Jinja and the page templates' module are imported once, on the thread started
    beside the first sandbox (its waits), not by the first report in the main thread."""
    record = tmp_path / "imports.jsonl"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    out = subprocess.run([sys.executable, "-c", _COUNT_LOADS, str(record), "grade", str(NOTEBOOK), "--out",
                          str(tmp_path / "out"), "--cache", str(tmp_path / "cache")],
                         capture_output=True, text=True, check=True, env=env)
    assert json.loads(out.stdout.strip().splitlines()[-1])["status"] == 0
    assert (tmp_path / "out" / "correct_notebook" / "feedback.html").is_file()
    loads = [tuple(json.loads(line)[1:]) for line in record.read_text().splitlines()]
    assert ("jinja2", "initgrade-report-writers") in loads
    assert ("autograder.feedback.html", "initgrade-report-writers") in loads
    assert sum(name == "jinja2" for name, _ in loads) == 1


_COUNT_CACHE_READS = """
import collections, json, sys
from autograder.training import trainer
reads = collections.Counter()
real = trainer.Trainer._read_disk
def counted(self, key):
    reads[key] += 1
    return real(self, key)
trainer.Trainer._read_disk = counted
""" + RUN_THE_COMMAND + """print(json.dumps({"status": status, "reads": reads}))
"""


def test_the_one_notebook_command_reads_each_cached_training_from_disk_once(tmp_path):
    """The reference check's trainer grades the batch too: its warm-up and the correct submission find
    the reference's outcomes in its memory instead of reading (and checking the signature of) each
    cache entry again."""
    args = ["grade", str(NOTEBOOK), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, check=True, env=env)
    out = subprocess.run([sys.executable, "-c", _COUNT_CACHE_READS, *args, "--force"], capture_output=True,
                         text=True, check=True, env=env)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["status"] == 0 and found["reads"]  # the warm cache was read
    assert set(found["reads"].values()) == {1}, found["reads"]
    results = json.loads((tmp_path / "out" / "correct_notebook" / "results.json").read_text())
    assert results["score"] == sum(t["max_score"] for t in results["tests"])


def test_plain_text_is_written_out_without_a_pattern_pass_and_exactly_as_the_pattern_would(monkeypatch):
    """visible() skips the pattern for printable ASCII, which holds none of the class's characters:
    the answer is the pattern's for every string, and the pattern is not run for plain text."""
    from autograder.base import escape

    for one_line in (False, True):
        assert not [c for c in map(chr, range(0x20, 0x7F)) if escape._pattern(one_line).search(c)]
    samples = ["", "0.25", "he-weights.svg", "W1 of shape (3, 2): your std 0.2, expected 0.5.", "a\tb\nc", "\x1b[31m",
               "x\u202ey", "\u200b", "caf\u00e9 \u00d7 \u2014", "\udcff", "\x7f", "~ !", "\U000e0041",
               *[chr(c) for c in range(0, 0x250)]]
    for text in samples:
        for one_line in (False, True):
            assert escape.visible(text, one_line=one_line) == escape._pattern(one_line).sub(escape._show, text)
        assert escape.svg_text(text) == escape._pattern(True).sub(escape._show, text)
    runs = []
    real = escape._pattern
    monkeypatch.setattr(escape, "_pattern", lambda one_line: runs.append(one_line) or real(one_line))
    assert escape.visible("W1 of shape (3, 2): std 0.2") == "W1 of shape (3, 2): std 0.2" and runs == []
    assert escape.visible("a\nb", one_line=True) == "a\\nb" and runs == [True]


def test_a_checks_parameters_are_read_once_not_once_per_submission(monkeypatch):
    import inspect

    from autograder.rubric import runner

    calls = []
    real = inspect.signature
    monkeypatch.setattr(inspect, "signature", lambda f: calls.append(f) or real(f))

    def test_example(student, config):
        assert student == "s" and config == "c", "fixtures by name"

    outcomes = [runner.run_check(test_example, {"student": "s", "config": "c", "trainer": None}) for _ in range(3)]
    assert all(isinstance(o, runner.Passed) for o in outcomes)
    assert calls == [test_example]
