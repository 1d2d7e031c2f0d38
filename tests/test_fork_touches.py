"""What each forked process of a sandbox touches of the memory it shares with the zygote (issue 23).

A fresh fork shares every page with its parent; the first write to one copies it, and in Python
reading an object writes its reference count. So work that touches every module (copying their
dicts, listing them) is done once where it can be: before the fork, and in the process that all
sandboxes are forked from. Counted here, never timed:

* the tamper guard's copies of the guarded dicts are made by the zygote (``precapture``); a
  sandbox copies again only a dict whose version tag moved since, and its seal copies and puts
  back only the dicts loading changed;
* the call worker's fingerprint gets its list of watched dicts from the sandbox, listed before
  the worker's fork, instead of listing every module again in each worker.
"""

from __future__ import annotations

import functools
import os
import types

import numpy as np
import pytest

from autograder.config import PROJECT_ROOT, load_config
from autograder.intake import load_submission
from autograder.sandbox import Sandbox, detect_isolation, hide_paths, new_zygote, wire
from autograder.sandbox.jail import guard, reuse
from autograder.sandbox.jail import zygote as zygote_side
from autograder.sandbox.jail.serve import answer_probe

CONFIG = load_config()
CORRECT = (PROJECT_ROOT / "examples" / "submissions" / "correct_module.py").read_text()


class _ScratchGuard(guard.TamperGuard):
    """A guard of a few scratch dicts, standing for the guarded modules."""

    def __init__(self, dicts: list[dict]):
        super().__init__()
        self.scratch = dicts

    def _default_dicts(self) -> list[dict]:
        self.listed = getattr(self, "listed", 0) + 1
        return list(self.scratch)


def _counting_copies(monkeypatch) -> list[int]:
    """Count the guard's ``dict(...)`` copies (its module-level name, looked up before the builtin)."""
    copies: list[int] = []

    def counted(*args, **kwargs):
        copies.append(1)
        return dict(*args, **kwargs)

    monkeypatch.setattr(guard, "dict", counted, raising=False)
    return copies


@pytest.fixture
def tagged():
    if guard.TamperGuard().version is None:
        pytest.fail("this Python has no readable dict version tags: the guard's precapture is off here")


def test_a_sandbox_copies_only_the_dicts_changed_since_the_zygote_copied_them(monkeypatch, tagged):
    a, b, c = {"x": 1}, {"y": [2]}, {"z": 3}
    g = _ScratchGuard([a, b, c])
    g.precapture()
    ready = {k: v[2] for k, v in g._ready.items()}
    copies = _counting_copies(monkeypatch)
    g.precapture()  # again, nothing changed: nothing copied again, not even the modules listed
    assert copies == [] and g.listed == 1
    b["y2"] = 5  # the sandbox's own start-up changed one (as it sets sys.argv)
    g.capture()
    assert len(copies) == 1  # was 3: every guarded dict copied in every sandbox
    assert g.original[0] is ready[id(a)] and g.original[2] is ready[id(c)]
    assert g.original[1] == {"y": [2], "y2": 5} and g.original[1] is not ready[id(b)]


def test_a_copy_is_not_taken_for_another_dict_or_after_any_change(tagged):
    a = {"k": 1}
    g = _ScratchGuard([a])
    g.precapture()
    for change in (lambda: a.__setitem__("k", 2), lambda: a.pop("k"), lambda: a.update(k=1)):
        change()
        g.capture()
        assert g.original[0] == a and g.original[0] is not g._ready[id(a)][2]
    listed = g.listed
    g.precapture()  # a change seen by the zygote: listed and copied again there
    assert g.listed == listed + 1 and g._ready[id(a)][2] == a
    other = {"k": 1}  # equal content, another dict: never the copy of ``a``
    assert g._copy(other, g.version(other)) is not g._ready[id(a)][2]


def _walk(g: guard.TamperGuard, dicts: list[dict], load) -> list:
    """The states a sandbox's guard goes through: loaded, sealed, a call entered, restored."""
    g.capture(dicts if not isinstance(g, _ScratchGuard) else None)
    load()
    g.seal()
    states = [[dict(d) for d in dicts]]
    g.enter()
    states.append([dict(d) for d in dicts])
    dicts[0]["during_call"] = 1  # a call that patches a guarded dict
    g.restore()
    states.append([dict(d) for d in dicts])
    g.enter()
    states.append([dict(d) for d in dicts])
    dicts[1]["patched_too"] = 2  # one loading did not change: put back whole all the same
    g.restore()
    states.append([dict(d) for d in dicts])
    g.enter()
    states.append([dict(d) for d in dicts])
    g.restore()
    states.append([dict(d) for d in dicts])
    return states


