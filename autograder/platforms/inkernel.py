"""Run one of the kit's checks inside a notebook kernel (hidden cells of builds made by earlier kits).

Builds made by this kit no longer call it: their otter and nbgrader grades are the
engine's (:mod:`autograder.platforms.nbgrader_engine`, :mod:`autograder.platforms.otter_plugin`).
Autograder zips and nbgrader source notebooks built by earlier kits still do: they
call the very same check functions as ``initgrade grade`` (``autograder/rubric``)
on the student's functions IN THE STUDENT'S OWN KERNEL through
:class:`autograder.sandbox.probes.LocalStudent`. That path is NOT tamper-resistant: code in
the notebook runs in the same process as the checks and can change anything (the
checks, numpy, this module); rebuild with ``initgrade build`` to get grades of record.

What this module adds around a check, because notebook graders need it:

* warnings and stderr are silenced while a check runs (``warnings.catch_warnings``,
  ``numpy.errstate``, Python- and file-descriptor-level stderr): nbgrader gives
  zero points to a test cell with anything on stderr, so a numpy RuntimeWarning
  raised by a student's function must not cost points the engine would give;
* every call of a student function gets the per-call time limit of
  ``grading.yaml`` (``limits.probe_seconds``) through ``SIGALRM``: ``otter run``
  executes notebooks without any timeout, and an endless loop would hang it.
  A function that ran out of time is not called again (as in the engine);
* any failure becomes an ``AssertionError`` whose message is the check's
  feedback, so otter shows it and nbgrader records a failed test cell.

Environment: ``INITGRADE_CONFIG`` (another grading.yaml), ``INITGRADE_INKERNEL_CACHE``
(folder for cached training outcomes; default ``~/.cache/initgrade/inkernel``;
never point it at the engine's cache, which student code here could write to),
``INITGRADE_CHECK_SECONDS`` (override the per-call limit).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import signal
import threading
import warnings
from pathlib import Path

import numpy as np

from autograder import environment
from autograder.limits import INKERNEL_REFIRE_SECONDS

__all__ = ["run_check", "CheckTimeout", "reset"]


class CheckTimeout(BaseException):
    """A student function ran past its time limit (BaseException: ``except Exception`` cannot swallow it)."""


class _Context:
    def __init__(self):
        from autograder.config import DEFAULT_CONFIG, load_config
        from autograder.rubric import collect_checks
        from autograder.rubric.reference import reference_functions
        from autograder.training.trainer import Trainer

        # Never the current folder's grading.yaml: a notebook runs where its submission's files are.
        self.config = load_config(environment.config_path() or DEFAULT_CONFIG)
        self.checks = collect_checks(self.config)
        self.reference = reference_functions(self.config.functions)
        cache = environment.inkernel_cache()
        if not cache:
            base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
            cache = Path(base) / "initgrade" / "inkernel"
        self.trainer = Trainer(self.config, cache_dir=cache)
        seconds = environment.check_seconds()
        try:
            self.call_seconds = float(seconds) if seconds else float(self.config.limits.probe_seconds)
        except ValueError:
            raise ValueError(f"INITGRADE_CHECK_SECONDS must be a number of seconds, not {seconds!r}") from None
        # (question, id(function)) -> (function, LocalStudent): memoised calls per function object
        self.students: dict = {}
        # id(function) -> message, for functions that ran out of time
        self.hung: dict[int, str] = {}


@functools.lru_cache(maxsize=1)
def _context() -> _Context:
    return _Context()


def reset() -> None:
    """Forget the loaded configuration, memoised calls and timed-out functions."""
    _context.cache_clear()


@contextlib.contextmanager
def _stderr_silenced():
    """Nothing reaches stderr: Python warnings, numpy floating-point warnings, writes to
    ``sys.stderr`` and writes to file descriptor 2 (which ipykernel forwards as stderr)."""
    saved_fd = devnull = None
    try:
        saved_fd = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    except OSError:
        saved_fd = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
                yield
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
        if devnull is not None:
            os.close(devnull)


class _Limited:
    """Wraps a student function: each call gets ``seconds`` of wall-clock time (SIGALRM)."""

    def __init__(self, fn, name: str, seconds: float, hung: dict):
        self.fn, self.name, self.seconds, self.hung = fn, name, seconds, hung
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args, **kwargs):
        key = id(self.fn)
        if key in self.hung:
            raise CheckTimeout(self.hung[key] + " (not called again)")
        usable = (self.seconds > 0 and hasattr(signal, "setitimer")
                  and threading.current_thread() is threading.main_thread())
        if not usable:
            return self.fn(*args, **kwargs)
        message = (f"{self.name} did not return within {self.seconds:g} s "
                   "(an endless loop, a sleep, or waiting for input?)")

        def on_alarm(signum, frame):
            self.hung[key] = message
            raise CheckTimeout(message)

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds, INKERNEL_REFIRE_SECONDS)
        try:
            return self.fn(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
            signal.signal(signal.SIGALRM, previous)


def _student_for(ctx: _Context, question: str, function: str, fn):
    from autograder.sandbox.probes import LocalStudent

    if fn is None or not callable(fn):
        return LocalStudent({})  # reports "<function> is not defined in your submission"
    key = (question, id(fn))
    entry = ctx.students.get(key)
    if entry is None or entry[0] is not fn:
        entry = (fn, LocalStudent({function: _Limited(fn, function, ctx.call_seconds, ctx.hung)}))
        ctx.students[key] = entry
    return entry[1]


@functools.lru_cache(maxsize=1)
def _grader_view():
    """public_tests/grader_view.py (the kit's own file): the grader's loading of a notebook, in a kernel."""
    from autograder.config import course_path
    from autograder.rubric.reference import load_module_file

    path = course_path("public_tests", "grader_view.py")
    # A kit installed without its course files: the checks run on the kernel's function, as before.
    return load_module_file("_initgrade_inkernel_grader_view", path) if path.is_file() else None


def _as_graded(function: str, fn):
    """The function as the engine will load it, not the kernel's (as the public checks do): a name the
    engine never sets fails the check with the name and the fix."""
    view = _grader_view()
    if fn is None or not callable(fn) or view is None:
        return fn
    try:
        graded, _notes = view.as_graded(function, fn)
    except view.NotAsGraded as exc:
        raise AssertionError(str(exc)) from None
    return graded


def run_check(question: str, check: str, namespace) -> None:
    """Run check ``check`` of ``question`` on the function defined in ``namespace``.

    ``namespace`` is the notebook's global namespace (``globals()`` in an nbgrader
    test cell, otter's ``env``). Returns ``None`` when the check passes; raises
    ``AssertionError`` with the check's feedback when it does not.
    """
    from autograder.sandbox.probes import ProbeFailure

    with _stderr_silenced():
        ctx = _context()
    try:
        q = ctx.config.questions[question]
        test = ctx.checks[(question, check)]
    except KeyError:
        raise AssertionError(f"grading.yaml has no check {question}.{check}: this notebook was built from "
                             "another grading configuration; rebuild it with `initgrade build`") from None
    fn = namespace.get(q.function) if namespace is not None else None
    fn = _as_graded(q.function, fn)
    student = _student_for(ctx, question, q.function, fn)
    fixtures = {"student": student, "reference": ctx.reference, "trainer": ctx.trainer, "config": ctx.config}
    import inspect

    kwargs = {name: fixtures[name] for name in inspect.signature(test).parameters}
    failure = None
    with _stderr_silenced():
        try:
            test(**kwargs)
        except CheckTimeout as exc:
            failure = str(exc)
        except ProbeFailure as exc:
            failure = str(exc)
        except AssertionError as exc:
            failure = str(exc) or "check failed"
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, the check did not pass
            failure = (f"the grader could not run this check ({type(exc).__name__}: {exc}); "
                       "please tell your instructor")
    if failure is not None:
        raise AssertionError(failure)
