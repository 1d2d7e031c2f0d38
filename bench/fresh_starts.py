"""Sandbox starts per submission, by random seed and by who asked: work counted, not timed.

    .venv/bin/python bench/fresh_starts.py [--notebooks 24 | --generated 300 | --folder DIR] [--cache DIR]

Grades bench/paired.py's notebooks (``--notebooks N``), bench/generate.py's batch (``--generated N``,
seed 0) or the files of a folder, in this process with one ``Grader``, after one pass that fills the
training cache (not counted). Each start is counted with the seed its process loads the submission
with (the sandbox's first seed, or the next one: the process of the fresh calls, whose answers show
a missing seed) and the step that asked for it: the first start, the fresh round (``next_round``'s
fresh calls), a plain round (back to the first seed, or after a timeout), a fresh or plain call
made when asked. The submissions that start more than one sandbox are listed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine
from generate import generate
from paired import notebooks

import autograder.engine as engine
from autograder.config import load_config
from autograder.sandbox.host import sandbox as host_sandbox
from autograder.training.trainer import Trainer


def cause(sandbox) -> str:
    """The step that asked for this start, from the stack."""
    names = {f.name for f in traceback.extract_stack()}
    fresh = sandbox.random_seed != host_sandbox.RANDOM_SEED
    if "next_round" in names:
        return "fresh round" if fresh else "plain round"
    if "_fresh_call" in names:
        return "fresh call when asked"
    if "_answer" in names:
        return "plain call when asked"
    return "first"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--notebooks", type=int, default=24, help="bench/paired.py's notebooks")
    which.add_argument("--generated", type=int, help="bench/generate.py's batch, seed 0")
    which.add_argument("--folder", type=Path, help="every file of this folder")
    parser.add_argument("--cache", type=Path, help="training cache to keep between runs")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    log: list[tuple[int, str]] = []
    start = host_sandbox.Sandbox.start

    def counting(sandbox):
        log.append((sandbox.random_seed - host_sandbox.RANDOM_SEED, cause(sandbox)))
        return start(sandbox)

    host_sandbox.Sandbox.start = counting  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(prefix="initgrade-fresh-starts-") as tmp:
        work = Path(tmp)
        if args.folder is not None:
            subs = sorted(p for p in args.folder.iterdir() if p.is_file())
        elif args.generated is not None:
            subs = sorted(generate(work / "generated", args.generated, seed=0))
        else:
            subs = sorted(notebooks(work / "notebooks", args.notebooks).glob("*.ipynb"))
        cache = args.cache or work / "cache"
        config = load_config()
        with engine.Grader(config, Trainer(config, cache), [str(work), str(cache)]) as grader:
            for p in subs:  # the trainings made once, not counted
                grader.grade(p)
            per, kinds, several = Counter(), Counter(), []
            for p in subs:
                log.clear()
                grader.grade(p)
                per[len(log)] += 1
                kinds.update(log)
                if len(log) > 1:
                    several.append(f"  {p.name}: " + ", ".join(f"{why} (seed +{s})" for s, why in log))
    total = sum(kinds.values())
    print(f"{len(subs)} submissions, {total} sandbox starts; starts per submission: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(per.items())))
    print("by cause: " + ", ".join(f"{why} (seed +{s}) {n}" for (s, why), n in sorted(kinds.items())))
    print("\n".join(several))


if __name__ == "__main__":
    main()
