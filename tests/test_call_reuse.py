"""One fork of the loaded submission answers several calls (autograder.sandbox.jail.reuse).

What must hold is what a fork per call gave: every call sees the state the submission
had once loaded, whatever the calls before it did. Each stateful submission below is
called three times and must give the same answer three times; and a plain submission
must really be answered by one process (the work the reuse saves).
"""

from __future__ import annotations

import ctypes
import json
import os
import sys

import numpy as np
import pytest
from sandbox_of import sandbox_of, zygote_while_used

from autograder.config import PROJECT_ROOT, load_config
from autograder.sandbox import CALL_REUSE_OFF, call_reuse_mode, detect_isolation, wire
from autograder.sandbox.jail import guard

CONFIG = load_config()
STUBS = PROJECT_ROOT / "assignment" / "initlab" / "init_functions.py"
CORRECT = (PROJECT_ROOT / "examples" / "submissions" / "correct_module.py").read_text()
# Where the fast path must be on: every CPython the kit supports (pyproject's requires-python).
FAST_PATH_EXPECTED = (sys.implementation.name == "cpython" and (3, 10) <= sys.version_info[:2] <= (3, 13)
                      and sys.maxsize > 2**32)
# A submission whose top level holds an instance: off for that reason where the fast path exists.
_OFF_FOR_STATE = "off: " + CALL_REUSE_OFF["top-level-state" if FAST_PATH_EXPECTED else "python-version"]

pytestmark = pytest.mark.skipif(not detect_isolation().namespaces and
                                os.environ.get("INITGRADE_REQUIRE_INTEGRATION") != "1",
                                reason="calls share a fork only in a pid namespace")

WHOAMI = '''
import os
def whoami():
    return {"pid": np.array([float(os.getpid())])}
'''

# Each defines f(); a fresh fork per call would return the same value every time.
STATEFUL = {
    "global_rebound": '''
count = 0
def f():
    global count
    count += 1
    return {"v": np.array([count])}
''',
    "mutable_default": '''
def f(seen=[]):
    seen.append(1)
    return {"v": np.array([len(seen)])}
''',
    "global_list_in_place": '''
seen = [0]
def f():
    seen.append(1)
    return {"v": np.array([len(seen)])}
''',
    "global_dict_in_place": '''
cache = {}
def f():
    cache[len(cache)] = 1
    return {"v": np.array([len(cache)])}
''',
    "list_inside_a_tuple": '''
box = ([0],)
def f():
    box[0][0] += 1
    return {"v": np.array(box[0])}
''',
    "function_attribute": '''
def f():
    f.calls = getattr(f, "calls", 0) + 1
    return {"v": np.array([f.calls])}
''',
    "library_module_attribute": '''
import math
def f():
    math.calls = getattr(math, "calls", 0) + 1
    return {"v": np.array([math.calls])}
''',
    "numpy_attribute": '''
def f():
    np.calls = getattr(np, "calls", 0) + 1
    return {"v": np.array([np.calls])}
''',
    "unseeded_legacy_stream": '''
def f():
    return {"v": np.random.randn(3)}
''',
    "unseeded_random_module": '''
import random
def f():
    return {"v": np.array([random.random()])}
''',
    "floating_point_errors": '''
def f():
    out = np.array([1.0]) / np.array([0.0])  # raises if an earlier call left "raise" behind
    np.seterr(all="raise")
    return {"v": out}
''',
    "thread_left_running": '''
import threading, time
def f():
    n = threading.active_count()
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    return {"v": np.array([n])}
''',
    "environment": '''
import os
def f():
    os.environ["INITGRADE_CALLS"] = str(int(os.environ.get("INITGRADE_CALLS", "0")) + 1)
    return {"v": np.array([int(os.environ["INITGRADE_CALLS"])])}
''',
    "working_directory": '''
import os
def f():
    here = os.getcwd()
    os.chdir("/")
    return {"v": np.array([len(here)])}
''',
    "stdout_closed": '''
import os, sys
def f():
    sys.stdout.write("x")
    sys.stdout.flush()  # raises if an earlier call closed it
    os.close(1)
    return {"v": np.array([1.0])}
''',
    "warnings_made_errors": '''
import warnings
def f():
    n = len(warnings.filters)
    warnings.simplefilter("error")  # a later warning would raise
    return {"v": np.array([n])}
''',
    "open_file_limit": '''
import resource
def f():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft // 2, hard))
    return {"v": np.array([soft])}
''',
    "signal_handler": '''
import signal
def f():
    before = signal.getsignal(signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, lambda *a: None)
    return {"v": np.array([1.0 if before is signal.SIG_DFL else 2.0])}
''',
    "helper_process": '''
import os, time
def f():
    kids = len([p for p in os.listdir("/proc") if p.isdigit()])
    if os.fork() == 0:
        time.sleep(30)
        os._exit(0)
    return {"v": np.array([kids])}
''',
}


