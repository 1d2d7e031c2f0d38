"""The built wheel, installed into a fresh virtual environment outside the repository, grades.

Nothing of the checkout is reachable from there: grading.yaml, the solutions, the
data and the examples must come from the wheel (autograder/course/, see setup.py),
and the sandbox of an installed kit must still see what a submission needs (the
venv's packages) while hiding the kit's own files. ``initgrade init`` then writes an
instructor's course folder, whose grading.yaml is found from the current folder and
is refused when the reference solutions lose points under it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT, load_config


def _run(cmd, cwd, env, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory, kit_wheel):
    tmp = tmp_path_factory.mktemp("wheel")
    assert PROJECT_ROOT.resolve() not in tmp.resolve().parents
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "INITGRADE_CONFIG",
                                                            "INITGRADE_PUBLIC_TARGET", "INITLAB_DATA")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    wheels = [kit_wheel]  # built from a copy of the checkout (tests/conftest.py)
    venv = tmp / "venv"
    assert _run([sys.executable, "-m", "venv", venv], tmp, env).returncode == 0
    proc = _run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheels[0]], tmp, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    env["INITGRADE_CACHE"] = str(tmp / "cache")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp / "anywhere"
    work.mkdir()
    return {"bin": venv / "bin" / "initgrade", "python": venv / "bin" / "python", "env": env, "work": work}


def _gradebook(folder: Path) -> dict[str, dict]:
    with open(folder / "gradebook.csv", newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def test_installed_kit_grades_from_any_folder(installed):
    py, work, env = installed["python"], installed["work"], installed["env"]
    where = _run([py, "-c", "import autograder, initlab; print(autograder.__file__); print(initlab.__file__)"],
                 work, env)
    assert str(PROJECT_ROOT) not in where.stdout and "site-packages" in where.stdout, where.stdout
    subs = work / "subs"
    subs.mkdir()
    for name in ("correct_module.py", "correct_notebook.ipynb", "he_xavier_scale.py"):
        shutil.copyfile(PROJECT_ROOT / "examples" / "submissions" / name, subs / name)
    proc = _run([installed["bin"], "grade", "subs", "--out", "results", "--no-progress"], work, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = _gradebook(work / "results")
    assert float(rows["correct_module"]["total"]) == 40 == float(rows["correct_notebook"]["total"]), rows
    assert 0 < float(rows["he_xavier_scale"]["total"]) < 40, rows
    assert "no network" in proc.stdout  # the sandbox of the installed kit, fully isolated here


def test_init_writes_a_course_folder_whose_config_is_used_and_checked(installed):
    work, env = installed["work"], installed["env"]
    proc = _run([installed["bin"], "init", "course"], work, env)
    assert proc.returncode == 0, proc.stderr
    course = work / "course"
    for rel in ("grading.yaml", "solutions/init_functions.py", "assignment/initialization.ipynb",
                "assignment/initlab/model.py", "public_tests/checks.py", "data/train_circles.h5"):
        assert (course / rel).is_file(), rel
    assert _run([installed["bin"], "init", "course"], work, env).returncode != 0  # never over a course
    assert _run([installed["bin"], "check"], course, env).returncode == 0

    # The course's own grading.yaml (./grading.yaml) is the one used: a threshold the
    # reference cannot reach is refused, naming the check, before anything is graded.
    yaml_path = course / "grading.yaml"
    text = yaml_path.read_text()
    assert "he: {training: circles, min_train_accuracy: 0.95}" in text
    yaml_path.write_text(text.replace("he: {training: circles, min_train_accuracy: 0.95}",
                                      "he: {training: circles, min_train_accuracy: 0.995}"))
    shutil.copyfile(PROJECT_ROOT / "examples" / "submissions" / "correct_module.py", course / "correct_module.py")
    for cmd in (["check"], ["grade", "correct_module.py", "--out", "results", "--no-progress"]):
        proc = _run([installed["bin"], *cmd], course, env)
        assert proc.returncode == 2, (cmd, proc.stdout, proc.stderr)
        assert "he.accuracy" in proc.stderr and "reference solutions lose points" in proc.stderr, proc.stderr
    assert not (course / "results").exists()


def test_installed_kit_builds_every_target_from_the_course_folder(installed):
    import zipfile

    import yaml

    work, env = installed["work"], installed["env"]
    assert _run([installed["bin"], "init", "course2"], work, env).returncode == 0
    course = work / "course2"
    raw = yaml.safe_load((course / "grading.yaml").read_text())
    raw["questions"]["he"]["checks"]["structure"] = 3  # the course's own points: 41 in all
    (course / "grading.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    proc = _run([installed["bin"], "build", "all", "--out", "b"], course, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(course / "b" / "gradescope" / "gradescope-autograder.zip") as zf:
        names = set(zf.namelist())
        shipped = yaml.safe_load(zf.read("kit/grading.yaml"))
    assert shipped["questions"]["he"]["checks"]["structure"] == 3
    assert {"kit/pyproject.toml", "kit/solutions/init_functions.py", "kit/autograder/engine.py",
            "kit/assignment/initlab/model.py", "kit/data/train_images.h5"} <= names
    assert not [n for n in names if n.startswith("kit/autograder/course/")]  # no second copy of the solutions
    assert "41" in (course / "b" / "student" / "weight-initialization" / "README.md").read_text()

    # The generated files come from templates that are package data: rendered from the wheel, they are
    # the checkout's, byte for byte, and they name the deployed modules by their import path.
    from autograder.packaging.github import engine_workflow_text, workflow_text

    kit_config = load_config(PROJECT_ROOT / "grading.yaml")
    b = course / "b"
    assert (b / "github" / ".github" / "workflows" / "classroom.yml").read_text() == workflow_text(kit_config)
    engine = (b / "github" / "optional" / "classroom-engine.yml").read_text()
    assert engine == engine_workflow_text(kit_config).replace("(40 points)", "(41 points)")
    setup = b / "gradescope" / "gradescope" / "setup.sh"
    assert '-m autograder.platforms.gradescope --warm --root "$AG_ROOT"' in setup.read_text()
    assert _run(["bash", "-n", setup], work, env).returncode == 0
    nbgrader_config = (b / "nbgrader" / "nbgrader_config.py").read_text()
    compile(nbgrader_config, "nbgrader_config.py", "exec")
    assert "c.CourseDirectory.course_id = 'weight-initialization'" in nbgrader_config
    assert "from autograder.platforms.nbgrader_hooks import RestoreHiddenChecks" in nbgrader_config
    assert "kit/autograder/platforms/templates/gradescope_summary.md.j2" in names  # Gradescope's view needs it
    # ...and the installed kit renders the Gradescope view from its own template.
    view = _run([installed["python"], "-c", "import json, sys; from autograder.platforms.gradescope_view import "
                 "gradescope_view; print(json.dumps(gradescope_view(json.loads(sys.argv[1]))))",
                 '{"score": 1, "tests": [{"name": "he: x", "status": "failed", "score": 1, "max_score": 2, '
                 '"output": "```boom"}], "extra_data": {"isolation": "namespaces"}}'], work, env)
    assert view.returncode == 0, view.stderr
    shown = json.loads(view.stdout)
    # The isolation level is the instructor's (main's feedback round 3): never in the student's view.
    assert shown["output"].startswith("### Score: 1 / 2\n\n") and "isolation" not in shown["output"].lower()
    assert shown["tests"][0]["output"] == "````text\n```boom\n````"


def test_the_wheel_lists_every_package_of_the_kit():
    """pyproject.toml names its packages one by one: a package folder left off that list is missing
    from the wheel, and an installed kit fails on its first import of it (autograder.semester was)."""
    text = (PROJECT_ROOT / "pyproject.toml").read_text()
    listed = text.split("packages = [", 1)[1].split("]", 1)[0]
    names = {part.strip().strip('"') for part in listed.replace("\n", " ").split(",") if part.strip()}
    inits = (PROJECT_ROOT / "autograder").rglob("__init__.py")
    found = {".".join(p.parent.relative_to(PROJECT_ROOT).parts) for p in inits} | {"initlab"}
    assert found - names == set(), f"package folders missing from pyproject.toml's packages: {sorted(found - names)}"
    assert names - found == set(), f"listed packages that do not exist: {sorted(names - found)}"
