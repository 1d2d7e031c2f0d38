"""What the rubric's checks see of a student's functions: plain, validated data.

``SandboxStudent`` calls a function inside the sandbox; ``LocalStudent`` calls
trusted code (the reference solutions) in-process, for instructors who run the
rubric with pytest. Both hand back a ``Returned``: the dict's entries as
the child described them, and, for numeric numpy arrays, fresh float64 copies.
No object produced by student code ever reaches the grader.

Calls are memoised per (function, arguments): several checks asking for the same
call cost one probe. A function that timed out is not called again.

The calls a correct submission's checks make are known before its sandbox starts (the
grader's call plan, ``Grader.call_plan``): ``SandboxStudent.prefetch`` asks them all in one
exchange (``Sandbox.call_planned``) and keeps the raw answers until a check asks for the same
call, which then goes through the same validation, memo and bounds as a call made then. A
planned answer is used at most once, and only as the answer of that call: a check that never
asks for it never sees it.

Calls that depend on earlier answers (a diagnosis, the evidence of a failed check) are asked in
rounds: while the engine ``gathers`` (``SandboxStudent.gathering``), a call with no answer yet
is not made: it is noted, and the check that asked stops with ``CallDeferred``; once every check
has run, the calls noted are asked in one exchange (``next_round``: the fresh calls in a second
one, from a process started with another random state) and the checks that stopped run again.
A call is noted at most once: asked again after its round, it is made then, one by one, as
without rounds. So the answers a check sees are the ones it would have seen; only the number
of exchanges changes.

The memo is the memory the grader holds for a submission's replies, so it is bounded:
``max_held_bytes`` (grading.yaml's ``limits.replies_mb`` in the sandbox) caps the arrays
kept over all calls. A reply that would go over is not kept: that call fails with a
message naming the limit, and the checks that already ran keep their points. Replies
the parameters of these networks need are a few KB; one reply is at most
``limits.reply_mb``, read and dropped when it does not fit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from autograder.diagnose import explain
from autograder.limits import (
    EXCEPTION_MESSAGE_CHARS,
    EXCEPTION_NAME_CHARS,
    FRAME_LOCALS,
    FRAME_NAME_CHARS,
    KEYS_DESCRIBED,
    RETURNED_REPR_CHARS,
    RETURNED_TYPE_CHARS,
)
from autograder.sandbox import ProbeReply, ProbeTimeout, SandboxError
from autograder.sandbox import outcomes as words
from autograder.sandbox.outcomes import Outcome, read_call_ended


class ProbeFailure(AssertionError):
    """The call produced no usable return value; the message is for the student.

    ``cause`` names the error without the call's arguments (the same TypeError from every
    call of a function is one cause, said once in the feedback); ``diagnoses`` are
    autograder.diagnose.Diagnosis objects behind it (a signature that differs).
    """

    def __init__(self, message: str, cause: str = "", diagnoses=()):
        super().__init__(message)
        self.cause = cause
        self.diagnoses = list(diagnoses)


@dataclass
class Returned:
    """A student function's return value, as plain data.

    ``entries``: one dict per key, as described by the sandbox (``key``, ``type``,
    ``exact_ndarray``, ``dtype``, ``shape``, ``repr``). ``arrays``: key -> float64
    array for every entry that was a numeric ndarray (exact or subclass).
    """

    function: str
    args: tuple
    entries: list[dict]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    mutated: bool = False
    # The function's parameters as the sandbox read them (None: unknown), for the diagnoses.
    signature: list | None = None
    # What a check derived from this answer (its diagnosis), kept for the same check run again
    # after a round of calls (autograder.rubric.common.check_seeded_values).
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def keys(self) -> list:
        return [e["key"] if e.get("key") is not None else e.get("key_repr") for e in self.entries]

    def entry(self, key: str) -> dict | None:
        return next((e for e in self.entries if e.get("key") == key), None)

    def params(self) -> dict[str, np.ndarray]:
        """Copies of the numeric arrays, safe to train on."""
        return {k: v.copy() for k, v in self.arrays.items()}


def _encode_args(args: tuple, as_tuple: bool) -> list:
    out = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.append({"tuple" if as_tuple else "list": list(a)})
        else:
            out.append(a)
    return out


def _signature(function: str, args: tuple) -> str:
    return f"{function}({', '.join(repr(a) for a in args)})"


def returned_from_reply(function: str, args: tuple, header: dict, arrays: list, context=None,
                        question: str | None = None) -> Returned:
    """Validate a probe reply; raise ProbeFailure for anything that is not a dict.

    ``context`` (an autograder.diagnose.explain.LoadContext) adds what the student's terms need to
    an error: the signature to write, a name a left-out statement defines, NumPy's
    removed aliases. ``question``: the question ``function`` answers (grading.yaml), for the
    notebook section a signature diagnosis points to."""
    call = _signature(function, args)
    status = header.get("status")
    if status == "missing":
        why = context.not_compiled(function) if context is not None else ""
        raise ProbeFailure(why or explain.not_defined(function), f"{function}: missing")
    if status == "raised":
        exc = str(header.get("exception", "?"))[:EXCEPTION_NAME_CHARS]
        msg = str(header.get("message", ""))[:EXCEPTION_MESSAGE_CHARS]
        if exc == "NotImplementedError":
            raise ProbeFailure(explain.not_implemented(function, call, context), f"{function}: NotImplementedError")
        msg = explain.trim_numpy(explain.scrub(msg))
        hint = context.explain(function, exc, msg, _frame(header.get("frame")), tuple(args)) \
            if context is not None else ""
        if context is not None:
            msg = context.name_places(msg)
        found = []
        if exc == "TypeError" and context is not None and context.signature_problem(function):
            found = [_signature_diagnosis(question, context.signature_problem(function))]
        raise ProbeFailure(explain.raised(call, msg, hint), f"{function}: {msg}", found)
    if status != "returned":
        ended = read_call_ended(header)
        if ended is not None and ended.outcome is Outcome.DIED:
            raise ProbeFailure(words.call_died(call, ended))
        if ended is not None and ended.outcome is Outcome.LIMIT_EXCEEDED and ended.limit == "reply_mb":
            raise ProbeFailure(words.reply_too_large(call))
        raise ProbeFailure(words.unexpected_reply(call))
    if header.get("kind") != "dict":
        type_name = str(header.get("type"))[:RETURNED_TYPE_CHARS]
        where = context.where_defined(function) if context is not None else ""
        why = context.why_none(function) if context is not None and type_name.endswith("NoneType") else ""
        raise ProbeFailure(explain.not_a_dict(call, type_name, str(header.get("repr"))[:RETURNED_REPR_CHARS], where,
                                              why),
                           f"{function}: returned {type_name}")
    entries, out = [], {}
    signature = context.signatures.get(function) if context is not None else None
    raw_entries = header.get("entries")
    if not isinstance(raw_entries, list):
        raise ProbeFailure(words.unexpected_reply(call))
    for e in raw_entries[:KEYS_DESCRIBED + 1]:  # the jail describes no more; a forged list is not walked
        if not isinstance(e, dict):
            continue
        get = e.get  # the fields the grader reads, in this order (a literal: some 190 entries a submission)
        idx = get("data")
        e = {"key": get("key"), "key_repr": get("key_repr"), "type": get("type"), "exact_ndarray": get("exact_ndarray"),
             "dtype": get("dtype"), "shape": get("shape"), "repr": get("repr")}
        if (isinstance(e.get("key"), str) and isinstance(idx, int) and not isinstance(idx, bool)
                and 0 <= idx < len(arrays)):
            a = arrays[idx]
            if list(a.shape) == e.get("shape"):
                out[e["key"]] = np.array(a, dtype=np.float64, copy=True)
        entries.append(e)
    return Returned(function, tuple(args), entries, out, mutated=bool(header.get("mutated")), signature=signature)


def _frame(raw) -> list | None:
    """The jail's description of a failed assert's frame, validated: ``[name, int | shape]`` pairs
    (names capped; shapes of at most 8 non-negative ints), None when absent or malformed."""
    if not isinstance(raw, list):
        return None
    out: list = []
    for item in raw[:FRAME_LOCALS]:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            return None
        name, value = explain.scrub(item[0][:FRAME_NAME_CHARS]), item[1]
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**12:
            out.append((name, value))
        elif (isinstance(value, list) and len(value) <= 8
              and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**31 for n in value)):
            out.append((name, list(value)))
        else:
            return None
    return out


def _signature_diagnosis(question: str | None, message: str):
    from autograder.diagnose import signature_diagnosis

    return signature_diagnosis(question or "", message)


class Student(Protocol):
    """What a hidden test may ask of the ``student`` fixture."""

    def call(self, function: str, *args, as_tuple: bool = False) -> Returned:
        """``function(*args)``, memoised: the same call asked by several checks costs one probe."""

    def call_fresh(self, function: str, *args, as_tuple: bool = False) -> Returned:
        """The same call made again, not the memoised answer: evidence of a missing seed."""

    def ask_ahead(self, function: str, args_list: list[tuple], fresh: bool = False) -> None:
        """A hint: these calls (``call_fresh`` ones if ``fresh``) come next, so ask them together."""

    def may_leave_out_fresh(self) -> bool:
        """Whether a ``call_fresh`` whose answer no diagnosis would read may be left out: True when
        making it would show nothing (no output printed by a process started for it)."""


class CallDeferred(BaseException):
    """A call with no answer yet, noted for the next round (``SandboxStudent.gathering``): the check
    that asked stops here and runs again once the round is answered. A BaseException, so that no
    check's ``except AssertionError`` or ``except Exception`` takes it for the call's failure."""


#: A call's memo key (MemoisedStudent._key): a tuple for the rubric's usual arguments, else JSON text.
CallKey = str | tuple


def returned_bytes(r: Returned) -> int:
    return sum(a.nbytes for a in r.arrays.values())


class MemoisedStudent:
    """A Student whose calls are memoised and whose held replies are bounded; subclasses make
    the real call in ``_call(function, args, as_tuple)``."""

    def __init__(self, max_held_bytes: int | None = None):
        self._memo: dict[CallKey, Returned | ProbeFailure] = {}
        self.max_held_bytes = max_held_bytes
        self.held_bytes = 0  # arrays kept in the memo: what the grader holds for this submission

    def _call(self, function: str, args: tuple, as_tuple: bool) -> Returned:
        """One call, not memoised: where it runs is the subclass's business."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to call a function")

    def _keep(self, r: Returned) -> Returned:
        size = returned_bytes(r)
        if self.max_held_bytes is not None and self.held_bytes + size > self.max_held_bytes:
            mb = 1 << 20
            raise ProbeFailure(
                f"{_signature(r.function, r.args)} returned {size / mb:.1f} MB of arrays, and the earlier calls "
                f"of your functions already returned {self.held_bytes / mb:.1f} MB: the grader keeps at most "
                f"{self.max_held_bytes // mb} MB of returned arrays for one submission (replies_mb in "
                "grading.yaml), so this call was not checked. The parameters of these networks take a few KB; "
                "does the function return extra or oversized arrays?")
        self.held_bytes += size
        return r

    @staticmethod
    def _key(function: str, args: tuple, as_tuple: bool) -> CallKey:
        """The memo key of a call: two calls share one exactly when they would be sent alike.

        The arguments the rubric passes (ints, strings, lists or tuples of them; exact types) make
        a tuple: the function, then each argument, a list or tuple as ``(as_tuple, *items)``
        (they are sent as ``{"tuple"|"list": [...]}``, whichever Python type they are). An exact
        int or string is equal to another exactly when its JSON is, so these tuples are equal
        exactly when the JSON keys were. Anything else (a float, a bool, None, a nested list, a
        subclass) gets the JSON text of the call as before, which is never equal to a tuple; a
        ``json.dumps`` took 2 us, some 140 keys a submission."""
        parts: list = [function]
        for a in args:
            t = type(a)
            if t is int or t is str:
                parts.append(a)
            elif (t is list or t is tuple) and all(type(x) is int or type(x) is str for x in a):
                parts.append((as_tuple, *a))
            else:
                return json.dumps([function, _encode_args(args, as_tuple)])
        return tuple(parts)

    def call(self, function: str, *args, as_tuple: bool = False) -> Returned:
        """Call ``function(*args)`` (lists sent as tuples when ``as_tuple``)."""
        key = self._key(function, args, as_tuple)
        if key not in self._memo:
            try:
                self._memo[key] = self._keep(self._call(function, args, as_tuple))
            except ProbeFailure as exc:
                self._memo[key] = exc
        result = self._memo[key]
        if isinstance(result, ProbeFailure):
            raise ProbeFailure(str(result), result.cause, result.diagnoses)
        return result

    def call_fresh(self, function: str, *args, as_tuple: bool = False) -> Returned:
        """Call ``function(*args)`` again, bypassing the memo. The reply is evidence for a
        diagnosis only: it is neither kept nor counted in ``held_bytes``."""
        return self._call(function, args, as_tuple)

    def ask_ahead(self, function: str, args_list: list[tuple], fresh: bool = False) -> None:
        """A hint: the caller is about to make these calls (``call_fresh`` ones if ``fresh``). A
        student that answers in rounds asks them in the same round; others need no hint."""

    def may_leave_out_fresh(self) -> bool:
        """A fresh call here is a call like any other (no process started for it): yes."""
        return True

    @property
    def calls_made(self) -> int:
        return len(self._memo)


