"""Sandbox outcomes (autograder.sandbox.outcomes): one table of signal hints for both sides, exit
statuses read the same from a wait status and from a return code, and every failure typed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from autograder.sandbox import outcomes
from autograder.sandbox.outcomes import ExitStatus, Outcome


def _wait_status(code: str) -> int:
    pid = os.fork()
    if pid == 0:
        exec(code)  # noqa: S102 - the test's own literal
        os._exit(0)
    return os.waitpid(pid, 0)[1]


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL, signal.SIGXCPU, signal.SIGXFSZ, signal.SIGUSR1])
def test_a_signal_reads_the_same_from_every_source(sig):
    # Python ignores SIGXFSZ: the default action back first (SIGKILL cannot be caught or reset)
    reset = f"signal.signal({int(sig)}, signal.SIG_DFL)\n" if sig != signal.SIGKILL else ""
    from_wait = ExitStatus.from_wait(_wait_status(reset + f"os.kill(os.getpid(), {int(sig)})"))
    assert from_wait == ExitStatus.from_returncode(-sig) == ExitStatus.from_returncode(128 + sig)
    assert from_wait.signal == sig.name
    hint = outcomes.SIGNAL_HINTS.get(sig.name)
    assert from_wait.clause() == f"was killed by {sig.name}" + (f" ({hint})" if hint else "")
    assert from_wait.brief() == f"killed by {sig.name}" + (f" ({hint})" if hint else "")


def test_an_exit_code_and_a_real_process():
    assert outcomes.describe_status(_wait_status("os._exit(7)")) == "exited with code 7"
    code = subprocess.run([sys.executable, "-c", "import os; os.kill(os.getpid(), 11)"]).returncode
    assert outcomes.describe_exit(code) == "killed by SIGSEGV (a crash, e.g. endless recursion or ctypes)"
    assert outcomes.describe_exit(4) == "exit code 4"
    assert outcomes.describe_exit(None) == "still running"
    assert outcomes.describe_exit(200) == "exit code 200"  # beyond 128 + 64: not a signal passed on


def test_every_failure_carries_its_kind():
    made = {
        outcomes.budget_used_up(60): Outcome.TIMEOUT,
        outcomes.load_timeout(10, ""): Outcome.TIMEOUT,
        outcomes.call_timeout("f", 3): Outcome.TIMEOUT,
        outcomes.died_loading("exit code 4", ""): Outcome.DIED,
        outcomes.died_in_call("f", "exit code 4"): Outcome.DIED,
        outcomes.bad_load_reply(): Outcome.BAD_REPLY,
        outcomes.bad_call_reply("f", "bad magic"): Outcome.BAD_REPLY,
        outcomes.cannot_isolate(["UNSAFE: x"]): Outcome.CANNOT_ISOLATE,
        outcomes.cannot_fork_after_load("EAGAIN", 64): Outcome.LIMIT_EXCEEDED,
        outcomes.cannot_run("f", "files", "EMFILE", 64, 64): Outcome.LIMIT_EXCEEDED,
        outcomes.unreadable_value("f", "MemoryError"): Outcome.UNREADABLE,
    }
    for error, kind in made.items():
        assert isinstance(error, outcomes.SandboxError) and error.outcome is kind, error
    assert isinstance(outcomes.call_timeout("f", 3), outcomes.ProbeTimeout)
    again = outcomes.not_called_again(outcomes.died_in_call("f", "exit code 4"))
    assert again.outcome is Outcome.DIED and str(again).endswith("(not called again)")
