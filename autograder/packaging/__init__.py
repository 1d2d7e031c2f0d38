"""Packaging: one grading.yaml, five ways to hand out and grade the assignment.

``initgrade build TARGET --out DIR`` (see :mod:`autograder.packaging.cli`):

========== ===================================================================
student    the release for students (folder + zip), proven free of solutions
           and hidden-test text
otter      an otter-grader master notebook (``otter assign`` input)
nbgrader   an nbgrader course fragment (``source/<assignment>/`` + config)
gradescope a Gradescope autograder zip running the kit's sandboxed engine
github     a GitHub Classroom workflow: the public checks on push, no secret (the
           engine workflow, which needs a grader token, is optional)
========== ===================================================================

Tamper resistance: ``gradescope`` (and ``initgrade grade`` itself) run student
code only inside the kit's sandbox; so do the otter and nbgrader builds, which
record the engine's grades and run none of a submission in the tool's kernel
(:mod:`autograder.platforms.nbgrader_engine`, :mod:`autograder.platforms.otter_plugin`);
the GitHub workflow runs in the student's
repository, which the student controls, so it is given no secret. See docs/platforms.md.
"""

from __future__ import annotations

from pathlib import Path

from autograder.config import GradingConfig

# target -> (module:function, what to do next)
TARGETS: dict[str, tuple[str, str]] = {
    "student": ("autograder.packaging.student:build_student",
                "hand out {out}/{assignment}.zip (or the folder) to students"),
    "otter": ("autograder.packaging.otter:build_otter",
              "cd {out} && otter assign {notebook} dist"),
    "nbgrader": ("autograder.packaging.nbgrader:build_nbgrader",
                 "cd {out} && nbgrader generate_assignment {assignment}"),
    "gradescope": ("autograder.packaging.gradescope:build_gradescope",
                   "upload {out}/gradescope-autograder.zip to Gradescope"),
    "github": ("autograder.packaging.github:build_github",
               "commit {out}/.github/workflows/classroom.yml to the template repository (no secret needed)"),
}


def build_target(target: str, out: Path, config: GradingConfig) -> dict[str, Path]:
    """Build one target into ``out``; returns the main paths written."""
    import importlib

    module, function = TARGETS[target][0].split(":")
    return getattr(importlib.import_module(module), function)(Path(out), config)
