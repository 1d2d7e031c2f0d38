"""Sandbox outcomes (autograder.sandbox.outcomes): one table of signal hints for both sides, exit
statuses read the same from a wait status and from a return code, and every failure typed."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.limits import UNREADABLE_MESSAGE_CHARS
from autograder.sandbox import outcomes, wire
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
    assert ExitStatus.from_wait(_wait_status("os._exit(7)")).clause() == "exited with code 7"
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
        outcomes.cannot_fork_after_load(errno.EAGAIN, 64): Outcome.LIMIT_EXCEEDED,
        outcomes.cannot_run("f", outcomes.CallEnded(Outcome.LIMIT_EXCEEDED, limit="open_files",
                                                    errno=errno.EMFILE), 64, 64): Outcome.LIMIT_EXCEEDED,
        outcomes.unreadable_value("f", "MemoryError"): Outcome.UNREADABLE,
    }
    for error, kind in made.items():
        assert isinstance(error, outcomes.SandboxError) and error.outcome is kind, error
    assert isinstance(outcomes.call_timeout("f", 3), outcomes.ProbeTimeout)
    again = outcomes.not_called_again(outcomes.died_in_call("f", "exit code 4"))
    assert again.outcome is Outcome.DIED and str(again).endswith("(not called again)")


# ---------------------------------------------------------------------------------------------
# A call's outcome crosses the wire as data; the grader reads it back field by field and words it.

def _through_the_wire(header: dict) -> dict:
    r, w = os.pipe()
    try:
        wire.write_frame(w, header)
        return wire.read_frame(r)[0]
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.parametrize("code, said", [
    ("os._exit(7)", "exited with code 7"),
    ("os._exit(0)", "exited with code 0"),
    ("signal.signal(11, signal.SIG_DFL)\nos.kill(os.getpid(), 11)",
     "was killed by SIGSEGV (a crash, e.g. endless recursion or ctypes)"),
    ("os.kill(os.getpid(), 9)", "was killed by SIGKILL (out of memory, or killed itself)"),
    ("os.kill(os.getpid(), 10)", "was killed by SIGUSR1"),
])
def test_a_died_call_is_sent_as_data_and_worded_by_the_grader(code, said):
    header = _through_the_wire({**outcomes.died_reply(_wait_status(code)), "seq": 3})
    assert set(header) - {"status", "seq"} in ({"signal"}, {"code"})  # no words on the wire
    ended = outcomes.read_call_ended(header)
    assert ended is not None and ended.outcome is Outcome.DIED
    assert outcomes.call_died("f([5, 4])", ended) == (
        f"f([5, 4]) ended the process running it ({said}); did it call sys.exit/os._exit, or crash?")


def test_a_call_whose_end_the_jail_could_not_see_still_says_it_ended():
    ended = outcomes.read_call_ended(_through_the_wire(outcomes.died_reply(None)))
    assert ended == outcomes.CallEnded(Outcome.DIED)
    assert "f() ended the process running it (ended);" in outcomes.call_died("f()", ended)


@pytest.mark.parametrize("limit, number, said", [
    ("processes", errno.EAGAIN, "the limit of 64 processes and threads is used up"),
    ("open_files", errno.EMFILE, "the limit of 32 open files is used up"),
])
def test_a_limit_is_sent_by_name_and_the_os_error_by_number(limit, number, said):
    refusal = OSError(number, os.strerror(number))
    header = _through_the_wire(outcomes.limit_reply(limit, refusal))
    assert header == {"status": "limit-exceeded", "limit": limit, "errno": number}
    ended = outcomes.read_call_ended(header)
    assert ended is not None
    error = outcomes.cannot_run("f", ended, 64, 32)
    assert error.outcome is Outcome.LIMIT_EXCEEDED
    # the same words the OS error itself gives, composed on the grader's side
    assert str(error) == (f"f could not be called: {said} ({refusal}). Does your code start threads or "
                          "processes, or open files without closing them, at the top level?")
    assert f"({refusal}):" in str(outcomes.cannot_fork_after_load(ended.errno, 64))


def test_a_reply_over_reply_mb_and_an_unreadable_value():
    too_big = outcomes.read_call_ended(_through_the_wire(outcomes.limit_reply("reply_mb")))
    assert too_big == outcomes.CallEnded(Outcome.LIMIT_EXCEEDED, limit="reply_mb")
    assert outcomes.reply_too_large("f(1)") == "f(1) returned far more data than the parameters of this network need"
    unreadable = outcomes.read_call_ended(outcomes.unreadable_reply("MemoryError: " + "x" * 10_000))
    assert unreadable is not None and unreadable.outcome is Outcome.UNREADABLE
    assert unreadable.message == ("MemoryError: " + "x" * 10_000)[:UNREADABLE_MESSAGE_CHARS]


HOSTILE = "<b>/home/grader</b>"
MALFORMED = [
    {"status": "died", "signal": HOSTILE},
    {"status": "died", "signal": 11},
    {"status": "died", "signal": "sigsegv"},
    {"status": "died", "signal": "SIGSEGV" + " " * 5},
    {"status": "died", "signal": ["SIGSEGV"]},
    {"status": "died", "signal": "SIGSEGV", "code": 7},
    {"status": "died", "code": -1},
    {"status": "died", "code": 256},
    {"status": "died", "code": 10**30},
    {"status": "died", "code": True},
    {"status": "died", "code": 7.0},
    {"status": "died", "code": "7"},
    {"status": "died", "code": {"n": 7}},
    {"status": "limit-exceeded"},
    {"status": "limit-exceeded", "limit": HOSTILE},
    {"status": "limit-exceeded", "limit": "memory_mb"},
    {"status": "limit-exceeded", "limit": ["processes"]},
    {"status": "limit-exceeded", "limit": "processes", "errno": HOSTILE},
    {"status": "limit-exceeded", "limit": "processes", "errno": "11"},
    {"status": "limit-exceeded", "limit": "processes", "errno": True},
    {"status": "limit-exceeded", "limit": "processes", "errno": -11},
    {"status": "limit-exceeded", "limit": "processes", "errno": 10**30},
    {"status": "limit-exceeded", "limit": "processes", "errno": 11.0},
    {"status": "unreadable"},
    {"status": "unreadable", "message": ["MemoryError"]},
    {"status": "unreadable", "message": None},
]


@pytest.mark.parametrize("header", MALFORMED, ids=lambda h: repr(h)[:60])
def test_malformed_outcome_fields_are_a_bad_reply(header):
    assert outcomes.read_call_ended(header) == outcomes.CallEnded(Outcome.BAD_REPLY)


@pytest.mark.parametrize("status", [None, "returned", "raised", "missing", "cannot-run", "too-large", 7, ["died"],
                                    {"died": 1}, "DIED", "died "])
def test_statuses_that_are_no_outcome_are_left_to_the_caller(status):
    assert outcomes.read_call_ended({"status": status, "signal": "SIGSEGV"}) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)
field_values = (json_values | st.sampled_from(sorted(outcomes.SIGNAL_NAMES)) | st.integers(-5, 300)
                | st.sampled_from(sorted(outcomes.CALL_LIMITS)) | st.sampled_from(sorted(errno.errorcode)))
hostile_headers = st.fixed_dictionaries(
    {"status": st.sampled_from(["died", "limit-exceeded", "unreadable"])},
    optional={k: field_values for k in ("signal", "code", "limit", "errno", "message")})


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(hostile_headers)
def test_any_outcome_fields_read_as_checked_data_or_a_bad_reply(header):
    """Whatever a compromised jail (or a forged frame) puts in the fields: an outcome whose every
    field is of its type and range, or BAD_REPLY; never an exception, never text that is not the
    kit's own in the sentence (the unreadable message is the student's exception, capped)."""
    ended = outcomes.read_call_ended(header)
    assert isinstance(ended, outcomes.CallEnded)
    if ended.outcome is Outcome.DIED:
        assert ended.exit is None or ended.exit.signal in outcomes.SIGNAL_NAMES or (
            type(ended.exit.code) is int and 0 <= ended.exit.code <= 255)
        sentence = outcomes.call_died("f()", ended)
        assert "<" not in sentence and len(sentence) < 200
    elif ended.outcome is Outcome.LIMIT_EXCEEDED:
        assert ended.limit in outcomes.CALL_LIMITS
        assert ended.errno is None or ended.errno in errno.errorcode
        assert "<" not in str(outcomes.cannot_run("f", ended, 64, 64))
    elif ended.outcome is Outcome.UNREADABLE:
        assert isinstance(header["message"], str) and ended.message == header["message"][:UNREADABLE_MESSAGE_CHARS]
    else:
        assert ended == outcomes.CallEnded(Outcome.BAD_REPLY)


@pytest.mark.parametrize("header, said", [
    ({"status": "died", "code": 3}, "f([5, 4]) ended the process running it (exited with code 3); "
                                    "did it call sys.exit/os._exit, or crash?"),
    ({"status": "limit-exceeded", "limit": "reply_mb"},
     "f([5, 4]) returned far more data than the parameters of this network need"),
    ({"status": "missing"}, "f is not defined in your submission (check its name and that its cell is not empty)"),
    ({"status": "raised", "exception": "NotImplementedError", "message": ""},
     "f is not implemented yet: f([5, 4]) raised NotImplementedError"),
    ({"status": "returned", "kind": "other", "type": "x" * 500, "repr": "y" * 5000},
     "f([5, 4]) should return a dict of numpy arrays, but returned a " + "x" * 80 + ": " + "y" * 200),
] + [(bad, "f([5, 4]): the sandbox sent an unexpected reply") for bad in MALFORMED[:13]])
def test_what_a_hidden_test_reports_for_each_reply(header, said):
    """probes words a call's reply with outcomes (the sandbox) and explain (the student's code)."""
    from autograder.sandbox.probes import ProbeFailure, returned_from_reply

    with pytest.raises(ProbeFailure) as failed:
        returned_from_reply("f", ([5, 4],), header, [])
    assert str(failed.value) == said
