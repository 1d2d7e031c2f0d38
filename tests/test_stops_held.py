"""Stop signals held while a keeper, a cgroup or a sandbox is made or ended (autograder.sandbox.host.stops_held).

A Ctrl-C that landed while the next sandbox's keeper was being started (its cgroup made, the
zygote's reply awaited) left that cgroup behind: nothing held it yet. These tests send the signal
at such a moment, from inside the step, and check that the step ends whole, that the signal then
does what it would have done (the batch's stop, the default action, nothing when ignored), and
that a grader stopped there leaves no keeper and no cgroup.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from autograder.config import PROJECT_ROOT
from autograder.sandbox import detect_isolation, new_zygote
from autograder.sandbox.host import ahead, cgroups
from autograder.sandbox.host.stops_held import stops_held


class Stopped(BaseException):
    pass


def _stop(signum, frame):
    raise Stopped(signum)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_inside_the_step_comes_after_it_whole(signum):
    old = signal.signal(signum, _stop)
    try:
        steps = []
        with pytest.raises(Stopped):
            with stops_held():
                os.kill(os.getpid(), signum)
                steps.append("the rest of the step")
        assert steps == ["the rest of the step"]
        assert signal.getsignal(signum) is _stop  # the handler in place again
    finally:
        signal.signal(signum, old)


def test_an_ignored_signal_stays_ignored_and_the_default_action_comes_after_the_step():
    code = (
        "import os, signal\n"
        "from autograder.sandbox.host.stops_held import stops_held\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
        "with stops_held():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    print('ignored', flush=True)\n"
        "with stops_held():\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    print('step done', flush=True)\n"
        "print('not reached', flush=True)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert done.stdout.split() == ["ignored", "step", "done"]


def _own_cgroups() -> set[str]:
    layout = cgroups.detect()
    found = set()
    for _, base in (layout.bases if layout else ()):
        group = base / cgroups.GROUP
        for entry in group.iterdir() if group.is_dir() else ():
            if entry.is_dir() and entry.name.split("-", 1)[0] == str(os.getpid()):
                found.add(str(entry))
    return found


def test_a_stop_while_a_keeper_is_started_ahead_leaves_no_keeper_and_no_cgroup(monkeypatch):
    z = new_zygote(detect_isolation())
    before = _own_cgroups()
    real_spawn = type(z).spawn

    def spawn_then_stop(self, **kwargs):  # the signal lands while the zygote's reply is awaited
        proc = real_spawn(self, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return proc

    monkeypatch.setattr(type(z), "spawn", spawn_then_stop)
    old = signal.signal(signal.SIGINT, _stop)
    try:
        key = ahead.Key(processes=64, memory_bytes=1 << 30, env=(("HOME", "/tmp"),), cwd="/", preload=())
        with pytest.raises(Stopped):
            ahead.prepare_first(z, key)
        held = z.ahead
        assert held is not None, "the keeper made before the stop is held, so the grader's close ends it"
    finally:
        signal.signal(signal.SIGINT, old)
        z.close()
    assert held.proc.poll() is not None  # ended with its grader
    assert _own_cgroups() <= before, _own_cgroups() - before
