"""What the reports cost: one submission's files, a course's gradebook and ids, a class summary.

    .venv/bin/python bench/reports.py [--repeat 30]

Grades three submissions once (a correct one and two with mistakes, so the pages have pictures and
diagnoses), then times, in this process:

* the first report of the process (it loads the page templates: Jinja's import and its compiled
  templates, cached per user);
* every later report of one submission (feedback.html, feedback.md, figures, output.txt,
  results.json), the median of ``--repeat`` rounds over the three;
* ids for 1,000 file names (plain, hostile and look-alike) and a gradebook of 1,000 rows, each cell
  through the CSV rule;
* summary.html for 30 results.

Every student-controlled string goes through one escaping rule per format (autograder.base.escape):
these figures show what that costs next to a grading (about 80 ms per notebook, warm).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CORRECT, MISTAKES

from autograder.base.ids import unique_ids
from autograder.batch.grading import default_cache_dir
from autograder.config import load_config
from autograder.engine import Grader
from autograder.feedback.summary import class_summary_html
from autograder.outputs.reports import gradebook_csv, write_submission_reports
from autograder.training.trainer import Trainer


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    config = load_config()
    grader = Grader(config, Trainer(config, default_cache_dir()), [])
    subs = [CORRECT, MISTAKES / "he_no_seed.py", MISTAKES / "zeros_random.py"]
    with grader:
        results = [grader.grade(p) for p in subs]
    for r, p in zip(results, subs):
        r.id, r.name = p.stem, p.name
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        write_submission_reports(out, results[0], config, "key")
        first = time.perf_counter() - t0
        times = []
        for _ in range(args.repeat):
            for r in results:
                t0 = time.perf_counter()
                write_submission_reports(out, r, config, "key")
                times.append(time.perf_counter() - t0)
        names = [out / n for n in ("alice.py", "\u0430lice.py", "=SUM(A1).py", "a`b.py", "gradebook.csv.py")]
        for n in names:
            n.write_text("")
        paths = [names[i % len(names)].with_name(f"{i}-{names[i % len(names)].name}") for i in range(1000)]
        for p in paths:
            p.write_text("")
        t0 = time.perf_counter()
        unique_ids(paths)
        ids_s = time.perf_counter() - t0
    many = [results[i % 3] for i in range(1000)]
    t0 = time.perf_counter()
    gradebook_csv(many, config)
    book = time.perf_counter() - t0
    t0 = time.perf_counter()
    class_summary_html(results * 10, config)
    summary = time.perf_counter() - t0
    print("| what | ms |")
    print("|---|---|")
    print(f"| first report of the process (templates loaded) | {_ms(first)} |")
    print(f"| one submission's reports, median of {len(times)} | {_ms(statistics.median(times))} |")
    print(f"| ids of 1,000 file names | {_ms(ids_s)} |")
    print(f"| gradebook of 1,000 rows | {_ms(book)} |")
    print(f"| summary.html of 30 results | {_ms(summary)} |")


if __name__ == "__main__":
    main()
