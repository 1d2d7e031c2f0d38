"""The pre-forked sandbox starter (autograder.sandbox.host.zygote) and the grader-seeded random stream.

The hostile suite (test_hostile.py) runs every attack through zygote-forked
sandboxes; these tests pin what is specific to the zygote: each sandbox gets its
own namespaces, the zygote really is what starts them, a zygote that cannot
isolate is abandoned for the exec path without blaming the submission, and an
unseeded function grades the same every time (so its training is cached).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sandbox_of import sandbox_of

from autograder.config import PROJECT_ROOT, load_config
from autograder.engine import Grader
from autograder.sandbox import SandboxError, detect_isolation, new_zygote
from autograder.sandbox.host import zygote
from autograder.training.trainer import Trainer

CONFIG = load_config()
CORRECT = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"
NO_SEED = PROJECT_ROOT / "examples" / "mistakes" / "he_no_seed.py"

pytestmark = pytest.mark.skipif(not detect_isolation().namespaces and
                                os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                                reason="the zygote is used only with namespaces")

PROBE_NS = '''
import os
def initialize_parameters_zeros(layers_dims):
    import numpy as np
    raise RuntimeError("ns=" + os.readlink("/proc/self/ns/user") + " pid=" + str(os.getpid()) + " end")
'''


def _sandbox(tmp_path: Path, code: str, z, preload: list[str] = ()):
    return sandbox_of(tmp_path, code, z, preload=preload)


def _identity(sb) -> str:
    reply = sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
    assert reply.header.get("status") == "raised", reply.header
    return reply.header["message"].split("ns=", 1)[1].split(" end", 1)[0]


def test_every_sandbox_from_the_zygote_gets_its_own_namespaces(tmp_path):
    assert detect_isolation().namespaces
    z = new_zygote(detect_isolation())
    try:
        # All three alive at once: the kernel reuses a freed namespace's inode number.
        sandboxes = [_sandbox(tmp_path, PROBE_NS, z) for _ in range(3)]
        try:
            for sb in sandboxes:
                sb.start()
                assert isinstance(sb.proc, zygote.KeeperProcess)
            seen = [_identity(sb) for sb in sandboxes]
        finally:
            for sb in sandboxes:
                sb.close()
        # Three keepers started, the second and third ahead of their start (host.ahead), and one more
        # ahead for a next start that never came.
        assert (z.spawned, z.taken_ahead, z.ahead is not None) == (4, 2, True)
        grader_ns = os.readlink("/proc/self/ns/user")
        namespaces = [s.split(" pid=")[0] for s in seen]
        assert grader_ns not in namespaces
        assert len(set(namespaces)) == 3  # a new user namespace per sandbox
        # The probe runs in a fork of the sandbox's pid 1: a small pid in a new pid namespace.
        assert all(int(s.split(" pid=")[1]) < 50 for s in seen)
    finally:
        z.close()


def test_a_grader_starts_its_sandboxes_from_one_zygote_and_closing_ends_it(tmp_path):
    with Grader(CONFIG, Trainer(CONFIG, tmp_path / "cache"), [str(tmp_path)]) as grader:
        grader.prestart()
        first = grader.grade(CORRECT)
        second = grader.grade(CORRECT)
        assert first.score == second.score == CONFIG.max_points()
        assert (grader.zygote.spawned, grader.zygote.taken_ahead) == (3, 1)  # one keeper waiting ahead
        proc = grader.zygote.process
        assert proc is not None and proc.poll() is None
        waiting = grader.zygote.ahead
        assert waiting is not None and waiting.proc.poll() is None
        cgroup = waiting.cgroup
    assert proc.poll() is not None  # closed with the grader: no process left behind
    assert waiting.proc.poll() is not None and grader.zygote.ahead is None  # nor the keeper ahead
    if cgroup is not None:
        assert all(not folder.exists() for _, folder in cgroup.folders)  # nor its cgroup


def test_a_keeper_that_cannot_isolate_is_replaced_and_the_student_is_not_blamed(tmp_path, monkeypatch):
    z = new_zygote(detect_isolation())
    real_spawn = z.spawn

    def spawn_into_a_missing_cgroup(**kw):
        # The keeper's first step fails, as a failed unshare would.
        return real_spawn(**{**kw, "cgroup_procs": [str(tmp_path / "missing" / "cgroup.procs")]})

    monkeypatch.setattr(z, "spawn", spawn_into_a_missing_cgroup)
    try:
        for attempt in range(1, z.GIVE_UP_AFTER + 1):
            with _sandbox(tmp_path, PROBE_NS, z) as sb:
                load = sb.start()
                assert "initialize_parameters_zeros" in load.functions
                assert not isinstance(sb.proc, zygote.KeeperProcess)  # the exec path served it
                assert sb.zygote is None
                assert _identity(sb)
            assert z.replaced == attempt  # a fresh zygote for the next submission
            # Only fresh zygotes failing again and again mean this machine cannot do it.
            assert bool(z.broken) == (attempt == z.GIVE_UP_AFTER)
    finally:
        z.close()


# Statuses with a meaning somewhere in the kit: success, errors, the child's "compromised" (4), the
# keeper's old "could not isolate" (121), 126/127 (a shell's), 128+n (a signal passed on), 255.
MEANINGFUL_STATUSES = (0, 1, 2, 3, 4, 121, 126, 127, 128 + 9, 128 + 15, 128 + 31, 255)

EXIT_AT_LOAD = '''
import os
os._exit({code})
'''

EXIT_IN_CALL = '''
import os
def initialize_parameters_zeros(layers_dims):
    os._exit({code})
'''


def test_no_exit_status_of_a_submission_takes_the_zygote_out_of_use(tmp_path):
    """A submission exiting with any status, at load time or in a function, is its own failure: the
    next submission of the worker is still forked from the same zygote, never exec'd."""
    z = new_zygote(detect_isolation())
    try:
        z.prestart()
        first = z.process
        for code in MEANINGFUL_STATUSES:
            for template in (EXIT_AT_LOAD, EXIT_IN_CALL):
                with _sandbox(tmp_path, template.format(code=code), z) as sb:
                    try:
                        sb.start()
                        sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
                    except SandboxError:
                        pass
                    assert sb.zygote is z, code
                with _sandbox(tmp_path, PROBE_NS, z) as sb:
                    sb.start()
                    assert isinstance(sb.proc, zygote.KeeperProcess), code  # the next one: forked
                    assert _identity(sb)
        assert z.broken is None and z.replaced == 0
        assert z.process is first  # the same zygote all along
        assert z.spawned - (z.ahead is not None) == 2 * 2 * len(MEANINGFUL_STATUSES)  # one keeper each
    finally:
        z.close()


