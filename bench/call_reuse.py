"""What the call-reuse fast path saves: probes per second, and a warm grading, with it on and off.

    .venv/bin/python bench/call_reuse.py [--probes 200] [--rounds 5] [--grades 3]
    .venv-py3.13/bin/python bench/call_reuse.py      # the same on another Python

"On" is the bundled correct submission: its top level is plain, so one fork of the loaded
submission answers call after call (autograder.sandbox.jail.reuse). "Off" is the same code
with one instance added at its top level, which the sandbox cannot see into, so every
call gets a fork of its own: the same functions, the same calls, only the mode differs.
The load report's mode (what results.json's extra_data.call_reuse says) is printed for
each, so a figure never stands for a mode that was not in force.

Two figures, the modes interleaved round by round (the machine may be shared; the load
average at the start is printed): probes per second over ``--probes`` calls of the four
graded functions in one sandbox, and the seconds of a whole warm grading (trainings
cached) of one submission.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CORRECT, machine, table

from autograder.config import load_config
from autograder.engine import Grader
from autograder.intake import load_submission
from autograder.sandbox import Sandbox, detect_isolation, hide_paths, new_zygote
from autograder.training.trainer import Trainer

# One object at the top level that a call could change unseen: the sandbox forks per call.
OFF_SUFFIX = "\n\nclass _Notes:\n    pass\n\n\nNOTES = _Notes()\n"
DIMS = ([5, 4, 3], [1, 6, 1], [7, 5, 4, 3, 3, 1], [12, 8, 4, 1])


def probes_per_second(path: Path, config, zygote, probes: int) -> tuple[float, str]:
    sub = load_submission(path, 1 << 20)
    with Sandbox(sub.chunks, sub.files, config.functions, config.limits, hide_paths([str(path.parent)]),
                        config.sandbox.stub_modules, zygote=zygote) as sb:
        mode = sb.start().call_reuse
        calls = [(fn, [{"list": d}]) for d in DIMS for fn in config.functions]
        t0 = time.perf_counter()
        for i in range(probes):
            fn, args = calls[i % len(calls)]
            reply = sb.call(fn, args)
            if reply.header.get("status") != "returned":
                raise SystemExit(f"{fn}{args}: {reply.header}")
        return probes / (time.perf_counter() - t0), mode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probes", type=int, default=200, help="calls per sandbox (default 200)")
    ap.add_argument("--rounds", type=int, default=5, help="sandboxes per mode (default 5)")
    ap.add_argument("--grades", type=int, default=3, help="warm gradings per mode (default 3)")
    args = ap.parse_args()
    print(machine())
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = {"on": tmp / "on" / "submission.py", "off": tmp / "off" / "submission.py"}
        for mode, path in paths.items():
            path.parent.mkdir()
            path.write_text(CORRECT.read_text() + (OFF_SUFFIX if mode == "off" else ""))
        zygote = new_zygote(detect_isolation())
        rates: dict[str, list[float]] = {"on": [], "off": []}
        modes: dict[str, set[str]] = {"on": set(), "off": set()}
        try:
            probes_per_second(paths["on"], config, zygote, 8)  # warm-up: the zygote's imports, page cache
            for _ in range(args.rounds):
                for mode, path in paths.items():
                    rate, said = probes_per_second(path, config, zygote, args.probes)
                    rates[mode].append(rate)
                    modes[mode].add(said)
        finally:
            if zygote is not None:
                zygote.close()
        grader = Grader(config, Trainer(config, tmp / "cache"))
        seconds: dict[str, list[float]] = {"on": [], "off": []}
        try:
            for path in paths.values():
                grader.grade(path)  # fills the training cache: the timed gradings are warm
            for _ in range(args.grades):
                for mode, path in paths.items():
                    result = grader.grade(path)
                    seconds[mode].append(result.seconds)
                    modes[mode].add(result.call_reuse)
        finally:
            grader.close()
    print(f"{args.probes} probes per sandbox, {args.rounds} sandboxes and {args.grades} warm gradings per mode "
          "(medians; min-max in brackets)")
    rows = []
    for mode in ("on", "off"):
        r, s = rates[mode], seconds[mode]
        rows.append([mode, f"{statistics.median(r):.0f} ({min(r):.0f}-{max(r):.0f})",
                     f"{statistics.median(s):.3f} ({min(s):.3f}-{max(s):.3f})", "; ".join(sorted(modes[mode]))])
    print(table(["fast path", "probes/s", "warm grading, s", "results.json call_reuse"], rows))
    print(f"on/off: {statistics.median(rates['on']) / statistics.median(rates['off']):.1f}x the probes per second, "
          f"{statistics.median(seconds['off']) / statistics.median(seconds['on']):.2f}x less time per warm grading")


if __name__ == "__main__":
    main()
