"""Stopping a batch when told: Ctrl-C or SIGTERM ends it within a second or two, keeping what finished.

The grading parent turns SIGINT and SIGTERM into one ``Interrupted`` exception in its main thread
(``stop_signals``), from the command's first instant (autograder.launch installs the handlers before
any import; they are held, not raised, until the command line is ready, and again while the
gradebook and summary are written: ``hold_stops``): the grading under way unwinds (each ``finally``
closes its sandbox), the workers of a parallel batch are told with SIGTERM and then killed
(``stop_workers``), and the batch writes its gradebook and summary for what finished, marked
incomplete. Each finished
submission's results.json is already on disk, so a re-run grades only the rest.

Workers ignore SIGINT: a Ctrl-C reaches the whole process group, and the parent decides. A
worker told to stop while grading unwinds the same way (its sandbox and sandbox starter are
closed) and exits; an idle one closes its starter and exits at once.

``Interrupted`` is a ``BaseException``, like ``KeyboardInterrupt``: no ``except Exception`` on the
way out (a check, a training, a report) can swallow it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from autograder.limits import WORKER_GRACE_SECONDS

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A stop signal reached the grader; ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """The shell's convention for a command ended by a signal: 128 + its number (130, 143)."""
        return 128 + self.signum


class _Stops:
    """The one set of stop handlers of this process (a command installs them once, at its first instant).

    The first SIGINT or SIGTERM is recorded and raised as ``Interrupted`` in the main thread, unless
    stops are held (``hold_stops``: imports, writing the reports). Later signals are ignored: the
    command is already winding down. A stop stays pending until the code that acts on it says so
    (``acknowledge_stop``): Python drops an exception raised where it cannot propagate (a fork hook,
    a finalizer), so the batch re-raises a pending stop at its checkpoints (``stop_checkpoint``).
    """

    def __init__(self):
        self.installed = False
        self.old: dict[int, object] = {}
        self.old_hook = sys.unraisablehook
        self.fired: int | None = None
        self.handled = False
        self.holds = 0
        self.closing = False  # final_stop has run: the command's result is decided
        self.process = False  # installed by the command's own process (launch), not by a caller in-process
        self.pid = os.getpid()  # the process that installed the handlers (a fork inherits them)

    def handler(self, signum, frame):
        if os.getpid() != self.pid:
            # A fork of the command (a pool worker before its initializer installed WorkerStop): the
            # stop is its parent's to tell; the child ends as the signal's default would, with no
            # traceback from the middle of multiprocessing's start-up.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if self.fired is not None:
            return
        self.fired = signum
        if not self.holds:
            raise Interrupted(signum)

    def install(self) -> bool:
        """Install the handlers; False when they already are (or this is not the main thread)."""
        if self.installed or threading.current_thread() is not threading.main_thread():
            return False
        self.pid = os.getpid()
        self.old = {s: signal.signal(s, self.handler) for s in STOP_SIGNALS}
        self.old_hook = sys.unraisablehook
        sys.unraisablehook = self.unraisable
        self.installed = True
        return True

    def unraisable(self, info) -> None:
        """A stop Python dropped (raised in a fork hook, a finalizer) is not an error to print: it is
        still pending, and the next checkpoint raises it where it can act."""
        if isinstance(info.exc_value, Interrupted):
            return
        self.old_hook(info)

    def uninstall(self) -> None:
        for s, h in self.old.items():
            signal.signal(s, h)  # type: ignore[arg-type]
        sys.unraisablehook = self.old_hook
        self.__init__()  # type: ignore[misc]

    def pending(self) -> int | None:
        return self.fired if self.fired is not None and not self.handled else None


_STOPS = _Stops()


def install_stop_handlers() -> None:
    """At a command's first instant (autograder.launch): stops are recorded from now on, and held
    until the command releases them (``stop_signals``), so an import is never cut in half. A mask
    inherited from whoever started the command (a parent with these signals blocked) is lifted: the
    stop signals are this command's to handle."""
    if _STOPS.install():
        _STOPS.holds += 1
        _STOPS.process = True
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def stop_checkpoint() -> None:
    """Raise a stop that came and was not acted on yet (held then, or dropped where it was raised)."""
    if _STOPS.pending() is not None and not _STOPS.holds and threading.current_thread() is threading.main_thread():
        raise Interrupted(_STOPS.fired)  # type: ignore[arg-type]


def acknowledge_stop() -> None:
    """The stop is being acted on (the batch lists what was not graded, the command says so)."""
    _STOPS.handled = True


