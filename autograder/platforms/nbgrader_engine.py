"""nbgrader autograde records the engine's grades: three preprocessors in nbgrader's own process.

The generated ``nbgrader_config.py`` registers them; no kernel runs at autograde time.

* :class:`EngineGrade` (first of ``Autograde.sanitize_preprocessors``): grades the
  submitted file, ``submitted/<student>/<assignment>/<notebook>.ipynb``, with the kit's
  sandboxed engine (``initgrade grade`` in a subprocess) before nbgrader writes anything
  for it, and keeps the result in this process for the steps below.
* :class:`RecordEngineGrades` (in ``Autograde.autograde_preprocessors``, where nbgrader's
  ``Execute`` was): writes each autograder cell's outcome from the engine (its points,
  its feedback) as the cell's only output, so ``generate_feedback`` shows the engine's
  feedback.
* :class:`SaveEngineGrades` (in place of ``SaveAutoGrades``): stores those points in
  ``gradebook.db``; a cell the engine could not grade scores zero and is flagged for
  manual grading (fail closed: never full marks for a cell that nothing checked).

Why no kernel: code in a kernel runs as the user who runs nbgrader. A working folder
or HOME of its own does not stop it from opening ``gradebook.db``, other students'
submissions, the engine's training cache or the kit's own checkout by absolute path,
nor from leaving a process behind that writes them while the next student is graded.
The checks' results only need the student's functions, which the engine calls in its
sandbox; so nothing of the notebook runs anywhere else, and nothing a notebook could
write is read when grading it or anyone else. The in-kernel checks stay in the
student's notebook as fast feedback only.
"""

from __future__ import annotations

from pathlib import Path

from nbformat import v4
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

from autograder.base.escape import md_block
from autograder.platforms.engine_record import EngineGrades, failed, grade_file, nbgrader_grade_id

# (db_url, assignment, student, notebook) -> the engine's grade, from sanitizing to saving.
_GRADED: dict[tuple[str, str, str, str], EngineGrades] = {}
SCHEMA_VERSION = 3  # nbgrader's cell metadata format (nbgrader 0.9)
# resources key under which RecordEngineGrades hands SaveEngineGrades each cell's (points, flagged)
_SCORES = "initgrade_engine_scores"


def _key(resources) -> tuple[str, str, str, str]:
    info = resources["nbgrader"]
    return (str(info["db_url"]), str(info["assignment"]), str(info["student"]), str(info["notebook"]))


def _source_cells(resources) -> dict[str, dict]:
    """Each cell of the assignment's source notebook (nbgrader's database): its nbgrader metadata."""
    from nbgrader.api import Gradebook

    _, assignment, _, notebook = _key(resources)
    with Gradebook(resources["nbgrader"]["db_url"]) as gb:
        source = gb.find_notebook(notebook, assignment)
        points = {cell.name: float(cell.max_score) for cell in source.grade_cells}
        solutions = {cell.name for cell in source.solution_cells}
        tasks = {cell.name for cell in source.task_cells}
        cells = {}
        for cell in source.source_cells:
            meta = {"grade_id": cell.name, "grade": cell.name in points, "solution": cell.name in solutions,
                    "task": cell.name in tasks, "locked": bool(cell.locked), "schema_version": SCHEMA_VERSION}
            if cell.name in points:
                meta["points"] = points[cell.name]
            cells[cell.name] = meta
        return cells


