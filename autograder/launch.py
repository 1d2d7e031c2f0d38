"""The ``initgrade`` entry point: the sandbox starter first, then the command line.

A one-notebook ``initgrade grade`` spends about 300 ms importing the grader (click, rich,
pydantic, numpy, ...) and the sandbox's zygote about 150 ms importing numpy in its own
process. Started here, before any of the grader's imports, the zygote's start-up runs
beside them on the other core instead of after them. With ``-j N`` it starts N of them (at most
one per core), which the batch hands to its forked workers, one each, instead of every worker
starting its own after the fork (autograder.sandbox.host.zygote.hand_over_early).

The isolation level's detection (a probe process under ``unshare``, waited for) starts here
too, on a thread, for every grade (autograder.batch.early_isolation): the batch takes its answer
where it used to run it.
"""

from __future__ import annotations

import os
import signal
import sys

# The stop signals the grade command handles itself (autograder.batch.stopping.STOP_SIGNALS).
_STOPS = (signal.SIGINT, signal.SIGTERM)


def early_zygotes(args: list[str]) -> int:
    """How many sandbox starters to start before the imports: one per job of ``initgrade grade``
    (a parallel batch hands them to its workers), at most one per core; 0 for any other command
    (parsed loosely: a wrong guess costs only time)."""
    if not args or args[0] != "grade":
        return 0
    jobs = "1"
    for i, arg in enumerate(args):
        if arg in ("-j", "--jobs"):
            jobs = "".join(args[i + 1 : i + 2])
            break
        if arg.startswith("--jobs="):
            jobs = arg[len("--jobs="):]
            break
        if arg.startswith("-j") and arg[2:].isdigit():
            jobs = arg[2:]
            break
    if not jobs.isdigit() or int(jobs) < 1:
        return 0
    return min(int(jobs), os.cpu_count() or 1) if int(jobs) > 1 else 1


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

    zygotes = early_zygotes(sys.argv[1:])
    if zygotes and not environment.namespaces_disabled():
        from autograder.sandbox import start_early

        start_early(zygotes)
    if sys.argv[1:2] in (["grade"], ["demo"]) and "--help" not in sys.argv:
        from autograder.batch import early_isolation

        early_isolation.start()
    from autograder.commands.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
