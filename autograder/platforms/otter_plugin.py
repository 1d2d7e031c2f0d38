"""otter run records the engine's grades: an otter plugin named in the generated assignment config.

``otter run`` (and otter on Gradescope) grades a notebook by executing it in a kernel with
the tests appended, then loads the results the kernel pickled, in otter's own process.
Whatever a notebook does in that kernel therefore reaches the grade: it can replace the
checks, write the results pickle otter unpickles, or write files the next grading reads.
This plugin moves every grading decision out of the kernel:

* ``before_grading``: grades the submitted file with the kit's sandboxed engine
  (``initgrade grade`` in a subprocess, :mod:`autograder.platforms.engine_record`)
  before otter reads anything else of it, once the submission's folder is emptied of
  everything else a submitted zip brought (an ``.OTTER_LOG`` pickle otter would load
  next, modules that would shadow otter's own in its kernel);
* ``before_execution``: hands otter an empty notebook to run instead of the
  submission, so no student code runs in otter's kernel; otter's own cells still run
  there and pickle results only its code wrote;
* ``after_grading``: each test's outcome and each question's points become the
  engine's (partial credit included); a check the engine did not grade fails with the
  reason, so a missing grade is a zero that says why, never the kernel's word.

The generated tests only fail with a pointer to this plugin: without it, nothing passes.
The in-kernel checks stay in the student's notebook as fast feedback only.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from otter.plugins import AbstractOtterPlugin
from otter.test_files.abstract_test import TestCaseResult

from autograder.base.trees import remove_tree
from autograder.platforms.engine_record import OTTER_PLUGIN, expected_checks, failed, grade_file
from autograder.platforms.engine_record import EngineGrades as EngineResult


def _clear_submission_folder(submission: Path) -> None:
    """Leave in the submission's folder only the submitted file, otter's copy of the tests and an empty
    ``__init__.py``.

    otter's kernel starts in that folder, which comes first on its ``sys.path``: a submitted zip's
    ``ipykernel_launcher.py``, ``otter/`` or ``dill.py`` would run as otter's own code in the kernel, and
    otter loads the results that kernel pickles in its own process. A submitted ``.OTTER_LOG`` (a
    pickle) otter would load right after this step. None of these files is the student's work.
    """
    folder = submission.parent
    for entry in folder.iterdir():
        if entry.name in (submission.name, "tests"):  # tests: otter's fresh copy from the autograder
            continue
        if entry.is_dir() and not entry.is_symlink():
            remove_tree(entry)  # however deep the zip's folders (autograder/base/trees.py)
            if os.path.lexists(entry):
                raise OSError(f"could not remove {entry.name} from the submission's folder")
        else:
            entry.unlink()
    (folder / "__init__.py").write_text("", encoding="utf-8")  # otter expects it (relative imports)


class EngineGrades(AbstractOtterPlugin):
    """The engine grades the submission; otter shows and stores what it found."""

    grades: EngineResult | None = None

    def before_grading(self, config) -> None:
        submission = Path(self.submission_path)
        config.grade_from_log = False
        _clear_submission_folder(submission)  # first: nothing else submitted is near the engine's start
        self.grades = grade_file(submission)

    def before_execution(self, submission):
        # A notebook of no cells: otter adds and runs only its own, with the python3 kernel.
        return nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                 "language": "python"}})

    def after_grading(self, results) -> None:
        from autograder.rubric import check_title

        grades = self.grades if self.grades is not None else \
            failed("the engine did not grade this submission; please tell your instructor")
        # otter names exception-based test cases "<question> - <n>" in the order of the test file,
        # which the build writes in grading.yaml's order of checks: the n-th case is the n-th check.
        checks: dict[str, list[tuple[str, float]]] = {}
        for (q, c), points in expected_checks().items():
            checks.setdefault(q, []).append((c, points))
        found = {q: [float(r.test_case.points or 0) for r in tf.test_case_results] for q, tf in results.results.items()}
        if found != {q: [p for _, p in cs] for q, cs in checks.items()}:
            grades = failed("otter's tests are not grading.yaml's checks (rebuild the otter autograder with "
                            "`initgrade build otter`); please tell your instructor")
        for question, test_file in results.results.items():
            recorded, score = [], 0.0
            for n, result in enumerate(test_file.test_case_results):
                check, points = checks[question][n] if n < len(checks.get(question, [])) else ("", 0.0)
                record = grades.record(question, check, points)
                score += record.score
                recorded.append(TestCaseResult(test_case=result.test_case, passed=record.passed,
                                               message=record.describe(check_title(question, check))))
            test_file.test_case_results = recorded
            test_file.update_score(score)
        results.set_output(grades.summary)
        results.set_plugin_data(OTTER_PLUGIN, {"error": grades.error, "isolation": grades.isolation})

    def generate_report(self) -> str:
        if self.grades is None:
            return ""
        if self.grades.error:
            # otter prints this report to the autograder's own output (on Gradescope, shown to
            # instructors only unless the assignment sets ``show_stdout``): where a refusal's reason
            # (the files still open to a sandbox uid, the chmod that closes them) reaches the
            # instructor, as nbgrader's log does for nbgrader. The student's text says only that
            # the submission was not graded.
            said = f"\nWhat the engine said:\n{self.grades.log}" if self.grades.log else ""
            return f"initgrade engine: not graded ({self.grades.error}){said}"
        return f"initgrade engine: scores recorded from the sandboxed engine ({self.grades.isolation or 'isolated'})"
