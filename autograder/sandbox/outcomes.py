"""What can become of a sandbox or of one call, as types; and the words a student reads for each.

Both sides use it: the jail words how a call's process ended (``ExitStatus.clause``), the grader
how the whole sandbox ended (``ExitStatus.brief``) and every failure it reports
(``SandboxError.outcome`` says which kind, so no caller compares message texts). One table of
signal hints serves both. Every sentence a student reads about the sandbox is composed here,
in the student's terms (their code, their function), never the kit's.
"""

from __future__ import annotations

import enum
import os
import signal
from dataclasses import dataclass

from autograder.limits import (
    CALL_PROBLEM_CHARS,
    ISOLATION_PROBLEM_CHARS,
    UNREADABLE_MESSAGE_CHARS,
    WIRE_PROBLEM_CHARS,
)


class Outcome(enum.Enum):
    """Why a sandbox or a call gave no usable answer."""

    TIMEOUT = "timeout"  # a deadline the grader measured passed (loading, a call, the submission's budget)
    DIED = "died"  # the sandbox's process ended (how: an ExitStatus)
    BAD_REPLY = "bad-reply"  # something that is not a valid reply came back
    CANNOT_ISOLATE = "cannot-isolate"  # the sandbox could not confine itself: no student code ran
    LIMIT_EXCEEDED = "limit-exceeded"  # processes, open files: a call could not even start
    UNREADABLE = "unreadable"  # a call returned a value that could not be described


# The likely cause of the usual fatal signals, in a student's terms.
SIGNAL_HINTS = {
    "SIGSEGV": "a crash, e.g. endless recursion or ctypes",
    "SIGBUS": "a crash in native code",
    "SIGABRT": "an abort in native code",
    "SIGKILL": "out of memory, or killed itself",
    "SIGXCPU": "CPU time limit reached",
    "SIGXFSZ": "file size limit reached",
    "SIGSYS": "a forbidden system call",
}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


@dataclass(frozen=True)
class ExitStatus:
    """How a process ended: by a signal (its name) or with an exit code."""

    signal: str | None = None
    code: int | None = None

    @classmethod
    def from_wait(cls, status: int) -> ExitStatus:
        """From an ``os.waitpid`` status."""
        if os.WIFSIGNALED(status):
            return cls(signal=_signal_name(os.WTERMSIG(status)))
        return cls(code=os.WEXITSTATUS(status))

    @classmethod
    def from_returncode(cls, code: int) -> ExitStatus:
        """From a ``Popen.returncode`` (negative: a signal; 128 + n: a signal a shell or unshare passed on)."""
        if code < 0:
            return cls(signal=_signal_name(-code))
        if 128 < code < 128 + 65:
            return cls(signal=_signal_name(code - 128))
        return cls(code=code)

    def _signal_words(self) -> str:
        hint = SIGNAL_HINTS.get(self.signal or "")
        return f"killed by {self.signal}" + (f" ({hint})" if hint else "")

    def clause(self) -> str:
        """``was killed by SIGSEGV (...)`` / ``exited with code 7``: a call's process (the jail's words)."""
        return f"was {self._signal_words()}" if self.signal else f"exited with code {self.code}"

    def brief(self) -> str:
        """``killed by SIGSEGV (...)`` / ``exit code 7``: the whole sandbox (the grader's words)."""
        return self._signal_words() if self.signal else f"exit code {self.code}"


def describe_status(status: int) -> str:
    """A call's process ended with ``os.waitpid`` status ``status``, in words."""
    return ExitStatus.from_wait(status).clause()


def describe_exit(code: int | None) -> str:
    """The sandbox's process ended with ``Popen.returncode`` ``code`` (None: it has not), in words."""
    return "still running" if code is None else ExitStatus.from_returncode(code).brief()


class SandboxError(Exception):
    """The submission could not be loaded or a call failed; ``str()`` is for the student."""

    def __init__(self, message: str, outcome: Outcome = Outcome.DIED):
        super().__init__(message)
        self.outcome = outcome


class ProbeTimeout(SandboxError):
    def __init__(self, message: str):
        super().__init__(message, Outcome.TIMEOUT)


