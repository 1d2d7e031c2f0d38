"""The next sandbox's keeper started ahead (autograder.sandbox.host.ahead): counted, never a weaker sandbox.

What a keeper ahead has done before its submission is known (fork, cgroup, namespaces, pid 1 with
its /proc); everything that confines (hiding, read-only mounts, capabilities, seccomp, limits) still
happens after the load request. These tests count keepers and check what a sandbox taken from one
sees: an entry made while it waited is hidden, a keeper for other limits or one that died is not
used, and nothing of a keeper outlives its grader or reaches a fork of it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT, load_config
from autograder.intake import load_submission
from autograder.sandbox import Sandbox, detect_isolation, hide_paths, new_zygote
from autograder.sandbox.host import ahead, zygote

CONFIG = load_config()

pytestmark = pytest.mark.skipif(not detect_isolation().namespaces and
                                os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                                reason="keepers are the zygote's, used only with namespaces")

LOOK = '''
import os
def initialize_parameters_zeros(layers_dims):
    path = os.environ.get("HOME", "") and {path!r}
    try:
        found = sorted(os.listdir(path))
    except OSError as exc:
        found = type(exc).__name__
    raise RuntimeError("ns=" + os.readlink("/proc/self/ns/user") + " seen=" + repr(found) + " end")
'''


def _sandbox(tmp_path: Path, code: str, z, limits=CONFIG.limits, extra: list[str] | None = None) -> Sandbox:
    sub_file = tmp_path / "sub.py"
    sub_file.write_text(code)
    sub = load_submission(sub_file, 1 << 20)
    return Sandbox(sub.chunks, sub.files, CONFIG.functions, limits, hide_paths(extra or [str(tmp_path)]),
                   CONFIG.sandbox.stub_modules, zygote=z)


def _where_entries_are_hidden_one_by_one() -> Path:
    """The project's folder, whose entries off the ways to assignment/ and data/ are hidden one by one;
    or, when it lies in a folder the jail replaces by its own tmpfs (a CI clone under /tmp, where
    nothing of it but the needed folders is in sight, whatever the list says), the root folder, whose
    entries are hidden one by one too."""
    from autograder.sandbox.host import hiding

    project = PROJECT_ROOT.resolve()
    if any(project == f or f in project.parents for f in hiding._private_folders()):
        return Path("/")
    return PROJECT_ROOT


def _seen(sb: Sandbox) -> str:
    reply = sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
    assert reply.header.get("status") == "raised", reply.header
    return reply.header["message"].split("seen=", 1)[1].split(" end", 1)[0]


@pytest.fixture
def z():
    made = new_zygote(detect_isolation())
    yield made
    made.close()


def test_each_start_after_the_first_takes_the_keeper_started_ahead(tmp_path, z):
    for n in range(1, 4):
        with _sandbox(tmp_path, LOOK.format(path="/"), z) as sb:
            sb.start()
            assert isinstance(sb.proc, zygote.KeeperProcess)
            assert z.ahead is not None and z.ahead.proc is not sb.proc  # the next one, already waiting
            assert _seen(sb)
        assert (z.spawned, z.taken_ahead) == (n + 1, n - 1)


def test_an_entry_made_while_the_keeper_waited_is_hidden_from_the_sandbox_that_takes_it(tmp_path, z):
    """The hide list is the one of the load request, computed for that submission: a keeper ahead
    has hidden nothing yet, so a folder made after it was started is covered all the same. (In the
    project's folder, where everything off the ways to assignment/ and data/ is hidden entry by
    entry; /tmp would be the sandbox's own.)"""
    with _sandbox(tmp_path, LOOK.format(path="/"), z) as sb:
        sb.start()
    waiting = z.ahead
    assert waiting is not None
    stale = hide_paths([str(tmp_path)])  # as it was before the folder existed
    later = _where_entries_are_hidden_one_by_one() / f".made-while-a-keeper-waited-{os.getpid()}"
    later.mkdir()
    try:
        (later / "solutions.py").write_text("secret")
        with _sandbox(tmp_path, LOOK.format(path=str(later)), z) as sb:
            sb.start()
            assert sb.proc is waiting.proc  # the keeper started before the folder existed
            assert "solutions.py" not in _seen(sb)
        # The check can fail: a list computed before the folder existed leaves it in sight.
        with _sandbox(tmp_path, LOOK.format(path=str(later)), z) as sb:
            sb.hide = stale
            sb.start()
            assert _seen(sb) == "['solutions.py']"
    finally:
        (later / "solutions.py").unlink()
        later.rmdir()


def test_a_keeper_for_other_limits_is_not_taken_and_leaves_nothing(tmp_path, z):
    with _sandbox(tmp_path, LOOK.format(path="/"), z) as sb:
        sb.start()
    stale = z.ahead
    assert stale is not None
    other = CONFIG.limits.model_copy(update={"processes": CONFIG.limits.processes + 1})
    with _sandbox(tmp_path, LOOK.format(path="/"), z, limits=other) as sb:
        sb.start()
        assert sb.proc is not stale.proc and _seen(sb)
    assert stale.proc.poll() is not None  # killed, not left waiting
    if stale.cgroup is not None:
        assert all(not folder.exists() for _, folder in stale.cgroup.folders)
    assert z.taken_ahead == 0


def test_a_keeper_that_died_while_waiting_is_replaced_by_a_fresh_one(tmp_path, z):
    with _sandbox(tmp_path, LOOK.format(path="/"), z) as sb:
        sb.start()
    dead = z.ahead
    assert dead is not None
    os.killpg(dead.proc.pid, 9)
    dead.proc.wait(timeout=10)
    with _sandbox(tmp_path, LOOK.format(path="/"), z) as sb:
        load = sb.start()  # no error for the submission: a fresh keeper served it
        assert "initialize_parameters_zeros" in load.functions and sb.proc is not dead.proc
        assert _seen(sb)
    assert z.taken_ahead == 0


def test_a_fork_of_the_grader_closes_its_copies_of_a_keeper_s_pipes(tmp_path, z):
    """A worker pool forked while a keeper waits must not keep its lifeline or request pipe open:
    the keeper still ends with the grader that made it."""
    with _sandbox(tmp_path, LOOK.format(path="/"), z) as sb:
        sb.start()
    waiting = z.ahead
    assert waiting is not None
    fds = (waiting.req_fd, waiting.rep_fd, waiting.life_fd)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        still_open = 0
        for fd in fds:
            try:
                os.fstat(fd)
                still_open += 1
            except OSError:
                pass
        os.write(w, bytes([still_open]))
        os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"\x00"
    os.close(r)
    os.waitpid(pid, 0)
    assert waiting.usable()  # the grader's own copies are untouched
    assert ahead.take(z, waiting.key) is waiting
    waiting.discard()
