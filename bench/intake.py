"""Intake time and peak memory against the size of a submission's code, for each hostile shape.

    .venv/bin/python bench/intake.py [--sizes 16 64 256 1024] [--shapes syntax nested magics defs]

Each reading runs in a process of its own and prints the seconds of grader CPU (the child's
included), microseconds per KB of code (a flat column is linear time), and the reading's peak
memory above the process's baseline. Two tables: the reading itself without any bound (how it
grows), then as ``initgrade grade`` does it (``autograder.intake.bounded.read_submission`` with
grading.yaml's code_kb and grader_memory_mb). Shapes, each a .py submission holding the four
graded functions plus KB of:

* syntax: lines that do not parse (``a=(``): each is a piece of its own, which the grader
  once padded with newlines up to its line number (quadratic memory);
* nested: lines of a big nested literal constant (``DATA = [[[1, 2], [3, 4]], ...]``);
* magics: IPython line magics with quotes and brackets in their arguments;
* defs: many small function definitions (a large but ordinary submission).

``--raw`` prints the first table only.

    .venv/bin/python bench/intake.py --grader [--shapes ...]

grades a normal notebook and then each hostile shape at the largest size the limits let in
(``code_kb``, ``code_cells``, ``submission_mb``), one process per shape with one ``Grader`` and a
warm training cache (the first run fills it), and prints the grader's CPU for that one
submission, its reports included as a batch writes them (its own and its children's: the
reading's fork, trainings; never the sandbox's)
and its peak memory beyond the grader's own, each against the normal notebook's. The shapes
there add the IPython paths (a block IPython must rewrite, thousands of small blocks, ``%%bash``
cells), many tiny cells, huge outputs, attachments and metadata, deep JSON, one long line,
many imports, unicode-heavy code, the same function defined again and again, and a .zip of
several notebooks. The grader's one-time imports for reading notebooks (IPython, nbformat: about
200 ms, once per grader process) are made before the measured submission; ``--cold-ipython``
counts them in the submission's figure (the first such notebook a grader process reads).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from autograder.config import PROJECT_ROOT, load_config

FUNCTIONS = (PROJECT_ROOT / "solutions" / "init_functions.py").read_text()
CACHE = Path(tempfile.gettempdir()) / "initgrade-bench-intake-cache"  # reference trainings, kept between runs
SHAPES = ("syntax", "nested", "magics", "defs")


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def shape_text(shape: str, size: int) -> tuple[str, str]:
    """(file name, content) of a submission with about ``size`` bytes of the shape's code."""
    if shape == "syntax":
        return "sub.py", FUNCTIONS + _repeat("a=(\n", size)
    if shape == "nested":
        return "sub.py", FUNCTIONS + "DATA = [\n" + _repeat("    [[1, 2.5], [3, -4], (5, 'x')],\n", size) + "]\n"
    if shape == "magics":
        cells = [FUNCTIONS, _repeat("%config InlineBackend.figure_format = 'retina'  # (a comment)\n"
                                    "%time x = [1, 2, (3, 4)]\n%matplotlib inline\n", size)]
        nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
              "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None,
                         "outputs": [], "source": c} for i, c in enumerate(cells)]}
        return "sub.ipynb", json.dumps(nb)
    if shape == "defs":
        return "sub.py", FUNCTIONS + "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(size // 30))
    raise ValueError(shape)


def _notebook(cells: list[str], **extra) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": extra.pop("metadata", {}),
                       "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None,
                                  "outputs": extra.get("outputs", []) if i == 0 else [], "source": c}
                                 for i, c in enumerate(cells)]})


def _attachment_cells(count: int, each: int) -> list[dict]:
    blob = "A" * each
    return [{"cell_type": "markdown", "id": f"m{i}", "metadata": {}, "source": f"![x](attachment:p{i}.png)",
             "attachments": {f"p{i}.png": {"image/png": blob}}} for i in range(count)]