def test_seal_switches_only_what_loading_changed_and_every_state_is_as_before(monkeypatch, tagged):
    def fresh():
        return [{"print": print, "len": len}, {"name": "sys", "argv": ["x"]}, {"numpy": np}]

    mine = types.ModuleType("mine")

    def load(dicts):
        dicts[0]["print"] = "patched"  # a submission patching a builtin and adding a module
        dicts[2]["mine"] = mine
        return dicts

    old_dicts = fresh()  # the reference: every dict copied and switched whole, as without tags
    old = _walk(guard.TamperGuard(version_tags=False), old_dicts, lambda: load(old_dicts))
    new_dicts = fresh()
    g = _ScratchGuard(new_dicts)
    g.precapture()
    copies = _counting_copies(monkeypatch)
    new = _walk(g, new_dicts, lambda: load(new_dicts))
    assert g.student[1] is g.original[1] and g.diffs[1] == ([], {})  # untouched by loading: no copy, no diff
    assert new == old
    assert len(copies) == 2  # was 6: all three at capture, all three again at seal
    assert g._diffed == [0, 2]  # a call with no tag moved switches only these (was: every dict visited)
    assert g.full_switches == 2  # the dicts a call patched, seen and put back whole


_NAMESPACES = pytest.mark.skipif(not detect_isolation().namespaces and
                                 os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                                 reason="the zygote runs only with namespaces")

# Asked inside the sandbox: of the guard's originals, how many are the zygote's own copies.
ZYGOTE_COPIES = '''
import sys
def zygote_copies():
    g = sys.modules["autograder.sandbox.jail.guard"].GUARD
    ready = [r[2] for r in g._ready.values()]
    shared = sum(1 for o in g.original if any(o is r for r in ready))
    return {"n": np.array([float(shared), float(len(g.original))])}
'''


@_NAMESPACES
def test_in_a_sandbox_the_guard_s_originals_are_the_zygote_s_copies(tmp_path):
    sub_file = tmp_path / "sub.py"
    sub_file.write_text(CORRECT + ZYGOTE_COPIES)
    sub = load_submission(sub_file, 1 << 20)
    zygote = new_zygote(detect_isolation())
    assert zygote is not None
    try:
        with Sandbox(sub.chunks, sub.files, CONFIG.functions + ["zygote_copies"], CONFIG.limits,
                     hide_paths([str(tmp_path)]), CONFIG.sandbox.stub_modules, zygote=zygote) as sb:
            sb.start()
            shared, total = sb.call("zygote_copies", []).arrays[0].tolist()
    finally:
        zygote.close()
    # Copied again in the sandbox: only what its start-up changes (sys.argv, __main__, the stub
    # modules in sys.modules); every other guarded module is the zygote's copy.
    assert total > 20 and total - shared <= 4, (shared, total)


def test_the_worker_lists_no_module_again(monkeypatch):
    """Counted on a pipe: the listing runs in the sandbox before the fork, not in the worker."""
    count_r, count_w = os.pipe()
    real = reuse._watched_dicts

    def counted(*args):
        os.write(count_w, b".")
        return real(*args)

    monkeypatch.setattr(reuse, "_watched_dicts", counted)
    mod = types.ModuleType("scratch_module")
    call = functools.partial(answer_probe, max_array_bytes=1 << 20)
    worker = reuse.CallWorker({"f": lambda: {"w": np.zeros(2)}}, call, lambda: 0,
                              guard.TamperGuard().version or (lambda d: 0), [mod], set())
    os.close(count_w)
    try:
        assert worker.start() is None
        assert worker.to_worker is not None and worker.from_worker is not None
        wire.write_frame(worker.to_worker, {"op": "call", "function": "f", "args": [], "seq": 1})
        os.set_blocking(worker.from_worker, True)
        assert os.read(worker.from_worker, 1 << 16)  # replied: its fingerprint was taken before
    finally:
        worker.end()
    listed = os.read(count_r, 64)
    os.close(count_r)
    assert listed == b".", listed  # was two: once more in the worker, touching every module