@contextlib.contextmanager
def stop_signals():
    """While inside, a stop signal raises ``Interrupted`` in the main thread (at once on entry when one
    came earlier, while held); later ones are ignored. Installs the handlers when no one has (and
    puts the old ones back on the way out); nests."""
    own = _STOPS.install()
    holds, _STOPS.holds = _STOPS.holds, 0
    try:
        stop_checkpoint()
        yield
    finally:
        _STOPS.holds = holds
        if own:
            _STOPS.uninstall()


@contextlib.contextmanager
def hold_stops(raise_after: bool = True):
    """While inside, a stop signal is recorded, not raised (the gradebook and summary are written
    whole, together); on the way out, a recorded one is raised, unless ``raise_after`` is False (the
    command's closing lines: ``final_stop`` then tells the caller)."""
    _STOPS.holds += 1
    try:
        yield
    finally:
        _STOPS.holds -= 1
    if raise_after:
        stop_checkpoint()


ENDING = ("Stopped ({name}) as the command was ending: 0 submissions not graded (the batch had finished: "
          "its gradebook and summary are complete).")


def final_stop() -> int | None:
    """At the command's very end: stop signals blocked from now on (one that comes later is told by
    ``last_word`` as the process exits), and the signal that came and was not acted on, if any."""
    if _STOPS.process:  # in-process callers (a test, a script) keep their own signal mask
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # inherited by nothing: the command is ending
        _STOPS.closing = True
    late = _STOPS.pending()
    if late is None and _STOPS.closing:
        waiting = signal.sigpending() & set(STOP_SIGNALS)
        late = min(waiting) if waiting else None
    if late is not None:
        _STOPS.handled = True
    return late


def last_word() -> None:
    """Registered with atexit before anything else (autograder.launch), so it runs last: a stop signal
    that came after ``final_stop`` (blocked, so still pending) ends the process with its status and
    the ending line, rather than being dropped while the interpreter shuts down."""
    if not _STOPS.closing or _STOPS.handled:
        return
    waiting = signal.sigpending() & set(STOP_SIGNALS)
    if waiting:
        signum = min(waiting)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.write(ENDING.format(name=signal.Signals(signum).name) + "\n")
            sys.stderr.flush()
        os._exit(128 + signum)


def stop_workers(grace: float = WORKER_GRACE_SECONDS) -> int:
    """SIGTERM to every worker process of this process, SIGKILL to those still there after ``grace``
    seconds. Returns how many were stopped."""
    import multiprocessing  # only a parallel batch has workers: 15 ms of a one-notebook command otherwise

    workers = multiprocessing.active_children()
    for p in workers:
        with contextlib.suppress(OSError):
            p.terminate()
    deadline = time.monotonic() + grace
    for p in workers:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            with contextlib.suppress(OSError):
                p.kill()
            p.join(1.0)
    return len(workers)


PR_SET_PDEATHSIG = 1


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


class WorkerStop:
    """A pool worker's side: SIGINT ignored, SIGTERM ends the worker after closing what it started.

    ``close`` ends the worker's sandbox starter. While a grading is under way (``busy``), the
    signal raises ``Interrupted`` so the grading unwinds and closes its sandbox; ``run`` then
    closes the rest and exits.
    """

    def __init__(self, close, parent: int):
        self._close = close
        self._busy = False
        self._stopping = False
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._on_term)
        # A grader killed outright (SIGKILL) cannot tell its workers: the kernel does, with SIGTERM,
        # so they close their sandboxes rather than grade on, unseen. (The pool forks its workers
        # from the main thread, the one whose end the kernel watches.)
        if _libc().prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0 or os.getppid() != parent:
            self._exit()

    def _on_term(self, signum, frame):
        self._stopping = True
        if self._busy:
            self._busy = False
            raise Interrupted(signum)
        self._exit()

    def _exit(self):
        # The signal may have landed while this thread held a lock that closing needs (the
        # sandbox starter's, say): a deadlocked close is ended by the alarm's default action.
        # Without the close, the sandboxes still end with this process (their lifeline).
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(2)
        with contextlib.suppress(BaseException):
            self._close()
        os._exit(1)

    def run(self, fn, *args):
        """``fn(*args)`` as one unit of work a SIGTERM may interrupt.

        Whenever the signal lands (in ``fn``, in the bookkeeping around it, or after), the worker
        exits: a stop must never be taken for the end of one task, after which the worker would
        wait for the next one forever (its grader is gone).
        """
        try:
            self._busy = True
            try:
                return fn(*args)
            finally:
                self._busy = False
        except Interrupted:
            self._exit()
        finally:
            if self._stopping:
                self._exit()