def _own_metadata(nb, source: dict[str, dict], log) -> None:
    """Cell metadata is the student's. nbgrader's own steps stop the whole notebook (a grade of 0) on an
    nbgrader entry that is not a mapping naming a cell of the assignment, on a second cell of the same
    name (a copied cell), on an old schema version or on a cell marked graded that is not; a cell
    unmarked would not be graded. So a cell of an assignment's name gets exactly the source's entry (the
    last of several, as nbgrader's DeduplicateIds keeps), and any other cell loses its entry: it is an
    ordinary cell, whose code the engine grades anyway.
    """
    seen: set[str] = set()
    for cell in reversed(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        name = meta.get("grade_id") if isinstance(meta, dict) else None
        if name in source and name not in seen:
            seen.add(name)
            if {k: meta.get(k) for k in source[name]} != source[name]:
                log.warning("Cell %s: nbgrader metadata reset to the assignment's", name)
            cell.metadata["nbgrader"] = dict(source[name])
            continue
        log.warning("A cell claims to be nbgrader cell %r, which the assignment does not have or another cell "
                    "already is: treated as an ordinary cell", name)
        del cell.metadata["nbgrader"]


class EngineGrade(NbGraderPreprocessor):
    """Grade the submitted notebook file with the engine, before nbgrader copies or runs anything of it."""

    def _course_folders(self) -> list[Path]:
        """nbgrader's course folder: every student's submitted notebook, the source notebook (the
        solutions), gradebook.db and the feedback lie there, and the kit knows none of it as its own
        secret. Named to the engine, no sandbox level reads it (at the uid level without Landlock the
        engine refuses until it is closed to other users, saying how)."""
        from nbgrader.coursedir import CourseDirectory

        return [Path(CourseDirectory(config=self.config).root)]

    def preprocess(self, nb, resources):
        key = _key(resources)
        path = Path(resources["metadata"]["path"]) / f"{key[3]}.ipynb"
        self.log.info("Grading %s with the initgrade engine", path)
        grades = grade_file(path, secrets=self._course_folders())
        if grades.error:
            self.log.error("The initgrade engine did not grade %s: %s", path, grades.error)
            if grades.log:
                self.log.error("What the initgrade engine said:\n%s", grades.log)
        else:
            self.log.info("initgrade engine: %s", grades.summary.splitlines()[0] if grades.summary else "graded")
        _GRADED[key] = grades
        _own_metadata(nb, _source_cells(resources), self.log)
        return nb, resources


class RecordEngineGrades(NbGraderPreprocessor):
    """Each autograder cell's output becomes the engine's outcome for its check (replaces ``Execute``)."""

    def preprocess(self, nb, resources):
        from autograder.config import load_config
        from autograder.platforms.upload import pinned_config
        from autograder.rubric import check_title

        grades = _GRADED.pop(_key(resources), None)
        if grades is None:
            grades = failed("the engine did not grade this notebook (EngineGrade is missing from "
                            "Autograde.sanitize_preprocessors in nbgrader_config.py); please tell your instructor")
            self.log.error("No initgrade engine grade for %s: every autograder cell scores 0", _key(resources))
        config = load_config(pinned_config())
        cells = {nbgrader_grade_id(q, c): (q, c) for q, question in config.questions.items() for c in question.checks}
        scores: dict[str, tuple[float, bool]] = {}
        for cell in nb.cells:
            if not (utils.is_grade(cell) and cell.cell_type == "code"):
                continue
            gid = cell.metadata["nbgrader"]["grade_id"]
            points = float(cell.metadata["nbgrader"].get("points") or 0)
            if gid in cells:
                q, c = cells[gid]
                record = grades.record(q, c, points)
                title, flagged = check_title(q, c), bool(grades.error)
            else:
                record = failed("grading.yaml has no such check").record("", gid, points)
                title, flagged = gid, True
                self.log.error("Autograder cell %s is not a check of grading.yaml: scored 0, flagged", gid)
            score = min(record.score, points)
            text = record.describe(title) + ("\nThis cell needs a look from your instructor." if flagged else "")
            cell.outputs = [v4.new_output("stream", name="stdout", text=text + "\n")]
            cell.execution_count = None
            scores[gid] = (score, flagged)
        resources[_SCORES] = scores
        # The engine's overall summary (score, isolation, likely mistakes, problems loading the code)
        # as the last cell: student text inside a fenced block, never read as Markdown or HTML.
        summary = v4.new_markdown_cell("#### Grade from the initgrade engine\n\n" +
                                       md_block(grades.summary or grades.error or "no summary"))
        taken = {cell.get("id") for cell in nb.cells}  # a student's cell may carry any id: keep ids unique
        summary["id"] = next(name for n in range(len(taken) + 1)
                             if (name := f"initgrade-engine-summary-{n}") not in taken)
        nb.cells.append(summary)
        return nb, resources


class SaveEngineGrades(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades`` with the engine's points for the autograder cells."""

    def _add_score(self, cell, resources) -> None:
        gid = cell.metadata["nbgrader"]["grade_id"]
        engine = resources.get(_SCORES, {})
        if cell.cell_type != "code":
            super()._add_score(cell, resources)  # a manually graded answer: nbgrader's own rule
            return
        # A code cell nothing recorded (RecordEngineGrades not configured) was not checked: 0, flagged.
        score, flagged = engine.get(gid, (0.0, True))
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id, self.student_id)
        grade.auto_score = score
        grade.needs_manual_grade = flagged or grade.manual_score is not None
        self.gradebook.db.commit()
