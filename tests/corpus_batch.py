"""One batch for the three realistic corpora the message tests read. (A helper for the tests.)

``examples/realistic/`` (tests/test_realistic.py), ``examples/realistic-round3/``
(tests/test_realistic_round3.py) and ``examples/realistic-notebooks/`` (tests/test_messages.py) are
graded together, once per test session, by whichever test asks first: one batch, one training cache
(a mistake two corpora share is trained once), one warm-up of the reference's trainings for all.
"""

from __future__ import annotations

from pathlib import Path

from autograder.batch.grading import grade_batch
from autograder.config import PROJECT_ROOT, load_config

REALISTIC = PROJECT_ROOT / "examples" / "realistic"
ROUND3 = PROJECT_ROOT / "examples" / "realistic-round3"
NOTEBOOKS = PROJECT_ROOT / "examples" / "realistic-notebooks"


def corpus(folder: Path) -> list[Path]:
    """A corpus's submissions: its modules and notebooks, not its generator."""
    return sorted(p for p in folder.iterdir() if p.suffix in (".ipynb", ".py") and p.name != "make_cases.py")


_GRADED: dict[str, tuple[Path, dict]] = {}


def graded(tmp_path_factory, warm_cache_at) -> tuple[Path, dict]:
    """(the output folder, submission id -> SubmissionResult) of the three corpora, graded once, from a
    training cache that holds the reference trainings (tests/conftest.py's ``warm_cache_at``)."""
    if "all" not in _GRADED:
        files = corpus(REALISTIC) + corpus(ROUND3) + corpus(NOTEBOOKS)
        assert len({p.stem for p in files}) == len(files), "the corpora's file names must differ"
        out = tmp_path_factory.mktemp("realistic-corpora")
        cache = warm_cache_at(tmp_path_factory.mktemp("cache") / "training")
        results = grade_batch(files, out, load_config(), jobs=2, cache_dir=cache)
        _GRADED["all"] = (out, {r.id: r for r in results.results})
    return _GRADED["all"]
