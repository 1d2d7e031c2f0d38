"""Intake time and peak memory against the size of a submission's code, for each hostile shape.

    .venv/bin/python bench/intake.py [--sizes 16 64 256 1024] [--shapes syntax nested magics defs]

Each reading runs in a process of its own and prints the seconds of grader CPU (the child's
included), microseconds per KB of code (a flat column is linear time), and the reading's peak
memory above the process's baseline. Two tables: the reading itself without any bound (how it
grows), then as ``initgrade grade`` does it (``autograder.intake.bounded.read_submission`` with
grading.yaml's code_kb and grader_memory_mb). Shapes, each a .py submission holding the four
graded functions plus KB of:

* syntax: lines that do not parse (``a=(``): each is a piece of its own, which the grader
  once padded with newlines up to its line number (quadratic memory);
* nested: lines of a big nested literal constant (``DATA = [[[1, 2], [3, 4]], ...]``);
* magics: IPython line magics with quotes and brackets in their arguments;
* defs: many small function definitions (a large but ordinary submission).

``--raw`` prints the first table only.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from autograder.config import PROJECT_ROOT, load_config

FUNCTIONS = (PROJECT_ROOT / "solutions" / "init_functions.py").read_text()
SHAPES = ("syntax", "nested", "magics", "defs")


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def shape_text(shape: str, size: int) -> tuple[str, str]:
    """(file name, content) of a submission with about ``size`` bytes of the shape's code."""
    if shape == "syntax":
        return "sub.py", FUNCTIONS + _repeat("a=(\n", size)
    if shape == "nested":
        return "sub.py", FUNCTIONS + "DATA = [\n" + _repeat("    [[1, 2.5], [3, -4], (5, 'x')],\n", size) + "]\n"
    if shape == "magics":
        cells = [FUNCTIONS, _repeat("%config InlineBackend.figure_format = 'retina'  # (a comment)\n"
                                    "%time x = [1, 2, (3, 4)]\n%matplotlib inline\n", size)]
        nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
              "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None,
                         "outputs": [], "source": c} for i, c in enumerate(cells)]}
        return "sub.ipynb", json.dumps(nb)
    if shape == "defs":
        return "sub.py", FUNCTIONS + "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(size // 30))
    raise ValueError(shape)


def measure_one(shape: str, kb: int, raw: bool, folder: Path) -> dict:
    from autograder.intake import load_submission

    limits = load_config().limits
    name, text = shape_text(shape, kb << 10)
    path = folder / name
    path.write_text(text)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0 = time.process_time()
    if raw:
        try:
            sub = load_submission(path, limits.submission_mb << 20, None, None)
            outcome = f"{len(sub.chunks)} chunks"
        except MemoryError:
            outcome = "MemoryError"
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        from autograder.intake.bounded import read_submission

        read = read_submission(path, limits, ())
        where = "child" if read.peak_kb else "in process"
        outcome = (f"{len(read.submission.chunks)} chunks ({where})" if read.submission
                   else f"refused ({where}): {read.error[:70]}")
        peak_kb = read.peak_kb or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu0 + children.ru_utime + children.ru_stime
    return {"bytes": len(text.encode()), "cpu": cpu, "peak_mb": max(peak_kb - base_kb, 0) / 1024, "outcome": outcome}


def table(shapes: list[str], sizes: list[int], raw: bool) -> None:
    import subprocess

    print(f"{'shape':<8} {'KB':>6} {'cpu s':>7} {'us/KB':>7} {'peak MB':>8}  outcome")
    for shape in shapes:
        for kb in sizes:
            cmd = [sys.executable, __file__, "--one", shape, str(kb)] + (["--raw"] if raw else [])
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{shape:<8} {kb:6d}  failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            got = json.loads(done.stdout.strip().splitlines()[-1])
            size_kb = got["bytes"] / 1024
            print(f"{shape:<8} {size_kb:6.0f} {got['cpu']:7.3f} {got['cpu'] * 1e6 / size_kb:7.1f} "
                  f"{got['peak_mb']:8.1f}  {got['outcome']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 56, 256, 1000], help="KB of code")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES))
    parser.add_argument("--raw", action="store_true", help="only the reading itself, without the bounds")
    parser.add_argument("--one", nargs=2, metavar=("SHAPE", "KB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(measure_one(args.one[0], int(args.one[1]), args.raw, Path(tmp))))
        return
    limits = load_config().limits
    print("The reading itself, in one process, no code_kb, no memory bound (linear: flat us/KB, peak ~ size):")
    table(args.shapes, args.sizes, raw=True)
    if args.raw:
        return
    print(f"\nAs graded: code_kb {limits.code_kb}, grader_memory_mb {getattr(limits, 'grader_memory_mb', '-')} "
          "(a file over 256 KB is read in a child under the memory bound):")
    table(args.shapes, args.sizes, raw=False)


if __name__ == "__main__":
    main()
