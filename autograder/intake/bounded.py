"""Reading one submission in a forked child of the grader, under a memory cap: the grader's memory
for one submission is bounded by construction, and a reading over it costs the batch nothing.

Parsing builds a syntax tree (hundreds of bytes per node) and a hostile submission can shape its
code to make that tree as large as the code cap allows; a ``MemoryError`` in the grader itself,
or the kernel's OOM killer, would end a whole batch. A file too small for its reading to come near
the cap (a 40 KB notebook) is read in the grader, where it costs less than a fork. Otherwise the
child starts as a copy of the grader
(nothing to import, a millisecond or two), lowers its address-space limit to what it has plus
grading.yaml's ``grader_memory_mb`` and its CPU limit to ``intake_seconds``, reads the
submission with :func:`autograder.intake.load_submission`, and hands back the chunks as JSON
on a pipe (never a pickle). Whatever happens in it (over the cap, over the time, a bug of the
reader), the grader gets a message for the student's error row, and the child's memory goes
with it.

No student code runs in the child either: it is the grader's own reading, isolated only so that
its cost cannot outlive it.
"""

from __future__ import annotations

import json
import math
import os
import resource
import select
import signal
import stat
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.intake.load import load_submission
from autograder.intake.notebook_cells import preload_ipython
from autograder.intake.notebooks import import_nbformat
from autograder.intake.submission import IntakeError, Submission
from autograder.intake.work import DEFAULT_NOTEBOOK
from autograder.limits import (
    DROPPED_STATEMENTS_KEPT,
    INTAKE_CHILD_SLACK_SECONDS,
    INTAKE_REPLY_FACTOR,
    READING_BYTES_PER_BYTE,
)

_EXIT_OK, _EXIT_MEMORY, _EXIT_FAILED = 0, 3, 4


@dataclass
class Reading:
    """What the child made of the submission: a Submission, or the error for its row."""

    submission: Submission | None
    error: str = ""
    peak_kb: int = 0  # the child's peak resident set (the grader's pages it shares included)


def _address_space_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def _load(path: Path, limits, functions: Sequence[str], notebook: str) -> Submission:
    return load_submission(path, limits.submission_mb << 20, limits.intake_seconds, limits.code_kb << 10,
                           functions, max_members=limits.archive_members, max_entries=limits.folder_entries,
                           max_cells=limits.code_cells, notebook=notebook)


def _few_dropped(chunks: list[dict]) -> list[dict]:
    """At most DROPPED_STATEMENTS_KEPT statements left out, over all chunks: the feedback names a
    few, and a file of a million one-word statements would otherwise hand over a record for each."""
    room = DROPPED_STATEMENTS_KEPT
    for chunk in chunks:
        dropped = chunk.get("dropped")
        if dropped:
            chunk["dropped"] = dropped[:room]
            room = max(room - len(dropped), 0)
    return chunks


def _child(path: Path, limits, functions: Sequence[str], notebook: str, w: int) -> int:
    """In the child: cap, read, write the reading as JSON; the exit status says how it ended."""
    try:
        cap = (_address_space_kb() << 10) + (limits.grader_memory_mb << 20)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
        cpu = math.ceil(limits.intake_seconds) + 1
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))
        before = set(sys.modules)
        try:
            sub = _load(path, limits, functions, notebook)
            payload = {"id": sub.id, "kind": sub.kind, "chunks": _few_dropped(sub.chunks), "files": sub.files,
                       "digest": sub.digest, "notes": sub.notes, "graded_file": sub.graded_file,
                       "graded_because": sub.graded_because}
        except (IntakeError, OSError) as exc:
            payload = {"error": str(exc)}
        payload["imported"] = [m for m in _READERS if m in sys.modules and m not in before]
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
        view = memoryview(data)
        while view:
            view = view[os.write(w, view):]
        return _EXIT_OK
    except MemoryError:
        return _EXIT_MEMORY
    except BaseException:  # noqa: BLE001 - a bug of the reader, an interrupt: the row says the reading failed
        return _EXIT_FAILED


# What reading some notebooks imports (about 100 ms each): a child that needed one says so, and the
# grader imports it then, once, so that later children inherit it instead of importing it again.
_READERS = {"IPython": preload_ipython, "nbformat": import_nbformat}


