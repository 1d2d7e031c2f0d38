"""Shards: the per-submission cost, and the time to grade 100,000 submissions on N machines.

    .venv/bin/python bench/shards.py -n 90 --repeat 2 --machines 1 2 3 10 50 100

A generated batch (bench/generate.py) is graded warm (its trainings already in the shared
cache, as they are after the first few hundred submissions of a course) as 1 shard, as 2 and
as 3 shards, each shard by its own ``initgrade grade --shard K/N --jobs 1`` run one after the
other, as N machines would run them side by side; then the shards are merged.

The machine this runs on is shared, so the figures are *work*: the CPU seconds (user + system)
of each command and every process it started, which other people's load barely changes; wall
times are printed too, with the load average before and after. Each run is repeated and the
least work kept.

The model: one shard of n submissions costs ``a + b * n`` (a: start-up, config, sandbox start,
reference checks from the cache; b: one submission), measured from a 1-submission run and the
1-shard run. It predicts the largest shard of the 2- and 3-shard runs, printed next to what
they measured; then 100,000 submissions on N machines of C cores (``--jobs C`` each):
``a + b * ceil(100000 / N) / C`` per machine, plus the merge, ``m0 + m * 100000``, which
runs on one machine after all shards (it copies every submission's feedback folder).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, machine, table, tool_env
from generate import generate

INITGRADE = str(VENV_BIN / "initgrade")


@dataclass
class Work:
    cpu: float  # user + system seconds of the command and its children
    wall: float


CPUACCT = Path("/sys/fs/cgroup/cpuacct")
_runs = iter(range(1 << 30))


def _cpu_group() -> Path | None:
    """A cgroup v1 cpuacct group of our own: it counts every process the command starts, also the
    sandboxes that are not reaped by their own parent (and so escape wait4's rusage)."""
    group = CPUACCT / f"initgrade-bench-{os.getpid()}-{next(_runs)}"
    try:
        group.mkdir()
        return group
    except OSError:
        return None


def run_work(cmd: list[str], env: dict) -> Work:
    group = _cpu_group()

    def enter_group():
        if group is not None:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=enter_group)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # rusage of the command and every descendant it waited for
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed:\n{out.decode(errors='replace')[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    if group is not None:
        for _ in range(50):  # a sandbox still exiting holds the group for a moment
            try:
                cpu = int((group / "cpuacct.usage").read_text()) / 1e9
                group.rmdir()
                break
            except OSError:
                time.sleep(0.1)
    return Work(cpu, wall)


def least(runs: list[Work]) -> Work:
    return min(runs, key=lambda w: w.cpu)


def grade_shard(subs: Path, out: Path, cache: Path, k: int, n: int, env: dict) -> Work:
    shutil.rmtree(out, ignore_errors=True)
    return run_work([INITGRADE, "grade", str(subs), "--out", str(out), "--cache", str(cache), "--shard", f"{k}/{n}",
                     "--jobs", "1", "--no-progress"], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=90, help="submissions in the generated batch")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement; the least work is kept")
    parser.add_argument("--machines", type=int, nargs="+", default=[1, 2, 3, 10, 50, 100])
    parser.add_argument("--cores", type=int, default=2, help="cores per projected machine (--jobs)")
    parser.add_argument("--total", type=int, default=100_000, help="submissions to project for")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    probe = _cpu_group()
    if probe is not None:
        probe.rmdir()
    print(f"machine: {machine()}")
    print("work measured by: " + ("a cpuacct cgroup per command (every process it started)" if probe else
                                  "wait4 rusage (processes reaped by their parents only; a lower bound)"))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="initgrade-shards-") as tmp:
        tmp = Path(tmp)
        env = tool_env(tmp / "caches")
        subs, one = tmp / "subs", tmp / "one"
        generate(subs, args.n, seed=args.seed)
        one.mkdir()
        first = sorted(subs.iterdir())[0]
        shutil.copy(first, one / first.name)
        cache = tmp / "cache"
        t0 = time.perf_counter()
        cold = run_work([INITGRADE, "grade", str(subs), "--out", str(tmp / "prime"), "--cache", str(cache),
                         "--jobs", "1", "--no-progress"], env)  # fills the training cache; not in the model
        print(f"cold cache (each distinct initialization trained once, not in the model): {cold.cpu:.1f} CPU s, "
              f"{time.perf_counter() - t0:.1f} s wall for {args.n} submissions")
        base = least([grade_shard(one, tmp / "o", cache, 0, 1, env) for _ in range(args.repeat)])
        shards: dict[int, list[Work]] = {}
        sizes: dict[int, list[int]] = {}
        for n in (1, 2, 3):
            best = []
            for k in range(n):
                best.append(least([grade_shard(subs, tmp / f"s{n}-{k}", cache, k, n, env)
                                   for _ in range(args.repeat)]))
            shards[n] = best
            sizes[n] = [len(list((tmp / f"s{n}-{k}").glob("*/results.json"))) for k in range(n)]
        merges = [run_work([INITGRADE, "merge", *(str(tmp / f"s3-{k}") for k in range(3)), "--out",
                            str(tmp / f"merged-{i}")], env) for i in range(args.repeat)]
        merge = least(merges)
        merge_small = least([run_work([INITGRADE, "merge", str(tmp / "o"), "--out", str(tmp / f"m1-{i}")], env)
                             for i in range(args.repeat)])  # one submission: the merge's start-up
    load_after = os.getloadavg()

    a = base.cpu - (shards[1][0].cpu - base.cpu) / (args.n - 1)  # the 1-submission run minus one submission
    b = (shards[1][0].cpu - a) / args.n
    m0 = merge_small.cpu
    m = max(merge.cpu - m0, 0.0) / (args.n - 1)
    print(f"load average: {load_before[0]:.2f} before, {load_after[0]:.2f} after (1-minute); "
          f"{os.cpu_count()} cores shared with other work")
    print(f"per shard run (start-up, reference checks from the cache): a = {a:.2f} CPU s")
    print(f"per submission (warm cache): b = {1000 * b:.0f} CPU ms")
    print(f"merge: {merge.cpu:.2f} CPU s ({merge.wall:.2f} s wall) for {args.n} submissions from 3 shards: "
          f"m0 = {m0:.2f} CPU s start-up, m = {1000 * m:.1f} CPU ms per submission")
    print()
    rows = []
    for n in (1, 2, 3):
        largest = max(range(n), key=lambda k: shards[n][k].cpu)
        predicted = a + b * max(sizes[n])
        measured = shards[n][largest].cpu
        rows.append([n, "/".join(str(s) for s in sizes[n]), f"{predicted:.2f}", f"{measured:.2f}",
                     f"{100 * (measured - predicted) / predicted:+.0f}%", f"{shards[n][largest].wall:.2f}",
                     f"{sum(w.cpu for w in shards[n]):.2f}"])
    print(table(["shards", "submissions per shard", "model: largest shard CPU s", "measured CPU s", "error",
                 "measured wall s", "all shards CPU s"], rows))
    print()
    rows = []
    for machines in args.machines:
        per = math.ceil(args.total / machines)
        shard_s = a + b * per / args.cores
        merge_s = m0 + m * args.total
        rows.append([machines, per, f"{shard_s / 60:.1f}", f"{merge_s / 60:.1f}", f"{(shard_s + merge_s) / 60:.1f}"])
    print(f"projection: {args.total:,} submissions, warm cache, {args.cores} cores per machine (--jobs {args.cores}), "
          "each core as fast as one here and no waiting for a scheduler")
    print(table(["machines", "submissions each", "shards min", "merge min", "total min"], rows))


if __name__ == "__main__":
    main()
