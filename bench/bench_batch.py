"""Benchmark: grade a generated batch with ``initgrade grade`` and print the figures.

    .venv/bin/python bench/bench_batch.py -n 200 --jobs 2

Prints total wall time, submissions per second, the per-submission median and
90th percentile (from each results.json's execution_time), the largest process's
peak memory, and the trainings run: first with an empty training cache (a
course's first grading run), then again with the cache warm (a re-grade after a
grading.yaml change, or a second section of the course).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate


def run_grader(subs: Path, out: Path, cache: Path, jobs: int) -> dict:
    cmd = [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--cache", str(cache),
           "--jobs", str(jobs), "--no-progress", "--force"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"grader failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    times = [json.loads(p.read_text())["execution_time"] for p in out.glob("*/results.json")]
    trainings = re.search(r"(\d+)\s+trainings\s+run", done.stdout)
    return {
        "n": len(times),
        "wall": wall,
        "per_second": len(times) / wall,
        "median": statistics.median(times),
        "p90": statistics.quantiles(times, n=10)[-1] if len(times) >= 10 else max(times),
        "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "trainings": int(trainings.group(1)) if trainings else -1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="submissions in the batch")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="initgrade-bench-") as tmp:
        tmp = Path(tmp)
        paths = generate(tmp / "subs", args.n, seed=args.seed)
        notebooks = sum(p.suffix == ".ipynb" for p in paths)
        print(f"{args.n} generated submissions ({notebooks} notebooks, {args.n - notebooks} modules; "
              f"about half correct, the rest realistic mistakes), {args.jobs} jobs, "
              f"{platform.machine()} with {__import__('os').cpu_count()} cores, Python {platform.python_version()}")
        print(f"{'run':<22}{'wall s':>8}{'subs/s':>8}{'median s':>10}{'p90 s':>8}{'peak MB':>9}{'trainings':>11}")
        for label in ("cold training cache", "warm training cache"):
            r = run_grader(tmp / "subs", tmp / f"out-{label[:4]}", tmp / "cache", args.jobs)
            print(f"{label:<22}{r['wall']:>8.1f}{r['per_second']:>8.1f}{r['median']:>10.3f}{r['p90']:>8.3f}"
                  f"{r['peak_mb']:>9.0f}{r['trainings']:>11}")


if __name__ == "__main__":
    main()
