"""The kit installed from its wheel into a system-like prefix (a venv under /usr/local, inside what
Landlock grants any Python: /usr), graded at every isolation level this machine gives.

The course files then live in ``site-packages/autograder/course/`` beside the kit's own code, inside
the Python prefix the sandbox must read. Two hostile submissions:

* ``steal``: every graded function opens the installed reference solutions and executes them
  (with access, 40 of 40 points);
* ``spy``: a correct submission whose He function tries to read the rubric, grading.yaml, the
  solutions, the training cache, another student's file and the output folder, prints what it
  read, and raises (so it keeps 30 points).

Each level must give 0 points to ``steal`` and nothing to ``spy``, or refuse the batch (exit status
2, nothing graded) when it is below grading.yaml's ``isolation.minimum``: the uid fallback without
Landlock until the secrets it names are closed to other users, and the grader's own user unless
grading.yaml accepts it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from autograder.config import PROJECT_ROOT

CORRECT = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"

STEAL = '''
SOLUTIONS = __SOLUTIONS__


def _stolen():
    found = {}
    with open(SOLUTIONS) as f:
        exec(compile(f.read(), "stolen", "exec"), found)
    return found


def initialize_parameters_zeros(layers_dims):
    return _stolen()["initialize_parameters_zeros"](layers_dims)


def initialize_parameters_random(layers_dims, scale=0.01):
    return _stolen()["initialize_parameters_random"](layers_dims, scale)


def initialize_parameters_he(layers_dims):
    return _stolen()["initialize_parameters_he"](layers_dims)


def initialize_parameters_deep(layer_dims):
    return _stolen()["initialize_parameters_deep"](layer_dims)
'''

SPY = '''

def initialize_parameters_he(layers_dims):
    import os
    leaks = []
    for path in __PATHS__:
        walk = os.walk(path) if os.path.isdir(path) else [(os.path.dirname(path), [], [os.path.basename(path)])]
        for folder, _, files in walk:
            for name in files:
                try:
                    with open(os.path.join(folder, name), "rb") as f:
                        if f.read(64):
                            leaks.append(os.path.join(folder, name))
                except OSError:
                    pass
    print("SPY-LEAKS", len(leaks), leaks[:5])
    raise RuntimeError("searched")
'''


def _run(cmd, cwd, env, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def system_install(kit_wheel):
    if os.geteuid() != 0:
        pytest.fail("the uid fallback and a prefix under /usr need root: `make test` runs as root")
    if not Path("/usr/bin/python3").exists():
        pytest.fail("Debian's python3 is missing: `make test` installs it (python3, python3-venv)")
    # Under /usr, as a system install is: the prefix any Python reads. Other users can enter it.
    top = Path(tempfile.mkdtemp(prefix="initgrade-levels-test-", dir="/usr/local"))
    try:
        top.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "INITGRADE_CONFIG",
                                                                "INITGRADE_SANDBOX_PYTHON", "INITLAB_DATA",
                                                                "INITGRADE_NO_NAMESPACES", "INITGRADE_NO_LANDLOCK",
                                                                "INITGRADE_NO_UID")}
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        wheel = kit_wheel  # built once a run from a copy of the checkout (tests/conftest.py)
        venv = top / "venv"
        # Debian's python3, which every uid can execute (the sandbox uid runs this venv's Python).
        assert _run(["/usr/bin/python3", "-m", "venv", venv], top, env).returncode == 0
        proc = _run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], top, env, timeout=1500)
        assert proc.returncode == 0, proc.stderr[-3000:]
        site = Path(_run([venv / "bin" / "python", "-c", "import autograder, os; print(os.path.dirname("
                          "autograder.__file__))"], top, env).stdout.strip())
        assert site.is_relative_to(Path("/usr")) and (site / "course" / "solutions" / "init_functions.py").is_file()
        subprocess.run(["chmod", "-R", "go+rX", str(venv)], check=True)
        work = top / "work"
        work.mkdir(mode=0o755)
        env.update(INITGRADE_CACHE=str(work / "cache"), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
        subs = work / "subs"
        subs.mkdir(mode=0o755)
        other = subs / "other.py"  # another student's submission in the same batch
        other.write_text("def initialize_parameters_he(layers_dims):\n    return 'theirs'\n")
        solutions = site / "course" / "solutions" / "init_functions.py"
        (subs / "steal.py").write_text(STEAL.replace("__SOLUTIONS__", repr(str(solutions))))
        secrets = [site / "rubric", site / "course" / "grading.yaml", site / "course" / "solutions",
                   site / "course" / "examples", work / "cache", other, work / "out"]
        (subs / "spy.py").write_text(CORRECT.read_text() + SPY.replace("__PATHS__", repr([str(p) for p in secrets])))
        yield {"top": top, "venv": venv, "site": site, "work": work, "env": env, "bin": venv / "bin" / "initgrade"}
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _grade(inst, out: str, *extra_env: str, config: Path | None = None, fresh: bool = True):
    env = dict(inst["env"])
    for switch in extra_env:
        env[switch] = "1"
    out_dir = inst["work"] / out
    if fresh:
        shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [inst["bin"], "grade", "subs", "--out", out_dir, "--no-progress"]
    if config is not None:
        cmd += ["--config", config]
    return _run(cmd, inst["work"], env)


def _graded(inst, out: str) -> dict[str, dict]:
    folder = inst["work"] / out
    with open(folder / "gradebook.csv", newline="") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    return {sid: {"total": float(row["total"]), "results": json.loads((folder / sid / "results.json").read_text()),
                  "output": (folder / sid / "output.txt").read_text()} for sid, row in rows.items()}


def _assert_nothing_leaked(inst, out: str, level: str, landlock) -> None:
    graded = _graded(inst, out)
    assert graded["steal"]["total"] == 0, graded["steal"]["results"]["tests"]
    assert "SPY-LEAKS 0 []" in graded["spy"]["output"], graded["spy"]["output"][-2000:]
    assert graded["spy"]["total"] == 30  # correct but for the He function, which raised
    for g in graded.values():
        assert g["results"]["extra_data"]["isolation"] == level
        assert g["results"]["extra_data"]["landlock"] is landlock
    summary = json.loads((inst["work"] / out / "summary.json").read_text())
    assert (summary["isolation"], summary["landlock"]) == (level, landlock)
    assert level in (inst["work"] / out / "summary.html").read_text()


def test_namespaces_keep_the_installed_course_out_of_reach(system_install):
    proc = _grade(system_install, "out")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    level = "namespaces" if "Sandbox isolation: namespaces" in proc.stdout else "uid+rlimits"
    _assert_nothing_leaked(system_install, "out", level, None if level == "namespaces" else True)


def test_the_uid_fallback_with_landlock_never_grants_the_installed_course(system_install):
    proc = _grade(system_install, "out", "INITGRADE_NO_NAMESPACES")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Sandbox isolation: uid+rlimits with Landlock" in proc.stdout
    _assert_nothing_leaked(system_install, "out", "uid+rlimits", True)


def test_the_grader_own_user_with_landlock_is_refused_unless_accepted_and_then_leaks_nothing(system_install):
    inst = system_install
    proc = _grade(inst, "out", "INITGRADE_NO_NAMESPACES", "INITGRADE_NO_UID")
    assert proc.returncode == 2 and not (inst["work"] / "out" / "gradebook.csv").exists()
    assert "below the minimum grading.yaml accepts (isolation.minimum: uid)" in proc.stderr
    assert "uid+rlimits: turned off (INITGRADE_NO_UID=1)" in proc.stderr  # the real reason, not a guess
    # An instructor's course folder that accepts the grader's own user (root here) with Landlock.
    course = inst["work"] / "course"
    shutil.rmtree(course, ignore_errors=True)
    assert _run([inst["bin"], "init", str(course)], inst["work"], inst["env"]).returncode == 0
    raw = yaml.safe_load((course / "grading.yaml").read_text())
    raw["isolation"] = {"minimum": "rlimits+landlock"}
    (course / "grading.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    proc = _grade(inst, "out", "INITGRADE_NO_NAMESPACES", "INITGRADE_NO_UID", config=course / "grading.yaml")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "student code runs as ROOT" in proc.stderr
    _assert_nothing_leaked(inst, "out", "rlimits", True)
    # Without Landlock as well, that course still refuses: its minimum asks for Landlock.
    proc = _grade(inst, "out", "INITGRADE_NO_NAMESPACES", "INITGRADE_NO_UID", "INITGRADE_NO_LANDLOCK",
                  config=course / "grading.yaml")
    assert proc.returncode == 2 and "'rlimits without Landlock'" in proc.stderr


def test_the_uid_fallback_without_landlock_refuses_until_the_named_secrets_are_closed(system_install):
    inst = system_install
    proc = _grade(inst, "out", "INITGRADE_NO_NAMESPACES", "INITGRADE_NO_LANDLOCK")
    assert proc.returncode == 2 and not (inst["work"] / "out" / "gradebook.csv").exists(), proc.stdout[-2000:]
    said = proc.stderr.replace("\n", " ")
    assert "without Landlock only file modes guard the secrets" in said
    for secret in ("rubric", "course"):
        assert str(inst["site"] / secret) in said, said[:3000]
    # The fix the refusal names, as an instructor would apply it.
    fix = re.search(r"chmod -R o-rwx (.*?)(?: \(and \d+ more\))?; or ", said)
    assert fix is not None and "more)" not in fix.group(0), said[:3000]
    closed = fix.group(1).split(" ")
    subprocess.run(["chmod", "-R", "o-rwx", *closed], check=True)
    proc = _grade(inst, "out", "INITGRADE_NO_NAMESPACES", "INITGRADE_NO_LANDLOCK", fresh=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "Sandbox isolation: uid+rlimits without Landlock" in proc.stdout
    _assert_nothing_leaked(inst, "out", "uid+rlimits", False)
