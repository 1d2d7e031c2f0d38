"""Hostile and broken submissions: every one gets an honest result, and nothing is lost.

All cases in ``examples/hostile`` (plus a 200 MB notebook written here, and two
correct submissions) are graded in ONE batch with two workers, under the real
grading.yaml with shorter timeouts. Each case states what it expects (a comment
header in .py files, ``expectations.yaml`` for the others); this module checks
that and, for the batch as a whole, that

* the correct submissions still get full marks;
* no sandbox process survives, and no per-sandbox cgroup is left behind;
* nothing outside the temporary folders changed (solutions, rubric, the
  repository's tracked files, marker files the cases try to drop);
* the grader's outputs are intact: the gradebook parses, every results.json is
  valid and agrees with it, nothing a submission forged made it in;
* a canary put in the grader's environment never reaches a submission.

Then: grading a folder twice gives identical gradebooks; an interrupted batch
(SIGINT to ``initgrade grade``) leaves no temporary file, a gradebook that marks what
was not graded, and a re-run finishes the rest, reporting the earlier ones as unchanged; and the
fallback without namespaces (``INITGRADE_NO_NAMESPACES=1``) still stops the
leaving-early and resource families.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from own_processes import OwnProcesses

from autograder.batch.grading import grade_batch
from autograder.config import PROJECT_ROOT, load_config
from autograder.sandbox import detect_isolation
from autograder.sandbox.host import cgroups
from autograder.sandbox.host.uid_cleanup import _IPC_TABLES

HOSTILE = PROJECT_ROOT / "examples" / "hostile"
CORRECT = {"correct_module.py": PROJECT_ROOT / "examples" / "submissions" / "correct_module.py",
           "correct_solution_copy.py": PROJECT_ROOT / "solutions" / "init_functions.py"}
NOT_CASES = {"make_binary_cases.py", "make_link_cases.py", "expectations.yaml"}
HUGE = "huge_notebook.ipynb"
CANARY = "initgrade-canary-" + secrets.token_hex(12)
MARKER = "HOSTILE-WAS-HERE"
FAST_LIMITS = {"probe_seconds": 3, "load_seconds": 5, "submission_seconds": 30}
# The families the uid fallback must stop too (with seccomp, Landlock, a uid per sandbox and the sweep).
FALLBACK_FAMILIES = {"leaving-early", "resources", "ipc", "network"}
FALLBACK_EXTRA = {"secret_other_submissions_in_function.py", "secret_absolute_paths.py"}
SANDBOX_VENV_PYTHON = PROJECT_ROOT / ".venv-sandbox" / "bin" / "python"  # made by the Makefile
# What the cases print when a defence failed (see each case's code).
BREACH_TAGS = ("SECRET-LEAK", "NETWORK-OPEN", "SOCKET-FAMILY-OPEN", "WRITABLE", "RENAMABLE", "TRUNCATED", "DELETED",
               "IPC-OPEN", "IPC-SHARED")
SCRATCH_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue", "/run/shm")


# ---------------------------------------------------------------------------------------
# Expectations


@dataclass(frozen=True)
class Expect:
    name: str
    family: str
    expect: str                 # "error" or "graded <points>"
    fallback: str | None = None
    message: str | None = None
    tries: str = ""
    nocgroup: str | None = None  # with namespaces but no writable cgroup hierarchy

    @property
    def sid(self) -> str:
        return Path(self.name).stem

    def outcome(self, fallback: bool = False, cgroup: bool = True) -> tuple[str, float | None]:
        text = self.expect
        if fallback and self.fallback:
            text = self.fallback
        elif not fallback and not cgroup and self.nocgroup:
            text = self.nocgroup
        words = text.split()
        return (words[0], float(words[1])) if len(words) > 1 else (words[0], None)


def _header(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text(errors="replace").splitlines():
        m = re.match(r"# (family|expect|expect-fallback|expect-nocgroup|message|tries): (.*)$", line)
        if not m:
            break
        fields[m.group(1)] = m.group(2).strip()
    return fields


def load_expectations() -> dict[str, Expect]:
    table = yaml.safe_load((HOSTILE / "expectations.yaml").read_text())
    out = {}
    for name, e in table.items():
        out[name] = Expect(name, e["family"], e["expect"], e.get("expect-fallback"), e.get("message"),
                           e.get("tries", ""))
    for path in sorted(HOSTILE.iterdir()):
        if path.name in NOT_CASES or path.name in out or not path.is_file() or path.name.startswith((".", "_")):
            continue
        h = _header(path)
        if "expect" in h:
            out[path.name] = Expect(path.name, h.get("family", "?"), h["expect"], h.get("expect-fallback"),
                                    h.get("message"), h.get("tries", ""), h.get("expect-nocgroup"))
    return out


EXPECT = load_expectations()
CASE_NAMES = sorted(n for n in EXPECT if n != HUGE) + [HUGE]


# ---------------------------------------------------------------------------------------
# Helpers: snapshots, processes, outputs


def _sha(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable: {type(exc).__name__}"


def _tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    return [PROJECT_ROOT / p for p in out.decode().split("\0") if p]


def snapshot() -> dict[str, str]:
    """sha256 of the secrets, the configuration and every tracked file of the repository."""
    paths = set(_tracked_files())
    for folder in (PROJECT_ROOT / "solutions", PROJECT_ROOT / "autograder" / "rubric"):
        paths.update(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    paths.add(PROJECT_ROOT / "grading.yaml")
    return {str(p): _sha(p) for p in sorted(paths)}


MUST_NOT_CHANGE = ("solutions/", "autograder/rubric/", "grading.yaml", "examples/hostile/")


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files the batch may have changed.

    Other engineers may edit tracked files while this runs, so a tracked file that
    changed counts only if it now carries the cases' marker or became empty or
    unreadable; the secrets and the configuration must not change at all.
    """
    bad = []
    for path, digest in before.items():
        now = after.get(path)
        if now == digest:
            continue
        rel = os.path.relpath(path, PROJECT_ROOT)
        if rel.startswith(MUST_NOT_CHANGE) or now is None or now.startswith("unreadable"):
            bad.append(rel)
            continue
        text = Path(path).read_bytes()
        if not text or MARKER.encode() in text:
            bad.append(rel)
    return bad