# ---------------------------------------------------------------------------------------------
# What a student reads (the grader's side composes each failure with these)


def budget_used_up(seconds: float) -> SandboxError:
    return SandboxError(f"the grading time budget for this submission is used up ({seconds:.0f} s)",
                        Outcome.TIMEOUT)


def load_timeout(seconds: float, output_hint: str) -> SandboxError:
    return SandboxError(
        f"your code did not finish loading within {seconds:g} s "
        "(is there a long computation, an endless loop or a sleep at the top level, "
        "for example in a class body, a decorator or a default argument?)" + output_hint, Outcome.TIMEOUT)


def died_loading(how: str, output_hint: str) -> SandboxError:
    return SandboxError(
        f"the process running your code ended while loading it ({how}; did your code call "
        "sys.exit/os._exit, kill its own process, or crash?)" + output_hint, Outcome.DIED)


def bad_load_reply() -> SandboxError:
    return SandboxError("the sandbox did not load your code (it sent an unexpected reply; does your "
                        "code write to file descriptors it did not open?)", Outcome.BAD_REPLY)


def cannot_isolate(unsafe: list[str]) -> SandboxError:
    return SandboxError("the grader could not isolate your code on this machine, so it was not run "
                        f"({'; '.join(unsafe)[:ISOLATION_PROBLEM_CHARS]}); please tell your instructor",
                        Outcome.CANNOT_ISOLATE)


def cannot_fork_after_load(problem: str, processes: int) -> SandboxError:
    return SandboxError(
        "after loading your code, the sandbox could not start the process that calls your functions "
        f"({problem[:CALL_PROBLEM_CHARS]}): the limit of {processes} processes and "
        "threads is used up. Does your code start threads or processes at the top level?", Outcome.LIMIT_EXCEEDED)


def call_timeout(function: str, seconds: float) -> ProbeTimeout:
    return ProbeTimeout(f"{function} did not return within {seconds:g} s "
                        "(an endless loop, a sleep, or waiting for input?)")


def died_in_call(function: str, how: str) -> SandboxError:
    return SandboxError(f"{function}: the process serving your functions ended during this call ({how}); "
                        "did the function kill its parent process or process group, or call os._exit?", Outcome.DIED)


def bad_call_reply(function: str, problem: str) -> SandboxError:
    return SandboxError(f"{function}: the sandbox sent a reply that is not valid ({problem[:WIRE_PROBLEM_CHARS]}); "
                        "does your code write to file descriptors it did not open?", Outcome.BAD_REPLY)


def not_called_again(earlier: SandboxError) -> SandboxError:
    return SandboxError(f"{earlier} (not called again)", earlier.outcome)


def cannot_run(function: str, reason: object, problem: str, processes: int, open_files: int) -> SandboxError:
    what = (f"the limit of {processes} processes and threads is used up" if reason == "processes" else
            f"the limit of {open_files} open files is used up" if reason == "files" else
            "the sandbox ran out of resources")
    return SandboxError(f"{function} could not be called: {what} "
                        f"({problem[:CALL_PROBLEM_CHARS]}). Does your code start threads or processes, "
                        "or open files without closing them, at the top level?", Outcome.LIMIT_EXCEEDED)


def unreadable_value(function: str, problem: str) -> SandboxError:
    return SandboxError(f"{function} returned a value that could not be read ({problem[:UNREADABLE_MESSAGE_CHARS]})",
                          Outcome.UNREADABLE)


# A call's failures the hidden tests report under the call itself (``call``: ``f(arg, ...)`` as
# the student would write it); autograder.probes raises them as failed checks.


def call_died(call: str, how: str) -> str:
    """The call's own process ended without replying (only that call is lost)."""
    return f"{call} ended the process running it ({how}); did it call sys.exit/os._exit, or crash?"


def reply_too_large(call: str) -> str:
    """The call's reply went over grading.yaml's reply_mb (the jail stopped reading it)."""
    return f"{call} returned far more data than the parameters of this network need"


def unexpected_reply(call: str) -> str:
    """A reply of no known kind."""
    return f"{call}: the sandbox sent an unexpected reply"
