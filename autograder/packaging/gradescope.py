"""``initgrade build gradescope``: a Gradescope autograder zip that runs the kit's own engine.

The zip holds ``setup.sh``, ``run_autograder`` and ``kit/`` (the grader: the
``autograder`` and ``initlab`` packages, grading.yaml, the reference solutions
and the data). Gradescope unpacks it into ``/autograder/source``, runs
``setup.sh`` once when it builds the image (a virtual environment with the kit
installed editable, and the reference trainings cached), then ``run_autograder``
for each submission, which runs ``python -m autograder.platforms.gradescope``
(see that module for what runs there and the environment variables it reads).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.config import PROJECT_ROOT, GradingConfig
from autograder.packaging.common import copy_tree, fresh_dir, render_template, write_text, write_zip

KIT_FILES = ["pyproject.toml", "README.md"]


def copy_kit(dest: Path, config: GradingConfig) -> None:
    """The grader as Gradescope needs it: packages, configuration, solutions, data (no tests, no history).

    The configuration, solutions and data are ``config``'s course's (``initgrade build
    --config``), the packages the running kit's (a checkout or an installed wheel).
    """
    for rel in KIT_FILES:
        src = PROJECT_ROOT / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.read_bytes())
    write_text(dest / "grading.yaml", config.source.read_text(encoding="utf-8"))
    write_text(dest / "solutions" / "init_functions.py",
               config.course_path("solutions", "init_functions.py").read_text(encoding="utf-8"))
    sums = config.course_path("data", "SHA256SUMS")
    if sums.is_file():
        write_text(dest / "data" / "SHA256SUMS", sums.read_text(encoding="utf-8"))
    # The modules and the feedback pages' templates (autograder/feedback/templates).
    copy_tree(Path(__file__).resolve().parents[1], dest / "autograder", suffixes=(".py", ".j2", ".css"))
    # An installed wheel carries its course files inside the package; the kit holds its own above.
    shutil.rmtree(dest / "autograder" / "course", ignore_errors=True)
    copy_tree(config.course_path("assignment", "initlab"), dest / "assignment" / "initlab", suffixes=(".py",))
    copy_tree(config.course_path("data"), dest / "data", suffixes=(".h5",))


def build_gradescope(out: Path, config: GradingConfig) -> dict[str, Path]:
    """Write ``OUT/gradescope/`` (the unpacked autograder) and ``OUT/gradescope-autograder.zip``."""
    out = Path(out)
    folder = fresh_dir(out / "gradescope")
    # Both scripts start the entry point by its import path: named here from the module itself.
    from autograder.platforms import gradescope as entry
    from autograder.sandbox.host.secrets import JAIL_FILES

    where = {"entry": entry.__name__, "entry_file": entry.__name__.replace(".", "/") + ".py",
             # What a sandbox reads of the kit: setup.sh leaves these open to the sandbox uid, nothing else.
             "sandbox_reads": ["assignment", "data", *(f"autograder/{rel}" for rel in JAIL_FILES)]}
    write_text(folder / "setup.sh", render_template("gradescope/setup.sh.j2", **where), executable=True)
    write_text(folder / "run_autograder", render_template("gradescope/run_autograder.j2", **where), executable=True)
    copy_kit(folder / "kit", config)
    zip_name = "gradescope-autograder.zip"
    write_text(out / "README-gradescope.md", render_template(
        "gradescope/README.md.j2", title=config.title, zip_name=zip_name, notebook=config.notebook,
        points=config.max_points()))
    zip_path = write_zip(folder, out / zip_name)
    return {"folder": folder, "zip": zip_path}
