"""What intake hands on (a Submission: code chunks for the sandbox) and the error for what it
cannot read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class IntakeError(Exception):
    """The submission cannot be read as code; the message is for the student."""


@dataclass
class Submission:
    id: str
    path: Path
    kind: str  # notebook | module | package (with "zip:" prefix when unpacked from a zip)
    chunks: list[dict]
    files: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    notes: list[str] = field(default_factory=list)
    # The file that is the work (relative to the folder or zip; the name itself for one file) and why
    # (autograder.intake.work): the feedback and results.json say both.
    graded_file: str = ""
    graded_because: str = ""