def _others(path: Path, own: OwnProcesses | None) -> bool:
    """Owned by a sandbox uid of another run on this machine (its files are its own to check)."""
    try:
        return own is not None and own.others_sandbox(path.lstat().st_uid)
    except OSError:
        return False


def marker_files(own: OwnProcesses | None = None) -> list[str]:
    """Files the cases try to drop outside their sandbox (named hostile-was-here*, or carrying MARKER);
    with ``own``, not those of another run's sandboxes."""
    names = {"sitecustomize.py", "usercustomize.py", "conftest.py"}
    found = []

    def look(path: Path) -> None:
        if _others(path, own):
            return
        if path.name.startswith("hostile-was-here"):
            found.append(str(path))
        elif path.name in names:
            try:
                if path.stat().st_size < 4096 and MARKER in path.read_text(errors="replace"):
                    found.append(str(path))
            except OSError:
                pass

    for folder, dirs, files in os.walk(PROJECT_ROOT):  # the repository, its .venv included
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__", "node_modules")]
        for name in files:
            if name.startswith("hostile-was-here") or name in names:
                look(Path(folder) / name)
    for top in {Path(sys.prefix), *map(Path, sys.path), Path.home(), *map(Path, SCRATCH_FOLDERS)}:
        try:
            entries = list(top.iterdir()) if top.is_dir() else []
        except OSError:
            continue
        for entry in entries:
            look(entry)
    return sorted(set(found))


def ipc_objects(own: OwnProcesses) -> set[tuple[str, str, str]]:
    """System V IPC objects (kind, key, id) from /proc/sysvipc that ``own``'s processes made or
    its sandbox uids own (another run's objects on the machine are not counted)."""
    found = set()
    for kind, uid_col, cuid_col in _IPC_TABLES:
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        except OSError:
            continue
        header = lines[0].split() if lines else []
        cpid_col = header.index("cpid") if "cpid" in header else None  # shm says who made it
        for cols in (line.split() for line in lines[1:]):
            if cols and (own.owns_uid(int(cols[uid_col])) or own.owns_uid(int(cols[cuid_col]))
                         or (cpid_col is not None and int(cols[cpid_col]) in own.pids)):
                found.add((kind, cols[0], cols[1]))
    return found


