"""The sandbox's calls handed to its call worker in batches (jail/inbox.py, reuse.CallWorker.serve_batch,
host/pipeline.py): the work counted (writes, reads, forks, the worker's waits), never timed; every reply
the same bytes as one call at a time; a worker that retires or dies mid-batch leaves the rest of the
batch to a fresh fork; helpers, state and scheduling checked inside a real sandbox."""

from __future__ import annotations

import functools
import os
import threading

import numpy as np
import pytest
from sandbox_of import sandbox_of, zygote_while_used

from autograder.config import PROJECT_ROOT, load_config
from autograder.sandbox import Sandbox, detect_isolation, wire
from autograder.sandbox.host import pipeline
from autograder.sandbox.jail import inbox, reuse
from autograder.sandbox.jail.guard import GUARD
from autograder.sandbox.jail.serve import answer_probe

CONFIG = load_config()
CORRECT = (PROJECT_ROOT / "examples" / "submissions" / "correct_module.py").read_text()
_NAMESPACES = pytest.mark.skipif(not detect_isolation().namespaces and
                                 os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                                 reason="call reuse (and so batches) needs a pid namespace")


def _frame(header: dict) -> bytes:
    r, w = os.pipe()
    try:
        wire.write_frame(w, header)
        os.close(w)
        out = b""
        while chunk := os.read(r, 1 << 16):
            out += chunk
        return out
    finally:
        os.close(r)


def _request(seq: int, function: str, *args) -> tuple[dict, bytes]:
    header = {"op": "call", "function": function, "args": list(args), "seq": seq}
    return header, _frame(header)


class _Writes:
    """Counts os.write calls per file descriptor (in this process only: not in a worker's fork)."""

    def __init__(self, monkeypatch):
        self.by_fd: dict[int, int] = {}
        real, me = os.write, os.getpid()

        def counted(fd, data):
            if os.getpid() == me:
                self.by_fd[fd] = self.by_fd.get(fd, 0) + 1
            return real(fd, data)

        monkeypatch.setattr(os, "write", counted)


# --------------------------------------------------------------------------- the grader's writes


def test_the_grader_writes_the_requests_that_fit_in_a_page_in_one_write(monkeypatch):
    requests = [(i, {"op": "call", "function": "initialize_parameters_he", "args": [[5, 4, 3]], "seq": i})
                for i in range(60)]
    r, w = os.pipe()
    writes = _Writes(monkeypatch)
    try:
        pipe = pipeline.PipelinedRequests(w, requests)
        pipe.send_up_to(0)
        assert writes.by_fd == {w: 1}  # was one write per request
        sent = os.read(r, 1 << 16)
        assert sent == b"".join(pipe.frames[:pipe.sent])  # the same bytes, in order
        assert 1 < pipe.sent < len(requests) and len(sent) <= pipeline.IN_FLIGHT_BYTES
    finally:
        os.close(r)
        os.close(w)


# --------------------------------------------------------------------------- pid 1's inbox


def test_the_inbox_takes_every_request_in_the_pipe_with_one_read(monkeypatch):
    frames = [_request(i, "f", [i])[1] for i in range(30)]
    reads = []
    real = os.read
    monkeypatch.setattr(inbox.os, "read", lambda fd, n: reads.append(fd) or real(fd, n))
    r, w = os.pipe()
    try:
        os.write(w, b"".join(frames))
        box = inbox.Inbox(r)
        got = box.take()
        assert [q.raw for q in got] == frames  # each frame's own bytes, to hand on unchanged
        assert [q.header["seq"] for q in got] == list(range(30))
        assert reads == [r]  # was two reads per request (the prefix, then the header)
        assert box.more() == [] and len(reads) == 2  # nothing more: one read that finds none
        os.write(w, frames[0][:11])
        assert box.more() == []  # an incomplete frame waits in the buffer
        os.write(w, frames[0][11:])
        assert [q.raw for q in box.more()] == [frames[0]]
    finally:
        os.close(r)
        os.close(w)