def grader_shape(shape: str, limits, folder: Path) -> Path:
    """A submission of the shape at the largest size grading.yaml's limits let in."""
    room = (limits.code_kb << 10) - len(FUNCTIONS) - 2048  # code left beside the graded functions
    cells = limits.code_cells - 1
    mb = (limits.submission_mb << 20) - (256 << 10)
    modules = ("syntax", "nested", "defs", "alternating", "long_line", "imports", "unicode")
    path = folder / ("sub.zip" if shape == "zip_notebooks" else "sub.py" if shape in modules else "sub.ipynb")
    if shape in ("syntax", "nested"):
        path.write_text(shape_text(shape, room)[1])
    elif shape == "defs":
        path.write_text(FUNCTIONS + "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(room // 32)))
    elif shape == "magics":
        path.write_text(shape_text(shape, room)[1])
    elif shape == "normal":  # the assignment's notebook, solved
        path.write_bytes((PROJECT_ROOT / "examples" / "submissions" / "correct_notebook.ipynb").read_bytes())
    elif shape == "ipython_block":  # blocks only IPython can rewrite, each as large as its allowance lets
        block = "def g():\n" + "    x = !ls\n" * 60 + "\n"
        path.write_text(_notebook([FUNCTIONS] + [block] * min(cells, room // len(block))))
    elif shape == "ipython_blocks":  # thousands of one-line blocks for IPython in one cell
        path.write_text(_notebook([FUNCTIONS, _repeat("x = !ls\ny?\n", room)]))
    elif shape == "ipython_in_fork":  # the same in a file large enough to be read in a forked child
        block = "def g():\n" + "    x = !ls\n" * 60 + "\n"
        out = [{"output_type": "stream", "name": "stdout", "text": ["x" * 1000 + "\n"] * 1000}]
        path.write_text(_notebook([FUNCTIONS] + [block] * min(cells, room // len(block)), outputs=out))
    elif shape == "bash_cells":
        path.write_text(_notebook([FUNCTIONS] + ["%%bash\nls\n"] * cells))
    elif shape == "tiny_cells":
        path.write_text(_notebook([FUNCTIONS] + ["x=1\n"] * cells))
    elif shape == "alternating":  # a line that parses, a line that does not: a chunk each
        path.write_text(FUNCTIONS + _repeat("x = 1\na=(\n", room))
    elif shape == "alternating_cells":  # the same, spread over as many cells as code_cells lets in
        per = room // cells
        path.write_text(_notebook([FUNCTIONS] + [_repeat("x = 1\na=(\n", per)] * cells))
    elif shape == "same_def":
        path.write_text(_notebook([FUNCTIONS] + [FUNCTIONS] * min(cells, room // len(FUNCTIONS))))
    elif shape == "long_line":
        path.write_text(FUNCTIONS + "X = [" + "1," * (room // 2 - 4) + "]\n")
    elif shape == "imports":
        path.write_text(FUNCTIONS + _repeat("import numpy as np\n", room))
    elif shape == "unicode":
        path.write_text(FUNCTIONS + _repeat("\u00e9t\u00e9 = '\u2603\u00e9\U0001f600'\n", room // 3))
    elif shape == "unicode_identifiers":  # identifiers of 3-byte characters, NFKC-normalized one by one
        unit = "\uff58\uff59\u5909\u6570 = \uff58\uff59\u5909\u6570 + 1\n"
        path.write_text(_notebook([FUNCTIONS, _repeat(unit, (room - 1024) * len(unit) // len(unit.encode()))]))
    elif shape == "outputs":
        out = [{"output_type": "stream", "name": "stdout", "text": ["x" * 1000 + "\n"] * (mb // 1001)}]
        path.write_text(_notebook([FUNCTIONS], outputs=out))
    elif shape == "outputs_nbformat":  # the same, in a notebook only nbformat reads (validation)
        out = [{"output_type": "stream", "name": "stdout", "text": ["x" * 1000 + "\n"] * (mb // 1001)}]
        nb = json.loads(_notebook([FUNCTIONS], outputs=out))
        nb["nbformat_minor"], nb["cells"][0]["id"] = 4, None
        del nb["cells"][0]["id"]
        nb["cells"].append({"cell_type": "raw", "metadata": {"odd": [1]}, "source": "x", "attachments": None})
        path.write_text(json.dumps(nb))
    elif shape == "nbformat3":  # an old notebook (only nbformat reads it), as large as nbformat's path lets in
        out = [{"output_type": "stream", "stream": "stdout", "text": ["x" * 1000 + "\n"] * 3500}]
        cells = [{"cell_type": "code", "input": FUNCTIONS, "language": "python", "outputs": out,
                  "metadata": {}, "collapsed": False}]
        path.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
                                    "worksheets": [{"cells": cells, "metadata": {}}]}))
    elif shape == "attachments":
        nb = json.loads(_notebook([FUNCTIONS]))
        nb["cells"] += _attachment_cells(200, mb // 200)
        path.write_text(json.dumps(nb))
    elif shape == "metadata":
        path.write_text(_notebook([FUNCTIONS], metadata={"k": ["v" * 100] * (mb // 104)}))
    elif shape == "deep_json":
        deep = "[" * 60 + "]" * 60
        path.write_text(_notebook([FUNCTIONS], metadata={"k": json.loads(deep), "m": [json.loads(deep)] * 20000}))
    elif shape == "folder_entries":  # a folder of as many small files as folder_entries lets in
        path = folder / "sub"
        path.mkdir()
        (path / "init_functions.py").write_text(FUNCTIONS)
        per = min(mb // limits.folder_entries, 2000)
        for i in range(limits.folder_entries - 2):
            (path / f"f{i}.txt").write_text("x" * per)
    elif shape == "zip_members":  # a .zip of as many members as archive_members lets in, up to submission_mb
        import zipfile

        path = folder / "sub.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("init_functions.py", FUNCTIONS)
            for i in range(limits.archive_members - 1):
                z.writestr(f"data/{i}.py", os.urandom((mb // limits.archive_members) // 2).hex())
    elif shape == "zip_notebooks":
        import zipfile

        body = _notebook([FUNCTIONS] + ["%%bash\nls\n"] * cells)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for i in range(limits.archive_members - 1):
                z.writestr(f"n{i}/initialization.ipynb" if i else "initialization.ipynb", body)
            z.writestr("init_functions.py", FUNCTIONS + _repeat("a=(\n", room))
    else:
        raise ValueError(shape)
    return path


GRADER_SHAPES = ("normal", "syntax", "nested", "magics", "defs", "ipython_block", "ipython_in_fork", "ipython_blocks",
                 "bash_cells", "tiny_cells", "alternating", "alternating_cells", "same_def", "long_line", "imports",
                 "unicode", "unicode_identifiers", "outputs", "outputs_nbformat", "nbformat3", "attachments",
                 "metadata", "deep_json", "zip_notebooks", "zip_members", "folder_entries")


def grade_one(shape: str, folder: Path) -> dict:
    """Grade a normal notebook (warming the grader), then the shape: the grader's CPU and peak memory for it."""
    from autograder.engine import Grader
    from autograder.outputs.reports import write_submission_reports
    from autograder.training.trainer import Trainer

    config = load_config()
    (folder / "warm").mkdir()
    # The grader's imports for reading notebooks (IPython, nbformat: once per grader process) are not
    # any one submission's ... unless asked: then they are the measured submission's.
    warm = folder / "warm" / "sub.ipynb"
    warm.write_text(_notebook([FUNCTIONS]))
    if "--cold-ipython" not in sys.argv:
        from autograder.intake.notebook_cells import preload_ipython
        from autograder.intake.notebooks import import_nbformat

        preload_ipython()
        import_nbformat()
    path = grader_shape(shape, config.limits, folder)
    trainer = Trainer(config, CACHE)
    out = folder / "out"
    with Grader(config, trainer, [str(folder)]) as grader:
        write_submission_reports(out, grader.grade(warm), config, "bench")
        base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        s0, c0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        result = grader.grade(path)
        write_submission_reports(out, result, config, "bench")  # as a batch does, for every submission
        s1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (s1.ru_utime + s1.ru_stime - s0.ru_utime - s0.ru_stime) + (c1.ru_utime + c1.ru_stime - c0.ru_utime
                                                                     - c0.ru_stime)
    extra_kb = max(s1.ru_maxrss - base_kb, c1.ru_maxrss - base_kb if c1.ru_maxrss > c0.ru_maxrss else 0, 0)
    outcome = f"{result.score:g}" if result.status == "graded" else f"error: {(result.error or '')[:60]}"
    size = sum(f.stat().st_size for f in path.rglob("*")) if path.is_dir() else path.stat().st_size
    return {"bytes": size, "cpu": cpu, "extra_mb": extra_kb / 1024, "outcome": outcome}


def grader_table(shapes: list[str], cold: list[str]) -> None:
    import subprocess

    print(f"{'shape':<17} {'KB':>6} {'grader cpu s':>12} {'x normal':>8} {'extra MB':>8}  outcome")
    normal = None
    worst = (0.0, "")
    for shape in ["normal"] + [s for s in shapes if s != "normal"]:
        done = subprocess.run([sys.executable, __file__, "--grade-one", shape] + cold, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{shape:<17} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        got = json.loads(done.stdout.strip().splitlines()[-1])
        normal = normal or got["cpu"]
        ratio = got["cpu"] / normal
        if shape != "normal" and ratio > worst[0]:
            worst = (ratio, shape)
        print(f"{shape:<17} {got['bytes'] / 1024:6.0f} {got['cpu']:12.3f} {ratio:8.1f} {got['extra_mb']:8.1f}  "
              f"{got['outcome']}", flush=True)
    print(f"worst: {worst[1]} at {worst[0]:.1f}x a normal notebook's grader CPU")


def measure_one(shape: str, kb: int, raw: bool, folder: Path) -> dict:
    from autograder.intake import load_submission

    limits = load_config().limits
    name, text = shape_text(shape, kb << 10)
    path = folder / name
    path.write_text(text)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0 = time.process_time()
    if raw:
        try:
            sub = load_submission(path, limits.submission_mb << 20, None, None)
            outcome = f"{len(sub.chunks)} chunks"
        except MemoryError:
            outcome = "MemoryError"
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        from autograder.intake.bounded import read_submission

        read = read_submission(path, limits, ())
        where = "child" if read.peak_kb else "in process"
        outcome = (f"{len(read.submission.chunks)} chunks ({where})" if read.submission
                   else f"refused ({where}): {read.error[:70]}")
        peak_kb = read.peak_kb or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu0 + children.ru_utime + children.ru_stime
    return {"bytes": len(text.encode()), "cpu": cpu, "peak_mb": max(peak_kb - base_kb, 0) / 1024, "outcome": outcome}


def table(shapes: list[str], sizes: list[int], raw: bool) -> None:
    import subprocess

    print(f"{'shape':<8} {'KB':>6} {'cpu s':>7} {'us/KB':>7} {'peak MB':>8}  outcome")
    for shape in shapes:
        for kb in sizes:
            cmd = [sys.executable, __file__, "--one", shape, str(kb)] + (["--raw"] if raw else [])
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{shape:<8} {kb:6d}  failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            got = json.loads(done.stdout.strip().splitlines()[-1])
            size_kb = got["bytes"] / 1024
            print(f"{shape:<8} {size_kb:6.0f} {got['cpu']:7.3f} {got['cpu'] * 1e6 / size_kb:7.1f} "
                  f"{got['peak_mb']:8.1f}  {got['outcome']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 56, 256, 1000], help="KB of code")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES))
    parser.add_argument("--raw", action="store_true", help="only the reading itself, without the bounds")
    parser.add_argument("--one", nargs=2, metavar=("SHAPE", "KB"), help=argparse.SUPPRESS)
    parser.add_argument("--grader", action="store_true", help="grader CPU and memory against a normal notebook")
    parser.add_argument("--grade-one", help=argparse.SUPPRESS)
    parser.add_argument("--cold-ipython", action="store_true",
                        help="with --grader: IPython and nbformat not yet imported in the grader (counted)")
    args = parser.parse_args()
    if args.grade_one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(grade_one(args.grade_one, Path(tmp))))
        return
    if args.grader:
        shapes = args.shapes if args.shapes != list(SHAPES) else list(GRADER_SHAPES)
        grader_table(shapes, ["--cold-ipython"] if args.cold_ipython else [])
        return
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(measure_one(args.one[0], int(args.one[1]), args.raw, Path(tmp))))
        return
    limits = load_config().limits
    print("The reading itself, in one process, no code_kb, no memory bound (linear: flat us/KB, peak ~ size):")
    table(args.shapes, args.sizes, raw=True)
    if args.raw:
        return
    print(f"\nAs graded: code_kb {limits.code_kb}, grader_memory_mb {getattr(limits, 'grader_memory_mb', '-')} "
          "(a file over 256 KB is read in a child under the memory bound):")
    table(args.shapes, args.sizes, raw=False)


if __name__ == "__main__":
    main()
