"""Gradescope's entry point (``python -m autograder.platforms.gradescope``), in Gradescope's container.

``run_autograder`` runs it for each submission: it picks the submitted notebook in
``/autograder/submission``, runs ``initgrade grade`` on it (the sandboxed engine:
student code only ever produces data) and writes the one ``results.json``, as the
Markdown view students see, to ``/autograder/results/results.json``. ``setup.sh``
runs it once with ``--warm`` to train the reference.

Every path can be moved with environment variables, so the same files run
against a fake ``/autograder`` tree in tests: ``INITGRADE_AG_ROOT`` (default
``/autograder``), ``INITGRADE_PYTHON`` (the Python with the kit, default
``$INITGRADE_AG_ROOT/initgrade-venv/bin/python``), ``INITGRADE_BIN`` (the
``initgrade`` command), ``INITGRADE_SUBMISSION_FILE`` (which uploaded file to
grade, relative to the submission folder), ``INITGRADE_CACHE`` (the training
cache; default ``$INITGRADE_AG_ROOT/initgrade-cache``, filled by ``setup.sh``), and for
``setup.sh`` ``INITGRADE_SETUP_SKIP_APT=1`` (no apt-get: the system packages are there already).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import environment


def main(argv: list[str] | None = None) -> int:
    from autograder.platforms.upload import grade_upload, pinned_config, write_json_atomic

    parser = argparse.ArgumentParser(prog="python -m autograder.platforms.gradescope",
                                     description="Gradescope entry point: grade /autograder/submission.")
    parser.add_argument("--root", type=Path, default=environment.gradescope_root())
    parser.add_argument("--warm", action="store_true", help="only train the reference once (setup.sh)")
    args = parser.parse_args(argv)
    root: Path = args.root
    cache = environment.cache_dir() or root / "initgrade-cache"
    if args.warm:
        from autograder.batch.grading import warm_reference
        from autograder.config import load_config
        from autograder.engine import Grader
        from autograder.training.trainer import Trainer

        config = load_config(pinned_config())
        warm_reference(Grader(config, Trainer(config, cache)))
        return 0
    results = grade_upload(root / "submission", cache=cache,
                           explicit=environment.submission_file(),
                           log=root / "results" / "initgrade.log")
    from autograder.config import ConfigError, load_config
    from autograder.platforms.gradescope_view import gradescope_view
    from autograder.semester.gradescope import apply_semester, with_late_line

    try:  # grading.yaml's semester section: the late penalty and what the student sees when
        results = apply_semester(results, load_config(pinned_config()), root)
    except ConfigError:
        pass  # grade_upload already said why the configuration is unusable, in the results
    write_json_atomic(root / "results" / "results.json", with_late_line(gradescope_view(results)))
    print(f"score {results.get('score', 0):g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