def test_the_inbox_hands_out_the_requests_before_a_bad_frame_then_refuses_it():
    good = [_request(i, "f")[1] for i in range(3)]
    r, w = os.pipe()
    try:
        os.write(w, b"".join(good) + b"NOPE" + b"\0" * 20)
        box = inbox.Inbox(r)
        assert [q.raw for q in box.take()] == good  # answered first, as when read one by one
        with pytest.raises(wire.WireError, match="magic"):
            box.take()
    finally:
        os.close(r)
        os.close(w)
    r, w = os.pipe()
    try:
        os.write(w, wire._PREFIX.pack(wire.MAGIC, (1 << 20) + 1))
        with pytest.raises(wire.WireError, match="cap"):  # refused before the header is read
            inbox.Inbox(r).take()
        os.close(w)
        w = -1
    finally:
        os.close(r)
        if w != -1:
            os.close(w)
    r, w = os.pipe()
    os.close(w)
    try:
        with pytest.raises(wire.WireError, match="closed"):
            inbox.Inbox(r).take()
    finally:
        os.close(r)


# --------------------------------------------------------------------------- the worker, outside a sandbox

WHOAMI_NS = {
    "whoami": lambda: {"pid": np.array([float(os.getpid())])},
    "twice": lambda x: {"v": np.array([2.0 * x])},
}


def _worker(namespace: dict, look_for_others: bool = False) -> reuse.CallWorker:
    call = functools.partial(answer_probe, max_array_bytes=1 << 20)
    return reuse.CallWorker(namespace, call, lambda: 0, GUARD.version or (lambda d: 0), [], set(),
                            look_for_others=look_for_others)


def _answer_all(worker: reuse.CallWorker, requests: list[tuple[dict, bytes]]) -> tuple[list[bytes], list[int]]:
    """What pid 1's loop does: hand what is left, again after a worker that ended; each reply's bytes
    and the batch sizes the worker answered."""
    r, w = os.pipe()
    answered, replies, left = [], [], list(requests)
    try:
        while left:
            n = worker.serve_batch(left, w, 1 << 22)
            answered.append(n)
            left = left[n:]
        worker.end()  # its fork holds this pipe too
        os.close(w)
        w = -1
        data = b""
        while chunk := os.read(r, 1 << 16):
            data += chunk
    finally:
        worker.end()
        os.close(r)
        if w != -1:
            os.close(w)
    while data:
        end = wire.frame_length(data)
        assert end is not None, data[:80]
        replies.append(data[:end])
        data = data[end:]
    return replies, answered


def _header_and_arrays(reply: bytes) -> tuple[dict, list]:
    r, w = os.pipe()
    os.write(w, reply)
    os.close(w)
    try:
        return wire.read_frame(r)
    finally:
        os.close(r)


def test_a_batch_is_one_write_to_the_worker_and_its_replies_are_those_of_single_calls(monkeypatch):
    requests = [_request(i, "twice", float(i)) for i in range(1, 21)]
    worker = _worker(WHOAMI_NS)
    writes = _Writes(monkeypatch)
    batched, answered = _answer_all(worker, requests)
    assert answered == [20]
    # 20 replies relayed, and the whole batch to the worker in one write (was one per request)
    assert sorted(writes.by_fd.values()) == [1, 20], writes.by_fd
    one_by_one = []
    for request in requests:
        single = _worker(WHOAMI_NS)
        replies, _ = _answer_all(single, [request])
        one_by_one += replies
    assert batched == one_by_one  # byte for byte
    assert [_header_and_arrays(b)[1][0].tolist() for b in batched] == [[2.0 * i] for i in range(1, 21)]


def test_a_call_that_changes_state_mid_batch_leaves_the_rest_to_a_fresh_fork():
    seen: list = []

    def poke():
        seen.append(1)  # a top-level list, fingerprinted: the worker retires after this call
        return {"v": np.array([float(len(seen))])}

    namespace = {**WHOAMI_NS, "seen": seen, "poke": poke}
    names = ["whoami", "whoami", "poke", "whoami", "poke", "whoami"]
    replies, answered = _answer_all(_worker(namespace), [_request(i, n) for i, n in enumerate(names)])
    values = [_header_and_arrays(b)[1][0][0] for b in replies]
    assert answered == [3, 2, 1]  # each retirement ends a batch; the rest go to the next worker
    assert values[2] == values[4] == 1.0  # each poke saw the list as loaded
    pids = [values[0], values[1], values[3], values[5]]
    assert pids[0] == pids[1] and len(set(pids)) == 3, pids  # three forks, no more
    assert [_header_and_arrays(b)[0]["seq"] for b in replies] == list(range(6))


