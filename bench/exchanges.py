"""Round trips with the sandbox per submission, and what each costs in CPU: work counted, not timed.

    .venv/bin/python bench/exchanges.py [--rounds 2] [--notebooks] [--why]

Grades every source of the generated batches (the correct solution and every file of
examples/mistakes; with ``--notebooks`` the notebooks of examples/realistic-notebooks too),
warm (the trainings cached first, in a folder of its own), in this process with one ``Grader``.
For each submission it counts the exchanges with the sandbox (``Work.sandbox_exchanges``: the
planned calls in one, then one per round of calls that depended on earlier answers), the calls
in them, and the sandbox starts (a fresh call of an unseeded function starts another process).
``--why`` names, for each submission of more than one exchange, the calls made after the first.

CPU: user + system of this process and every process it reaped (the sandboxes, the zygote once
the grader closes it), over the warm rounds, per submission and per exchange; the load average
at the start is printed, since a shared machine's other work slows every figure a little.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, table
from generate import sources_pool

import autograder.engine as engine
from autograder.config import load_config
from autograder.sandbox import Sandbox
from autograder.training.trainer import Trainer

NOTEBOOKS = Path(__file__).resolve().parents[1] / "examples" / "realistic-notebooks"


def cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Tally:
    """Calls per exchange and sandbox starts, counted by wrapping the Sandbox's methods."""

    def __init__(self):
        self.calls: list[int] = []  # calls per exchange, this submission
        self.starts = 0
        self.late: list[str] = []  # calls after the first exchange, with who asked
        real_call, real_planned, real_start = Sandbox.call, Sandbox.call_planned, Sandbox.start
        tally = self
        rounds = getattr(Sandbox, "call_round", None)

        def call(sb, function, args):
            tally.calls.append(1)
            tally.late.append(f"{function}{args} <- {tally.asker()}")
            return real_call(sb, function, args)

        def call_planned(sb, calls):
            tally.calls.append(len(calls))
            if len(tally.calls) > 1:
                tally.late += [f"{f}{a} <- {tally.asker()}" for f, a in calls]
            return real_planned(sb, calls)

        def start(sb):
            tally.starts += 1
            return real_start(sb)

        Sandbox.call, Sandbox.call_planned, Sandbox.start = call, call_planned, start
        if rounds is not None:
            def call_round(sb, calls):
                tally.calls.append(len(calls))
                tally.late += [f"{f}{a} <- {tally.asker()}" for f, a in calls]
                return rounds(sb, calls)

            Sandbox.call_round = call_round

    @staticmethod
    def asker() -> str:
        names = [f"{Path(f.filename).stem}.{f.name}" for f in traceback.extract_stack()
                 if "autograder" in f.filename and "sandbox" not in f.filename]
        return " > ".join(names[-3:])

    def reset(self):
        self.calls, self.starts, self.late = [], 0, []


def as_data(result) -> str:
    """A result as JSON, without what differs between two gradings of the same file."""
    data = dataclasses.asdict(result)
    for key in ("seconds", "work", "path"):
        data.pop(key, None)
    return json.dumps(data, sort_keys=True, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="warm rounds over the sources")
    parser.add_argument("--notebooks", action="store_true", help="examples/realistic-notebooks too")
    parser.add_argument("--why", action="store_true", help="list the calls after the first exchange")
    parser.add_argument("--cache", type=Path, help="training cache to keep between runs")
    parser.add_argument("--dump", type=Path, help="write every result (timings left out) here, to compare")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    config = load_config()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="initgrade-exchanges-") as tmp:
        tmp = Path(tmp)
        subs = []
        for label, text in sources_pool():
            p = tmp / f"{label}.py"
            p.write_text(text)
            subs.append(p)
        if args.notebooks:
            subs += sorted(NOTEBOOKS.glob("*.ipynb"))
        cache = args.cache or tmp / "cache"
        grader = engine.Grader(config, Trainer(config, cache), [str(tmp), str(cache)])
        for p in subs:  # warm the cache: every training done once, not counted
            grader.grade(p)
        rows, per_sub, cpu_total, exchanges_total = [], Counter(), 0.0, 0
        starts_total, calls_total, dumped = 0, 0, []
        for r in range(args.rounds):
            for p in subs:
                tally.reset()
                c0 = cpu()
                result = grader.grade(p)
                cpu_total += cpu() - c0
                exchanges_total += len(tally.calls)
                calls_total += sum(tally.calls)
                starts_total += tally.starts
                if r == 0 and args.dump is not None:
                    dumped.append(as_data(result))
                if r == 0:
                    per_sub[len(tally.calls)] += 1
                    if len(tally.calls) > 1:
                        rows.append([p.name, str(len(tally.calls)), " ".join(map(str, tally.calls)),
                                     str(tally.starts), f"{result.score:g}"])
                        if args.why:
                            print(f"{p.name}:")
                            for line in tally.late:
                                print(f"    {line}")
        if args.dump is not None:
            args.dump.write_text("\n".join(dumped) + "\n")
        c0 = cpu()
        grader.close()
        cpu_total += cpu() - c0  # the zygote's children: reaped by it, counted once it ends
        n = len(subs) * args.rounds
        print()
        print(table(["submission", "exchanges", "calls per exchange", "sandbox starts", "score"], rows))
        print()
        print(f"{len(subs)} submissions x {args.rounds} warm rounds; exchanges per submission: "
              + ", ".join(f"{k}: {v}" for k, v in sorted(per_sub.items())))
        print(f"mean exchanges per submission {exchanges_total / n:.2f}, calls per exchange "
              f"{calls_total / exchanges_total:.1f}, sandbox starts per submission {starts_total / n:.2f}")
        print(f"CPU per submission {1000 * cpu_total / n:.1f} ms (user + system of this process and its "
              f"children, one total over {n} gradings)")


if __name__ == "__main__":
    main()
