"""Code that runs on a platform after ``initgrade build`` has deployed the assignment there.

Nothing here writes a platform's files (that is :mod:`autograder.packaging`, on the
instructor's machine); each module runs in one place the instructor does not control:

================== ==================================================================
gradescope         Gradescope's container: ``run_autograder`` and ``setup.sh`` start it
gradescope_view    Gradescope's container: results.json as the Markdown students see
classroom          a GitHub Actions job: the optional engine workflow's grading step
upload             Gradescope and GitHub Actions: find the uploaded submission, grade it
inkernel           the student's Jupyter kernel (test cells of builds made by earlier kits)
nbgrader_hooks     inside ``nbgrader autograde`` (named by the generated nbgrader_config.py)
nbgrader_engine    inside ``nbgrader autograde``: the engine's grades recorded, no kernel run
otter_plugin       inside otter's grading (named by the otter autograder's config): the same
engine_record      nbgrader and otter: the engine's grade of one submitted file, per check
================== ==================================================================

The generated files name these modules by their import path (``python -m
autograder.platforms.gradescope``, ``from autograder.platforms.inkernel import
run_check``): renaming one means rebuilding every target.
"""
