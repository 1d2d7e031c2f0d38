"""Build hook: a wheel carries the course files the kit grades with.

In a checkout the kit reads grading.yaml, solutions/, data/ and the rest from the
repository root (autograder.config.PROJECT_ROOT). An installed wheel has no such
root, so ``build_py`` copies them into the package as ``autograder/course/``,
where autograder.config looks first. Editable installs keep reading the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# (folder or file relative to the repository root, suffixes kept; None: a single file)
COURSE_FILES = [
    ("grading.yaml", None),
    ("pyproject.toml", None),  # with README.md: what `initgrade build gradescope` ships as the kit
    ("README.md", None),
    ("solutions", (".py", ".ipynb")),
    ("data", (".h5", "SHA256SUMS")),
    ("public_tests", (".py",)),
    ("assignment", (".py", ".ipynb")),
    ("examples/submissions", (".py", ".ipynb", ".zip")),
]


class build_py_with_course(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        dest = Path(self.build_lib) / "autograder" / "course"
        for rel, suffixes in COURSE_FILES:
            src = ROOT / rel
            if suffixes is None:
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest / rel)
                continue
            for f in sorted(src.rglob("*")):
                if f.is_file() and "__pycache__" not in f.parts and f.name.endswith(suffixes):
                    target = dest / rel / f.relative_to(src)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(f, target)


setup(cmdclass={"build_py": build_py_with_course})
