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
                   "with resource limits and no sockets or shared memory",
    "rlimits": "minimal: this machine allows no namespaces and no other user could run it; a separate process "
               "under the grader's own user, with resource limits and no sockets or shared memory",
}


def summary(level: str, landlock: bool | None = None) -> str:
    text = SUMMARY.get(level, level)
    if level == FULL or landlock is None:
        return text
    return text + (", its files confined by Landlock" if landlock else
                   ", its files guarded by their modes only (no Landlock)")


def label(level: str, landlock: bool | None) -> str:
    """The level as one phrase: ``namespaces``, ``uid+rlimits with Landlock``, ``rlimits without Landlock``."""
    if level == FULL or landlock is None or not level:
        return level
    return f"{level} {'with' if landlock else 'without'} Landlock"


def batch_label(results) -> str:
    """The level of a batch's results (each records its own): one label, or every one found, joined."""
    found = sorted({label(r.isolation, r.landlock) for r in results if getattr(r, "isolation", "")})
    return " + ".join(found)


def warning(level: str, landlock: bool | None = None) -> str | None:
    """The warning a weaker level deserves wherever results are read; None for full isolation."""
    if level == FULL:
        return None
    return (f"sandbox isolation is only {label(level, landlock)!r} ({summary(level, landlock)}). Grade untrusted "
            f"submissions on a machine with unprivileged user namespaces; see the kit's docs/threat-model.md.")
