"""A sandbox for a test's own submission code, and a zygote a test module shares: what the
sandbox tests build again and again, in one place."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from autograder.config import load_config
from autograder.intake import load_submission
from autograder.sandbox import Sandbox, detect_isolation, hide_paths, new_zygote

CONFIG = load_config()


def sandbox_of(tmp_path: Path, code: str, zygote=None, extra: Sequence[str] = (), **options) -> Sandbox:
    """A sandbox (not started) for ``code`` written as a module submission in ``tmp_path``, with
    grading.yaml's functions and ``extra`` callable, its limits and stub modules, and ``tmp_path``
    hidden; ``options`` go to Sandbox as they are (``preload``, ``random_seed``, ...)."""
    sub_file = tmp_path / "sub.py"
    sub_file.write_text(code)
    sub = load_submission(sub_file, 1 << 20)
    return Sandbox(sub.chunks, sub.files, CONFIG.functions + list(extra), CONFIG.limits,
                   hide_paths([str(tmp_path)]), CONFIG.sandbox.stub_modules, zygote=zygote, **options)


def zygote_while_used() -> Iterator:
    """A zygote for this machine's isolation (None where it has none), closed after: the body of a
    module-scoped fixture, so a module's sandboxes share one as a batch's do."""
    made = new_zygote(detect_isolation())
    try:
        yield made
    finally:
        if made is not None:
            made.close()
