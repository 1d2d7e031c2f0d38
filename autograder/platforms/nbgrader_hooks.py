"""An nbgrader preprocessor that puts back hidden-check cells a submission lacks.

nbgrader grades only the test cells it finds in the submitted notebook (matched by
``grade_id``): a notebook without them (a copy of another release of the assignment,
a notebook without nbgrader metadata, one whose student deleted cells) would get 0
for each with no error. This preprocessor runs before nbgrader's
``OverwriteCells`` (registered by the generated ``nbgrader_config.py``): every graded
cell of the assignment's source that the submission lacks is appended at the end of
the notebook, with the metadata nbgrader expects, and ``OverwriteCells`` then restores
its hidden body from the gradebook. The checks read the functions from the notebook's
globals, so they grade the definitions wherever the student wrote them; a missing
definition fails with the check's own message, never a silent zero.

nbgrader's own ``OverwriteCells.add_missing_cells`` inserts a missing cell after the
previous cell of the source, and fails when that one is missing too (a notebook
without any nbgrader metadata), hence this one.
"""

from __future__ import annotations

from nbformat import v4
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

NOTICE = "# Hidden check {grade_id}: this cell was missing from the submission; the grader added it back.\n"


class RestoreHiddenChecks(NbGraderPreprocessor):
    """Append the source's graded cells that the submission does not have."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
            missing = [(cell.name, float(cell.max_score), cell.cell_type)
                       for cell in notebook.grade_cells if cell.name not in present]
        for grade_id, points, cell_type in missing:
            self.log.warning("The submission has no cell %s: adding it (is it the assignment's notebook?)", grade_id)
            cell = v4.new_code_cell(NOTICE.format(grade_id=grade_id)) if cell_type == "code" else \
                v4.new_markdown_cell(NOTICE.format(grade_id=grade_id))
            cell["id"] = f"restored-{grade_id}"[:64]
            cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                                         "schema_version": 3, "solution": False, "task": False,
                                         "cell_type": cell_type}
            nb.cells.append(cell)
        return nb, resources
