"""What the grader itself spends on one submission: normal ones against the grader-work attacks.

    .venv/bin/python bench/grader_work.py [--cache DIR]

Grades, one after the other in this process with one ``Grader`` (the real grading.yaml),
a correct submission (which also puts the reference trainings in the cache), two normal
wrong ones, and the ``bound_*`` hostile cases of examples/hostile (the notebooks written
at run time included). Prints per submission: the score, trainings started, their
gradient steps, their CPU seconds, the bytes of returned arrays held, and the wall time.
The bounds of grading.yaml (``training_seconds``, ``training_submission_seconds``,
``trainings_per_submission``, ``replies_mb``, ``intake_seconds``, ``code_kb``) cap each column.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

from autograder.config import PROJECT_ROOT, load_config
from autograder.engine import Grader
from autograder.training.trainer import Trainer

HOSTILE = PROJECT_ROOT / "examples" / "hostile"
NORMAL = [PROJECT_ROOT / "examples" / "submissions" / "correct_module.py",
          PROJECT_ROOT / "examples" / "mistakes" / "deep_times_10.py",
          PROJECT_ROOT / "examples" / "mistakes" / "random_rand_uniform.py"]


def _writers():
    spec = importlib.util.spec_from_file_location("make_binary_cases", HOSTILE / "make_binary_cases.py")
    module = importlib.util.module_from_spec(spec)
    sys.dont_write_bytecode = True  # no __pycache__ in examples/
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", help="training cache folder (default: a new, empty one)")
    args = parser.parse_args()
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        generated = [writer(Path(tmp) / name) for name, writer in _writers().GENERATED.items()]
        cases = NORMAL + sorted(HOSTILE.glob("bound_*")) + generated
        trainer = Trainer(config, args.cache or Path(tmp) / "cache")
        print(f"{'submission':<46} {'score':>5} {'trainings':>9} {'steps':>7} {'train CPU s':>11} "
              f"{'held MB':>8} {'wall s':>7}")
        with Grader(config, trainer, [tmp]) as grader:
            for path in cases:
                t0 = time.monotonic()
                r = grader.grade(path)
                w = r.work or {}
                score = f"{r.score:g}" if r.status == "graded" else "error"
                print(f"{path.name[:46]:<46} {score:>5} {w.get('trainings', 0):>9} "
                      f"{w.get('training_iterations', 0):>7} {w.get('training_cpu_seconds', 0):>11.1f} "
                      f"{w.get('reply_bytes_held', 0) / (1 << 20):>8.2f} {time.monotonic() - t0:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
