"""The work grading does, counted (never timed): the levers of bench/ keep doing what they claim.

* The sandbox's guard switches only the entries a submission changed, yet always
  lands on exactly the recorded state (the submission's for a call, the originals after).
* One sandbox start per submission, one probe per distinct call.
* A notebook read does not build the IRI grammar of ``rfc3987_syntax`` (1.3 s).
* One notebook is graded without importing nbformat, IPython, a process pool or a progress bar.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT, load_config
from autograder.sandbox.jail import guard

CONFIG = load_config()


def _guard_for(mods: list[types.ModuleType], version_tags: bool = True) -> guard.TamperGuard:
    g = guard.TamperGuard(version_tags)
    g.capture([vars(m) for m in mods])
    return g


def test_guard_fast_path_switches_exactly(monkeypatch):
    a, b = types.ModuleType("a"), types.ModuleType("b")
    a.keep, a.patched, a.gone = 1, "orig", object()
    b.x = 1
    g = _guard_for([a, b])
    if g.version is None:
        pytest.skip("no dict version tags on this interpreter: the guard switches whole dicts")
    original = [dict(d) for d in g.dicts]
    # what a submission does at load time
    a.patched = "student"
    del a.gone
    a.new = "added"
    student = [dict(d) for d in g.dicts]
    g.seal()
    assert [dict(d) for d in g.dicts] == original
    assert g.diffs[0] == (["gone"], {"patched": "student", "new": "added"})
    assert g.diffs[1] == ([], {})
    for _ in range(3):
        g.enter()
        assert [dict(d) for d in g.dicts] == student
        g.restore()
        assert [dict(d) for d in g.dicts] == original
    assert g.full_switches == 0  # only the changed entries were touched


def test_guard_switches_whole_dicts_changed_behind_its_back():
    a, b = types.ModuleType("a"), types.ModuleType("b")
    a.x, b.y = 1, 2
    g = _guard_for([a, b])
    if g.version is None:
        pytest.skip("no dict version tags on this interpreter")
    original = [dict(d) for d in g.dicts]
    a.x = "student"
    student = [dict(d) for d in g.dicts]
    g.seal()
    b.thread = "a thread of the submission, after loading"
    g.enter()
    assert [dict(d) for d in g.dicts] == student  # exactly the submission's state
    assert g.full_switches == 1
    a.during_call = "patched by the call"
    b.y = "also"
    g.restore()
    assert [dict(d) for d in g.dicts] == original  # exactly the originals again
    assert g.full_switches == 3


def test_guard_without_version_tags_switches_whole(monkeypatch):
    a = types.ModuleType("a")
    a.x = 1
    g = _guard_for([a], version_tags=False)
    assert g.version is None
    a.x = 2
    g.seal()
    assert vars(a)["x"] == 1
    g.enter()
    assert vars(a)["x"] == 2
    g.restore()
    assert vars(a)["x"] == 1


def test_one_sandbox_start_and_one_probe_per_distinct_call(tmp_path):
    from autograder.engine import Grader
    from autograder.sandbox import Sandbox
    from autograder.training.trainer import Trainer

    starts = []
    real_start = Sandbox.start

    def counting_start(self):
        starts.append(1)
        return real_start(self)

    grader = Grader(CONFIG, Trainer(CONFIG, tmp_path / "cache"), [str(tmp_path)])
    Sandbox.start, saved = counting_start, Sandbox.start
    try:
        result = grader.grade(PROJECT_ROOT / "examples" / "submissions" / "correct_module.py")
    finally:
        Sandbox.start = saved
    assert result.score == CONFIG.max_points()
    assert len(starts) == 1
    assert 0 < result.probes <= 40  # memoised: one probe per distinct (function, arguments)


def test_reading_a_notebook_does_not_build_the_iri_grammar(tmp_path):
    code = ("import sys, autograder.commands.cli, autograder.intake as i, pathlib; "
            "i.load_submission(pathlib.Path(sys.argv[1]), 1 << 24); "
            "print(__import__('json').dumps('rfc3987_syntax.syntax_helpers' in sys.modules))")
    # an nbformat 3 notebook: read by nbformat (a version 4 one does not even import it)
    nb = PROJECT_ROOT / "examples" / "hostile" / "broken_notebook_nbformat3.ipynb"
    out = subprocess.run([sys.executable, "-c", code, str(nb)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False
    # and the module still imports for anyone who asks for it afterwards
    later = subprocess.run([sys.executable, "-c", "import autograder.engine, importlib.util as u; "
                            "print(u.find_spec('rfc3987_syntax') is None or __import__('rfc3987_syntax') is not None)"],
                           capture_output=True, text=True, check=True)
    assert later.stdout.strip() == "True"


def test_one_notebook_command_imports_only_what_it_uses():
    """`initgrade grade one.ipynb`: no nbformat/jsonschema, IPython, process pool, progress bar or
    packaging for a notebook as Jupyter writes it, %matplotlib inline included (about 150 ms)."""
    unused = ["nbformat", "jsonschema", "IPython", "multiprocessing", "concurrent.futures", "rich.progress",
              "autograder.packaging"]
    code = ("import sys, json, pathlib, autograder.commands.cli, autograder.intake as i, autograder.config as c; "
            "c.load_config(); sub = i.load_submission(pathlib.Path(sys.argv[1]), 1 << 24); "
            f"print(json.dumps([sub.kind, [m for m in {unused!r} if m in sys.modules]]))")
    nb = PROJECT_ROOT / "examples" / "submissions" / "correct_notebook.ipynb"
    assert "%matplotlib inline" in nb.read_text()
    out = subprocess.run([sys.executable, "-c", code, str(nb)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["notebook", []]


def test_generated_batch_is_what_the_benchmark_says(tmp_path):
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(PROJECT_ROOT / "bench"))
    paths = generate(tmp_path, 20, seed=1)
    assert len(paths) == len({p.read_bytes() for p in paths}) == 20
    assert {p.suffix for p in paths} == {".py", ".ipynb"}
    assert Path(paths[0]).parent == tmp_path


def test_a_warm_one_notebook_grade_reads_no_data_and_adopts_the_early_sandbox_starter(tmp_path):
    """With a warm training cache, `initgrade grade one.ipynb` neither reads the datasets nor imports
    h5py (the input sizes are remembered in the cache), and the zygote started before the grader's
    imports (autograder.launch) is the one the grader uses. It starts one keeper (none ahead for a
    next submission) and sets up no watch of the hide list (host.hide_watch): both only pay off
    from a second sandbox on."""
    nb = PROJECT_ROOT / "examples" / "submissions" / "correct_notebook.ipynb"
    args = ["grade", str(nb), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, check=True, env=env)
    code = ("import sys, json\n"
            "from autograder import launch\n"
            "from autograder.sandbox.host import zygote\n"
            "started = []\n"
            "real = zygote.Zygote.prestart\n"
            "zygote.Zygote.prestart = lambda self: (started.append(self), real(self))[1]\n"
            "spawned = []\n"
            "real_spawn = zygote.Zygote.spawn\n"
            "zygote.Zygote.spawn = lambda self, **kw: (spawned.append(self), real_spawn(self, **kw))[1]\n"
            "from autograder.sandbox.host import hide_watch\n"
            "watches = []\n"
            "real_open = hide_watch._Watch.open.__func__\n"
            "hide_watch._Watch.open = classmethod(lambda cls, named: (watches.append(1), real_open(cls, named))[1])\n"
            "sys.argv = ['initgrade', *sys.argv[1:]]\n"
            "try:\n    launch.run()\nexcept SystemExit as e:\n    status = e.code\n"
            "print(json.dumps({'status': status, 'h5py': 'h5py' in sys.modules, 'zygotes': len(set(map(id, started))),"
            " 'early_used': bool(spawned) and all(z is started[0] for z in spawned),"
            " 'keepers': len(spawned), 'watches': len(watches)}))")
    out = subprocess.run([sys.executable, "-c", code, *args, "--force"], capture_output=True, text=True, check=True,
                         env=env)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found == {"status": 0, "h5py": False, "zygotes": 1, "early_used": True, "keepers": 1, "watches": 0}, \
        out.stdout[-2000:]
    grades = (tmp_path / "out" / "gradebook.csv").read_text()
    assert "correct_notebook" in grades


def test_guard_covers_every_module_of_the_kit_loaded_when_it_captures():
    """The jail's own code is guarded whatever module it lives in (call reuse, the stubs): the guard
    derives the kit's modules from sys.modules instead of keeping a list."""
    import autograder.sandbox.jail.reuse
    import autograder.sandbox.jail.stubs  # noqa: F401 - loaded in the jail before capture

    g = guard.TamperGuard()
    g.capture()
    guarded = {id(d) for d in g.dicts}
    kit = [n for n in list(sys.modules) if n == "autograder" or n.startswith("autograder.")]
    assert "autograder.sandbox.jail.reuse" in kit and "autograder.sandbox.jail.stubs" in kit
    assert [n for n in kit if id(vars(sys.modules[n])) not in guarded] == []
    assert id(vars(sys.modules["numpy"])) in guarded and id(sys.modules) in guarded
