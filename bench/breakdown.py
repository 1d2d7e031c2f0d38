"""Where a submission's grading time goes, and the floor: the trainings alone.

    .venv/bin/python bench/breakdown.py

Grades one submission per source of the generated batches (the correct solution and
every file of examples/mistakes), as modules and as notebooks, in this process with
one ``Grader``, timing each phase *exclusively* (a phase nested in another, e.g. a
probe made while gathering evidence, counts only once, as the probe):

* intake: reading and parsing the submission;
* sandbox start: starting the isolated child until it reports the code loaded;
* probes: calls of student functions: the planned calls in one exchange, then any call a
  check asks for that was not planned;
* sandbox end: stopping the child and removing its cgroup;
* checks: the rubric's own work on the returned arrays;
* training: real trainings (cache misses) and cache look-ups, separately;
* evidence: gathering the data of the feedback pictures;
* reports: feedback.html, feedback.md, figures, output.txt, results.json.

Run twice: with an empty training cache (the first grading of a class: every distinct
initialization is trained once) and warm. The cold run grades the submissions as a batch
does (``batch.grade_chunk``: the trainings of a chunk queued and trained together, stacked;
the submissions that waited for them graded again, counted in their phases). The floor is
the time of the trainings of the cold run: work no grader can avoid, since the accuracy
checks need those trainings.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, table
from generate import as_notebook, sources_pool

import autograder.engine as engine
import autograder.outputs.reports as reports
from autograder.batch.grading import CHUNK_MAX, cache_key, grade_chunk
from autograder.config import load_config
from autograder.sandbox import Sandbox
from autograder.training.queue import TrainingQueue
from autograder.training.trainer import Trainer

PHASES = ["intake", "sandbox start", "probes", "sandbox end", "checks", "cache look-up", "training",
          "evidence", "reports"]


class Clock:
    """Exclusive time per phase: a nested phase's time is taken out of the enclosing one."""

    def __init__(self):
        self.totals: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.stack: list[list] = []

    def wrap(self, owner, attr: str, phase: str):
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            frame = [phase, time.perf_counter(), 0.0]
            self.stack.append(frame)
            try:
                return original(*args, **kwargs)
            finally:
                self.stack.pop()
                spent = time.perf_counter() - frame[1]
                self.totals[phase] += spent - frame[2]
                self.counts[phase] += 1
                if self.stack:
                    self.stack[-1][2] += spent

        setattr(owner, attr, timed)

    def reset(self):
        self.totals.clear()
        self.counts.clear()


def instrument(clock: Clock) -> None:
    clock.wrap(engine, "read_submission", "intake")
    clock.wrap(Sandbox, "start", "sandbox start")
    clock.wrap(Sandbox, "call", "probes")
    clock.wrap(Sandbox, "call_planned", "probes")
    clock.wrap(Sandbox, "close", "sandbox end")
    clock.wrap(engine.Grader, "run_check", "checks")
    clock.wrap(Trainer, "cached", "cache look-up")
    clock.wrap(Trainer, "_train", "training")
    clock.wrap(TrainingQueue, "_train_stack", "training")
    clock.wrap(engine, "gather_evidence", "evidence")
    clock.wrap(reports, "write_submission_reports", "reports")


def write(out: Path, config, chunk: list[Path], result, _trainings: int) -> None:
    """A chunk's submission graded: its reports, as a batch worker writes them."""
    path = next(p for p in chunk if p.name == result.id)
    reports.write_submission_reports(out, result, config, cache_key(path, config))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="warm rounds over the sources")
    args = parser.parse_args()
    config = load_config()
    clock = Clock()
    instrument(clock)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="initgrade-breakdown-") as tmp:
        tmp = Path(tmp)
        subs = []
        for label, text in sources_pool():
            for kind in ("py", "ipynb"):
                p = tmp / "subs" / f"{label}.{kind}"
                p.parent.mkdir(exist_ok=True)
                p.write_text(as_notebook(text, label) if kind == "ipynb" else text)
                subs.append(p)
        cache = tmp / "cache"
        out = tmp / "out"
        t0 = time.perf_counter()
        trainer = Trainer(config, cache)
        grader = engine.Grader(config, trainer, [str(out), str(cache)])
        trainer.data("circles"), trainer.data("images")
        setup = time.perf_counter() - t0
        results = {}
        for label in ("cold training cache", "warm training cache"):
            clock.reset()
            walls = []
            runs = [subs] if label.startswith("cold") else [subs] * args.rounds
            t0 = time.perf_counter()
            for batch in runs:
                for i in range(0, len(batch), CHUNK_MAX):
                    s0 = time.perf_counter()
                    chunk = batch[i:i + CHUNK_MAX]
                    grade_chunk(grader, [(p, p.name) for p in chunk], functools.partial(write, out, config, chunk))
                    walls += [(time.perf_counter() - s0) / len(chunk)] * len(chunk)
            total = time.perf_counter() - t0
            results[label] = (dict(clock.totals), dict(clock.counts), walls, total, grader.trainer.trainings_run)
            if label.startswith("cold"):
                trained = grader.trainer.trainings_run
        n = len(subs)
        rows = []
        cold, warm = results["cold training cache"], results["warm training cache"]
        nw = len(warm[2])
        for phase in PHASES:
            rows.append([phase, f"{1000 * cold[0].get(phase, 0) / n:.1f}", f"{1000 * warm[0].get(phase, 0) / nw:.1f}",
                         f"{warm[1].get(phase, 0) / nw:.1f}"])
        other_c = cold[3] - sum(cold[0].values())
        other_w = warm[3] - sum(warm[0].values())
        rows.append(["other (grader glue)", f"{1000 * other_c / n:.1f}", f"{1000 * other_w / nw:.1f}", ""])
        rows.append(["**total per submission**", f"{1000 * cold[3] / n:.1f}", f"{1000 * warm[3] / nw:.1f}", ""])
        print(f"{n} submissions ({n // 2} sources as module and as notebook), one process, no parallelism; "
              f"grader set-up (datasets, isolation check) {setup:.2f} s")
        print()
        print(table(["phase", "ms / submission, cold cache", "ms / submission, warm cache", "calls / submission"],
                    rows))
        print()
        floor = cold[0].get("training", 0.0)
        print(f"floor: {trained} distinct trainings ({grader.trainer.trainings_stacked} of them in "
              f"{grader.trainer.stacks_run} stacks) (every distinct initialization the accuracy and symmetry "
              f"checks need) take {floor:.1f} s alone, {floor / cold[3]:.0%} of the cold run ({cold[3]:.1f} s); "
              f"per submission median: cold {statistics.median(cold[2]):.3f} s, "
              f"warm {statistics.median(warm[2]):.3f} s")


if __name__ == "__main__":
    main()
