"""The grader process's own CPU per submission in a warm batch worker, by phase (not the sandbox's).

    .venv/bin/python bench/grader_cpu.py [--tree DIR] [-n 48] [--rounds 2] [--cache DIR]

Grades bench/paired.py's ``notebooks(n)`` in this process as a batch worker does (one ``Grader``,
``batch.grade_chunk`` in the chunks of a ``-j 2`` batch, each submission's reports written, the
progress note), once to warm up (and fill the training cache: the first run trains), then
``--rounds`` times measured: user + system CPU of this process (``getrusage(RUSAGE_SELF)``: the
sandbox's processes are not in it) per submission, and the main thread's CPU by phase, each phase's
time exclusive of the phases nested in it (``time.thread_time``). ``--tree``: another checkout of
the kit (put first on the module path; its sandbox is still this venv's), to compare old and new in
the same minutes, alternating runs. Figures vary with the machine's load (a file's creation in a
busy folder costs 3 to 270 us of system time here): compare pairs of runs, not single ones.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Phases:
    """Exclusive main-thread CPU per phase (bench/breakdown.py's Clock, in CPU time)."""

    def __init__(self):
        self.totals: dict[str, float] = collections.defaultdict(float)
        self.stack: list[list] = []

    def wrap(self, owner, attr: str, phase: str) -> None:
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if threading.current_thread() is not threading.main_thread():
                return original(*args, **kwargs)
            frame = [time.thread_time(), 0.0]
            self.stack.append(frame)
            try:
                return original(*args, **kwargs)
            finally:
                self.stack.pop()
                spent = time.thread_time() - frame[0]
                self.totals[phase] += spent - frame[1]
                if self.stack:
                    self.stack[-1][1] += spent

        setattr(owner, attr, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="another checkout of the kit to measure (default: this one)")
    parser.add_argument("-n", type=int, default=48, help="notebooks (bench/paired.py's notebooks(n))")
    parser.add_argument("--rounds", type=int, default=2, help="measured passes over the notebooks")
    parser.add_argument("--cache", type=Path, help="training cache (default: a new one, trained on the warm-up)")
    args = parser.parse_args()
    if args.tree is not None:
        tree = args.tree.resolve()
        sys.path[:0] = [str(tree), str(tree / "assignment")]
    sys.path.insert(0, str(BENCH))
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # as a grade sets it
    from paired import notebooks

    import autograder.batch.grading as grading
    import autograder.engine as engine
    import autograder.outputs.reports as reports
    from autograder.base import atomic
    from autograder.base.results import Evidence
    from autograder.config import load_config
    from autograder.sandbox import Sandbox
    from autograder.sandbox.host import ahead, hide_watch
    from autograder.training.trainer import Trainer

    phases = Phases()
    for owner, attr, phase in [
        (engine, "read_submission", "intake"), (Sandbox, "start", "sandbox start"),
        (ahead, "prepare_next", "keeper ahead"), (Sandbox, "call", "probes"), (Sandbox, "call_planned", "probes"),
        (Sandbox, "close", "sandbox end"), (engine.Grader, "run_check", "checks"),
        (Trainer, "cached", "cache look-up"), (engine, "gather_evidence", "evidence"),
        (reports, "write_submission_reports", "reports"), (atomic, "write_atomic", "writing files"),
        (hide_watch.WatchedHideList, "get", "hide list"), (grading, "_note_progress", "progress note"),
        (grading, "grade_chunk", "other (glue)"),
    ]:
        phases.wrap(owner, attr, phase)
    reports.write_atomic = grading.write_atomic = atomic.write_atomic  # the wrapped writer
    config = load_config()
    with tempfile.TemporaryDirectory(prefix="initgrade-grader-cpu-") as tmp:
        paths = sorted(notebooks(Path(tmp) / "subs", args.n).iterdir())
        out, progress = Path(tmp) / "out", Path(tmp) / "progress"
        progress.mkdir()
        cache = args.cache or Path(tmp) / "cache"
        grader = engine.Grader(config, Trainer(config, cache), [str(out), str(cache)])
        grader.prestart()
        keys = {p.name: grading.cache_key(p, config) for p in paths}

        def done(result, _trainings: int) -> None:
            reports.write_submission_reports(out, result, config, keys[result.id])
            result.evidence = Evidence()

        def batch() -> None:
            i = 0
            for size in grading.chunk_sizes(len(paths), 2):
                grading.grade_chunk(grader, [(p, p.name) for p in paths[i:i + size]], done,
                                    lambda sid: grading._note_progress(str(progress), sid))
                i += size

        batch()  # warm-up: the training cache, the memos, the first keeper
        phases.totals.clear()
        c0 = _cpu()
        for _ in range(args.rounds):
            batch()
        n = len(paths) * args.rounds
        cpu = _cpu() - c0
        grader.close()
    print(f"kit: {Path(engine.__file__).resolve().parents[1]}; load average {os.getloadavg()[0]:.1f}")
    print(f"grader process CPU (user + system): {1000 * cpu / n:.2f} ms per submission ({n} gradings)")
    for phase, seconds in sorted(phases.totals.items(), key=lambda kv: -kv[1]):
        print(f"  {phase:<16} {1000 * seconds / n:6.2f} ms")


if __name__ == "__main__":
    main()
