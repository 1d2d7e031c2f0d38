"""What each sandbox isolation level means, said once for every reader of the results.

The level is detected per grader process (``autograder.sandbox.detect_isolation``); the
instructor's closing lines, results.json's visible output and the Gradescope view all word it
from here, so they cannot drift apart. The full account is in docs/threat-model.md.
"""

from __future__ import annotations

FULL = "namespaces"

SUMMARY = {
    FULL: "full: a separate process in its own namespaces (no network, the grader's files hidden, "
          "nothing shared with the host)",
    "uid+rlimits": "partial: this machine allows no namespaces; a separate process under a user of its own, "
                   "with resource limits and no sockets or shared memory, its files confined only where the "
                   "kernel has Landlock",
    "rlimits": "minimal: this machine allows no namespaces and the grader is not root; a separate process with "
               "resource limits and no sockets or shared memory, its files confined only where the kernel has "
               "Landlock",
}


def summary(level: str) -> str:
    return SUMMARY.get(level, level)


def warning(level: str) -> str | None:
    """The warning a weaker level deserves wherever results are read; None for full isolation."""
    if level == FULL:
        return None
    return (f"sandbox isolation is only {level!r} ({summary(level)}). Grade untrusted submissions on a machine "
            f"with unprivileged user namespaces; see the kit's docs/threat-model.md.")
