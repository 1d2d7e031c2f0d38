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

from autograder.config import PROJECT_ROOT, GradingConfig, config_path, course_path
from autograder.packaging.common import copy_tree, fresh_dir, write_text, write_zip

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# It installs the initgrade kit shipped in kit/ into a virtual environment and
# trains the reference parameters once, so each submission only trains what it
# changes. Choose an Ubuntu 22.04 or newer base image.
set -euo pipefail

AG_ROOT="${INITGRADE_AG_ROOT:-/autograder}"
SOURCE="$AG_ROOT/source"
VENV="$AG_ROOT/initgrade-venv"

# INITGRADE_SETUP_SKIP_APT=1 (tests only: a machine that has the packages and no network).
if [ -z "${INITGRADE_SETUP_SKIP_APT:-}" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # util-linux provides unshare and setpriv, which the sandbox uses.
    apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip util-linux ca-certificates
fi

# Python 3.10 or newer: Ubuntu 22.04 (Gradescope's default image) has 3.10 as python3.
python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; }
PY=""
for candidate in python3.13 python3.12 python3.11 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then PY="$candidate"; break; fi
done
if [ -z "$PY" ]; then
    echo "setup.sh: the kit needs Python 3.10 or newer (choose an Ubuntu 22.04 or newer base image)" >&2
    exit 1
fi

"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# Editable: the kit reads grading.yaml, the solutions and the data from kit/.
"$VENV/bin/python" -m pip install --quiet -e "$SOURCE/kit"
"$VENV/bin/python" -m autograder.platforms.gradescope --warm --root "$AG_ROOT"

# Where the machine allows no namespaces, the sandbox runs student code as an
# unprivileged uid: make sure that uid cannot read what only the grader needs.
chmod -R go-rwx "$SOURCE/kit/solutions" "$SOURCE/kit/autograder/hidden_tests" "$SOURCE/kit/grading.yaml" \
    "$AG_ROOT/initgrade-cache"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. It grades the submitted notebook
# with initgrade's sandboxed engine (initgrade grade) and writes
# $AG_ROOT/results/results.json; see autograder/platforms/gradescope.py.
set -uo pipefail

AG_ROOT="${INITGRADE_AG_ROOT:-/autograder}"
PYTHON="${INITGRADE_PYTHON:-$AG_ROOT/initgrade-venv/bin/python}"

exec "$PYTHON" -I -m autograder.platforms.gradescope --root "$AG_ROOT"
"""

README = """\
# Gradescope autograder for "{title}"

Upload `{zip_name}` as the autograder of a Gradescope "Programming Assignment"
(base image: Ubuntu 22.04 or newer). Students submit `initialization.ipynb`.

It grades with initgrade's own sandboxed engine: student code runs in a separate,
isolated process and only ever hands back data; the checks and scores run in the
grader. Total: {points:g} points; each check of grading.yaml is one Gradescope test.
"""

KIT_FILES = ["pyproject.toml", "README.md"]


def copy_kit(dest: Path) -> None:
    """The grader as Gradescope needs it: packages, configuration, solutions, data (no tests, no history).

    The configuration, solutions and data are the loaded course's (``initgrade build
    --config``), the packages the running kit's (a checkout or an installed wheel).
    """
    for rel in KIT_FILES:
        src = PROJECT_ROOT / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.read_bytes())
    write_text(dest / "grading.yaml", config_path().read_text(encoding="utf-8"))
    write_text(dest / "solutions" / "init_functions.py",
               course_path("solutions", "init_functions.py").read_text(encoding="utf-8"))
    sums = course_path("data", "SHA256SUMS")
    if sums.is_file():
        write_text(dest / "data" / "SHA256SUMS", sums.read_text(encoding="utf-8"))
    # The modules and the feedback pages' templates (autograder/feedback/templates).
    copy_tree(Path(__file__).resolve().parents[1], dest / "autograder", suffixes=(".py", ".j2", ".css"))
    # An installed wheel carries its course files inside the package; the kit holds its own above.
    shutil.rmtree(dest / "autograder" / "course", ignore_errors=True)
    copy_tree(course_path("assignment", "initlab"), dest / "assignment" / "initlab", suffixes=(".py",))
    copy_tree(course_path("data"), dest / "data", suffixes=(".h5",))


def build_gradescope(out: Path, config: GradingConfig) -> dict[str, Path]:
    """Write ``OUT/gradescope/`` (the unpacked autograder) and ``OUT/gradescope-autograder.zip``."""
    out = Path(out)
    folder = fresh_dir(out / "gradescope")
    write_text(folder / "setup.sh", SETUP_SH, executable=True)
    write_text(folder / "run_autograder", RUN_AUTOGRADER, executable=True)
    copy_kit(folder / "kit")
    zip_name = "gradescope-autograder.zip"
    write_text(out / "README-gradescope.md", README.format(title=config.title, zip_name=zip_name,
                                                          points=config.max_points()))
    zip_path = write_zip(folder, out / zip_name)
    return {"folder": folder, "zip": zip_path}
