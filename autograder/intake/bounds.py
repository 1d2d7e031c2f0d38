"""What reading one submission may cost: the code handed to the parsers, a deadline, and no
collector passes while parsing."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

from autograder.base.deadline import Deadline
from autograder.intake.submission import IntakeError
from autograder.limits import CODE_PIECES, IPYTHON_SUBMISSION_WORK


def shipped_limit(name: str) -> int:
    """A limit's value when grading.yaml does not set it (its default in the config model)."""
    from autograder.config import Limits  # pydantic: only when a caller leaves the bound unset

    return Limits.model_fields[name].default


@dataclass
class ReadingBounds:
    """What reading one submission may cost (grading.yaml's limits): the code handed to the
    parsers (``code_kb``: a syntax tree takes about 5 KB of memory per line of code, so a
    notebook at the size cap made of code would need gigabytes), a deadline, and the files of
    an archive (``archive_members``) or entries of a folder (``folder_entries``), the code cells
    of a notebook (``code_cells``), and the work handed to IPython's rewriter.

    The code bound counts every file read for one submission together (a folder's notebook
    and module both), so a submission of several files costs no more than one."""

    max_code_bytes: int | None = None
    deadline: Deadline | None = None
    max_members: int = field(default_factory=lambda: shipped_limit("archive_members"))
    max_entries: int = field(default_factory=lambda: shipped_limit("folder_entries"))
    max_cells: int = field(default_factory=lambda: shipped_limit("code_cells"))
    code_read: int = 0
    #: Lines IPython's rewriter may still tokenize for this submission (IPYTHON_SUBMISSION_WORK).
    ipython_work_left: int = IPYTHON_SUBMISSION_WORK
    #: Pieces code with syntax errors may still be cut into, all its cells and modules together
    #: (CODE_PIECES; a list, which autograder.intake.code counts down).
    pieces_left: list[int] = field(default_factory=lambda: [CODE_PIECES])

    def check_time(self) -> None:
        if self.deadline is not None:
            self.deadline.check()

    def check_code(self, size: int, name: str) -> None:
        self.code_read += size
        if self.max_code_bytes is not None and self.code_read > self.max_code_bytes:
            held = f"holds {size >> 10} KB of code" if self.code_read == size else \
                f"brings the code read to {self.code_read >> 10} KB"
            raise IntakeError(f"{name} {held}; the grader reads at most "
                              f"{self.max_code_bytes >> 10} KB of code in a submission (code_kb in grading.yaml). "
                              "Submit the assignment's code without generated or pasted bulk.")

    def check_cells(self, count: int, name: str) -> None:
        if count > self.max_cells:
            raise IntakeError(f"{name} has {count} code cells; the grader reads at most {self.max_cells} code "
                              "cells in a notebook (code_cells in grading.yaml; the assignment's notebook has "
                              "about 20). Merge or delete the cells you added, or submit the assignment's "
                              "notebook without generated cells.")

    def spend_ipython(self, work: int) -> bool:
        """Take ``work`` lines of IPython tokenizing from this submission's allowance; False
        (nothing taken) when it is not left."""
        if work > self.ipython_work_left:
            return False
        self.ipython_work_left -= work
        return True



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