class SandboxStudent(MemoisedStudent):
    """Calls into a loaded ``Sandbox``."""

    def __init__(self, sandbox, context=None, max_held_bytes: int | None = None,
                 question_of: Callable[[str], str | None] | None = None):
        if max_held_bytes is None:
            max_held_bytes = sandbox.limits.replies_mb << 20
        super().__init__(max_held_bytes)
        self.sandbox = sandbox
        self.context = context  # autograder.diagnose.explain.LoadContext: errors in the student's terms
        self.question_of = question_of  # function -> its question (GradingConfig.question_of)
        self.hung: dict[str, str] = {}
        # Planned calls answered ahead (prefetch): memo key -> the raw reply, or the error the
        # call came to; each used at most once, when a check asks for that call.
        self._planned: dict[CallKey, object] = {}
        self.exchanges = 0  # request/reply exchanges with the sandbox: one per prefetch, round or call
        # Rounds (see the module docstring): calls noted for the next round, plain and fresh;
        # the calls already noted once (never noted again); the fresh calls' answers, raw.
        self.gathering = False
        self._wanted: dict[CallKey, tuple[str, tuple, bool]] = {}
        self._wanted_fresh: dict[CallKey, tuple[str, tuple, bool]] = {}
        self._noted: set[CallKey] = set()
        self._noted_fresh: set[CallKey] = set()
        self._fresh: dict[CallKey, object] = {}
        self._fresh_bytes = 0
        self._unanswered: list[tuple[str, tuple, bool]] = []
        # Output an earlier sandbox of this grading printed (a resumed grading's first pass).
        self.printed_before = False

    def prefetch(self, plan: list[tuple[str, tuple, bool]]) -> None:
        """Ask every (function, args, as_tuple) of ``plan`` in one exchange; the answers wait
        for the checks that ask for them. Raw answers held are bounded like the memo's replies."""
        # Each call's memo key made once (three times before: some 70 JSON encodings a submission).
        keyed = [(self._key(function, args, as_tuple), (function, args, as_tuple))
                 for function, args, as_tuple in plan]
        keyed = [(key, call) for key, call in keyed
                 if call[0] not in self.hung and key not in self._memo
                 and key not in self._planned]  # answered already, not used yet
        calls = [call for _, call in keyed]
        held = 0
        answers = self._exchange(calls)
        # Calls after one that ended the sandbox: asked again in the next round, if any.
        self._unanswered += calls[len(answers):]
        for (key, _), answer in zip(keyed, answers):
            size = sum(a.nbytes for a in answer.arrays) if isinstance(answer, ProbeReply) else 0
            if self.max_held_bytes is not None and held + size > self.max_held_bytes:
                continue  # not kept: asked again if a check needs it
            held += size
            self._planned[key] = answer

    def _exchange(self, calls: list[tuple[str, tuple, bool]]) -> list:
        """The raw answers of ``calls`` in one exchange (fewer when one ended the sandbox; none
        when there are no calls or no sandbox could be started: those are made when asked)."""
        if not calls:
            return []
        self.exchanges += 1
        return self.sandbox.call_planned([(f, _encode_args(a, t)) for f, a, t in calls])

    # --- rounds ----------------------------------------------------------------------------

    def _note(self, key: CallKey, call: tuple[str, tuple, bool], fresh: bool) -> bool:
        """Note ``call`` for the next round unless it was noted once already; whether it is."""
        noted = self._noted_fresh if fresh else self._noted
        if key in noted or call[0] in self.hung or call[0] in self.sandbox.fatal:
            return False  # noted once, or a call of a function that is not called again
        (self._wanted_fresh if fresh else self._wanted).setdefault(key, call)
        return True

    def _defer(self, key: CallKey, call: tuple[str, tuple, bool], fresh: bool) -> None:
        """While gathering: note a call not noted before and stop the check (CallDeferred)."""
        if self.gathering and self._note(key, call, fresh):
            raise CallDeferred(call[0])

    def ask_ahead(self, function: str, args_list: list[tuple], fresh: bool = False) -> None:
        if not self.gathering:
            return
        for args in args_list:
            key = self._key(function, tuple(args), False)
            if key not in (self._fresh if fresh else self._memo) and (fresh or key not in self._planned):
                self._note(key, (function, tuple(args), False), fresh)

    def want(self, calls: list[tuple[str, tuple, bool]]) -> None:
        """Note calls for the next round that will surely be asked (the evidence of a failed check)."""
        for function, args, as_tuple in calls:
            key = self._key(function, args, as_tuple)
            if self.gathering and key not in self._memo and key not in self._planned:
                self._note(key, (function, tuple(args), as_tuple), fresh=False)

    def next_round(self) -> bool:
        """Ask the calls noted since the last round: the plain ones in one exchange, the fresh
        ones in another (a process with another random state); False when none were noted.
        The calls an earlier exchange left unanswered (one before them ended the sandbox) go too,
        but those of a function that hung or ended it."""
        unanswered, self._unanswered = self._unanswered, []
        self.want([c for c in unanswered if c[0] not in self.sandbox.fatal])
        plain, fresh = list(self._wanted.values()), list(self._wanted_fresh.values())
        self._noted.update(self._wanted)
        self._noted_fresh.update(self._wanted_fresh)
        self._wanted, self._wanted_fresh = {}, {}
        if plain:
            self._use_process(fresh=False)
            self.prefetch(plain)
        if fresh:
            self._use_process(fresh=True)
            for (function, args, as_tuple), answer in zip(fresh, self._exchange(fresh)):
                size = sum(a.nbytes for a in answer.arrays) if isinstance(answer, ProbeReply) else 0
                if self.max_held_bytes is not None and self._fresh_bytes + size > self.max_held_bytes:
                    continue  # not kept: made when asked
                self._fresh_bytes += size
                self._fresh[self._key(function, args, as_tuple)] = answer
        return bool(plain or fresh)

    def _use_process(self, fresh: bool) -> None:
        """Before a round: a sandbox process whose random state suits plain (or fresh) calls."""
        try:
            self.sandbox.restart_if_ended()
        except SandboxError:
            pass  # no process: the round's calls are made when asked, and say why

    def may_leave_out_fresh(self) -> bool:
        """Only while the submission has printed nothing, in this grading's every start so far.
        A fresh call runs in a process started for it, whose printed output (the load's, the
        call's) is part of the submission's output: left out, that output would be missing.
        A submission that printed nothing while loading and in this same call prints nothing in
        a process that differs only by its random seed (unless what it prints depends on it)."""
        return not self.printed_before and self.sandbox.printed_nothing()

    def call_fresh(self, function: str, *args, as_tuple: bool = False) -> Returned:
        key = self._key(function, args, as_tuple)
        self._planned.pop(key, None)  # the same call made again, not its answer
        if key in self._fresh:  # answered in a round (kept: a check that runs again asks again)
            return self._returned(function, args, lambda: self._use_answer(function, self._fresh[key]))
        self._defer(key, (function, tuple(args), as_tuple), fresh=True)
        return self._fresh_call(function, args, as_tuple)

    def _fresh_call(self, function, args, as_tuple) -> Returned:
        """The fresh call made now (the engine's runs it in a process with another random state)."""
        return super().call_fresh(function, *args, as_tuple=as_tuple)

    def _answer(self, function, args, as_tuple):
        """The reply to this call: the planned answer if there is one, else a call made now."""
        key = self._key(function, args, as_tuple)
        planned = self._planned.pop(key, None)
        if planned is None:
            self._defer(key, (function, tuple(args), as_tuple), fresh=False)
            self.exchanges += 1
            return self.sandbox.call(function, _encode_args(args, as_tuple))
        return self._use_answer(function, planned)

    def _use_answer(self, function, planned):
        """An answer asked ahead, as the call made now would have come to."""
        if function in self.sandbox.fatal:  # an unplanned call of it ended the sandbox meanwhile
            raise words.not_called_again(self.sandbox.fatal[function])
        if isinstance(planned, SandboxError):
            if planned.outcome in (Outcome.DIED, Outcome.BAD_REPLY):
                self.sandbox.fatal[function] = planned  # as the call would have marked it
            raise planned
        return planned

    def _call(self, function, args, as_tuple):
        return self._returned(function, args, lambda: self._answer(function, args, as_tuple))

    def _returned(self, function, args, answer: Callable[[], ProbeReply]) -> Returned:
        """The validated reply ``answer()`` gives, or the ProbeFailure it comes to."""
        # One cause for every call of a function that hung: the first check tells it, the others point to it.
        if function in self.hung:
            raise ProbeFailure(self.hung[function] + " (not called again)", f"{function}: did not return")
        try:
            reply = answer()
        except ProbeTimeout as exc:
            hint = self.context.hung_hint(function) if self.context is not None else ""
            self.hung[function] = (explain.sentence(str(exc)) + hint) if hint else str(exc)
            raise ProbeFailure(self.hung[function], f"{function}: did not return") from None
        except SandboxError as exc:
            raise ProbeFailure(str(exc)) from None
        question = self.question_of(function) if self.question_of is not None else None
        return returned_from_reply(function, args, reply.header, reply.arrays, self.context, question)