def test_a_call_that_ends_its_worker_mid_batch_costs_only_itself():
    namespace = {**WHOAMI_NS, "crash": lambda: os._exit(7)}
    names = ["whoami", "crash", "whoami", "twice"]
    requests = [_request(i, n, *([3.0] if n == "twice" else [])) for i, n in enumerate(names)]
    replies, answered = _answer_all(_worker(namespace), requests)
    headers = [_header_and_arrays(b)[0] for b in replies]
    assert answered == [2, 2]
    assert headers[1] == {"status": "died", "code": 7, "seq": 1}
    assert _header_and_arrays(replies[0])[1][0][0] != _header_and_arrays(replies[2])[1][0][0]  # a new fork
    assert _header_and_arrays(replies[3])[1][0].tolist() == [6.0]


def test_a_worker_that_sees_other_processes_retires_after_each_call():
    """Outside a pid namespace every process of the machine shows: the worker's own look for helpers
    (``look_for_others``) must then end it after every call, so each call of a batch gets a fresh fork."""
    replies, answered = _answer_all(_worker(WHOAMI_NS, look_for_others=True),
                                    [_request(i, "whoami") for i in range(3)])
    assert answered == [1, 1, 1]
    assert len({_header_and_arrays(b)[1][0][0] for b in replies}) == 3


def test_the_relay_finds_a_reply_s_end_by_its_announced_length_and_forwards_the_frame_alone():
    r, w = os.pipe()
    try:
        arrays = [np.arange(6.0).reshape(2, 3), np.zeros((4, 1))]
        wire.write_frame(w, {"status": "returned", "seq": 3}, arrays, tail=reuse.KEEP, sized=True)
        sized = os.read(r, 1 << 16)
        wire.write_frame(w, {"status": "returned", "seq": 3}, arrays, tail=reuse.KEEP)
        plain = os.read(r, 1 << 16)
    finally:
        os.close(r)
        os.close(w)
    start, end = reuse._reply_end(bytearray(sized))
    assert start == 12 and sized[start:end] == plain[:-1] and sized[end:] == reuse.KEEP  # the same frame
    for cut in range(len(sized)):
        assert reuse._reply_end(bytearray(sized[:cut]))[1] in (None, end)  # never a wrong end while short
    # A frame a call wrote into the pipe itself (no length before it): measured by its header, as before.
    assert reuse._reply_end(bytearray(plain)) == (0, wire.frame_length(plain))
    with pytest.raises(wire.WireError):
        reuse._reply_end(bytearray(b"garbage!" + plain))


def test_the_fingerprint_counts_threads_by_the_link_count_and_sees_a_new_thread():
    pid = os.fork()
    if pid == 0:  # one thread, as the call worker
        code = 1
        try:
            fp = reuse._Fingerprint({}, GUARD.version or (lambda d: 0), [], set())
            ok = fp.links_count_threads and fp.unchanged()
            stop = threading.Event()
            t = threading.Thread(target=stop.wait)
            t.start()
            ok = ok and not fp.unchanged()  # a thread the call started
            stop.set()
            t.join()  # (the thread's exit in the kernel may come a moment later: not looked at here)
            code = 0 if ok else 2
        finally:
            os._exit(code)
    assert os.waitpid(pid, 0)[1] == 0


def test_drain_makes_one_read_when_the_pipe_holds_less_than_it_asks(monkeypatch):
    reads = []
    real = os.read
    monkeypatch.setattr(reuse.os, "read", lambda fd, n: reads.append(n) or real(fd, n))
    r, w = os.pipe()
    try:
        os.set_blocking(r, False)
        os.write(w, b"x" * 1000)
        assert reuse.drain(r, 1 << 22) == (b"x" * 1000, False)
        # One read (was two: the second only said EAGAIN), asking for a pipe's 64 KiB at most
        # (was 1 MiB: Python allocated that much for every read).
        assert reads == [1 << 16]
        os.close(w)
        w = -1
        assert reuse.drain(r, 1 << 22) == (b"", True)  # the end is still seen, at the next look
    finally:
        os.close(r)
        if w != -1:
            os.close(w)


