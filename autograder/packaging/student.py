"""``initgrade build student``: the release handed to students, as a folder and a zip.

Contents: ``assignment/`` (the notebook with stubs in its graded cells and the
``initlab`` package with the stub ``init_functions.py``), ``public_tests/``,
``data/`` (the four .h5 files and their SHA256SUMS), ``requirements.txt`` and a
README for students. Nothing else of the repository is copied: no solutions, no
hidden tests, no grading.yaml, no grader. :func:`leaks` proves it, and the build
refuses to finish when it finds a line from inside a solution fence or from a
hidden test in any released file.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.config import GradingConfig, course_path
from autograder.packaging.common import (
    NOTEBOOK_NAME,
    BuildError,
    copy_tree,
    fresh_dir,
    solution_lines,
    student_files,
    write_notebook,
    write_text,
    write_zip,
)

REQUIREMENTS = """\
# What the notebook and the public tests need (Python 3.10 or newer).
numpy>=1.26
h5py>=3.10
matplotlib>=3.8
pytest>=8.0
jupyterlab>=4.0
"""

README = """\
# {title}

You write four small numpy functions that choose the first values of a neural
network's weights, then watch what each choice does to training.

## What is in this folder

| path | what it is |
|---|---|
| `assignment/initialization.ipynb` | the notebook: explanations, experiments, and the four cells you complete |
| `assignment/initlab/init_functions.py` | the same four functions as a module, if you prefer an editor (not graded: the notebook is) |
| `assignment/initlab/` | the rest of the package: model, data loading, plots (provided, complete) |
| `public_tests/` | checks you can run yourself; the notebook calls them after each exercise |
| `data/` | the datasets (`SHA256SUMS` lets you verify them) |

## Getting started

```
python3 -m venv .venv
. .venv/bin/activate            # on Windows: .venv\\Scripts\\activate
pip install -r requirements.txt
cd assignment
jupyter lab initialization.ipynb
```

Open the notebook from inside `assignment/`, so that it finds `initlab` next to it.
In each graded cell, replace the `raise NotImplementedError(...)` line under
`# YOUR CODE HERE` with your code. Do not rename the functions, change their
arguments, or remove the `np.random.seed(3)` lines: the grader compares the
exact numbers a seeded generator produces.

## Checking your work

Run the check cell after each exercise, or, from this folder, test the notebook
you will submit (only its definitions run, not the experiments):

```
pytest public_tests                                   # assignment/initialization.ipynb
pytest public_tests --module assignment/initlab/init_functions.py   # the module copy instead
```

Passing the public checks is a good sign, not a guarantee: the grader calls your
functions on other layer sizes, compares seeded values, and trains the network
from your parameters. It reads only the definitions in your notebook (imports,
functions, constants); your experiments and plots are not run when grading.

## What you submit

Submit `assignment/initialization.ipynb` (the notebook is what is graded). There
are {points:g} points in total:

{table}
"""  # noqa: E501 - a row of a Markdown table cannot be broken


_CASES = re.compile(r"\[\s*\[\s*\d")  # a literal list of layer-size lists


def points_table(config: GradingConfig) -> str:
    rows = ["| question | function | points |", "|---|---|---|"]
    for q in config.questions.values():
        rows.append(f"| {q.title} | `{q.function}` | {sum(q.checks.values()):g} |")
    return "\n".join(rows)


def hidden_test_lines() -> list[str]:
    """Distinctive lines of the hidden tests: test names, hidden cases, feedback messages."""
    lines = set()
    import autograder.hidden_tests

    for f in sorted(Path(autograder.hidden_tests.__file__).parent.glob("*.py")):
        for raw in f.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if len(line) < 24 or line.startswith(("import ", "from ", "#", "@")):
                continue
            # Specific to the hidden tests: their names, their cases, their messages.
            if line.startswith("def test_") or _CASES.search(line) or '"' in line or "'" in line:
                lines.add(line)
    return sorted(lines)


def leaks(folder: Path) -> list[str]:
    """Every file of the release that contains a solution line or a hidden-test line.

    A line counts wherever it appears, whole or inside a longer line (commented
    out, in a string, in a notebook cell), compared without surrounding spaces.
    """
    secret = [("solution", s) for s in solution_lines()] + [("hidden test", s) for s in hidden_test_lines()]
    found = []
    for f in sorted(Path(folder).rglob("*")):
        if not f.is_file():
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary data files
        haystacks = [text]
        if f.suffix == ".ipynb":  # notebook JSON escapes quotes: search the cells' sources too
            import nbformat

            try:
                haystacks += [cell.source for cell in nbformat.reads(text, as_version=4).cells]
            except Exception:  # noqa: BLE001 - not a notebook after all: the raw text was searched
                pass
        for kind, s in secret:
            if any(s in h for h in haystacks):
                found.append(f"{f.relative_to(folder)}: {kind} line {s!r}")
    return found


def release_notebook(config: GradingConfig):
    """The one student notebook every platform grades alike.

    The kit's student notebook, with what each grading tool looks for in a submission:
    nbgrader's cell metadata and hidden-check cells exactly as ``nbgrader
    generate_assignment`` writes them for ``initgrade build nbgrader``, and otter's
    notebook metadata naming the assignment of ``initgrade build otter``. The kit's
    engine reads only its definitions, so the extra cells change nothing there.
    """
    from autograder.packaging.nbgrader import source_notebook

    nb = source_notebook(config, release=True)
    nb.metadata["otter"] = {"assignment_name": config.assignment, "OK_FORMAT": False, "tests": {}}
    nb.metadata["initgrade"] = {"variant": "student", "assignment": config.assignment}
    return nb


def build_student(out: Path, config: GradingConfig) -> dict[str, Path]:
    """Write ``OUT/<assignment>/`` and ``OUT/<assignment>.zip``; return both paths."""
    out = Path(out)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", config.assignment)
    root = fresh_dir(out / name)
    for rel, text in student_files().items():
        write_text(root / rel, text)
    write_notebook(root / "assignment" / NOTEBOOK_NAME, release_notebook(config))
    initlab = course_path("assignment", "initlab")
    for f in sorted(initlab.glob("*.py")):
        if f.name != "init_functions.py":  # the stub comes from the generator above
            write_text(root / "assignment" / "initlab" / f.name, f.read_text(encoding="utf-8"))
    copy_tree(course_path("public_tests"), root / "public_tests", suffixes=(".py",))
    copy_tree(course_path("data"), root / "data", suffixes=(".h5",))
    sums = course_path("data", "SHA256SUMS")
    if sums.is_file():
        write_text(root / "data" / "SHA256SUMS", sums.read_text(encoding="utf-8"))
    write_text(root / "requirements.txt", REQUIREMENTS)
    # The release is its own pytest root, even unpacked inside a project with its own settings.
    write_text(root / "pytest.ini", "[pytest]\naddopts = -p no:cacheprovider\n")
    write_text(root / "README.md", README.format(title=config.title, points=config.max_points(),
                                                 table=points_table(config)))
    found = leaks(root)
    if found:
        raise BuildError("the student release would leak grading material:\n  " + "\n  ".join(found[:20]))
    zip_path = write_zip(root, out / f"{name}.zip", prefix=f"{name}/")
    return {"folder": root, "zip": zip_path}
