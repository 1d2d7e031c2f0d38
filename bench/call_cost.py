"""The sandbox's own CPU per exchange of planned calls, per process: figures only, never a test.

    .venv/bin/python bench/call_cost.py [-n 60] [--sandboxes 3]

Loads the correct solution (bench/generate.py's first source) in sandboxes started the way
``engine.Grader`` starts them, and sends it the grader's call plan (``Grader.call_plan``, the
32 calls of a correct submission) ``-n`` times in each. The CPU is read from the kernel's own
accounting of every process in the sandbox's cgroup (``/proc/PID/task/*/schedstat``, in
nanoseconds): pid 1 (the relay) and the call worker apart, the first exchange of a sandbox
apart from the later ones; the grader's own CPU from ``time.process_time``. Other work on a
shared machine slows these figures a little but does not enter them, as it enters a reading
of the whole machine's CPU (/proc/stat).

The jail's code is the one of the kit this Python imports (it starts isolated from the module
path): to compare two trees, run this file with each tree's environment, alternating.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine
from generate import sources_pool

import autograder.engine as engine
from autograder.config import load_config
from autograder.sandbox import Sandbox
from autograder.sandbox.probes import _encode_args
from autograder.training.trainer import Trainer


def _pids(sb: Sandbox) -> list[int]:
    for _kind, folder in sb.cgroup.folders if sb.cgroup else []:
        procs = folder / "cgroup.procs"
        if procs.exists():
            return [int(p) for p in procs.read_text().split()]
    return []


def _cpu_ms(pid: int) -> float:
    """Milliseconds on a CPU of every thread of ``pid`` so far (0 once it is gone)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
    except OSError:
        pass
    return total / 1e6


def _switches(pid: int) -> int:
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/status") as f:
                total += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
    except OSError:
        pass
    return total


def planned_submission(tmp: Path) -> tuple[engine.Grader, Callable[[], Sandbox], list]:
    """A grader with its disk cache in ``tmp``, a maker of sandboxes (not started) of the generated
    pool's first submission, and its planned calls (the ones an exchange sends)."""
    config = load_config()
    grader = engine.Grader(config, Trainer(config, tmp / "cache"), [str(tmp)])
    _label, text = next(iter(sources_pool()))
    (tmp / "s.py").write_text(text)
    sub = engine.read_submission(tmp / "s.py", config.limits, config.functions, config.notebook).submission
    calls = [(f, _encode_args(a, False)) for f, a, fresh in grader.call_plan() if not fresh]

    def new_sandbox() -> Sandbox:
        return Sandbox(sub.chunks, sub.files, config.functions, config.limits,
                       grader.hide_list.get(grader.hide_extra, grader.course), config.sandbox.stub_modules,
                       grader.isolation, grader.zygote, config.sandbox.preload_modules, grader.grants)

    return grader, new_sandbox, calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=60, help="exchanges per sandbox after the first")
    ap.add_argument("--sandboxes", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="initgrade-call-cost-"))
    grader, new_sandbox, calls = planned_submission(tmp)
    rows = []
    for _ in range(args.sandboxes):
        sb = new_sandbox()
        load = sb.start()
        before = {p: _cpu_ms(p) for p in _pids(sb)}
        sb.call_planned(calls)
        pids = _pids(sb)
        first = sum(_cpu_ms(p) - before.get(p, 0.0) for p in pids)
        start = {p: (_cpu_ms(p), _switches(p)) for p in pids}
        own = time.process_time()
        for _ in range(args.n):
            sb.call_planned(calls)
        own = time.process_time() - own
        if _pids(sb) != pids:
            print("a process of the sandbox changed during the exchanges: figures skipped", file=sys.stderr)
            sb.close()
            continue
        per_call = [(_cpu_ms(p) - start[p][0]) * 1000 / args.n / len(calls) for p in pids]
        switches = sum(_switches(p) - start[p][1] for p in pids) / args.n / len(calls)
        sb.close()
        rows.append({"call_reuse": load.call_reuse, "first_exchange_ms": first,
                     "sandbox_ms_per_exchange": sum(per_call) * len(calls) / 1000,
                     # pids in cgroup order: the keeper (asleep), pid 1, the call worker
                     "us_per_call_by_process": per_call[-2:], "switches_per_call": switches,
                     "grader_ms_per_exchange": own * 1000 / args.n})
    grader.close()
    print(machine())
    print(f"{len(calls)} calls per exchange, {args.n} exchanges per sandbox, {len(rows)} sandboxes (medians):")
    for key in ("first_exchange_ms", "sandbox_ms_per_exchange", "switches_per_call", "grader_ms_per_exchange"):
        print(f"  {key:28s} {statistics.median(r[key] for r in rows):8.2f}")
    for i, who in enumerate(("pid 1 (relay)", "call worker")):
        print(f"  us per call, {who:15s} {statistics.median(r['us_per_call_by_process'][i] for r in rows):8.1f}")


if __name__ == "__main__":
    main()