def test_a_dead_zygote_is_restarted(tmp_path):
    z = new_zygote(detect_isolation())
    try:
        z.prestart()
        z.process.kill()
        z.process.wait()
        with _sandbox(tmp_path, PROBE_NS, z) as sb:
            sb.start()
            assert isinstance(sb.proc, zygote.KeeperProcess)
            assert _identity(sb)
    finally:
        z.close()


@pytest.mark.parametrize("stream", ["legacy", "generator"])
def test_an_unseeded_function_grades_the_same_every_time_and_trains_once(tmp_path, stream):
    """Unseeded: the legacy np.random.randn, or a Generator from default_rng() with no seed."""
    submission = NO_SEED
    if stream == "generator":
        submission = tmp_path / "he_unseeded_rng.py"
        source = (PROJECT_ROOT / "examples" / "mistakes" / "he_default_rng.py").read_text()
        assert "np.random.default_rng(3)" in source
        submission.write_text(source.replace("np.random.default_rng(3)", "np.random.default_rng()"))
    cache = tmp_path / "cache"
    results, trainings = [], []
    for _ in range(2):
        trainer = Trainer(CONFIG, cache)
        with Grader(CONFIG, trainer, [str(tmp_path)]) as grader:
            results.append(grader.grade(submission))
        trainings.append(trainer.trainings_run)
    first, second = results
    assert [(c.check, c.score, c.message) for c in first.checks] == [(c.check, c.score, c.message)
                                                                     for c in second.checks]
    assert first.score < CONFIG.max_points()  # the seed the grader starts from is not the spec's
    assert trainings[0] > 0 and trainings[1] == 0  # the same initialization: found in the cache
    if stream == "legacy":  # and the diagnosis still sees that the values change between runs
        seeded = next(c for c in first.checks if c.question == "he" and c.check == "seeded_values")
        assert any("seed" in d.code for d in seeded.diagnoses), seeded.diagnoses


LOADED = '''
import sys
import numpy as np
def initialize_parameters_zeros(layers_dims):
    return {"W1": np.array([[float("initlab.model" in sys.modules)]])}
'''


def test_the_zygote_preloads_the_kits_modules_and_skips_names_that_do_not_import(tmp_path):
    """grading.yaml's sandbox.preload_modules are imported once by the zygote: a sandbox has
    them without importing them (this submission never does). A bad name costs nothing."""
    assert "initlab.model" in CONFIG.sandbox.preload_modules
    z = new_zygote(detect_isolation())
    try:
        with _sandbox(tmp_path, LOADED, z) as sb:
            sb.start()
            before = sb.call("initialize_parameters_zeros", [{"list": [1, 1]}]).arrays[0][0, 0]
        with _sandbox(tmp_path, LOADED, z, ["no.such.module", "initlab.model"]) as sb:
            sb.start()
            after = sb.call("initialize_parameters_zeros", [{"list": [1, 1]}]).arrays[0][0, 0]
    finally:
        z.close()
    assert (before, after) == (0.0, 1.0)



class _KeeperThatCannotIsolate:
    """A zygote whose keeper says at once, on its status pipe, that it could not isolate the sandbox."""

    def __init__(self):
        self.spawned = self.dropped = 0
        self.pids: list[int] = []

    def spawn(self, **fds):
        from autograder.sandbox.keeper_protocol import NOT_ISOLATED, STATUS

        self.spawned += 1
        status_r, status_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the keeper: no submission code, only the status
            os.write(status_w, STATUS.pack(NOT_ISOLATED, 0))
            os._exit(1)
        os.close(status_w)
        self.pids.append(pid)
        return zygote.KeeperProcess(pid, status_r, None)

    def could_not_isolate(self):
        self.dropped += 1

    def isolated(self):
        raise AssertionError("this keeper never isolates")


def test_a_keeper_that_cannot_isolate_drops_the_zygote_and_the_sandbox_starts_once_more_the_exec_way(tmp_path):
    """Sandbox.start's one retry: the zygote is dropped (told so once) and the same sandbox loads the
    submission in an exec'd process; no third start."""
    keeper = _KeeperThatCannotIsolate()
    sb = _sandbox(tmp_path, "def initialize_parameters_zeros(layers_dims):\n    return {}\n", keeper)
    try:
        load = sb.start()
        assert (keeper.spawned, keeper.dropped, sb.starts, sb.zygote) == (1, 1, 2, None)
        assert "initialize_parameters_zeros" in load.functions
    finally:
        sb.close()
        for pid in keeper.pids:
            os.waitpid(pid, 0)
