"""Reading a Python module (``.py``) submission."""

from __future__ import annotations

from autograder.intake.bounds import ReadingBounds
from autograder.intake.code import code_chunks, source_text
from autograder.intake.submission import IntakeError


def module_chunks(raw: bytes, name: str, bounds: ReadingBounds | None = None) -> list[dict]:
    bounds = bounds or ReadingBounds()  # a fresh one: bounds count what one submission has used
    bounds.check_code(len(raw), name)
    text = source_text(raw, name, "a Python module")
    if "\0" in text:
        raise IntakeError(f"{name} contains NUL bytes, so it is not a Python module")
    chunks = code_chunks(text, name, bounds.pieces_left)
    if not any(c["code"].strip() for c in chunks):
        raise IntakeError(f"{name} has no imports or definitions in it")
    return chunks
