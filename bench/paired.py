"""This checkout against another commit of the kit, in the same run, alternating: the figures of
issue 23 as medians over paired rounds, written to one file (bench/figures.md) that README.md,
docs/speed.md and docs/benchmarks.md quote (bench/quote_figures.py copies it into them).

    git -C . archive <old-commit> | (mkdir -p /tmp/old && tar -x -C /tmp/old)
    .venv/bin/python bench/paired.py --old /tmp/old --rounds 3 --cold 100 \
        --figures bench/figures.md

Wall seconds and CPU seconds (user + system of the command and all its processes, counted in a
cpuacct cgroup of its own where the machine has one: steadier on a shared machine) are both
reported. Each round runs every measurement once with each
side, the order of the sides swapped every round, so a machine shared with other work (its
load drifts within minutes) weighs on both alike. With ``--old-venv`` (a venv with the old tree
installed: ``python -m venv DIR && DIR/bin/pip install -e OLD``) the old side is that venv's
``initgrade``: its grader and its sandbox, the whole kit of that commit. Without it the old side is
the other tree's code put first on this venv's module path: its grader, but the sandbox's own code
from this checkout (the jail is started isolated from the module path), so that comparison is of
the grader's side only.

Measured (whole ``initgrade grade`` commands, each with ``OPENBLAS_NUM_THREADS=1``):

* one notebook, warm training cache (the one-notebook command);
* the 24 notebooks of bench/compare.py's mix (generated here: correct and realistic mistakes,
  as notebooks), ``-j 2``, warm cache;
* a generated batch of ``--cold`` submissions (bench/generate.py), ``-j 2``, empty cache: the
  first grading of a course, every distinct initialization trained.

Scores are compared between the sides (the command fails on any difference).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, machine, run_timed, table, tool_env
from generate import as_notebook, generate, sources_pool
from quote_figures import SOURCE, update


def side_env(base: dict, tree: Path | None, venv: Path | None = None) -> dict:
    env = dict(base, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if venv is not None:  # the tree installed in a venv of its own: its grader and its sandbox
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    elif tree is not None:
        env["PYTHONPATH"] = f"{tree}{os.pathsep}{tree / 'assignment'}"
    return env


CPU_SOURCES: set[str] = set()  # how the CPU figures were counted (bench/common.py's run_timed)


def grade(env: dict, subs: Path, out: Path, cache: Path, jobs: int) -> tuple[float, float]:
    """Wall seconds and CPU seconds of one ``initgrade grade`` command (the first ``initgrade`` on
    ``env``'s PATH: this venv's, or the old side's own)."""
    shutil.rmtree(out, ignore_errors=True)
    command = shutil.which("initgrade", path=env["PATH"]) or str(VENV_BIN / "initgrade")
    # Run from the work folder, which holds no grading.yaml: each side grades with its own bundled
    # configuration (run from a checkout, the old side would read this one's, newer than it knows).
    t = run_timed([command, "grade", str(subs), "--out", str(out), "--cache", str(cache),
                   "--jobs", str(jobs), "--no-progress", "--force"], env=env, cwd=out.parent)
    CPU_SOURCES.add(t.cpu_source)
    return t.seconds, t.cpu


def per(t: tuple[float, float], n: int) -> tuple[float, float]:
    return t[0] / n, t[1] / n


def scores(out: Path) -> dict[str, str]:
    with open(out / "gradebook.csv", newline="") as f:
        return {row["submission"]: row["total"] for row in csv.DictReader(f)}


def notebooks(folder: Path, n: int) -> Path:
    """``n`` notebooks: a third correct, the rest one realistic mistake each (as bench/compare.py)."""
    pool = sources_pool()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        label, text = pool[0] if i % 3 == 0 else pool[1 + (i % (len(pool) - 1))]
        (folder / f"{i:03d}_{label}.ipynb").write_text(as_notebook(text, f"{label} {i}"))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="source tree of the other commit")
    parser.add_argument("--old-venv", type=Path, help="a venv with the old tree installed (its sandbox too)")
    parser.add_argument("--new", type=Path, help="source tree of the new side (default: this checkout)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-n", type=int, default=24, help="notebooks of the warm batch")
    parser.add_argument("--cold", type=int, default=100, help="submissions of the cold batch (0: none)")
    parser.add_argument("--figures", type=Path, help="write the figures (markdown) here")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sides = {"old": args.old.resolve(), "new": args.new.resolve() if args.new else None}
    # Both sides' modules compiled once, as an installed kit's are: with PYTHONDONTWRITEBYTECODE
    # set (as on this machine) every command would otherwise compile about 80 modules (0.2 s).
    for tree in [args.old.resolve(), args.new.resolve() if args.new else Path(__file__).resolve().parents[1]]:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "autograder"), str(tree / "assignment")],
                       check=False, stdout=subprocess.DEVNULL)
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="initgrade-paired-") as tmp:
        tmp = Path(tmp)
        base = tool_env(tmp / "caches")
        nbs = notebooks(tmp / "notebooks", args.n)
        one = sorted(nbs.glob("*.ipynb"))[0]
        cold = tmp / "cold-subs"
        if args.cold:
            generate(cold, args.cold, seed=0)
        seen: dict[tuple[str, str], dict] = {}
        for r in range(args.rounds):
            order = list(sides) if r % 2 == 0 else list(sides)[::-1]
            for name in order:
                env = side_env(base, sides[name], args.old_venv if name == "old" else None)
                warm_cache = tmp / f"cache-{name}"
                if r == 0:
                    grade(env, nbs, tmp / "prime", warm_cache, 2)  # fill the cache, not measured
                rows = {
                    "warm -j 2": per(grade(env, nbs, tmp / "warm", warm_cache, 2), args.n),
                    "one notebook": grade(env, one, tmp / "one", warm_cache, 1),
                }
                seen[name, "warm"] = scores(tmp / "warm")
                if args.cold:
                    cache = tmp / f"cold-cache-{name}-{r}"
                    rows["cold -j 2"] = per(grade(env, cold, tmp / "cold", cache, 2), args.cold)
                    seen[name, "cold"] = scores(tmp / "cold")
                    shutil.rmtree(cache)
                for k, (wall, cpu) in rows.items():
                    times.setdefault((name, k), []).append(wall)
                    times.setdefault((name, k + " cpu"), []).append(cpu)
                print(f"round {r + 1} {name}: " + ", ".join(f"{k} {w:.3f} s ({c:.3f} CPU s)"
                                                           for k, (w, c) in rows.items()), flush=True)
        for kind in ("warm", "cold"):
            if ("old", kind) in seen and seen["old", kind] != seen["new", kind]:
                raise SystemExit(f"the two sides' {kind} scores differ")
    labels = {"one notebook": "one-notebook command, warm cache (s)",
              "warm -j 2": f"batch of {args.n} notebooks, -j 2, warm cache (s / notebook)",
              "cold -j 2": f"generated batch of {args.cold}, -j 2, empty cache (s / submission)"}
    labels.update({f"{k} cpu": f"{v}, CPU" for k, v in list(labels.items())})
    rows = []
    figures = {}
    for k, label in labels.items():
        if ("old", k) not in times:
            continue
        old, new = statistics.median(times["old", k]), statistics.median(times["new", k])
        figures[k] = {"old": old, "new": new, "old_runs": times["old", k], "new_runs": times["new", k]}
        rows.append([label, f"{old:.3f}", f"{new:.3f}", f"{old / new:.2f}x"])
    head = (f"machine: {machine()}\n\nMedians of {args.rounds} paired rounds (old and new alternating); "
            f"old = {args.old.name}, new = {args.new.name if args.new else 'this checkout'}"
            + (" (each side its own grader and sandbox). " if args.old_venv else
               " (the old side's grader with this checkout's sandbox). ")
            +             "Scores equal on both sides. CPU: "
            + ("user + system of every process of the command, its sandboxes included (its own cpuacct "
               "cgroup).\n" if CPU_SOURCES == {"cpuacct"} else
               "user + system of the processes the command waited for (no cpuacct cgroup here: a "
               "sandbox's processes, reaped by the kernel, are left out).\n"))
    text = head + "\n" + table(["measurement", "old", "new", "speed-up"], rows) + "\n"
    print()
    print(text)
    if args.figures:
        args.figures.write_text("<!-- written by bench/paired.py; do not edit by hand -->\n" + text)
        if args.figures.resolve() == SOURCE:
            update()  # the pages that quote figures.md quote this run
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