# --------------------------------------------------------------------------- in a sandbox

SANDBOXED = CORRECT + '''
import os

def whoami():
    return {"pid": np.array([float(os.getpid())])}

def pending():
    # The bytes of requests waiting in the call worker's own pipe while this call runs (its
    # ``calls`` descriptor, found in the worker's frame as a hostile call could).
    import fcntl, struct, sys, termios
    frame, fd = sys._getframe(1), None
    while frame is not None and fd is None:
        fd = frame.f_locals.get("calls") if type(frame.f_locals.get("calls")) is int else None
        frame = frame.f_back
    return {"v": np.array([float(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"0000"))[0])])}

def policies():
    return {"mine": np.array([float(os.sched_getscheduler(0))]), "pid1": np.array([float(os.sched_getscheduler(1))])}

def others():
    return {"v": np.array([float(len([p for p in os.listdir("/proc") if p.isdigit()]))])}

def helper():
    n = len([p for p in os.listdir("/proc") if p.isdigit()])
    if os.fork() == 0:
        import time
        time.sleep(30)
        os._exit(0)
    return {"v": np.array([float(n)])}
'''
EXTRA = ["whoami", "pending", "policies", "others", "helper"]


@pytest.fixture(scope="module")
def zygote():
    yield from zygote_while_used()


def _sandbox(tmp_path, zygote) -> Sandbox:
    return sandbox_of(tmp_path, SANDBOXED, zygote, EXTRA)


def _values(answers) -> list[list[float]]:
    out = []
    for a in answers:
        assert not isinstance(a, Exception) and a.header.get("status") == "returned", a
        out.append([float(x) for arr in a.arrays for x in arr.ravel()])
    return out


@_NAMESPACES
def test_the_calls_of_an_exchange_wait_in_the_worker_s_pipe_while_it_answers_the_first(tmp_path, zygote):
    he = ("initialize_parameters_he", [{"list": [5, 4, 3]}])
    calls = [("pending", [])] + [he] * 12 + [("pending", [])]
    with _sandbox(tmp_path, zygote) as sb:
        assert sb.start().call_reuse == "on"
        values = _values(sb.call_planned(calls))
        frames = [len(f) for f in _grader_frames(sb, calls)]
    # While the first call runs, the 13 requests after it are in the worker's pipe already: one
    # write by pid 1 for the exchange (was 0 bytes: one request handed per call, after each reply).
    assert values[0] == [float(sum(frames[1:]))], (values[0], frames)
    assert values[-1] == [0.0]  # the last call: nothing left to hand


def _grader_frames(sb: Sandbox, calls: list) -> list[bytes]:
    """The frames the grader wrote for ``calls`` (their seqs the ones just used, so of the same size)."""
    last = sb._seq
    return pipeline.PipelinedRequests(-1, [(last - len(calls) + 1 + i, {"op": "call", "function": f, "args": a,
                                                                        "seq": last - len(calls) + 1 + i})
                                           for i, (f, a) in enumerate(calls)]).frames


@_NAMESPACES
def test_a_helper_left_mid_exchange_is_gone_before_the_next_call_of_the_batch(tmp_path, zygote):
    calls = [("whoami", []), ("helper", []), ("others", []), ("whoami", []), ("helper", []), ("others", [])]
    with _sandbox(tmp_path, zygote) as sb:
        assert sb.start().call_reuse == "on"
        values = _values(sb.call_planned(calls))
    assert values[1] == values[2] == values[4] == values[5] == [2.0]  # pid 1 and the worker, no helper
    assert values[0] != values[3]  # the worker that saw its helper ended; a fresh fork took the rest


@_NAMESPACES
def test_the_relay_runs_as_a_batch_task_and_the_student_s_code_as_usual(tmp_path, zygote):
    with _sandbox(tmp_path, zygote) as sb:
        assert sb.start().call_reuse == "on"
        values = _values(sb.call_planned([("policies", []), ("helper", []), ("whoami", []), ("policies", [])]))
    # The first worker is forked before pid 1 changes its policy; the one after the helper, after
    # (it inherits SCHED_BATCH): both run the student's code under the usual policy.
    for mine, pid1 in (values[0], values[3]):
        assert int(mine) == os.SCHED_OTHER
        assert int(pid1) == os.SCHED_BATCH
