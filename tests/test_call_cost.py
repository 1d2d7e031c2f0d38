"""The sandbox's own work per submission and per call (issue 23), counted, never timed.

* With call reuse, the first calls run in the sandbox's only fork before them: the worker, forked
  before the load reply, is the proof that a fork works (no separate fork to check it); a worker
  that cannot be forked then refuses the submission, as the separate check did (fail closed).
* The worker writes each reply and its verdict in one write (its relay wakes once per call).
* Its per-call checks keep their strength at less cost: signal handlers read without
  ``signal.getsignal``'s enum wrapper, numpy's legacy stream reset from a list key.
"""

from __future__ import annotations

import functools
import os
import signal

import numpy as np
import pytest
from sandbox_of import sandbox_of

from autograder.config import PROJECT_ROOT, load_config
from autograder.sandbox import SandboxError, detect_isolation, new_zygote, wire
from autograder.sandbox.jail import reuse
from autograder.sandbox.jail.guard import GUARD
from autograder.sandbox.jail.serve import answer_probe

CONFIG = load_config()
CORRECT = (PROJECT_ROOT / "examples" / "submissions" / "correct_module.py").read_text()

# The call's own pid, and how many tasks (threads) the sandbox's pid 1 has: pids and thread ids
# are handed out one after the other in the sandbox's fresh pid namespace, so the difference is
# how many processes were forked before this call's (this one included).
FORKS_SO_FAR = '''
import os
def forks_so_far():
    return {"n": np.array([float(os.getpid() - len(os.listdir("/proc/1/task")))])}
'''


# Threads started while loading (up to a number, or until refused); nothing of them stays in the
# namespace, which holds only modules, functions and numbers: a top level calls are reused with.
THREADS_AT_LOAD = '''
import threading, time
def _fill(most):
    started = 0
    while started < most:
        try:
            threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
        except RuntimeError:
            break
        started += 1
    return started
def started(n=_fill({most})):  # runs while loading: the intake keeps definitions, not a bare call
    return n
'''


_NAMESPACES = pytest.mark.skipif(not detect_isolation().namespaces and
                                 os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                                 reason="calls share a fork only in a pid namespace")


def _version():
    return GUARD.version or (lambda d: 0)


@_NAMESPACES
def test_with_call_reuse_the_first_call_runs_in_the_sandbox_s_only_fork(tmp_path):
    zygote = new_zygote(detect_isolation())
    try:
        with sandbox_of(tmp_path, CORRECT + FORKS_SO_FAR, zygote, ["forks_so_far"]) as sb:
            load = sb.start()
            assert load.call_reuse == "on", load
            replies = [sb.call("forks_so_far", []) for _ in range(2)]
    finally:
        if zygote is not None:
            zygote.close()
    counts = [float(r.arrays[0][0]) for r in replies]
    assert counts == [1.0, 1.0], counts  # was [2, 2]: a fork to check that forking works, then the worker


@_NAMESPACES
def test_a_worker_that_cannot_be_forked_at_load_refuses_the_submission(tmp_path):
    """The worker's fork stands for the fork check: refused, the load fails closed as before."""
    zygote = new_zygote(detect_isolation())
    try:
        with sandbox_of(tmp_path, CORRECT + THREADS_AT_LOAD.format(most=3), zygote, []) as sb:
            assert sb.start().call_reuse == "on"  # the top level is one calls are reused with
        with sandbox_of(tmp_path, CORRECT + THREADS_AT_LOAD.format(most=100_000), zygote, []) as sb:
            with pytest.raises(SandboxError, match="could not start the process that calls your functions"):
                sb.start()
    finally:
        if zygote is not None:
            zygote.close()


def _worker(namespace: dict) -> reuse.CallWorker:
    call = functools.partial(answer_probe, max_array_bytes=1 << 20)
    return reuse.CallWorker(namespace, call, lambda: 0, _version(), [], set())


def _reply_and_verdict(worker: reuse.CallWorker, request: dict) -> bytes:
    assert worker.to_worker is not None and worker.from_worker is not None
    wire.write_frame(worker.to_worker, request)
    os.set_blocking(worker.from_worker, True)
    buf = b""
    while True:
        chunk = os.read(worker.from_worker, 1 << 16)
        buf += chunk
        start, need = reuse._reply_end(bytearray(buf))  # after the length the worker announces
        if not chunk or (need is not None and len(buf) > need):
            return buf[start:]  # a worker that ended without its reply fails the caller's checks, not a hang


def test_the_worker_writes_a_reply_and_its_verdict_in_one_write(monkeypatch):
    """Every os.write of the worker (a fork of this process, as of the sandbox) is counted on a pipe."""
    count_r, count_w = os.pipe()
    real_write = os.write

    def counted(fd, data):
        real_write(count_w, b".")
        return real_write(fd, data)

    worker = _worker({"f": lambda: {"w": np.arange(6.0).reshape(2, 3)}})
    monkeypatch.setattr(os, "write", counted)
    try:
        assert worker.start() is None
    finally:
        monkeypatch.undo()
    os.close(count_w)
    try:
        data = _reply_and_verdict(worker, {"op": "call", "function": "f", "args": [], "seq": 1})
    finally:
        worker.end()
    header, arrays = wire.read_frame(_pipe_with(data[:-1]))
    assert header["status"] == "returned" and arrays[0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert data[-1:] in (reuse.KEEP, reuse.RETIRE)
    writes = b""
    while chunk := os.read(count_r, 64):
        writes += chunk
    os.close(count_r)
    assert len(writes) == 1, writes  # was 2: the reply, then the verdict on its own


def _pipe_with(data: bytes) -> int:
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    return r


def test_the_fingerprint_reads_signal_handlers_without_the_enum_wrapper(monkeypatch):
    calls = []
    real = signal.getsignal
    monkeypatch.setattr(signal, "getsignal", lambda s: calls.append(s) or real(s))
    fingerprint = reuse._Fingerprint({}, _version(), [], set())
    before = fingerprint._take()[4]
    previous = signal.signal(signal.SIGUSR1, lambda *a: None)
    try:
        changed = fingerprint._take()[4]
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert calls == []  # was one call per signal (62), each wrapping its answer in an enum
    # As strong as before: a handler a call installed is seen, an untouched one compares the same.
    assert not all(a is b for a, b in zip(changed, before))
    assert all(a is b for a, b in zip(fingerprint._take()[4], before))


def test_the_legacy_stream_is_put_back_from_a_list_key_exactly():
    rand = np.random.mtrand._rand
    saved = rand.get_state()
    try:
        np.random.seed(5)
        np.random.randn(3)  # an odd count of normal draws: a cached gaussian, has_gauss set
        state = rand.get_state()
        fast = reuse.settable_state(state)
        assert type(fast[1]) is list  # set_state copies 624 plain ints, not 624 numpy scalars
        expected = np.random.randn(5)
        np.random.seed(77)
        np.random.rand(9)
        rand.set_state(fast)
        again = rand.get_state()
        assert again[0] == state[0] and np.array_equal(again[1], state[1]) and again[2:] == state[2:]
        assert np.random.randn(5).tolist() == expected.tolist()
        assert reuse.settable_state({"bit_generator": "PCG64"}) == {"bit_generator": "PCG64"}  # left as it is
    finally:
        rand.set_state(saved)

