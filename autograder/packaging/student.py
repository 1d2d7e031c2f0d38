"""``initgrade build student``: the release handed to students, as a folder and a zip.

Contents: ``assignment/`` (the notebook with stubs in its graded cells and the
``initlab`` package with the stub ``init_functions.py``), ``public_tests/``,
``data/`` (the four .h5 files and their SHA256SUMS), ``requirements.txt`` and a
README for students. Nothing else of the repository is copied: no solutions, no
rubric, no grading.yaml, no grader. :func:`leaks` proves it, and the build
refuses to finish when it finds a line from inside a solution fence or from a
hidden test in any released file.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.config import GradingConfig, course_path
from autograder.packaging.common import (
    BuildError,
    copy_tree,
    fresh_dir,
    render_template,
    solution_lines,
    student_files,
    write_notebook,
    write_text,
    write_zip,
)

_CASES = re.compile(r"\[\s*\[\s*\d")  # a literal list of layer-size lists


def hidden_test_lines() -> list[str]:
    """Distinctive lines of the rubric: test names, hidden cases, feedback messages."""
    lines = set()
    import autograder.rubric

    for f in sorted(Path(autograder.rubric.__file__).parent.glob("*.py")):
        for raw in f.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if len(line) < 24 or line.startswith(("import ", "from ", "#", "@")):
                continue
            # Specific to the rubric: their names, their cases, their messages.
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
    write_notebook(root / "assignment" / config.notebook, release_notebook(config))
    initlab = course_path("assignment", "initlab")
    for f in sorted(initlab.glob("*.py")):
        if f.name != "init_functions.py":  # the stub comes from the generator above
            write_text(root / "assignment" / "initlab" / f.name, f.read_text(encoding="utf-8"))
    copy_tree(course_path("public_tests"), root / "public_tests", suffixes=(".py",))
    copy_tree(course_path("data"), root / "data", suffixes=(".h5",))
    sums = course_path("data", "SHA256SUMS")
    if sums.is_file():
        write_text(root / "data" / "SHA256SUMS", sums.read_text(encoding="utf-8"))
    write_text(root / "requirements.txt", render_template("student/requirements.txt.j2"))
    # The release is its own pytest root, even unpacked inside a project with its own settings.
    write_text(root / "pytest.ini", "[pytest]\naddopts = -p no:cacheprovider\n")
    write_text(root / "README.md", render_template("student/README.md.j2", title=config.title,
                                                   notebook=config.notebook, points=config.max_points(),
                                                   questions=list(config.questions.values())))
    found = leaks(root)
    if found:
        raise BuildError("the student release would leak grading material:\n  " + "\n  ".join(found[:20]))
    zip_path = write_zip(root, out / f"{name}.zip", prefix=f"{name}/")
    return {"folder": root, "zip": zip_path}
