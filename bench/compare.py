"""The kit against otter-grader and nbgrader: the same notebooks, the same machine, the same run.

    .venv/bin/python bench/compare.py -n 24

Builds the otter zip (``initgrade build otter`` + ``otter assign --no-run-tests``) and the
nbgrader course (``initgrade build nbgrader`` + ``nbgrader generate_assignment``) exactly
as tests/test_packaging.py does, fills each tool's student notebook with the same function
sources (correct ones and the realistic mistakes of examples/mistakes, experiment cells
trimmed), and grades them with:

* the kit: one submission as a whole fresh command (``initgrade grade one.ipynb``), and the
  batch (``initgrade grade folder``) with ``--jobs 1`` and ``--jobs 2``;
* ``otter run`` once per notebook (it grades one submission per command);
* ``nbgrader autograde`` on the whole course, and once for a single student.

Training cache: every tool starts with the same warm cache of training outcomes (the
kit's cold batch fills it; otter and nbgrader, which run the engine, use it too), so
the figures compare the graders, not the trainings; the kit's cold batch
is shown as well. Scores are compared question by question and must be equal: otter
and nbgrader record the engine's grades, partial credit included (the command fails
on any difference).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, machine, run_timed, submission_sources, table, tool_env

from autograder.config import load_config
from autograder.packaging.common import fill_notebook

CONFIG = load_config()
QUESTIONS = list(CONFIG.questions)
INITGRADE = str(VENV_BIN / "initgrade")


def kit_scores(out: Path) -> dict[str, dict[str, float]]:
    with open(out / "gradebook.csv", newline="") as f:
        return {r["submission"]: {q: float(r[q]) for q in QUESTIONS} for r in csv.DictReader(f)}


def kit_batch(folder: Path, out: Path, env: dict, jobs: int) -> tuple:
    t = run_timed([INITGRADE, "grade", str(folder), "--out", str(out), "--no-progress", "--force",
                   "--jobs", str(jobs), "--cache", env["INITGRADE_CACHE"]], env=env)
    per = [json.loads(p.read_text())["execution_time"] for p in out.glob("*/results.json")]
    return t, per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=24, help="notebooks (at least 20 for the issue's figures)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    tmp_ctx = None
    if args.keep:
        work = args.keep
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    else:
        tmp_ctx = tempfile.TemporaryDirectory(prefix="initgrade-compare-")
        work = Path(tmp_ctx.name)
    env = tool_env(work / "caches")
    sources = submission_sources(args.n)
    print(f"machine: {machine()}")
    print(f"{len(sources)} notebooks: {sum('correct' in s for s in sources)} correct, "
          f"{sum('correct' not in s for s in sources)} with one realistic mistake each")

    # --- builds -----------------------------------------------------------------------
    run_timed([INITGRADE, "build", "otter", "--out", str(work / "otter")], env=env)
    run_timed([str(VENV_BIN / "otter"), "assign", "--no-run-tests", "initialization.ipynb", "dist"],
              env=env, cwd=work / "otter")
    otter_zip = sorted((work / "otter" / "dist" / "autograder").glob("*-autograder_*.zip"))[0]
    otter_student = work / "otter" / "dist" / "student" / "initialization.ipynb"
    course = work / "nbgrader"
    a = CONFIG.assignment
    run_timed([INITGRADE, "build", "nbgrader", "--out", str(course)], env=env)
    run_timed([str(VENV_BIN / "nbgrader"), "generate_assignment", a, "--force"], env=env, cwd=course)
    release = course / "release" / a / "initialization.ipynb"

    kit_in, otter_in = work / "kit-in", work / "otter-in"
    for name, src in sources.items():
        nb = fill_notebook(otter_student, otter_in / name / "initialization.ipynb", src, name)
        kit_in.mkdir(exist_ok=True)
        shutil.copyfile(nb, kit_in / f"{name}.ipynb")  # the very same bytes otter grades
        fill_notebook(release, course / "submitted" / name / a / "initialization.ipynb", src, name)

    # --- the kit ------------------------------------------------------------------------
    figures: dict = {"n": len(sources)}
    cold_t, cold_per = kit_batch(kit_in, work / "kit-cold", env, 2)
    (work / "caches" / "inkernel").parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(env["INITGRADE_CACHE"], work / "caches" / "inkernel")  # same warm cache for everyone
    w1_t, w1_per = kit_batch(kit_in, work / "kit-warm1", env, 1)
    w2_t, w2_per = kit_batch(kit_in, work / "kit-warm2", env, 2)
    # Twice as many workers as cores: a worker waits part of the time (on its sandbox's forks
    # and pipes, on the kernel when a process joins a cgroup); another worker fills that time.
    w4_t, w4_per = kit_batch(kit_in, work / "kit-warm4", env, 4)
    singles = []
    for name in list(sources)[:5]:
        t = run_timed([INITGRADE, "grade", str(kit_in / f"{name}.ipynb"), "--out", str(work / "kit-one" / name),
                       "--no-progress", "--cache", env["INITGRADE_CACHE"]], env=env)
        singles.append(t)
    kit = kit_scores(work / "kit-warm1")
    assert kit == kit_scores(work / "kit-warm2") == kit_scores(work / "kit-warm4") == kit_scores(work / "kit-cold")

    # --- otter --------------------------------------------------------------------------
    otter_runs, otter = [], {}
    for name in sources:
        out = work / "otter-out" / name
        out.mkdir(parents=True)
        t = run_timed([str(VENV_BIN / "otter"), "run", "--no-logo", "-a", str(otter_zip), "-o", str(out),
                       str(otter_in / name / "initialization.ipynb")], env=env)
        otter_runs.append(t)
        tests = {x["name"]: x for x in json.loads((out / "results.json").read_text())["tests"] if "max_score" in x}
        otter[name] = {q: float(tests[q]["score"]) for q in QUESTIONS}

    # --- nbgrader -------------------------------------------------------------------------
    nbg = str(VENV_BIN / "nbgrader")
    first = next(iter(sources))
    nb_one = run_timed([nbg, "autograde", a, "--force", "--student", first], env=env, cwd=course)
    nb_all = run_timed([nbg, "autograde", a, "--force"], env=env, cwd=course)
    from nbgrader.api import Gradebook

    nbgrader = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for name in sources:
            notebook = gb.find_submission_notebook("initialization", a, name)
            per_q = {q: 0.0 for q in QUESTIONS}
            for grade in notebook.grades:
                per_q[grade.name.split("-", 1)[0]] += float(grade.score or 0)
            nbgrader[name] = per_q

    # --- scores ---------------------------------------------------------------------------
    differ = [(name, q, kit[name][q], otter[name][q], nbgrader[name][q]) for name in sources for q in QUESTIONS
              if not kit[name][q] == otter[name][q] == nbgrader[name][q]]
    # otter and nbgrader record the engine's grades (partial credit included): no difference is explained.
    unexplained = differ
    n = len(sources)
    otter_med = statistics.median(t.seconds for t in otter_runs)
    otter_total = sum(t.seconds for t in otter_runs)
    single = statistics.median(t.seconds for t in singles)
    rows = [
        ["kit, cold single (whole `initgrade grade one.ipynb`, warm cache)", f"{single:.2f}", "-",
         f"{max(t.peak_mb for t in singles):.0f}", f"{single / otter_med:.3f} (1/{otter_med / single:.0f})",
         f"{single / nb_one.seconds:.3f} (1/{nb_one.seconds / single:.0f})"],
        [f"kit, batch -j 1, warm cache ({n})", f"{w1_t.seconds / n:.3f}", f"{w1_t.seconds:.1f}", f"{w1_t.peak_mb:.0f}",
         f"{w1_t.seconds / n / otter_med:.3f} (1/{otter_med * n / w1_t.seconds:.0f})",
         f"{w1_t.seconds / nb_all.seconds:.3f} (1/{nb_all.seconds / w1_t.seconds:.0f})"],
        [f"kit, batch -j 2, warm cache ({n})", f"{w2_t.seconds / n:.3f}", f"{w2_t.seconds:.1f}", f"{w2_t.peak_mb:.0f}",
         f"{w2_t.seconds / n / otter_med:.3f} (1/{otter_med * n / w2_t.seconds:.0f})",
         f"{w2_t.seconds / nb_all.seconds:.3f} (1/{nb_all.seconds / w2_t.seconds:.0f})"],
        [f"kit, batch -j 4 (2 per core), warm cache ({n})", f"{w4_t.seconds / n:.3f}", f"{w4_t.seconds:.1f}",
         f"{w4_t.peak_mb:.0f}", f"{w4_t.seconds / n / otter_med:.3f} (1/{otter_med * n / w4_t.seconds:.0f})",
         f"{w4_t.seconds / nb_all.seconds:.3f} (1/{nb_all.seconds / w4_t.seconds:.0f})"],
        [f"kit, batch -j 2, cold cache ({n})", f"{cold_t.seconds / n:.3f}", f"{cold_t.seconds:.1f}",
         f"{cold_t.peak_mb:.0f}", "-", "-"],
        [f"`otter run`, one command per notebook ({n})", f"{otter_med:.2f}", f"{otter_total:.1f}",
         f"{max(t.peak_mb for t in otter_runs):.0f}", "1", "-"],
        ["`nbgrader autograde --student` (one)", f"{nb_one.seconds:.2f}", "-", f"{nb_one.peak_mb:.0f}", "-", "1"],
        [f"`nbgrader autograde` (course of {n})", f"{nb_all.seconds / n:.2f}", f"{nb_all.seconds:.1f}",
         f"{nb_all.peak_mb:.0f}", "-", "1"],
    ]
    print()
    print(table(["grader", "s / notebook", "batch s", "peak MB", "kit/otter", "kit/nbgrader"], rows))
    print()
    print("s / notebook: the median of one-notebook commands, or batch wall time / notebooks. "
          f"kit's own per-submission time inside the batch (results.json execution_time), median: "
          f"-j 1 {statistics.median(w1_per):.3f} s, -j 2 {statistics.median(w2_per):.3f} s, "
          f"-j 4 {statistics.median(w4_per):.3f} s, "
          f"cold cache {statistics.median(cold_per):.3f} s.")
    print("peak MB: largest resident set of any one process of the command (wait4).")
    same = n * len(QUESTIONS) - len(differ)
    print(f"scores: {same} of {n * len(QUESTIONS)} question scores equal in all three graders"
          + ("" if not differ else "; differing (submission, question, kit, otter, nbgrader):"))
    for d in differ:
        print("  ", d)
    if unexplained:
        print(f"{len(unexplained)} differences: otter and nbgrader must record the engine's grades")
    figures.update(single=single, kit_j1=w1_t.seconds, kit_j2=w2_t.seconds, kit_j4=w4_t.seconds,
                   kit_cold=cold_t.seconds,
                   otter_median=otter_med, otter_total=otter_total, nbgrader_one=nb_one.seconds,
                   nbgrader_all=nb_all.seconds, differ=differ, unexplained=unexplained,
                   peak={"kit": w2_t.peak_mb, "otter": max(t.peak_mb for t in otter_runs),
                         "nbgrader": nb_all.peak_mb})
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if tmp_ctx:
        tmp_ctx.cleanup()
    if unexplained:
        sys.exit(1)


if __name__ == "__main__":
    main()
