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
"""

from __future__ import annotations

import signal
import sys

# The stop signals the grade command handles itself (autograder.batch.stopping.STOP_SIGNALS).
_STOPS = (signal.SIGINT, signal.SIGTERM)


def grades(args: list[str]) -> bool:
    """``initgrade grade ...``, whatever its jobs: a one-job grade uses the zygote started here, a
    parallel batch hands it to a worker (autograder.sandbox.host.zygote.hand_over_early)."""
    return bool(args) and args[0] == "grade"


def main() -> None:
    if sys.argv[1:2] in (["grade"], ["demo"]):
        # A stop signal is the grader's from the first instant: held (blocked) while the stop handlers'
        # own module is imported, recorded once they are installed (they unblock it), raised once the
        # command line is ready (autograder.batch.stopping), so Ctrl-C or SIGTERM during start-up ends
        # with 130 or 143 and its message, never a traceback, "Aborted!" or a silent death that leaves
        # children behind.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        import atexit

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

    cli_main()


if __name__ == "__main__":
    main()
