"""The ``initgrade`` entry point: the sandbox starter first, then the command line.

A one-notebook ``initgrade grade`` spends about 300 ms importing the grader (click, rich,
pydantic, numpy, ...) and the sandbox's zygote about 150 ms importing numpy in its own
process. Started here, before any of the grader's imports, the zygote's start-up runs
beside them on the other core instead of after them. With ``-j N`` the batch hands it to one of
its forked workers, and starts the others' before the fork (autograder.sandbox.host.zygote's
``start_for_workers`` and ``hand_over_early``), instead of every worker starting its own after it.

The isolation level's detection (a probe process under ``unshare``, waited for) starts here
too, on a thread, for every grade (autograder.batch.early_isolation): the batch takes its answer
where it used to run it.

A ``grade`` or ``demo`` then ends without the interpreter's teardown (:func:`end_now`), which frees
every object of the 500-odd modules the grader imported one by one: about 50 ms of CPU once the
command's work is done. :func:`run` is the command without that ending, for a caller in Python that
looks at the process after it (the tests that count a command's work).

The command line's imports (some 500 modules) run without the cyclic garbage collector, and what
they made is frozen for the command (:func:`run`): nearly all of it lives as long as the process, and
the collector found about 500 objects of garbage among them while it ran some hundred collections
over them (30 ms of CPU of a one-notebook command, a full collection after the imports half of it).
The command's own work runs with the collector on, as before.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

# The stop signals the grade command handles itself (autograder.batch.stopping.STOP_SIGNALS).
_STOPS = (signal.SIGINT, signal.SIGTERM)


def grades(args: list[str]) -> bool:
    """``initgrade grade ...``, whatever its jobs: a one-job grade uses the zygote started here, a
    parallel batch hands it to a worker (autograder.sandbox.host.zygote.hand_over_early)."""
    return bool(args) and args[0] == "grade"


def _import_without_the_collector() -> tuple[Callable[[], object], bool]:
    """The command line, imported (by :func:`_start`) with the cyclic garbage collector off; what the
    imports made is then frozen (``gc.freeze``: left out of every later collection) and the collector
    put back as it was. Returns the command line and whether this call froze anything: a process that
    had imported the command line already (a caller in Python) freezes nothing of its own."""
    first = "autograder.commands.cli" not in sys.modules
    was_on = gc.isenabled()
    gc.disable()
    try:
        return _start(), first
    finally:
        if first:
            gc.freeze()
        if was_on:
            gc.enable()


def run() -> None:
    """The command line, started as described above; returns or raises SystemExit as click does.

    Importing makes the modules' objects, nearly all alive to the process's end, and every collection
    during or after the imports went over all of them again. Frozen during the command, they are put
    back (``gc.unfreeze``) once it is over, so an interpreter's teardown that follows (any command
    but a ``grade`` or ``demo`` through :func:`main`) finds and finalizes them as before."""
    cli_main, froze = _import_without_the_collector()
    try:
        cli_main()
    finally:
        if froze:
            gc.unfreeze()


def _start() -> Callable[[], object]:
    """Everything before the command line runs: the stop handlers, the sandbox starter, the isolation
    probe, then the command line's imports; returns the command line."""
    if sys.argv[1:2] in (["grade"], ["demo"]):
        # pydantic looks for plugins of its own (observability hooks) in the entry points of every
        # installed distribution on its first model, 5 ms of a one-notebook command in a venv of 160:
        # the kit validates grading.yaml with none (its documented switch; a value set outside wins).
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
        # A stop signal is the grader's from the first instant: held (blocked) while the stop handlers'
        # own module is imported, recorded once they are installed (they unblock it), raised once the
        # command line is ready (autograder.batch.stopping), so Ctrl-C or SIGTERM during start-up ends
        # with 130 or 143 and its message, never a traceback, "Aborted!" or a silent death that leaves
        # children behind.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        from autograder.batch.stopping import install_stop_handlers, last_word

        install_stop_handlers()
        atexit.register(last_word)  # the first registered runs last
    from autograder import environment

    if grades(sys.argv[1:]) and not environment.namespaces_disabled():
        from autograder.sandbox import start_early

        start_early()
    if sys.argv[1:2] in (["grade"], ["demo"]) and "--help" not in sys.argv:
        from autograder.batch import early_isolation

        early_isolation.start()
    from autograder.commands.cli import main as cli_main

    return cli_main


def exit_status(code: object) -> int:
    """The status Python gives ``sys.exit(code)``: None is 0, an int itself, anything else (a message,
    printed on stderr by the caller) 1."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def end_now(code: object) -> NoReturn:
    """End the process as ``sys.exit(code)`` would, without the interpreter's teardown.

    What the interpreter's exit does that the command's outcome depends on is done here, in its order:
    the message of a non-int ``code`` on stderr, the threads that are not daemons joined, the atexit
    handlers run (the sandbox starter's close, the stop handlers' last word: last registered first),
    stdout and stderr flushed. Then ``os._exit``: the teardown left out only frees memory the kernel
    takes back anyway. Every file the grader writes is closed where it is written (base/atomic.py).
    A flush that fails (a closed pipe) falls back to the interpreter's own exit, which says and
    handles it as before.
    """
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
    status = exit_status(code)
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - the interpreter's exit reports it (status 120), as without this
        sys.exit(status)
    os._exit(status)


def main() -> None:
    """The ``initgrade`` program (``python -m autograder`` too): :func:`run`; a ``grade`` or ``demo``
    then ends with :func:`end_now`. An exception other than SystemExit (a bug's traceback) ends the
    process the interpreter's way."""
    ends_now = sys.argv[1:2] in (["grade"], ["demo"])
    try:
        run()
    except SystemExit as done:
        if not ends_now:
            raise
        end_now(done.code)
    if ends_now:
        end_now(None)


if __name__ == "__main__":
    main()
