"""Intake time against notebook size, up to the submission size cap: is reading near-linear?

    .venv/bin/python bench/intake_scale.py [--sizes 0.3 1 5 19] [--shapes bang magics ...]

For each shape, a notebook of about each size (MB) is generated and read with
``autograder.intake.load_submission`` in this process, without the intake time limit
(so the figures show the real cost). Shapes (all with the four graded functions, so
each reads as a real submission):

* bang: one cell of ``!`` shell lines, at the top level and inside a function;
* magics: ``%`` line magics with quotes, brackets and comments in their arguments;
* fallback: ``!`` lines mixed with ``files = !ls`` and ``x?`` lines, which only IPython
  rewrites (the per-block path);
* cells: many small cells, each a function definition and a ``%%bash`` cell;
* long_line: one huge single line (a literal list);
* nested: many lines of deeply nested brackets.

Each reading runs in its own process: prints seconds, microseconds per KB (a flat column
is linear time) and the process's peak memory (the syntax trees: about 5 KB a line of
code, which is why grading.yaml's ``code_kb`` caps the code of a submission).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_timed

from autograder.config import PROJECT_ROOT, load_config
from autograder.intake import load_submission

FUNCTIONS = (PROJECT_ROOT / "solutions" / "init_functions.py").read_text()


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def shape_text(shape: str, size: int) -> list[str]:
    """Code cells of about ``size`` bytes."""
    if shape == "bang":
        return [FUNCTIONS, _repeat("!echo hello world > /dev/null\n", size // 2)
                + "def helper():\n" + _repeat("    !ls -l /tmp\n", size // 2) + "    return 1\n"]
    if shape == "magics":
        return [FUNCTIONS, _repeat("%config InlineBackend.figure_format = 'retina'  # (a comment)\n"
                                   "%time x = [1, 2, (3, 4)]\n%matplotlib inline\n", size)]
    if shape == "fallback":
        return [FUNCTIONS, _repeat("!echo a\nfiles = !ls\nnp.zeros?\n%pwd\n", size)]
    if shape == "cells":
        return [FUNCTIONS] + [f"def f{i}(x):\n    return x + {i}\n" if i % 2 else "%%bash\necho hi\n"
                              for i in range(max(1, size // 136))]  # about 136 bytes of JSON a cell
    if shape == "long_line":
        return [FUNCTIONS, "DATA = [" + _repeat("1, ", size) + "]\n"]
    if shape == "nested":
        return [FUNCTIONS, _repeat("x = " + "(" * 90 + "1" + ")" * 90 + "\n", size)]
    raise ValueError(shape)


def notebook(cells: list[str]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None,
                                  "outputs": [], "source": c} for i, c in enumerate(cells)]})


def measure_one(shape: str, mb: float, folder: Path) -> None:
    """Write one notebook and read it; prints its size, the reading's seconds and chunks."""
    path = folder / f"{shape}.ipynb"
    path.write_text(notebook(shape_text(shape, int(mb * (1 << 20)))))
    t0 = time.perf_counter()
    sub = load_submission(path, load_config().limits.submission_mb << 20)
    print(json.dumps({"bytes": path.stat().st_size, "seconds": time.perf_counter() - t0, "chunks": len(sub.chunks)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.3, 1, 5, 19])
    parser.add_argument("--shapes", nargs="+", default=["bang", "magics", "fallback", "cells", "long_line", "nested"])
    parser.add_argument("--one", nargs=2, metavar=("SHAPE", "MB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.one:
            measure_one(args.one[0], float(args.one[1]), Path(tmp))
            return
        code_kb = load_config().limits.code_kb
        print(f"Reading only (no intake_seconds, no code_kb: grading.yaml refuses more than {code_kb} KB of code).")
        print(f"{'shape':<10} {'MB':>6} {'seconds':>8} {'us/KB':>7} {'peak MB':>8}  chunks")
        for shape in args.shapes:
            for mb in args.sizes:
                run = run_timed([sys.executable, __file__, "--one", shape, str(mb)], check=False)
                if run.returncode != 0:
                    print(f"{shape:<10} {mb:6.2f}  failed: {run.stderr.strip().splitlines()[-1:]}")
                    continue
                got = json.loads(run.stdout.strip().splitlines()[-1])
                size = got["bytes"]
                if size > load_config().limits.submission_mb << 20:
                    print(f"{shape:<10} {size / (1 << 20):6.2f}  over the submission size cap")
                    continue
                print(f"{shape:<10} {size / (1 << 20):6.2f} {got['seconds']:8.2f} "
                      f"{got['seconds'] * 1e6 / (size / 1024):7.1f} {run.peak_mb:8.0f}  {got['chunks']}", flush=True)


if __name__ == "__main__":
    main()