def _import_in_grader(names) -> None:
    for name in names if isinstance(names, list) else []:
        if name in _READERS and name not in sys.modules:
            _READERS[name]()


def _fork() -> int:
    with warnings.catch_warnings():  # 3.12+ warns at a fork while a sandbox's output thread lives
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _small_file(path: Path, limits) -> bool:
    """A regular file so small that even its most expensive reading stays under half the memory
    bound (READING_BYTES_PER_BYTE of grader memory per byte of it): read in this process."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size * READING_BYTES_PER_BYTE <= (limits.grader_memory_mb << 20) // 2


def read_submission(path: Path, limits, functions: Sequence[str] = (), notebook: str = DEFAULT_NOTEBOOK) -> Reading:
    """Read ``path`` within grading.yaml's ``limits`` (memory, time, sizes), in a child process unless
    the file is too small to need it (the assignment's notebook: 40 KB; the fork costs more than the
    reading then)."""
    path = Path(path)
    if _small_file(path, limits):
        try:
            return Reading(_load(path, limits, functions, notebook))
        except (IntakeError, OSError) as exc:
            return Reading(None, str(exc))
    r, w = os.pipe()
    pid = _fork()
    if pid == 0:  # the child: never returns into the grader's code
        code = _EXIT_FAILED
        try:
            os.close(r)
            code = _child(path, limits, functions, notebook, w)
        finally:
            os._exit(code)
    os.close(w)
    cap = INTAKE_REPLY_FACTOR * ((limits.submission_mb << 20) + (limits.code_kb << 10)) + (4 << 20)
    deadline = time.monotonic() + limits.intake_seconds + INTAKE_CHILD_SLACK_SECONDS
    parts, size, over, late, finished = [], 0, False, False, False
    status: int | None = None
    peak_kb = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                late = True
                break
            data = os.read(r, 1 << 20)
            if not data:
                break
            size += len(data)
            if size > cap:
                over = True
                break
            parts.append(data)
        finished = True
    finally:
        os.close(r)
        if late or over or not finished:  # not finished: a stop signal ends the batch, the child with it
            os.kill(pid, signal.SIGKILL)
        try:
            _, status, usage = os.wait4(pid, 0)
            peak_kb = usage.ru_maxrss
        except ChildProcessError:
            status = None
    return _reading(path, b"".join(parts), status, peak_kb, limits, late=late, over=over)


def _reading(path: Path, data: bytes, status: int | None, peak_kb: int, limits, *, late: bool, over: bool) -> Reading:
    name = path.name
    code = os.waitstatus_to_exitcode(status) if status is not None else None
    if code == _EXIT_MEMORY or (code == -signal.SIGKILL and not late and not over):
        return Reading(None, f"reading {name} needed more than {limits.grader_memory_mb} MB of the grader's memory, "
                             "the most it spends on one submission (grader_memory_mb in grading.yaml). Is its code "
                             "unusually large (huge literal constants, thousands of lines that do not parse)? "
                             "Submit the assignment's code without generated or pasted bulk.", peak_kb)
    if late or code == -signal.SIGXCPU:
        return Reading(None, f"reading {name} took more than {limits.intake_seconds:g} s, the most the grader spends "
                             "reading one submission (intake_seconds in grading.yaml). Submit the notebook with only "
                             "the assignment's cells.", peak_kb)
    if over:
        return Reading(None, f"reading {name} gave more data than its size allows; it was not graded", peak_kb)
    if code != _EXIT_OK:
        return Reading(None, f"the grader failed while reading {name} (status {code}); please tell your instructor",
                       peak_kb)
    try:
        payload = json.loads(data)
        _import_in_grader(payload.get("imported"))
        if "error" in payload:
            return Reading(None, str(payload["error"]), peak_kb)
        sub = Submission(id=payload["id"], path=path, kind=payload["kind"], chunks=payload["chunks"],
                         files=payload["files"], digest=payload["digest"], notes=payload["notes"],
                         graded_file=payload["graded_file"], graded_because=payload["graded_because"])
    except (ValueError, KeyError, TypeError):
        return Reading(None, f"the grader failed while reading {name} (an unreadable hand-over); "
                             "please tell your instructor", peak_kb)
    return Reading(sub, "", peak_kb)