class PlanRecorder(MemoisedStudent):
    """A Student that answers from another (the reference's LocalStudent) and records every
    distinct call in the order the checks made it: the call plan (``SandboxStudent.prefetch``)."""

    def __init__(self, answers: MemoisedStudent):
        super().__init__()
        self.answers = answers
        self.plan: list[tuple[str, tuple, bool]] = []

    def _call(self, function, args, as_tuple):
        self.plan.append((function, tuple(args), as_tuple))
        return self.answers._call(function, args, as_tuple)


class LocalStudent(MemoisedStudent):
    """Calls trusted functions in-process (the reference solutions), through the same validation."""

    def __init__(self, functions: dict):
        super().__init__()
        self.functions = functions

    def _call(self, function, args, as_tuple):
        from autograder.sandbox import describe_result

        fn = self.functions.get(function)
        if fn is None:
            return returned_from_reply(function, args, {"status": "missing"}, [])
        real = [tuple(a) if as_tuple and isinstance(a, list) else (list(a) if isinstance(a, list) else a) for a in args]
        before = json.dumps([list(a) if isinstance(a, (list, tuple)) else a for a in real])
        try:
            result = fn(*real)
        except Exception as exc:  # noqa: BLE001 - the trusted function's error, reported like a student's
            return returned_from_reply(function, args, {"status": "raised", "exception": type(exc).__name__,
                                                        "message": f"{type(exc).__name__}: {exc}"}, [])
        header, arrays = describe_result(result)
        after = json.dumps([list(a) if isinstance(a, (list, tuple)) else a for a in real])
        header.update(status="returned", mutated=[0] if before != after else [])
        return returned_from_reply(function, args, header, arrays)
