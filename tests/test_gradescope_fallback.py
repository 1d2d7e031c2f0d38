"""The built Gradescope autograder, end to end, the way Gradescope runs it: as root, in a container
without namespaces (the uid fallback, INITGRADE_NO_NAMESPACES=1), against a fake ``/autograder``.

``setup.sh`` runs for real (a venv from Debian's python3, the kit installed from the zip, the
reference trainings cached, the grader's files closed to other uids), except its apt-get step
(INITGRADE_SETUP_SKIP_APT: the Makefile's setup installs those packages; a test has no network).
Then ``run_autograder`` grades hostile submissions one by one, and the test proves:

* the solutions, hidden tests, grading.yaml, the training cache and another student's files stay
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

from autograder.packaging.cli import build
from autograder.config import PROJECT_ROOT, load_config
from autograder.sandbox.runner import UID_BASE

HOSTILE = PROJECT_ROOT / "examples" / "hostile"
SCRATCH = ("/tmp", "/dev/shm", "/run/lock", "/var/tmp")
# Cases of the hostile suite, as the uploaded init_functions.py, and the points each must get.
CASES = {"ipc_shm_leave_behind_import.py": 40, "ipc_files_in_scratch_folders_import.py": 40,
         "ipc_daemon_keeps_segment_import.py": 40, "ipc_posix_mqueue_in_function.py": 40,
         "ipc_shm_open_dev_shm_in_function.py": 40, "net_every_family_in_function.py": 40,
         "exit_status_121_import.py": 0, "res_fork_bomb_import.py": None, "tamper_drop_files_in_function.py": 40}
BREACH = ("SECRET-LEAK", "IPC-OPEN", "IPC-SHARED", "NETWORK-OPEN", "WROTE")

SPY = '''
import os
import numpy as np


def look(paths):
    for path in paths:
        for folder, _, files in (os.walk(path) if os.path.isdir(path) else [(os.path.dirname(path), [], [os.path.basename(path)])]):
            for name in files:
                try:
                    with open(os.path.join(folder, name), "rb") as f:
                        data = f.read(4096)
                    print("SECRET-LEAK read", os.path.join(folder, name), len(data))
                except OSError as exc:
                    print("refused", os.path.join(folder, name), exc.strerror)


def initialize_parameters_zeros(layers_dims):
    print("SEARCHED")
    look(PATHS)
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters
'''


def _ipc() -> set[tuple[str, str]]:
    out = set()
    for kind in ("shm", "sem", "msg"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        out.update((kind, line.split()[1]) for line in lines if line.split())
    return out


def _scratch() -> set[str]:
    return {os.path.join(d, n) for d in SCRATCH if os.path.isdir(d) for n in os.listdir(d)}


def _sandbox_processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            uid = int(next(line for line in (entry / "status").read_text().splitlines()
                           if line.startswith("Uid:")).split()[1])
        except (OSError, StopIteration, ValueError):
            continue
        if uid >= UID_BASE:
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
    secrets = [kit / "solutions", kit / "autograder" / "hidden_tests", kit / "grading.yaml",
               root / "initgrade-cache", other, root / "results"]
    ipc_before, scratch_before = _ipc(), _scratch()
    config = load_config()

    spy = _grade(root, env, SPY.replace("PATHS", repr([str(p) for p in secrets])))
    assert spy["extra_data"]["isolation"] == "uid+rlimits", spy["extra_data"]
    text = _printed(spy)
    assert "SEARCHED" in text and "refused" in text, text[:2000]
    assert "SECRET-LEAK" not in text, text[:2000]
    assert spy["score"] == config.max_points()

    for name, points in CASES.items():
        results = _grade(root, env, (HOSTILE / name).read_text())
        text = _printed(results)
        if points is not None:
            assert results["score"] == points, (name, results["score"], text[:1500])
        assert not [line for line in text.splitlines() if line.startswith(BREACH)], (name, text[:1500])

    assert _sandbox_processes() == []
    assert _ipc() - ipc_before == set()
    left = sorted(p for p in _scratch() - scratch_before if "initgrade-gs-" not in p)
    assert left == [], left
