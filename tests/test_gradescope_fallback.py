"""The built Gradescope autograder, end to end, the way Gradescope runs it: as root, in a container
without namespaces (the uid fallback, INITGRADE_NO_NAMESPACES=1), against a fake ``/autograder``.

``setup.sh`` runs for real (a venv from Debian's python3, the kit installed from the zip, the
reference trainings cached, the grader's files closed to other uids), except its apt-get step
(INITGRADE_SETUP_SKIP_APT: the Makefile's setup installs those packages; a test has no network).
Then ``run_autograder`` grades hostile submissions one by one, and the test proves:

* the solutions, rubric, grading.yaml, the training cache and another student's files stay
  unreadable from the submission (a spy submission looks for them and says what it found);
* nothing is left behind: no file in /tmp, /dev/shm, /run/lock, /var/tmp; no process of a
  sandbox uid; no System V IPC object (compared before and after).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from own_processes import OwnProcesses

from autograder.config import PROJECT_ROOT, load_config
from autograder.packaging.cli import build
from autograder.sandbox.host.uid_cleanup import _IPC_TABLES

HOSTILE = PROJECT_ROOT / "examples" / "hostile"
SCRATCH = ("/tmp", "/dev/shm", "/run/lock", "/var/tmp")
# Cases of the hostile suite, as the uploaded init_functions.py, and the points each must get.
CASES = {"ipc_shm_leave_behind_import.py": 40, "ipc_files_in_scratch_folders_import.py": 40,
         "ipc_daemon_keeps_segment_import.py": 40, "ipc_posix_mqueue_in_function.py": 40,
         "ipc_shm_open_dev_shm_in_function.py": 40, "net_every_family_in_function.py": 40,
         "exit_status_121_import.py": 0, "res_fork_bomb_import.py": None, "tamper_drop_files_in_function.py": 40}

# Appended to a correct submission: initialize_parameters_he tries to read every secret and raises
# with what it found (the one channel a Gradescope result shows: the message of a failed check).
SPY = '''

def initialize_parameters_he(layers_dims):
    found, refused = [], 0
    for path in PATHS:
        walk = os.walk(path) if os.path.isdir(path) else [(os.path.dirname(path), [], [os.path.basename(path)])]
        for folder, _, files in walk:
            for name in files:
                try:
                    with open(os.path.join(folder, name), "rb") as f:
                        f.read(64)
                    found.append(os.path.join(folder, name))
                except OSError:
                    refused += 1
        try:
            os.listdir(path)
            found.append("listed " + path)
        except OSError:
            refused += 1
    raise RuntimeError("SEARCHED refused=%d leaks=%r" % (refused, found[:5]))
'''


def _ipc(own: OwnProcesses) -> set[tuple[str, str]]:
    """System V IPC objects of this test's sandboxes: owned or created by one of their uids, or
    created by one of its processes (other runs' objects on a shared machine do not count)."""
    out = set()
    for kind, uid_col, cuid_col in _IPC_TABLES:
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        header = lines[0].split()
        cpid_col = header.index("cpid") if "cpid" in header else None  # shm says who made it
        for line in lines[1:]:
            cols = line.split()
            if not cols:
                continue
            ours = any(own.owns_uid(int(cols[c])) for c in (uid_col, cuid_col))
            if ours or (cpid_col is not None and int(cols[cpid_col]) in own.pids):
                out.add((kind, cols[1]))
    return out


def _scratch(own: OwnProcesses) -> set[str]:
    """Entries of the scratch folders a sandbox of this test could have made: owned by one of its
    sandbox uids, or named as the cases name what they drop (unless another run's sandbox owns it)."""
    found = set()
    for folder in SCRATCH:
        for entry in os.scandir(folder) if os.path.isdir(folder) else ():
            try:
                owner = entry.stat(follow_symlinks=False).st_uid
            except OSError:
                continue
            if own.owns_uid(owner) or (entry.name.startswith("hostile-was-here") and not own.others_sandbox(owner)):
                found.add(entry.path)
    return found


def _sandbox_processes(own: OwnProcesses) -> list[str]:
    """Processes running as a sandbox uid of this test (another run's sandboxes are theirs)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            uid = int(next(line for line in (entry / "status").read_text().splitlines()
                           if line.startswith("Uid:")).split()[1])
        except (OSError, StopIteration, ValueError):
            continue
        if own.owns_uid(uid):
            found.append(f"{entry.name} uid {uid}")
    return found


@pytest.fixture(scope="module")
def autograder_root():
    if os.geteuid() != 0:
        pytest.skip("Gradescope runs the autograder as root; so does `make test`")
    if not Path("/usr/bin/python3").exists():
        pytest.fail("Debian's python3 is missing: `make test` installs it (python3, python3-venv)")
    # Under /tmp but passable by other uids, as /autograder is: the sandbox uid must run the venv's Python.
    top = Path(tempfile.mkdtemp(prefix="initgrade-gs-"))
    top.chmod(0o755)
    out = top / "build"
    result = CliRunner().invoke(build, ["gradescope", "--out", str(out)])
    assert result.exit_code == 0, result.output
    root = top / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    with zipfile.ZipFile(out / "gradescope-autograder.zip") as zf:
        for info in zf.infolist():
            zf.extract(info, root / "source")
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                (root / "source" / info.filename).chmod(mode)
    for folder in (root, root / "source", root / "submission", root / "results"):
        folder.chmod(0o755)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
           "INITGRADE_AG_ROOT": str(root), "INITGRADE_SETUP_SKIP_APT": "1", "LANG": "C.UTF-8"}
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
        if key in os.environ:
            env[key] = os.environ[key]
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                          timeout=1200, cwd=root / "source")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # Another student's work, as it might sit on the same machine (readable by everyone).
    other = top / "other-student"
    other.mkdir(mode=0o755)
    (other / "init_functions.py").write_text("def initialize_parameters_he(layers_dims): pass\n")
    (other / "init_functions.py").chmod(0o644)
    yield root, env, other
    shutil.rmtree(top, ignore_errors=True)


def _grade(root: Path, env: dict, code: str) -> dict:
    for f in (root / "submission").iterdir():
        f.unlink()
    (root / "submission" / "init_functions.py").write_text(code)
    (root / "results" / "results.json").unlink(missing_ok=True)
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root / "source",
                          env=dict(env, INITGRADE_NO_NAMESPACES="1"), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def _printed(results: dict) -> str:
    return "\n".join([results.get("output", "")] + [t.get("output", "") for t in results["tests"]])


def test_the_gradescope_zip_grades_hostile_submissions_in_the_uid_fallback(autograder_root):
    root, env, other = autograder_root
    kit = root / "source" / "kit"
    secrets = [kit / "solutions", kit / "autograder" / "rubric", kit / "grading.yaml",
               root / "initgrade-cache", other, root / "results"]
    config = load_config()
    with OwnProcesses() as own:  # what this test starts, and the sandbox uids they hand out
        ipc_before, scratch_before = _ipc(own), _scratch(own)

        correct = (PROJECT_ROOT / "examples" / "submissions" / "correct_module.py").read_text()
        spy = _grade(root, env, "import os\n" + correct + SPY.replace("PATHS", repr([str(p) for p in secrets])))
        assert spy["extra_data"]["isolation"] == "uid+rlimits", spy["extra_data"]
        text = _printed(spy)
        assert "SEARCHED refused=" in text and "leaks=[]" in text, text[:3000]
        assert spy["score"] == config.max_points() - 10  # he only: it raised

        for name, points in CASES.items():
            results = _grade(root, env, (HOSTILE / name).read_text())
            text = _printed(results)
            if points is not None:
                # A string, not a tuple: pytest shortens a tuple's repr to a line, which hid why a case
                # scored 0 under load (the message names how the sandbox ended).
                assert results["score"] == points, f"{name}: {results['score']} points\n{text[:3000]}"

    assert own.pids > {os.getpid()}  # the graders were seen: their sandbox uids are the ones checked
    assert _sandbox_processes(own) == []
    assert _ipc(own) - ipc_before == set()
    assert sorted(_scratch(own) - scratch_before) == []


def test_without_landlock_setup_sh_leaves_the_sandbox_uid_no_secret_of_the_kit(autograder_root):
    """On a kernel without Landlock only file modes guard the kit: the batch proves them first (it
    would refuse otherwise, exit status 2), and setup.sh's and run_autograder's modes pass that proof.
    (A world-readable file elsewhere on the machine stays readable at this level: docs/threat-model.md.)"""
    root, env, _ = autograder_root
    kit = root / "source" / "kit"
    secrets = [kit / "solutions", kit / "autograder" / "rubric", kit / "grading.yaml", kit / "examples",
               kit / "autograder" / "engine.py", root / "initgrade-cache", root / "submission"]
    correct = (PROJECT_ROOT / "examples" / "submissions" / "correct_module.py").read_text()
    spy = _grade(root, dict(env, INITGRADE_NO_LANDLOCK="1"),
                 "import os\n" + correct + SPY.replace("PATHS", repr([str(p) for p in secrets])))
    assert (spy["extra_data"]["isolation"], spy["extra_data"]["landlock"]) == ("uid+rlimits", False), spy
    text = _printed(spy)
    assert "SEARCHED refused=" in text and "leaks=[]" in text, text[:3000]
    assert spy["score"] == load_config().max_points() - 10