def _proc(pid: int, what: str) -> str:
    try:
        return Path(f"/proc/{pid}/{what}").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _ppid(pid: int) -> int:
    stat = _proc(pid, "stat")
    try:
        return int(stat.rsplit(")", 1)[1].split()[1])
    except (IndexError, ValueError):
        return 0


SANDBOX_WORDS = ("autograder.sandbox.jail", "unshare", "setpriv", "initgrade-cgroup")


def leftover_sandboxes(ignore: set[int] = frozenset(), own: OwnProcesses | None = None) -> list[str]:
    """Sandbox processes that are this test's, or orphans of a dead grader (not other people's).

    A process counts when its cmdline names the sandbox child and, walking up its
    parents, we reach this process (a sandbox still running) or pid 1 through
    nothing but sandbox wrappers (an orphan whose grader died); with ``own``, not an
    orphan running as another run's sandbox uid.
    """
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid in ignore or "autograder.sandbox.jail" not in _proc(pid, "cmdline"):
            continue
        uid = next((line.split()[1] for line in _proc(pid, "status").splitlines() if line.startswith("Uid:")), "")
        if own is not None and uid.isdigit() and own.others_sandbox(int(uid)):
            continue  # an orphan of another run's grader
        p, chain_ok = _ppid(pid), True
        while p > 1 and p != me:
            cmd = _proc(p, "cmdline")
            if not any(w in cmd for w in SANDBOX_WORDS):
                chain_ok = False  # a live grader (someone else's, or ours in a worker) owns it
                break
            p = _ppid(p)
        if p == me or (chain_ok and p <= 1):
            found.append(f"{pid}: {_proc(pid, 'cmdline').replace(chr(0), ' ')[:120]}")
    return found