@pytest.fixture(scope="module")
def zygote():
    yield from zygote_while_used()



def _value(sb, function: str, *args) -> list[float]:
    reply = sb.call(function, list(args))
    assert reply.header.get("status") == "returned", reply.header
    return [float(x) for a in reply.arrays for x in a.ravel()]


def test_a_plain_submission_is_answered_by_one_process(tmp_path, zygote):
    with sandbox_of(tmp_path, CORRECT + WHOAMI, zygote, ["whoami"]) as sb:
        sb.start()
        pids = {_value(sb, "whoami")[0]}
        for dims in ([5, 4, 3], [1, 6, 1], [7, 5, 4, 3, 3, 1]):
            for fn in CONFIG.functions:
                assert _value(sb, fn, {"list": dims})  # every graded function, between the pid checks
            pids.add(_value(sb, "whoami")[0])
        assert len(pids) == 1, pids
    # Python 3.12+ warns at each fork of a threaded process; nothing of it may reach the student's
    # output (it names the kit's file on the grading machine). Read once closed, as the engine does:
    # only the close waits for the drain to reach the end of the output.
    assert "fork()" not in sb.output() and "autograder" not in sb.output(), sb.output()


def test_the_load_reply_says_calls_are_reused_where_they_should_be(tmp_path, zygote):
    with sandbox_of(tmp_path, CORRECT + WHOAMI, zygote, ["whoami"]) as sb:
        load = sb.start()
    if FAST_PATH_EXPECTED:
        assert load.call_reuse == "on", load.call_reuse
    else:
        assert load.call_reuse.startswith("off: ") and "dict version tags" in load.call_reuse, load.call_reuse


def test_the_load_reply_says_why_calls_are_not_reused(tmp_path, zygote):
    code = "import numpy as np\nclass Counter:\n    n = 0\nCOUNTER = Counter()\ndef f():\n    return {}\n"
    with sandbox_of(tmp_path, code, zygote, ["f"]) as sb:
        load = sb.start()
    assert load.call_reuse == _OFF_FOR_STATE, load.call_reuse


def test_the_mode_is_worded_by_the_grader_never_taken_from_the_sandbox():
    assert call_reuse_mode("on") == "on"
    assert call_reuse_mode("python-version") == "off: " + CALL_REUSE_OFF["python-version"]
    for hostile in ("<script>alert(1)</script>", "/home/grader/solutions", 7, None, ["on"], "ON"):
        assert call_reuse_mode(hostile) == "off: the sandbox gave no known reason"


def test_dict_version_tags_are_read_on_every_supported_python():
    tamper_guard = guard.TamperGuard(version_tags=True)
    version, problem = tamper_guard.version, tamper_guard.version_problem
    if FAST_PATH_EXPECTED:
        assert version is not None and problem is None, problem
        d = {}
        before = version(d)
        d["x"] = 1
        assert version(d) != before
    else:
        assert version is None and problem in CALL_REUSE_OFF


def test_a_reader_at_the_wrong_place_fails_the_layout_check():
    """The check, not the version gate, is what keeps a wrong offset from giving wrong answers."""
    type_at, used_at = ctypes.c_void_p.from_address, ctypes.c_ssize_t.from_address
    for offset in (8, 16, 32, 40):  # the type, the length, the keys, the values
        def at(d, offset=offset):
            return ctypes.c_uint64.from_address(id(d) + offset).value

        assert not guard.version_layout_holds(at, type_at, used_at), offset
    assert not guard.version_layout_holds(lambda d: 0, type_at, used_at)
    assert not guard.version_layout_holds(lambda d: len(d), type_at, used_at)
    assert not guard.version_layout_holds(lambda d: id(d), type_at, used_at)


def test_results_json_says_whether_calls_were_reused(tmp_path):
    from autograder.engine import Grader
    from autograder.outputs.reports import write_submission_reports
    from autograder.training.trainer import Trainer

    config = load_config()
    grader = Grader(config, Trainer(config, tmp_path / "cache"))
    stateful = tmp_path / "stateful.py"
    stateful.write_text(STUBS.read_text() + "\nclass Log:\n    pass\nLOG = Log()\n")
    try:
        for path in (STUBS, stateful):
            result = grader.grade(path)
            write_submission_reports(tmp_path / "out", result, config, "key")
    finally:
        grader.close()
    data = {p.parent.name: json.loads(p.read_text())["extra_data"] for p in (tmp_path / "out").glob("*/results.json")}
    assert data["stateful"]["call_reuse"] == _OFF_FOR_STATE, data["stateful"]
    plain = data["init_functions"]["call_reuse"]
    assert plain == "on" if FAST_PATH_EXPECTED else (plain.startswith("off: ") and "dict version tags" in plain), plain


