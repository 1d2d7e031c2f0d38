"""Answering the grader's calls in the sandbox: each call in a fork of the loaded submission,
its reply relayed or its death reported, every other process of the sandbox killed after it."""

from __future__ import annotations

import os
import random
import select
import signal

from autograder.sandbox import wire
from autograder.sandbox.jail import reuse
from autograder.sandbox.jail.guard import GUARD
from autograder.sandbox.jail.loading import failing_frame, short_traceback
from autograder.sandbox.outcomes import died_reply, limit_reply, unreadable_reply
from autograder.sandbox.values import ReplyTooLarge, describe_result, safe_repr, type_name


def _decode_arg(arg):
    if isinstance(arg, dict) and "tuple" in arg:
        return tuple(arg["tuple"])
    if isinstance(arg, dict) and "list" in arg:
        return list(arg["list"])
    return arg


def _plain(value):
    """A JSON-able snapshot of an argument after the call (to detect mutation)."""
    if type(value) in (list, tuple):
        return [_plain(v) for v in value]
    if type(value) in (int, float, str, bool) or value is None:
        return value
    return safe_repr(value)


def run_probe(namespace: dict, request: dict, out_fd: int, max_array_bytes: int | None = None) -> None:
    """Call the requested function and write its reply frame to ``out_fd`` (``answer_probe``)."""
    wire.write_frame(out_fd, *answer_probe(namespace, request, max_array_bytes))


def answer_probe(namespace: dict, request: dict, max_array_bytes: int | None = None) -> tuple[dict, list]:
    """Call the requested function: its reply frame's header and arrays.

    ``max_array_bytes``: grading.yaml's reply_mb. A result whose arrays are over it is answered
    with the same over-the-limit reply the relay gives when it stops reading, but at once: an 80 MB
    array is neither copied nor pushed through a pipe that, on a loaded machine, drains slowly
    enough to run out the call's time instead.
    """
    name = request["function"]
    seq = request.get("seq")
    fn = namespace.get(name)
    if fn is None or not callable(fn):
        return {"status": "missing", "seq": seq}, []
    args = [_decode_arg(a) for a in request.get("args", [])]
    before = [_plain(a) for a in args]
    GUARD.enter()
    try:
        result = fn(*args)
    except BaseException as exc:  # noqa: BLE001 - whatever the student function raises is its answer
        GUARD.restore()
        header = {"status": "raised", "exception": type_name(exc), "message": short_traceback(exc), "seq": seq}
        if type(exc) is AssertionError:  # the student's own check: what its line saw explains it
            header["frame"] = failing_frame(exc)
        return header, []
    GUARD.restore()
    try:
        header, arrays = describe_result(result, max_array_bytes)
    except ReplyTooLarge:
        return {**limit_reply("reply_mb"), "seq": seq}, []
    except BaseException as exc:  # noqa: BLE001 - a result that cannot be described is reported as such
        return {**unreadable_reply(short_traceback(exc)), "seq": seq}, []
    after = [_plain(a) for a in args]
    header.update(status="returned", mutated=[i for i, (b, a) in enumerate(zip(before, after)) if b != a],
                  seq=seq)
    return header, arrays


# File descriptors held back at load time, so that a submission that used up its open files still
# leaves room for the pipes of a probe (two) and of the call-reuse worker (two more).
RESERVED_FDS = 4


class _Reserve:
    """A few file descriptors held back, so a submission that used up its open files
    at load time still leaves room for the pipe each probe needs."""

    def __init__(self):
        self.fds: list[int] = []

    def fill(self) -> None:
        while len(self.fds) < RESERVED_FDS:
            try:
                self.fds.append(os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC))
            except OSError:
                break

    def release(self) -> None:
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []


RESERVE = _Reserve()


def reap_others(sweep: bool) -> None:
    """Kill every other process of the sandbox (helpers a call left behind) and reap them."""
    if sweep:
        try:
            os.kill(-1, signal.SIGKILL)  # pid 1 of the namespace, or the sandbox's own uid: only ours
        except OSError:
            pass
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        except OSError:
            break
        if pid == 0:
            if not sweep:
                break
            try:
                os.waitpid(-1, 0)
            except OSError:
                break


random_getstate, _random_setstate = random.getstate, random.setstate  # bound before any submission


def serve_probe(namespace: dict, request: dict, rep_fd: int, max_bytes: int, sweep: bool,
                random_state=None, max_array_bytes: int | None = None) -> None:
    """Fork, run the probe in the grandchild, forward its reply or report how it died.

    ``random_state``: ``random``'s state once the submission had loaded, put back in the
    grandchild: ``random`` reseeds itself from the OS in every fork (os.register_at_fork).
    """
    seq = request.get("seq")
    reuse.flush_output()
    RESERVE.release()
    try:
        r, w = os.pipe()
    except OSError as exc:
        RESERVE.fill()
        wire.write_frame(rep_fd, {**limit_reply("open_files", exc), "seq": seq})
        return
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(r)
        os.close(w)
        RESERVE.fill()
        wire.write_frame(rep_fd, {**limit_reply("processes", exc), "seq": seq})
        return
    if pid == 0:  # grandchild: the student's function runs here
        def work():
            os.close(r)
            os.close(rep_fd)
            reuse.close_channels()  # the request pipe and the lifeline too
            if random_state is not None:
                _random_setstate(random_state)
            run_probe(namespace, request, w, max_array_bytes)

        reuse.end_fork(work)
    os.close(w)
    RESERVE.fill()
    chunks, size, too_big, status = [], 0, False, None
    # Read until the grandchild has exited, not until end of file: processes it
    # started may hold the pipe open for ever.
    os.set_blocking(r, False)
    while True:
        try:
            ready = select.select([r], [], [], 0.05)[0]
        except InterruptedError:
            continue
        done = False
        if not ready:
            got, st = os.waitpid(pid, os.WNOHANG)
            if got == 0:
                continue
            status, done = st, True
        data, eof = reuse.drain(r, max_bytes - size)  # take what is there now
        size += len(data)
        if size > max_bytes:
            too_big = done = True
            os.kill(pid, signal.SIGKILL)
        elif data:
            chunks.append(data)
        done = done or eof
        if done:
            break
    os.close(r)
    if status is None:
        _, status = os.waitpid(pid, 0)
    reap_others(sweep)
    if too_big:
        wire.write_frame(rep_fd, {**limit_reply("reply_mb"), "seq": seq})
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and chunks:
        wire.write_all(rep_fd, b"".join(chunks))
    else:
        wire.write_frame(rep_fd, {**died_reply(status), "seq": seq})


def can_fork() -> dict | None:
    """After loading: is there room for the process every probe needs? None if so, else the
    outcome as data (``limit_reply``) for the load reply."""
    try:
        pid = os.fork()
    except OSError as exc:
        return limit_reply("processes", exc)
    if pid == 0:
        os._exit(0)
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass
    return None
