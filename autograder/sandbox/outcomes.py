"""What can become of a sandbox or of one call, as types; and the words a student reads for each.

Both sides use it. The jail reports a call that gave no value as data (``died_reply``,
``limit_reply``: the outcome's kind, a signal name or an exit code, a limit's name, an error
number), never as words; the grader reads those fields back with every type and size checked
(``read_call_ended``: a reply is hostile, a student's function can forge one) and composes the
sentence here. ``SandboxError.outcome`` says which kind a failure is, so no caller compares
message texts. Every sentence a student reads about the sandbox is composed here, in the
student's terms (their code, their function), never the kit's.
"""

from __future__ import annotations

import enum
import errno
import os
import signal
from dataclasses import dataclass

from autograder.limits import (
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
    LIMIT_EXCEEDED = "limit-exceeded"  # processes, open files (a call could not start), a reply over reply_mb
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


# Every name ``_signal_name`` can give (signal numbers run from 1 to 64 on Linux): what the grader
# accepts as a signal name from the jail, so no other text can reach a sentence through it.
SIGNAL_NAMES = frozenset(_signal_name(n) for n in range(1, 65))
# An exit code is one byte.
EXIT_CODES = range(256)


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

    def fields(self) -> dict:
        """The jail's wire form: ``{"signal": name}`` or ``{"code": n}``."""
        return {"signal": self.signal} if self.signal else {"code": self.code}

    @classmethod
    def from_fields(cls, header: dict) -> ExitStatus | None:
        """From a (hostile) reply's ``signal``/``code`` fields; None when it gives neither.

        Raises ValueError unless exactly what ``fields`` writes is there: a known signal name,
        or an int exit code of one byte, not both.
        """
        name, code = header.get("signal"), header.get("code")
        if name is not None and code is not None:
            raise ValueError("both a signal and an exit code")
        if name is not None:
            if not isinstance(name, str) or name not in SIGNAL_NAMES:
                raise ValueError("not a signal name")
            return cls(signal=name)
        if code is not None:
            if type(code) is not int or code not in EXIT_CODES:
                raise ValueError("not an exit code")
            return cls(code=code)
        return None

    def _signal_words(self) -> str:
        hint = SIGNAL_HINTS.get(self.signal or "")
        return f"killed by {self.signal}" + (f" ({hint})" if hint else "")

    def clause(self) -> str:
        """``was killed by SIGSEGV (...)`` / ``exited with code 7``: a call's process."""
        return f"was {self._signal_words()}" if self.signal else f"exited with code {self.code}"

    def brief(self) -> str:
        """``killed by SIGSEGV (...)`` / ``exit code 7``: the whole sandbox."""
        return self._signal_words() if self.signal else f"exit code {self.code}"


def describe_exit(code: int | None) -> str:
    """The sandbox's process ended with ``Popen.returncode`` ``code`` (None: it has not), in words."""
    return "still running" if code is None else ExitStatus.from_returncode(code).brief()


# ---------------------------------------------------------------------------------------------
# A call that gave no value, as data on the wire: the jail writes these, the grader reads them

# The limits a call can run into, by their names in grading.yaml's ``limits``.
CALL_LIMITS = frozenset({"processes", "open_files", "reply_mb"})


def died_reply(wait_status: int | None) -> dict:
    """The jail's reply when a call's process ended without replying (None: how is not known)."""
    how = ExitStatus.from_wait(wait_status).fields() if wait_status is not None else {}
    return {"status": Outcome.DIED.value, **how}


def limit_reply(limit: str, error: OSError | None = None) -> dict:
    """The jail's reply when a call ran into ``limit`` (one of CALL_LIMITS); ``error``: the OS's refusal."""
    reply: dict = {"status": Outcome.LIMIT_EXCEEDED.value, "limit": limit}
    if error is not None and error.errno is not None:
        reply["errno"] = error.errno
    return reply


def unreadable_reply(message: str) -> dict:
    """The jail's reply when the returned value could not be described (``message``: why, the student's exception)."""
    return {"status": Outcome.UNREADABLE.value, "message": message}


@dataclass(frozen=True)
class CallEnded:
    """A call that gave no value, as the grader read it from the jail's reply."""

    outcome: Outcome
    exit: ExitStatus | None = None  # DIED: how the call's process ended (None: the jail could not tell)
    limit: str | None = None  # LIMIT_EXCEEDED: one of CALL_LIMITS
    errno: int | None = None  # LIMIT_EXCEEDED: the OS's error number, one errno.errorcode knows
    message: str = ""  # UNREADABLE: why the value could not be described (hostile text, capped)


_ENDED = {Outcome.DIED.value, Outcome.LIMIT_EXCEEDED.value, Outcome.UNREADABLE.value}


def _error_number(value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value not in errno.errorcode:
        raise ValueError("not an error number")
    return value


def read_call_ended(header: dict) -> CallEnded | None:
    """The outcome a reply reports; None when its status is none of the outcomes (a value, an
    exception, a missing function: the caller's to read).

    The reply is hostile (a compromised jail, or a student's function writing a frame of its
    own): a field of the wrong type, size or value makes the outcome ``BAD_REPLY``, so only
    what the jail is meant to write ever reaches a sentence.
    """
    status = header.get("status")
    if not isinstance(status, str) or status not in _ENDED:
        return None
    try:
        if status == Outcome.DIED.value:
            return CallEnded(Outcome.DIED, exit=ExitStatus.from_fields(header))
        if status == Outcome.LIMIT_EXCEEDED.value:
            limit = header.get("limit")
            if not isinstance(limit, str) or limit not in CALL_LIMITS:
                raise ValueError("not a limit")
            return CallEnded(Outcome.LIMIT_EXCEEDED, limit=limit, errno=_error_number(header.get("errno")))
        message = header.get("message")
        if not isinstance(message, str):
            raise ValueError("no message")
        return CallEnded(Outcome.UNREADABLE, message=message[:UNREADABLE_MESSAGE_CHARS])
    except ValueError:
        return CallEnded(Outcome.BAD_REPLY)


def os_error_words(number: int | None) -> str:
    """An error number as Python words an OSError: ``[Errno 11] Resource temporarily unavailable``."""
    return "the system gave no reason" if number is None else f"[Errno {number}] {os.strerror(number)}"


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


def cannot_fork_after_load(error: int | None, processes: int) -> SandboxError:
    """``error``: the OS's error number for the refused fork (None: not known)."""
    return SandboxError(
        "after loading your code, the sandbox could not start the process that calls your functions "
        f"({os_error_words(error)}): the limit of {processes} processes and "
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


def cannot_run(function: str, ended: CallEnded, processes: int, open_files: int) -> SandboxError:
    """A call that could not start: ``ended`` is the LIMIT_EXCEEDED outcome the jail reported."""
    what = (f"the limit of {processes} processes and threads is used up" if ended.limit == "processes" else
            f"the limit of {open_files} open files is used up" if ended.limit == "open_files" else
            "the sandbox ran out of resources")
    return SandboxError(f"{function} could not be called: {what} "
                        f"({os_error_words(ended.errno)}). Does your code start threads or processes, "
                        "or open files without closing them, at the top level?", Outcome.LIMIT_EXCEEDED)


def unreadable_value(function: str, problem: str) -> SandboxError:
    """``problem``: why, as read by ``read_call_ended`` (capped there)."""
    return SandboxError(f"{function} returned a value that could not be read ({problem})", Outcome.UNREADABLE)


# A call's failures the rubric reports under the call itself (``call``: ``f(arg, ...)`` as
# the student would write it); autograder.sandbox.probes raises them as failed checks.


def call_died(call: str, ended: CallEnded) -> str:
    """The call's own process ended without replying (only that call is lost)."""
    how = ended.exit.clause() if ended.exit is not None else "ended"
    return f"{call} ended the process running it ({how}); did it call sys.exit/os._exit, or crash?"


def reply_too_large(call: str) -> str:
    """The call's reply went over grading.yaml's reply_mb (the jail stopped reading it)."""
    return f"{call} returned far more data than the parameters of this network need"


def unexpected_reply(call: str) -> str:
    """A reply of no known kind, or an outcome whose fields are not what the jail writes."""
    return f"{call}: the sandbox sent an unexpected reply"
