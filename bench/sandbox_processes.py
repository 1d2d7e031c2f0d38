"""CPU and page faults of each process of a sandbox, its start and first exchange: figures only.

    .venv/bin/python bench/sandbox_processes.py [-n 16]

Starts ``-n`` sandboxes of the correct solution (bench/generate.py's first source) the way
``engine.Grader`` starts them, sends each the grader's call plan once (one exchange), and reads,
just before the sandbox ends, what the kernel counted for each process of its cgroup: CPU time
(``/proc/PID/task/*/schedstat``), minor page faults (most of them copy-on-write of pages shared
with the zygote) and context switches. The processes are, in cgroup order, the keeper, pid 1 and
the call worker. Not counted: the zygote's fork of the keeper and each process's exit.

The jail's code is the one of the kit this Python imports: to compare two trees, run this file
with each tree's environment, alternating (figures move with the machine's load).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from call_cost import _pids, planned_submission  # a sandbox's processes; the set-up both measure
from common import machine

ROLES = ("keeper", "pid 1", "call worker")


def _counts(pid: int) -> tuple[float, int, int]:
    """CPU milliseconds, minor page faults and context switches of every thread of ``pid`` so far."""
    cpu, faults, switches = 0, 0, 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            base = f"/proc/{pid}/task/{task}"
            with open(f"{base}/schedstat") as f:
                cpu += int(f.read().split()[0])
            with open(f"{base}/stat") as f:
                faults += int(f.read().rsplit(")", 1)[1].split()[7])  # minflt, after the command name
            with open(f"{base}/status") as f:
                switches += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
    except OSError:
        pass
    return cpu / 1e6, faults, switches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=16, help="sandboxes measured (after two not counted)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="initgrade-sandbox-processes-") as tmp:
        rows, calls = _measure(Path(tmp), args.n)
    if not rows:
        raise SystemExit("no sandbox had a keeper, pid 1 and a call worker here (no namespaces?)")
    print(f"{machine()}; load average at the end {os.getloadavg()[0]:.1f}")
    print(f"{len(rows)} sandboxes, start and one exchange of {calls} calls each (medians):")
    for j, role in enumerate(ROLES):
        cpu, faults, switches = (statistics.median(r[j][k] for r in rows) for k in range(3))
        print(f"  {role:12s} CPU {cpu:6.2f} ms  page faults {faults:6.0f}  context switches {switches:4.0f}")
    print(f"  {'all three':12s} CPU {statistics.median(sum(c[0] for c in r) for r in rows):6.2f} ms  page faults "
          f"{statistics.median(sum(c[1] for c in r) for r in rows):6.0f}")


def _measure(tmp: Path, n: int) -> tuple[list[list[tuple[float, int, int]]], int]:
    """Per sandbox measured, the counts of its keeper, pid 1 and call worker; and the calls per exchange."""
    grader, new_sandbox, calls = planned_submission(tmp)
    rows = []
    for i in range(n + 2):
        sb = new_sandbox()
        sb.start()
        sb.call_planned(calls)
        counted = [_counts(p) for p in _pids(sb)]
        sb.close()
        if i >= 2 and len(counted) == len(ROLES):
            rows.append(counted)
        time.sleep(0.02)  # a pause, as the checks and reports make between two sandboxes
    grader.close()
    return rows, len(calls)


if __name__ == "__main__":
    main()