def test_a_fingerprint_on_a_list_made_before_still_sees_a_module_change(tagged):
    mod = types.ModuleType("scratch_module")
    namespace: dict = {}
    version = guard.TamperGuard().version
    watched = reuse._watched_dicts(namespace, version, [mod], set())
    # In a fork, as the call worker: ``unchanged`` counts the process's threads, and this test
    # process may hold threads an earlier test left running (one is "a thread the call started").
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fingerprint = reuse._Fingerprint(namespace, version, [mod], set(), watched=watched)
            code = 2 if not (fingerprint.dicts is watched[0] and fingerprint.unchanged()) else 3
            mod.patched = True
            code = 0 if code == 3 and not fingerprint.unchanged() else code
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    # 2: not the list made before, or a change seen where there was none; 3: the module's change unseen
    assert os.waitstatus_to_exitcode(status) == 0


# ---------------------------------------------------------------------------------------------
# The keeper: what it does with the system calls alone, or takes from the zygote


def test_the_keeper_writes_a_file_in_one_system_call_and_fails_as_open_did(tmp_path, monkeypatch):
    target = tmp_path / "uid_map"
    target.write_text("an older, longer content")
    writes = []
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: writes.append(data) or real(fd, data))
    zygote_side._write(str(target), "0 1000 1")
    monkeypatch.undo()
    assert target.read_text() == "0 1000 1" and writes == [b"0 1000 1"]  # truncated, one write (a uid map's rule)
    with pytest.raises(OSError):
        zygote_side._write(str(tmp_path / "missing" / "cgroup.procs"), "1")
    with pytest.raises(OSError):
        zygote_side._write(str(tmp_path), "1")  # a folder: refused, as open(path, "w") refuses it


def test_the_c_library_is_loaded_once_by_the_zygote_with_the_keeper_s_functions():
    zygote_side._prepare_once()
    lib = zygote_side._libc()
    assert zygote_side._libc() is lib  # was one load per keeper
    assert {"unshare", "mount", "prctl"} <= set(vars(lib))  # found once; a keeper only calls them


# What a sandbox sees of its environment, as numbers: a zygote-only variable, HOME, how many.
ENVIRONMENT = '''
import os
def environment():
    return {"n": np.array([float("INITGRADE_ZYGOTE_ONLY" in os.environ), float(os.environ.get("HOME") == "/tmp"),
                           float(len(os.environ))])}
'''


@_NAMESPACES
def test_a_sandbox_has_the_request_s_environment_whether_or_not_the_zygote_s_is_the_same(tmp_path):
    from autograder.sandbox.host.isolation import sandbox_env
    from autograder.sandbox.host.zygote import Zygote

    sub_file = tmp_path / "sub.py"
    sub_file.write_text(CORRECT + ENVIRONMENT)
    sub = load_submission(sub_file, 1 << 20)
    seen = []
    # The usual zygote (the same environment as every request: nothing rebuilt), and one with a
    # variable of its own (the environment replaced whole, as always).
    for env in (sandbox_env(), {**sandbox_env(), "INITGRADE_ZYGOTE_ONLY": "1"}):
        zygote = Zygote(env)
        try:
            with Sandbox(sub.chunks, sub.files, CONFIG.functions + ["environment"], CONFIG.limits,
                         hide_paths([str(tmp_path)]), CONFIG.sandbox.stub_modules, zygote=zygote) as sb:
                sb.start()
                seen.append(sb.call("environment", []).arrays[0].tolist())
        finally:
            zygote.close()
    assert seen[0] == seen[1] == [0.0, 1.0, float(len(sandbox_env()))], seen


def test_a_precapture_that_fails_leaves_the_sandbox_to_copy_every_dict(monkeypatch, tagged):
    """The zygote's copies are an optimisation: one it could not make is one the sandbox makes."""
    g = _ScratchGuard([{"a": 1}, {"b": 2}])
    monkeypatch.setattr(zygote_side, "GUARD", g)
    monkeypatch.setattr(g, "_default_dicts", lambda: 1 / 0)
    zygote_side._precapture()  # the zygote's loop goes on to fork
    monkeypatch.undo()
    copies = _counting_copies(monkeypatch)
    g.capture()
    assert len(copies) == 2 and g.original == [{"a": 1}, {"b": 2}]
