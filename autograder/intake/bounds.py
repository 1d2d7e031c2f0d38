"""What reading one submission may cost: the code handed to the parsers, a deadline, and no
collector passes while parsing."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

from autograder.base.deadline import Deadline
from autograder.intake.submission import IntakeError


def shipped_limit(name: str) -> int:
    """A limit's value when grading.yaml does not set it (its default in the config model)."""
    from autograder.config import Limits  # pydantic: only when a caller leaves the bound unset

    return Limits.model_fields[name].default


@dataclass
class ReadingBounds:
    """What reading one submission may cost (grading.yaml's limits): the code handed to the
    parsers (``code_kb``: a syntax tree takes about 5 KB of memory per line of code, so a
    notebook at the size cap made of code would need gigabytes), a deadline, and the files of
    an archive (``archive_members``) or entries of a folder (``folder_entries``)."""

    max_code_bytes: int | None = None
    deadline: Deadline | None = None
    max_members: int = field(default_factory=lambda: shipped_limit("archive_members"))
    max_entries: int = field(default_factory=lambda: shipped_limit("folder_entries"))

    def check_time(self) -> None:
        if self.deadline is not None:
            self.deadline.check()

    def check_code(self, size: int, name: str) -> None:
        if self.max_code_bytes is not None and size > self.max_code_bytes:
            raise IntakeError(f"{name} holds {size >> 10} KB of code; the grader reads at most "
                              f"{self.max_code_bytes >> 10} KB of code in a submission (code_kb in grading.yaml). "
                              "Submit the assignment's code without generated or pasted bulk.")


NO_BOUNDS = ReadingBounds()


@contextmanager
def collector_paused():
    """No cyclic garbage collection while reading: ``ast.parse`` makes an object per node,
    and the collector's passes over them made parsing superlinear (a 6 MB cell: 2.5x the
    time per line of a 0.4 MB one). Syntax trees hold no cycles; they go by reference
    counting, and the size cap bounds them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
