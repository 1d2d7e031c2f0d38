"""Turn a submission on disk into code for the sandbox, without running any of it.

A submission is a notebook (``.ipynb``), a module (``.py``), a package folder, or a
``.zip`` of one of those. Whatever the form, the grader keeps the same top-level
statements: imports, function and class definitions, and assignments of literal
constants. Everything else (training runs, plots, prints, tests the student left
at the top level) is dropped, so notebook and module forms of the same code get
the same grade, and a submission loads in milliseconds. Line numbers are
preserved so the sandbox's error messages point at the student's own lines.

Parsing happens here (``json``/``nbformat``, IPython's input transformer, ``ast``): all
only read text. Nothing is imported, executed or unpickled.

Only what a notebook needs is imported, when it needs it: a notebook as Jupyter
writes it is read with ``json`` (nbformat only for older formats and damaged
files), and IPython's transformer runs only on cells that are not plain Python.
Both imports cost more than the rest of reading a notebook (about 65 ms each).

- ``discovery``: which paths of a command line are submissions, and why the other entries are not
- ``load``: one submission, whatever its form, within its bounds; its digest
- ``bounds``: what reading may cost (code size, deadline), no collector while parsing
- ``files``: regular files only, read without following links, within the size cap
- ``folders`` / ``archives``: a package folder, a ``.zip`` (members, size, ratio, paths)
- ``package``: a folder or zip's work (the file the rule picks), with the modules beside it
- ``work``: the one rule for which file is a student's work (the notebook, the module only when
  it is the work), and its reason
- ``notebooks``: code cells of a notebook (``json``, else nbformat)
- ``notebook_cells``: IPython syntax (``%magic``, ``!cmd``) as Python, in linear time
- ``modules``: a ``.py`` submission
- ``code``: Python source to chunks (the statements kept, line numbers preserved)
- ``submission``: the Submission handed on, and IntakeError
"""

from autograder.intake.bounds import ReadingBounds
from autograder.intake.code import code_chunks, definitions_only
from autograder.intake.discovery import SUBMISSION_SUFFIXES, Discovery, Skipped, discover, discover_all, is_package_dir
from autograder.intake.load import load_submission
from autograder.intake.modules import module_chunks
from autograder.intake.notebooks import import_nbformat, notebook_chunks
from autograder.intake.submission import IntakeError, Submission

__all__ = [
    "SUBMISSION_SUFFIXES",
    "Discovery",
    "Skipped",
    "IntakeError",
    "ReadingBounds",
    "Submission",
    "code_chunks",
    "definitions_only",
    "discover",
    "discover_all",
    "import_nbformat",
    "is_package_dir",
    "load_submission",
    "module_chunks",
    "notebook_chunks",
]