@pytest.mark.parametrize("case", sorted(STATEFUL))
def test_every_call_sees_the_state_after_loading(tmp_path, zygote, case):
    with sandbox_of(tmp_path, "import numpy as np\n" + STATEFUL[case], zygote, ["f"]) as sb:
        sb.start()
        values = [_value(sb, "f") for _ in range(3)]
    assert values[0] == values[1] == values[2], values


def test_a_call_that_ends_its_process_costs_only_itself(tmp_path, zygote):
    code = CORRECT + WHOAMI + '''
def crash():
    os._exit(7)
'''
    with sandbox_of(tmp_path, code, zygote, ["whoami", "crash"]) as sb:
        sb.start()
        first = _value(sb, "whoami")
        reply = sb.call("crash", [])
        assert reply.header == {"status": "died", "code": 7, "seq": reply.header["seq"]}  # data; the grader words it
        assert _value(sb, "initialize_parameters_he", {"list": [5, 4, 3]})
        assert _value(sb, "whoami") != first  # a new fork of the loaded submission


def test_frame_length_finds_where_one_reply_ends():
    import io

    r, w = os.pipe()
    wire.write_frame(w, {"status": "returned"}, [np.ones((2, 3)), np.zeros(4)])
    os.close(w)
    data = io.BytesIO()
    while chunk := os.read(r, 1 << 16):
        data.write(chunk)
    os.close(r)
    frame = data.getvalue()
    header_length = int.from_bytes(frame[4:8], "little")
    assert wire.frame_length(frame) == len(frame) == 8 + header_length + 8 * (6 + 4)
    assert wire.frame_length(frame + b"k") == len(frame)
    assert wire.frame_length(frame[:7]) is None
    assert wire.frame_length(frame[:20]) is None
    with pytest.raises(wire.WireError):
        wire.frame_length(b"garbage!" + frame)


@pytest.mark.parametrize("top_level", ["plain", "not plain"])
def test_unseeded_streams_repeat_from_one_sandbox_to_the_next(tmp_path, zygote, top_level):
    """Python's ``random`` reseeds itself from the OS in every fork, and numpy's Generators
    take OS entropy: both start from the grader's seed in every call of every sandbox,
    whether one fork serves the calls or each call has its own."""
    code = '''
import random
import numpy as np
def f():
    return {"v": np.array([random.random(), *np.random.default_rng().random(2)])}
''' + ("" if top_level == "plain" else "box = ([0],)\n")
    values = []
    for _ in range(2):
        with sandbox_of(tmp_path, code, zygote, ["f"]) as sb:
            sb.start()
            values += [_value(sb, "f"), _value(sb, "f")]
    assert all(v == values[0] for v in values), values



HUGE = '''
def huge():
    return {"W1": np.ones((REPLY_MB << 20) // 8 + 1)}
def just_under():
    return {"W1": np.ones((REPLY_MB << 20) // 8 - 1)}
'''


@pytest.mark.parametrize("top_level", ["plain", "stateful"])
def test_arrays_over_reply_mb_are_refused_before_they_are_sent(tmp_path, zygote, top_level):
    """Arrays over the cap are answered with the reply_mb outcome by the process that ran the call,
    before any of them is copied or written: the answer cannot turn into a timeout when the pipe
    drains slowly on a loaded machine. With calls reused, the same worker answers the next call
    (the relay, had it had to stop reading, would have ended it)."""
    state = "" if top_level == "plain" else "class Box:\n    pass\nbox = Box()\n"
    code = CORRECT + WHOAMI + state + HUGE.replace("REPLY_MB", str(CONFIG.limits.reply_mb))
    with sandbox_of(tmp_path, code, zygote, ["whoami", "huge", "just_under"]) as sb:
        sb.start()
        before = _value(sb, "whoami")[0]
        reply = sb.call("huge", [])
        assert (reply.header.get("status"), reply.header.get("limit")) == ("limit-exceeded", "reply_mb"), reply.header
        assert reply.arrays == [] or len(reply.arrays) == 0
        assert len(_value(sb, "just_under")) == (CONFIG.limits.reply_mb << 20) // 8 - 1  # the cap itself is kept
        after = _value(sb, "whoami")[0]
    if top_level == "plain" and FAST_PATH_EXPECTED:
        assert before == after  # the call's worker lived on: nothing over the cap went through the relay
    else:
        assert before != after  # a fork per call: each call its own process, the refusal in the call's fork
