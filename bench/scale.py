"""Grading at course scale: 100 to 1,000 generated submissions through the kit.

    .venv/bin/python bench/scale.py --sizes 100 300 1000 --jobs 2 4

Each size is a fresh mixed batch (bench/generate.py: about half correct, the rest the
realistic mistakes of examples/mistakes, half notebooks, half modules, every file
unique) graded by ``initgrade grade --jobs N`` (each N given) as a whole command, first with an empty
training cache (the first grading of a course: each distinct initialization trained
once), then warm (a re-grade). Prints total wall time, submissions per second, the
per-submission median (results.json execution_time), the peak resident memory of the
grader's processes and of any one sandbox, and how time grows with the batch.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, machine, run_timed, table, tool_env
from generate import generate


def grade(subs: Path, out: Path, cache: Path, jobs: int, env: dict) -> dict:
    t = run_timed([str(VENV_BIN / "initgrade"), "grade", str(subs), "--out", str(out), "--cache", str(cache),
                   "--jobs", str(jobs), "--no-progress", "--force"], env=env)
    times = [json.loads(p.read_text())["execution_time"] for p in out.glob("*/results.json")]
    trainings = re.search(r"(\d+)\s+trainings\s+run", t.stdout)
    with open(out / "gradebook.csv", newline="") as f:
        statuses = [row["status"] for row in csv.DictReader(f)]
    return {"n": len(times), "wall": t.seconds, "rate": len(times) / t.seconds,
            "median": statistics.median(times), "peak_mb": t.peak_mb,
            "trainings": int(trainings.group(1)) if trainings else -1,
            "errors": sum(s != "graded" for s in statuses)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[2],
                        help="worker counts to run each size with (e.g. 2 4: one and two per core)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warm-only", action="store_true", help="skip the cold-cache runs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rows, figures = [], []
    with tempfile.TemporaryDirectory(prefix="initgrade-scale-") as tmp:
        tmp = Path(tmp)
        env = tool_env(tmp / "caches")
        for n in args.sizes:
            subs = tmp / f"subs-{n}"
            generate(subs, n, seed=args.seed)
            for jobs in args.jobs:
                cache = tmp / f"cache-{n}-{jobs}"  # each worker count starts from an empty cache
                for label in (["warm"] if args.warm_only else ["cold", "warm"]):
                    if label == "warm" and args.warm_only:
                        grade(subs, tmp / "prime", cache, jobs, env)  # fill the cache, not measured
                        shutil.rmtree(tmp / "prime")
                    r = grade(subs, tmp / f"out-{n}-{label}", cache, jobs, env)
                    r.update(size=n, cache=label, jobs=jobs)
                    figures.append(r)
                    rows.append([n, jobs, label, f"{r['wall']:.1f}", f"{r['rate']:.2f}", f"{r['median']:.3f}",
                                 f"{1000 * r['wall'] / n:.0f}", f"{r['peak_mb']:.0f}", r["trainings"], r["errors"]])
                    shutil.rmtree(tmp / f"out-{n}-{label}")
            shutil.rmtree(subs)
    print()
    print(table(["submissions", "jobs", "training cache", "wall s", "subs/s", "median s / sub", "wall ms / sub",
                 "peak MB", "trainings", "errors"], rows))
    for jobs in args.jobs:
        warm = [f for f in figures if f["cache"] == "warm" and f["jobs"] == jobs]
        if len(warm) >= 2:
            a, b = warm[0], warm[-1]
            print()
            print(f"growth (warm, -j {jobs}): {a['size']} -> {b['size']} submissions ({b['size'] / a['size']:.0f}x) "
                  f"took {b['wall'] / a['wall']:.1f}x the time; per submission {1000 * a['wall'] / a['size']:.0f} -> "
                  f"{1000 * b['wall'] / b['size']:.0f} ms; peak memory {a['peak_mb']:.0f} -> {b['peak_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