def wait_no_leftovers(ignore: set[int], own: OwnProcesses | None = None, seconds: float = 5.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        left = leftover_sandboxes(ignore, own)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def stale_cgroups(own: OwnProcesses | None = None) -> list[str]:
    """Per-sandbox cgroups whose creating grader process is gone (they should have been removed);
    with ``own``, only those its processes created."""
    layout = cgroups.detect()
    stale = []
    for _, base in (layout.bases if layout else ()):
        group = base / cgroups.GROUP
        for entry in group.iterdir() if group.is_dir() else ():
            owner = entry.name.split("-", 1)[0]
            if entry.is_dir() and owner.isdigit() and not Path(f"/proc/{owner}").exists() and (
                    own is None or int(owner) in own.pids):
                stale.append(str(entry))
    return stale


def all_output_text(out: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(out.rglob("*")) if p.is_file())


def case_text(result) -> str:
    """Everything the result says: error, load messages (the student's, and at a full score the
    instructor's record of what failed while loading), check messages, captured output."""
    parts = [result.error, *result.load_messages, result.load_note, *result.load_errors_folded,
             *(c.message for c in result.checks), result.output]
    return "\n".join(p for p in parts if p)


def read_gradebook(out: Path) -> dict[str, dict]:
    with open(out / "gradebook.csv", newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


# ---------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def fast_config_path(tmp_path_factory) -> Path:
    """The real grading.yaml, same checks, points and limits, with shorter timeouts."""
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    raw["limits"].update(FAST_LIMITS)
    path = tmp_path_factory.mktemp("config") / "grading.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def config(fast_config_path):
    return load_config(fast_config_path)


@pytest.fixture(scope="module")
def training_cache(tmp_path_factory, warm_cache_at) -> Path:
    return warm_cache_at(tmp_path_factory.mktemp("training-cache") / "training")  # the reference trainings made


def _case_maker(name: str):
    """A case-generating module of examples/hostile (not a package: loaded by path)."""
    spec = importlib.util.spec_from_file_location(name, HOSTILE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    dont_write, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in examples/
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = dont_write
    return module


LINK_CASES = _case_maker("make_link_cases")


def _make_folder(folder: Path, names: list[str], with_correct: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    writers = None
    for name in names:
        if name == HUGE:
            _case_maker("make_binary_cases").write_huge_notebook(folder / HUGE, 200)
        elif name in LINK_CASES.CASES:
            LINK_CASES.write_case(name, folder)
        elif not (HOSTILE / name).exists():
            writers = writers or _case_maker("make_binary_cases")
            writers.GENERATED[name](folder / name)
        else:
            shutil.copy(HOSTILE / name, folder / name)
    if with_correct:
        for name, src in CORRECT.items():
            shutil.copy(src, folder / name)
    return folder


@dataclass
class Batch:
    report: object
    out: Path
    by_id: dict
    seconds: float
    changed: list
    markers_before: list
    markers_after: list
    leftovers: list
    stale_cgroups: list
    new_ipc: list = ()
    fills: list = ()  # the fallback's fill-*.bin files left in the shared /tmp


@pytest.fixture(scope="module")
def isolation():
    iso = detect_isolation()
    if not iso.namespaces:
        pytest.skip("user namespaces are not available here: the hostile batch needs the full sandbox "
                    "(the fallback is tested by test_fallback_*)")
    return iso


@pytest.fixture(scope="module")
def batch(tmp_path_factory, config, training_cache, isolation) -> Batch:
    root = tmp_path_factory.mktemp("hostile")
    folder = _make_folder(root / "cases", CASE_NAMES)
    out = root / "out"
    old = os.environ.get("INITGRADE_CANARY")
    os.environ["INITGRADE_CANARY"] = CANARY  # the grader's environment: must never reach a submission
    with OwnProcesses() as own:  # this batch's workers and sandboxes, not another run's on the machine
        before, markers_before, cgroups_before = snapshot(), marker_files(own), set(stale_cgroups(own))
        ipc_before = ipc_objects(own)
        t0 = time.monotonic()
        try:
            report = grade_batch([folder], out, config, jobs=2, cache_dir=training_cache)
        finally:
            if old is None:
                os.environ.pop("INITGRADE_CANARY", None)
            else:
                os.environ["INITGRADE_CANARY"] = old
        seconds = time.monotonic() - t0
        leftovers = wait_no_leftovers(set(), own)
    after = snapshot()
    return Batch(report, out, {r.id: r for r in report.results}, seconds, changed_files(before, after),
                 markers_before, marker_files(own), leftovers, sorted(set(stale_cgroups(own)) - cgroups_before),
                 sorted(ipc_objects(own) - ipc_before))


# ---------------------------------------------------------------------------------------
# The cases themselves


def test_at_least_45_cases_in_every_family():
    families = {}
    for e in EXPECT.values():
        families.setdefault(e.family, []).append(e.name)
    assert len(EXPECT) >= 45, len(EXPECT)
    for family in ("leaving-early", "resources", "fake-results", "tampering", "secrets", "forging", "network",
                   "broken-input"):
        assert len(families.get(family, [])) >= 3, (family, families.get(family))
    for name in os.listdir(HOSTILE):
        if not name.startswith((".", "_")):  # __pycache__ and the like
            assert name in EXPECT or name in NOT_CASES, f"{name} has no expectation"
    for e in EXPECT.values():
        assert e.tries, f"{e.name}: say in one line what it tries"
        assert e.outcome()[0] in ("graded", "error"), e


def test_the_batch_finished(batch):
    assert set(batch.by_id) == {Expect(n, "", "").sid for n in CASE_NAMES} | {Path(n).stem for n in CORRECT}
    assert (batch.out / "gradebook.csv").is_file()
    print(f"hostile batch: {len(batch.by_id)} submissions in {batch.seconds:.1f} s")


@pytest.mark.parametrize("sid", [Path(n).stem for n in CORRECT])
def test_correct_submissions_keep_full_marks(batch, config, sid):
    r = batch.by_id[sid]
    assert (r.status, r.score) == ("graded", config.max_points()), [c.message for c in r.checks if not c.passed]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_gets_its_expected_result(batch, name):
    e = EXPECT[name]
    r = batch.by_id[e.sid]
    has_cgroup = cgroups.detect() is not None
    status, points = e.outcome(cgroup=has_cgroup)
    text = case_text(r)
    assert r.status == status, f"{name} ({e.tries}): {r.status} {r.score}: {text[:600]}"
    if points is not None:
        failed = [f"{c.name}: {c.message[:200]}" for c in r.checks if not c.passed]
        assert r.score == points, f"{name} ({e.tries}): {r.score} points, expected {points}: {failed}"
    if status == "error":
        assert r.error, f"{name}: an error without a message"
    if e.message and (has_cgroup or not e.nocgroup):
        assert e.message in text, f"{name}: the result does not say {e.message!r}: {text[:800]}"


# ---------------------------------------------------------------------------------------
# The batch as a whole


def test_the_worst_submission_costs_the_grader_a_few_times_a_normal_one(batch, config):
    """Work counted per submission (never seconds): trainings started, their gradient steps,
    and the bytes of returned arrays held. A normal submission that gets every training
    wrong needs one training per training check; no hostile case may cost more, and none
    may hold more replies than grading.yaml's replies_mb."""
    from autograder.rubric import collect_checks

    trainings = [c for q, c in collect_checks(config) if "accuracy" in c or c == "symmetry"]
    normal_trainings = len(trainings)
    normal_iterations = sum(config.training[t.training].num_iterations for t in config.thresholds.values())
    works = {sid: dataclasses.asdict(r.work) for sid, r in batch.by_id.items() if r.work}
    assert len(works) >= len(batch.by_id) // 2  # every submission that loaded was counted
    worst = {key: max(works.items(), key=lambda kv: kv[1][key]) for key in
             ("trainings", "training_iterations", "reply_bytes_held")}
    print("worst:", {key: (sid, w[key]) for key, (sid, w) in worst.items()})
    assert worst["trainings"][1]["trainings"] <= min(normal_trainings, config.limits.trainings_per_submission)
    assert worst["training_iterations"][1]["training_iterations"] <= normal_iterations
    assert worst["reply_bytes_held"][1]["reply_bytes_held"] <= config.limits.replies_mb << 20


def test_no_sandbox_process_survives(batch):
    assert batch.leftovers == []


def test_no_sandbox_cgroup_is_left_behind(batch):
    assert batch.stale_cgroups == []


def test_nothing_outside_tmp_changed(batch):
    assert batch.changed == []
    assert sorted(set(batch.markers_after) - set(batch.markers_before)) == []


def test_no_ipc_object_survives(batch):
    """Each sandbox has its own IPC namespace (gone with it), and seccomp refuses the calls anyway."""
    assert batch.new_ipc == []
    for sid in ("ipc_shm_leave_behind_import", "ipc_message_queue_import", "ipc_semaphores_in_function"):
        assert "ipc refused" in batch.by_id[sid].output, sid  # the case ran its attempt


def test_grader_outputs_are_intact_and_not_forged(batch, config):
    book = read_gradebook(batch.out)
    assert set(book) == set(batch.by_id)
    for sid, row in book.items():
        r = batch.by_id[sid]
        data = json.loads((batch.out / sid / "results.json").read_text())
        assert data["score"] == r.score == float(row["total"]), sid
        assert abs(sum(t["score"] for t in data["tests"]) - data["score"]) < 1e-9, sid
        assert row["status"] == r.status == data["extra_data"]["status"], sid
        assert row["max_total"] == f"{config.max_points():g}"
    leftovers = [str(p) for p in batch.out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".")]
    assert leftovers == []
    forged = "FORGED-RESULT"
    for p in batch.out.rglob("*"):
        if p.name in ("results.json", "gradebook.csv") or p.suffix == ".csv":
            assert forged not in p.read_text(), p
    # What a submission printed stays inside its code block in feedback.md.
    fb = (batch.out / "forge_printed_scores" / "feedback.md").read_text()
    lines = fb.splitlines()
    score_lines = [line for line in lines if line.startswith("**Score:")]
    assert score_lines and score_lines[0] == f"**Score: {batch.by_id['forge_printed_scores'].score:g} / 40**"
    forged_at = next(i for i, line in enumerate(lines) if line.startswith("## Your submission could not be graded"))
    assert sum(line.startswith("```") for line in lines[:forged_at]) % 2 == 1, "printed text escaped its code block"
    assert "\x1b" not in all_output_text(batch.out / "forge_printed_scores")
    for line in (batch.out / "forge_output_folder" / "output.txt").read_text().splitlines():
        if line.startswith("FORGED "):
            assert line.split()[1].startswith("/tmp/"), line  # only the sandbox's own private /tmp


def test_canary_never_reaches_a_submission(batch):
    assert CANARY not in all_output_text(batch.out)
    for sid in ("secret_absolute_paths", "secret_walk_filesystem", "secret_proc_parent", "secret_gc_stack_import",
                "secret_environment"):
        assert "SEARCHED" in batch.by_id[sid].output, f"{sid} did not run its search"


# What students get (the release notebook and the initlab stubs define the graded functions too): the
# sandbox reads it by design, and finds it when the project lies in a folder a search walks (a CI clone
# under /tmp, which the jail binds back read-only).
PUBLIC_RELEASE = f"SECRET-LEAK another submission {PROJECT_ROOT.resolve() / 'assignment'}/"


def test_no_defence_was_breached(batch):
    for sid, r in batch.by_id.items():
        for line in r.output.splitlines():
            if line.startswith(PUBLIC_RELEASE):
                continue
            assert not line.startswith(BREACH_TAGS), f"{sid}: {line[:300]}"
            if line.startswith("WROTE "):
                assert line.split()[1].startswith("/tmp/"), f"{sid}: {line}"


def test_network_fails_fast(batch):
    for sid in ("net_localhost_in_function", "net_external_import", "net_dns_in_function"):
        times = [float(m) for m in re.findall(r"NET-ELAPSED ([0-9.]+)", batch.by_id[sid].output)]
        assert times and max(times) < 1.0, (sid, times)


# ---------------------------------------------------------------------------------------
# Reproducible, resumable


REGRADE = ["exit_sysexit_import.py", "res_busy_loop_in_function.py", "fake_nan_inf.py", "tamper_builtins_import.py",
           "secret_proc_parent.py", "forge_printed_scores.py", "broken_syntax_error_one_function.py",
           "broken_notebook_magics.ipynb", "broken_zip_traversal.zip"]


def test_grading_the_same_folder_twice_gives_identical_gradebooks(batch, tmp_path, config, training_cache):
    folder = _make_folder(tmp_path / "cases", REGRADE)
    books = []
    for run in (1, 2):
        out = tmp_path / f"out{run}"
        grade_batch([folder], out, config, jobs=2, cache_dir=training_cache, force=True)
        books.append((out / "gradebook.csv").read_bytes())
    assert books[0] == books[1]
    first = read_gradebook(batch.out)
    for sid, row in read_gradebook(tmp_path / "out1").items():
        assert row == first[sid], sid  # and the same as in the big batch


INTERRUPT = ["exit_sysexit_in_function.py", "fake_none.py", "res_sleep_in_function.py", "tamper_sys_modules_import.py",
             "res_busy_loop_in_function.py", "net_dns_in_function.py"]


def _cli(args: list[str], **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="400")
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", *args, "--no-progress"], cwd=PROJECT_ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def test_an_interrupted_batch_leaves_nothing_partial_and_resumes(batch, tmp_path, fast_config_path, training_cache):
    folder = _make_folder(tmp_path / "cases", INTERRUPT, with_correct=False)
    out = tmp_path / "out"
    args = [str(folder), "--out", str(out), "--config", str(fast_config_path), "--cache", str(training_cache),
            "-j", "1"]
    proc = _cli(args, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("*/results.json")):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "no result appeared"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT
    assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []
    done = sorted(p.parent.name for p in out.glob("*/results.json"))
    for sid in done:
        json.loads((out / sid / "results.json").read_text())
    assert 1 <= len(done) < len(INTERRUPT)
    book = read_gradebook(out)  # written for what finished; the rest marked as not graded
    assert {sid for sid, row in book.items() if row["status"] != "not graded"} == set(done), book
    assert wait_no_leftovers(set()) == []
    assert [c for c in stale_cgroups() if Path(c).name.startswith(f"{proc.pid}-")] == []

    again = _cli(args)
    text, _ = again.communicate(timeout=300)
    assert again.returncode == 0, text
    m = re.search(r"(\d+) submissions:\s+(\d+) graded now,\s+(\d+)\s+unchanged", text)
    assert m, text
    assert (int(m.group(1)), int(m.group(2)), int(m.group(3))) == (len(INTERRUPT), len(INTERRUPT) - len(done),
                                                                   len(done)), text
    assert set(read_gradebook(out)) == {Path(n).stem for n in INTERRUPT}
    assert [p for p in out.rglob("*") if p.name.endswith(".tmp")] == []


def _sandboxes_of(pid: int) -> list[int]:
    """Sandbox children below ``pid`` (through the wrappers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and "autograder.sandbox.jail" in _proc(int(entry.name), "cmdline"):
            p = int(entry.name)
            while p > 1 and p != pid:
                p = _ppid(p)
            if p == pid:
                found.append(int(entry.name))
    return found


def test_a_grader_killed_outright_takes_its_sandboxes_along(batch, tmp_path, fast_config_path, training_cache):
    """SIGKILL to the grader while a submission sleeps at load time: the sandbox ends too (the lifeline)."""
    args = [str(HOSTILE / "res_sleep_forever_import.py"), "--out", str(tmp_path / "out"), "--config",
            str(fast_config_path), "--cache", str(training_cache), "-j", "1"]
    proc = _cli(args, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (children := _sandboxes_of(proc.pid)):
        assert proc.poll() is None and time.monotonic() < deadline, "no sandbox started"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{c}").exists() and "sandbox.jail" in _proc(c, "cmdline") for c in children):
        assert time.monotonic() < deadline, f"sandbox {children} outlived its grader"
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------
# The fallback without namespaces


FALLBACK_CASES = sorted(n for n, e in EXPECT.items() if (e.family in FALLBACK_FAMILIES or n in FALLBACK_EXTRA)
                        and n != HUGE)


@pytest.fixture(scope="module")
def fallback_batch(tmp_path_factory, config, training_cache, batch):
    """The leaving-early, resource, IPC and network families again, with INITGRADE_NO_NAMESPACES=1.

    As root this is the uid fallback, what Docker-based platforms (Gradescope) give. The
    unprivileged uid needs a Python it can execute: the Makefile's ``.venv-sandbox``
    (Debian's python3) when the grader's own lives in a private home folder.
    """
    if os.geteuid() != 0:
        pytest.skip("the uid fallback needs a root grader; this test runs as root in `make test`")
    saved = {k: os.environ.get(k) for k in ("INITGRADE_NO_NAMESPACES", "INITGRADE_SANDBOX_PYTHON")}
    os.environ["INITGRADE_NO_NAMESPACES"] = "1"
    if not saved["INITGRADE_SANDBOX_PYTHON"] and SANDBOX_VENV_PYTHON.exists():
        os.environ["INITGRADE_SANDBOX_PYTHON"] = str(SANDBOX_VENV_PYTHON)
    detect_isolation.cache_clear()
    try:
        iso = detect_isolation()
        assert iso.level == "uid+rlimits", (
            f"the fallback here is {iso.level!r}: the sandbox uid cannot run a Python with numpy "
            "(make .venv-sandbox/.installed gives it one)")
        root = tmp_path_factory.mktemp("fallback")
        folder = _make_folder(root / "cases", FALLBACK_CASES, with_correct=True)
        os.chmod(root, 0o755)  # as a batch folder usually is: readable by other uids, unless Landlock says no
        with OwnProcesses() as own:  # this batch's workers and their sandbox uids, not another run's
            before, markers_before, cgroups_before = snapshot(), marker_files(own), set(stale_cgroups(own))
            ipc_before = ipc_objects(own)
            report = grade_batch([folder], root / "out", config, jobs=2, cache_dir=training_cache)
            leftovers = wait_no_leftovers(set(), own)
        assert own.pids > {os.getpid()}  # its workers were seen: their sandbox uids are the ones checked
        return Batch(report, root / "out", {r.id: r for r in report.results}, 0.0,
                     changed_files(before, snapshot()), markers_before, marker_files(own), leftovers,
                     sorted(set(stale_cgroups(own)) - cgroups_before), sorted(ipc_objects(own) - ipc_before),
                     [str(p) for p in Path("/tmp").glob("fill-*.bin") if not _others(p, own)])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        detect_isolation.cache_clear()


def test_fallback_still_stops_leaving_early_and_resources(fallback_batch, config):
    fb = fallback_batch
    assert {r.isolation for r in fb.report.results if r.isolation} == {"uid+rlimits"}
    for sid in (Path(n).stem for n in CORRECT):
        assert (fb.by_id[sid].status, fb.by_id[sid].score) == ("graded", config.max_points())
    wrong = []
    for name in FALLBACK_CASES:
        e = EXPECT[name]
        r = fb.by_id[e.sid]
        status, points = e.outcome(fallback=True)
        if r.status != status or (points is not None and r.score != points):
            wrong.append(f"{name}: {r.status} {r.score}, expected {status} {points}: {case_text(r)[:300]}")
    assert wrong == []
    breaches = [f"{sid}: {line[:200]}" for sid, r in fb.by_id.items() for line in r.output.splitlines()
                if line.startswith(BREACH_TAGS)]
    assert breaches == []
    assert "SEARCHED" in fb.by_id["secret_other_submissions_in_function"].output
    assert fb.leftovers == []
    assert fb.stale_cgroups == []
    assert fb.changed == []
    assert fb.new_ipc == []
    assert sorted(set(fb.markers_after) - set(fb.markers_before)) == []
    assert fb.fills == []  # the uid's files in the shared /tmp are swept


# ---------------------------------------------------------------------------------------
# Control groups


def test_fork_and_thread_bombs_hit_the_cgroup_cap(batch, config):
    if cgroups.detect() is None:
        pytest.skip("no writable cgroup hierarchy here: bombs are bounded by rlimits and timeouts only")
    out = batch.by_id["res_fork_bomb_import"].output
    assert "fork refused" in out and "Resource temporarily unavailable" in out, out[:500]
    assert f"the limit of {config.limits.processes} processes" in batch.by_id["res_thread_bomb_import"].error


def test_cgroup_v2_layout_on_a_fake_tree(tmp_path, monkeypatch):
    """The v2 code path, on a fake /sys/fs/cgroup (this machine may only have v1)."""
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    (tmp_path / cgroups.GROUP).mkdir()
    (tmp_path / cgroups.GROUP / "cgroup.controllers").write_text("memory pids\n")
    (tmp_path / cgroups.GROUP / "cgroup.subtree_control").write_text("")
    monkeypatch.delenv("INITGRADE_NO_CGROUPS", raising=False)
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", tmp_path)
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"": "/"})
    cgroups.detect.cache_clear()
    try:
        layout = cgroups.detect()
        assert layout is not None and layout.version == 2
        cg = cgroups.create(64, 1 << 30)
        assert cg is not None
        (leaf,) = [f for _, f in cg.folders]
        assert leaf.parent == tmp_path / cgroups.GROUP and leaf.name.startswith(f"{os.getpid()}-")
        assert (leaf / "pids.max").read_text() == "64" and (leaf / "memory.max").read_text() == str(1 << 30)
        cmd = cgroups.wrap_command(["python", "-c", "pass"], cg)
        assert cmd[:2] == ["/bin/sh", "-c"] and cmd[-3:] == ["python", "-c", "pass"]
        assert str(leaf / "cgroup.procs") in cmd
    finally:
        cgroups.detect.cache_clear()
