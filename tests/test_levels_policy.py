"""Fail closed on isolation (autograder.sandbox.isolation_policy), and secrets denied by construction
(autograder.sandbox.host.secrets, host.grants) on fake layouts and on this machine.

* Every level below grading.yaml's ``isolation.minimum`` is refused with the reasons and the fixes;
  the uid level without Landlock only once a process of a sandbox uid has tried and failed to read
  every secret.
* Landlock's read list never grants a folder that holds a secret, wherever the secret lies (a
  checkout under /usr, a kit inside a venv), and grants no link.
* Detection says the real reason a level was unavailable, and retries a probe that fails once.
* A batch keeps one level: results of an earlier run at another level are graded again.
* Without namespaces the seccomp filter refuses a new user namespace (clone, unshare, clone3).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.batch.grading import grade_batch
from autograder.config import PROJECT_ROOT, load_config
from autograder.limits import SECRET_PROOF_ENTRIES
from autograder.sandbox.host import isolation, secrets
from autograder.sandbox.host.grants import read_grants
from autograder.sandbox.host.isolation import Isolation
from autograder.sandbox.isolation_policy import RANKS, IsolationRefused, check_isolation, readable_by_sandbox_uid

ALL = {
    "namespaces": Isolation(True, False),
    "uid+landlock": Isolation(False, True, True),
    "uid": Isolation(False, True, False),
    "rlimits+landlock": Isolation(False, False, True),
    "rlimits": Isolation(False, False, False),
}


def _root_only():
    if os.geteuid() != 0:
        pytest.fail("the sandbox uid is only reachable from a root grader: `make test` runs as root")


@pytest.mark.parametrize("minimum", list(RANKS))
@pytest.mark.parametrize("level", list(ALL))
def test_a_level_below_the_minimum_is_refused_with_the_reason_and_the_fix(level, minimum):
    _root_only()
    iso = ALL[level]
    iso = Isolation(iso.namespaces, iso.drop_uid, iso.landlock, ("namespaces: unshare failed: EPERM",))
    if RANKS[level] < RANKS[minimum]:
        with pytest.raises(IsolationRefused) as refused:
            check_isolation(iso, minimum, [])
        said = str(refused.value)
        assert f"isolation.minimum: {minimum}" in said and "unshare failed: EPERM" in said
        assert "lower isolation.minimum in grading.yaml" in said and "No submission was run" in said
    else:
        warnings = check_isolation(iso, minimum, [])
        assert ("student code runs as ROOT" in " ".join(warnings)) == (not iso.namespaces and not iso.drop_uid)


def test_the_default_minimum_refuses_student_code_as_root():
    _root_only()
    minimum = load_config().isolation.minimum
    assert minimum == "uid"
    for level in ("rlimits+landlock", "rlimits"):
        with pytest.raises(IsolationRefused):
            check_isolation(ALL[level], minimum, [])


def test_without_landlock_a_secret_the_sandbox_uid_can_read_is_named_and_refused(tmp_path):
    _root_only()
    top = Path(tempfile.mkdtemp(prefix="initgrade-proof-"))
    try:
        top.chmod(0o755)
        open_folder, closed_folder = top / "solutions", top / "closed"
        open_folder.mkdir(mode=0o755)
        closed_folder.mkdir(mode=0o700)
        (open_folder / "init_functions.py").write_text("answers")
        (open_folder / "init_functions.py").chmod(0o644)
        (closed_folder / "grading.yaml").write_text("answers")
        (closed_folder / "grading.yaml").chmod(0o644)  # readable, but in a folder other users cannot enter
        secret_list = [str(open_folder), str(closed_folder)]
        assert readable_by_sandbox_uid(secret_list) == [str(open_folder)]
        with pytest.raises(IsolationRefused) as refused:
            check_isolation(ALL["uid"], "uid", secret_list)
        assert f"chmod -R o-rwx {open_folder}" in str(refused.value)
        assert str(closed_folder) not in str(refused.value)
        assert check_isolation(ALL["uid"], "rlimits", secret_list)  # accepted when allowed, never silently
        subprocess.run(["chmod", "-R", "o-rwx", str(open_folder)], check=True)
        assert readable_by_sandbox_uid(secret_list) == []
        assert check_isolation(ALL["uid"], "uid", secret_list) == []
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_a_secret_below_a_folder_others_cannot_enter_is_not_walked(tmp_path):
    """A checkout in a mode-700 home: its secrets (a venv of tens of thousands of files among them)
    are out of other users' reach whatever their own modes, so the proof lists them without walking
    them, rather than giving up past SECRET_PROOF_ENTRIES and refusing the batch."""
    _root_only()
    top = Path(tempfile.mkdtemp(prefix="initgrade-proof-"))
    try:
        top.chmod(0o700)
        big = top / "project" / ".venv"
        big.mkdir(parents=True, mode=0o755)
        (top / "project").chmod(0o755)
        for i in range(SECRET_PROOF_ENTRIES + 10):
            (big / f"f{i}").touch()
        assert readable_by_sandbox_uid([str(top / "project")]) == []
        top.chmod(0o755)  # the same tree, reachable: too large to walk, the secret itself still tried and named
        assert readable_by_sandbox_uid([str(top / "project")]) == [
            str(top / "project"), f"(more than {SECRET_PROOF_ENTRIES} entries under {top / 'project'}: not checked "
            "one by one)"]
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _tree(root: Path, folders: list[str], files: list[str]) -> None:
    for folder in folders:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for file in files:
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        (root / file).write_text("x")


def test_landlock_grants_split_a_system_folder_around_a_checkout_in_it(tmp_path):
    usr = tmp_path / "usr"
    _tree(usr, ["bin", "lib/python3", "src/other", "src/app/assignment/initlab", "src/app/.git"],
          ["src/app/solutions/init_functions.py", "src/app/grading.yaml", "bin/python3"])
    (usr / "src" / "app" / "answers-link").symlink_to("solutions")
    secret_list = [usr / "src/app/solutions", usr / "src/app/grading.yaml", usr / "src/app/.git"]
    grants = {os.path.relpath(g, tmp_path) for g in read_grants([usr, usr / "src/app/assignment"], secret_list)}
    assert {"usr/bin", "usr/lib", "usr/src/other", "usr/src/app/assignment"} <= grants
    for g in grants:  # no grant holds or is a secret; no link is granted
        assert not any(Path(s).is_relative_to(tmp_path / g) for s in secret_list), g
    assert "usr/src/app/answers-link" not in grants and "usr/src/app" not in grants and "usr" not in grants


def test_a_grant_split_compares_whole_path_parts_not_name_prefixes(tmp_path):
    """A secret at .../app-data/key sits beside .../app, not inside it: app is granted whole, and
    app-data is split around the key (the split compares path strings, so '/app' must not match
    '/app-data')."""
    root = tmp_path / "srv"
    _tree(root, ["app/lib", "app-data/public"], ["app/lib/code.py", "app-data/key", "app-data/public/x"])
    grants = {os.path.relpath(g, tmp_path) for g in read_grants([root], [root / "app-data/key"])
              if Path(g).is_relative_to(tmp_path)}  # the system's folders are granted too
    assert grants == {"srv/app", "srv/app-data/public"}, grants


def test_landlock_grants_split_a_venv_that_holds_the_kit(tmp_path):
    site = tmp_path / "venv/lib/python3.11/site-packages"
    _tree(site, ["numpy/core", "initlab", "autograder/sandbox/jail", "autograder/rubric",
                 "autograder/course/solutions", "autograder/course/assignment"], ["autograder/engine.py"])
    kit = site / "autograder"
    secret_list = [kit / "rubric", kit / "course/solutions", kit / "engine.py"]
    grants = {os.path.relpath(g, tmp_path) for g in read_grants([tmp_path / "venv", kit / "course/assignment"],
                                                                secret_list)}
    assert {"venv/lib/python3.11/site-packages/numpy", "venv/lib/python3.11/site-packages/initlab",
            "venv/lib/python3.11/site-packages/autograder/sandbox",
            "venv/lib/python3.11/site-packages/autograder/course/assignment"} <= grants
    for g in grants:
        assert not any(s.is_relative_to(tmp_path / g) for s in secret_list), g


def test_a_course_folder_is_secret_but_for_what_the_sandbox_needs(tmp_path):
    course = tmp_path / "course"
    _tree(course, ["assignment/initlab", "data", "solutions", ".git", ".venv/bin", "examples"],
          ["grading.yaml", "README.md"])
    found = {os.path.relpath(p, course) for p in secrets.secret_paths(
        [course / "assignment", course / "data", course / ".venv"], extra=[course]) if Path(p).is_relative_to(course)}
    assert found == {"solutions", ".git", "examples", "grading.yaml", "README.md"}


def test_the_jail_files_are_what_the_jail_imports_and_the_rest_of_the_kit_is_secret():
    code = ("import sys, autograder.sandbox.jail.main, autograder.sandbox.jail.zygote, "
            "autograder.sandbox.jail.__main__\n"
            "for name, module in sys.modules.items():\n"
            "    if name.startswith('autograder'):\n"
            "        print(module.__file__)\n")
    files = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True,
                           cwd=PROJECT_ROOT).stdout.split()
    kit = secrets.KIT_FOLDER
    for f in files:
        rel = Path(f).resolve().relative_to(kit)
        assert any(rel == Path(j) or Path(j) in rel.parents for j in secrets.JAIL_FILES), rel
    found = secrets.secret_paths([])
    for grader_only in ("rubric", "engine.py", "config.py", "sandbox/host"):
        assert str(kit / grader_only) in found or str(kit) in found, grader_only
    assert str(kit / "sandbox" / "jail") not in found


def test_a_python_other_users_cannot_reach_is_named_as_the_reason(monkeypatch):
    """A clone in a mode-700 folder as root without namespaces: the level is not silently "the grader's
    own user" (root), and the reason says which folder and how to open it, never "not root"."""
    _root_only()
    top = Path(tempfile.mkdtemp(prefix="initgrade-private-"))  # mode 700, as mktemp -d makes it
    try:
        venv = top / "venv"
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
        monkeypatch.setenv("INITGRADE_NO_NAMESPACES", "1")
        monkeypatch.setenv("INITGRADE_SANDBOX_PYTHON", str(venv / "bin" / "python"))
        isolation.detect_isolation.cache_clear()
        try:
            iso = isolation.detect_isolation()
        finally:
            isolation.detect_isolation.cache_clear()
        assert iso.level == "rlimits"
        said = "; ".join(iso.reasons)
        assert f"{top} is mode 700" in said and f"chmod o+x {top}" in said, said
        assert "not root" not in said
        with pytest.raises(IsolationRefused) as refused:
            check_isolation(iso, "uid", [])
        assert f"{top} is mode 700" in str(refused.value)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_a_probe_that_fails_once_is_tried_again(tmp_path):
    count = tmp_path / "count"
    script = tmp_path / "flaky.sh"
    script.write_text(f"#!/bin/sh\necho x >> {count}\n[ $(wc -l < {count}) -ge 2 ] || {{ echo busy >&2; exit 1; }}\n")
    script.chmod(0o755)
    ok, _ = isolation._attempt([str(script)])
    assert ok and len(count.read_text().split()) == 2
    count.unlink()
    always = tmp_path / "never.sh"
    always.write_text(f"#!/bin/sh\necho x >> {count}\necho 'unshare: Operation not permitted' >&2\nexit 1\n")
    always.chmod(0o755)
    ok, why = isolation._attempt([str(always)])
    assert not ok and why == "unshare: Operation not permitted"
    assert len(count.read_text().split()) == isolation.PROBE_ATTEMPTS


SECCOMP_PROBE = r'''
import ctypes, errno, json, os, subprocess, sys, threading
from autograder.sandbox.jail import seccomp
libc = ctypes.CDLL("libc.so.6", use_errno=True)
CLONE_NEWUSER = 0x10000000
def unshare_in_child():
    pid = os.fork()
    if pid == 0:
        os._exit(0 if libc.unshare(CLONE_NEWUSER) == 0 else ctypes.get_errno())
    return os.waitpid(pid, 0)[1] >> 8
out = {"before": unshare_in_child()}
assert seccomp.install(libc, own_network=sys.argv[1] == "ns") is None
out["unshare"] = errno.errorcode.get(unshare_in_child(), "ok")
ctypes.set_errno(0)
out["clone3"] = errno.errorcode.get(ctypes.get_errno(), "?") if libc.syscall(435, None, 0) < 0 else "ok"
t = threading.Thread(target=lambda: out.setdefault("thread", "ok")); t.start(); t.join()
out["fork"] = "ok" if unshare_in_child() in (0, errno.EPERM) else "broken"
out["tool"] = subprocess.run(["unshare", "--user", "--map-root-user", "true"], capture_output=True).returncode
print(json.dumps(out))
'''


def test_without_namespaces_no_sandbox_makes_a_user_namespace_of_its_own():
    done = subprocess.run([sys.executable, "-c", SECCOMP_PROBE, "fallback"], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["before"] == 0, "this machine allows user namespaces: the filter is what refuses them below"
    assert out["unshare"] == "EPERM" and out["clone3"] == "ENOSYS" and out["tool"] != 0
    assert out["thread"] == "ok" and out["fork"] == "ok"  # threads and processes still start


def test_results_of_an_earlier_run_at_another_level_are_graded_again(tmp_path):
    config = load_config()
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(PROJECT_ROOT / "examples" / "submissions" / "correct_module.py", subs / "a.py")
    shutil.copy(PROJECT_ROOT / "examples" / "submissions" / "he_xavier_scale.py", subs / "b.py")
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = grade_batch([subs], out, config, cache_dir=cache)
    assert first.graded == 2
    data = json.loads((out / "a" / "results.json").read_text())
    data["extra_data"].update(isolation="uid+rlimits", landlock=False)  # as a run without namespaces left it
    (out / "a" / "results.json").write_text(json.dumps(data))
    again = grade_batch([subs], out, config, cache_dir=cache)
    assert (again.graded, again.reused) == (1, 1)
    assert {r.isolation for r in again.results} == {first.isolation_level}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["isolation"] == first.isolation_level and "landlock" in summary


def test_a_private_checkout_is_graded_as_another_uid_from_a_staged_layout(tmp_path):
    """The sandbox's venv (with numpy) in a mode-700 folder: its packages, the jail's modules and the
    assignment's package are staged where the uid can read them, with no secret among them, and the
    batch is graded at the uid level, never as root; the staged folder goes when the grader ends."""
    _root_only()
    top = Path(tempfile.mkdtemp(prefix="initgrade-private-"))
    try:
        sandbox_venv = Path(os.environ.get("INITGRADE_SANDBOX_PYTHON", PROJECT_ROOT / ".venv-sandbox/bin/python"))
        shutil.copytree(sandbox_venv.parent.parent, top / "venv", symlinks=True)
        subs = tmp_path / "subs"
        subs.mkdir()
        shutil.copy(PROJECT_ROOT / "examples" / "submissions" / "correct_module.py", subs / "correct.py")
        solutions = PROJECT_ROOT / "solutions" / "init_functions.py"
        (subs / "steal.py").write_text(
            "def initialize_parameters_he(layers_dims):\n    found = {}\n"
            f"    exec(open({str(solutions)!r}).read(), found)\n"
            "    return found['initialize_parameters_he'](layers_dims)\n")
        env = dict(os.environ, INITGRADE_NO_NAMESPACES="1", INITGRADE_SANDBOX_PYTHON=str(top / "venv/bin/python"))
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(tmp_path / "out"),
                               "--cache", str(tmp_path / "cache"), "--no-progress"], capture_output=True, text=True,
                              env=env, timeout=900, cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "Sandbox isolation: uid+rlimits with Landlock" in done.stdout
        said = done.stderr.replace("\n", " ")
        assert f"{top} is mode 700" in said and "were staged in" in said, said
        stage = said.split("were staged in ")[1].split(",")[0]
        assert not os.path.exists(stage)  # removed with the grader
        rows = {r["extra_data"]["submission"]: r for r in (json.loads((tmp_path / "out" / s / "results.json")
                                                                      .read_text()) for s in ("correct", "steal"))}
        assert rows["correct"]["score"] == 40 and rows["steal"]["score"] == 0
        assert rows["correct"]["extra_data"]["isolation"] == "uid+rlimits"
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_a_staged_layout_holds_the_jail_and_packages_but_no_secret(tmp_path):
    from autograder.sandbox.host import staging

    _root_only()
    python = os.environ.get("INITGRADE_SANDBOX_PYTHON", str(PROJECT_ROOT / ".venv-sandbox/bin/python"))
    exe, site, _ = staging.stage(python)
    try:
        top = Path(site)
        names = {p.relative_to(top).as_posix() for p in top.rglob("*")}
        assert "numpy/__init__.py" in names and "initlab/model.py" in names
        assert "autograder/sandbox/jail/main.py" in names and "autograder/limits.py" in names
        kit = {n for n in names if n.startswith("autograder/")}
        assert not [n for n in kit if n.startswith(("autograder/rubric", "autograder/course",
                                                    "autograder/sandbox/host"))]
        assert "autograder/engine.py" not in kit and "autograder/config.py" not in kit
        assert not [n for n in names if n.endswith(".pth") or "solutions" in n or n.endswith("grading.yaml")]
        for path in [top, *top.rglob("*")]:
            if not path.is_symlink():
                mode = path.stat().st_mode
                assert mode & 0o004 and path.stat().st_uid == 0 and not mode & 0o022, path  # readable, root's only
        assert os.path.realpath(exe) == exe and Path(exe).is_file()
    finally:
        shutil.rmtree(Path(site).parent, ignore_errors=True)


def test_a_staged_layout_of_a_venv_inside_the_project_is_not_a_linked_secret():
    """A clone in a mode-700 folder stages the project's .venv-sandbox by hard links: the package folders
    read through the stage are needed, not secret, so the batch's hard-link refusal does not fire on
    them. Without saying where the stage came from, those same links are not searched either: the
    venv's files are installed copies of packages (hard_links.ENVIRONMENT_MARK)."""
    from dataclasses import replace

    from autograder.batch import grading
    from autograder.sandbox.host import staging

    _root_only()
    python = os.environ.get("INITGRADE_SANDBOX_PYTHON", str(PROJECT_ROOT / ".venv-sandbox/bin/python"))
    exe, site, sources = staging.stage(python)
    try:
        iso = Isolation(False, True, False, (), (site,), "", exe, site, sources)
        found = grading.batch_secrets(iso, [])
        assert sources and not [s for s in found for src in sources if Path(s).is_relative_to(Path(src).resolve())]
        grading._refuse_linked_secrets(iso, found)  # no refusal
        inside = [src for src in sources if Path(src).resolve().is_relative_to(PROJECT_ROOT.resolve())]
        linked = [src for src in inside if os.stat(src).st_dev == os.stat(site).st_dev]
        if linked:  # the Makefile's .venv-sandbox, on the temporary folder's file system: hard links
            bare = replace(iso, staged_from=())
            secrets = grading.batch_secrets(bare, [])
            assert [s for s in secrets for src in linked if Path(src).resolve().is_relative_to(Path(s))]
            grading._refuse_linked_secrets(bare, secrets)  # secret, linked, and not searched: no refusal
    finally:
        shutil.rmtree(Path(site).parent, ignore_errors=True)


def test_a_link_planted_for_jinjas_cache_changes_nothing(tmp_path, monkeypatch):
    """Without Landlock a sandbox uid can create entries in the shared temporary folder; Jinja's default
    cache folder there is a fixed name whose mode Jinja sets, through a link, as the grader."""
    import tempfile as tempfile_module

    from autograder.base import text_templates

    target = tmp_path / "victim"
    target.write_text("x")
    target.chmod(0o644)
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    (shared / f"_jinja2-cache-{os.getuid()}").symlink_to(target)
    monkeypatch.setattr(tempfile_module, "tempdir", str(shared))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    env = text_templates.jinja_environment("autograder.platforms", autoescape=False, finalize=lambda v: v,
                                           filters=text_templates.FILTERS)
    assert env.bytecode_cache is not None
    assert env.bytecode_cache.directory == str(tmp_path / "cache/initgrade/templates")
    assert target.stat().st_mode & 0o777 == 0o644
    # A cache folder reached through a link, or open to others, is not used at all.
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "initgrade").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "linked"))
    assert text_templates.private_cache_folder("templates") is None
    (tmp_path / "open" / "initgrade" / "templates").mkdir(parents=True)
    (tmp_path / "open" / "initgrade").chmod(0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "open"))
    assert text_templates.private_cache_folder("templates") is None


def test_a_staged_folder_left_by_a_killed_grader_is_swept_and_a_live_ones_kept():
    from autograder.sandbox.host import staging

    _root_only()
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    stale = Path(tempfile.mkdtemp(prefix=f"{staging.STAGE_PREFIX}{dead.pid}-"))
    live = Path(tempfile.mkdtemp(prefix=f"{staging.STAGE_PREFIX}{os.getppid()}-"))
    (stale / "site").mkdir()
    python = os.environ.get("INITGRADE_SANDBOX_PYTHON", str(PROJECT_ROOT / ".venv-sandbox/bin/python"))
    try:
        _, site, _ = staging.stage(python)
        shutil.rmtree(Path(site).parent, ignore_errors=True)
        assert not stale.exists() and live.exists()
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(live, ignore_errors=True)


def test_a_secret_hard_linked_into_a_folder_the_sandbox_reads_is_found(tmp_path):
    """Grants and mounts follow paths; a hard link is the same file under another path. Only the other
    names inside what the sandbox reads count (a second name inside the secrets is no leak)."""
    from autograder.sandbox.host.hard_links import linked_secrets

    secret, readable = tmp_path / "course", tmp_path / "venv"
    secret.mkdir()
    readable.mkdir()
    (secret / "solutions.py").write_text("ANSWER = 42\n")
    (secret / "alone.py").write_text("x = 1\n")
    assert linked_secrets([str(secret)], [str(readable)]) == []
    os.link(secret / "solutions.py", secret / "backup.py")
    assert linked_secrets([str(secret)], [str(readable)]) == []
    os.link(secret / "solutions.py", readable / "innocent.py")
    found = linked_secrets([str(secret)], [str(readable)])
    assert [other for _, other in found] == [str(readable / "innocent.py")]
    assert found[0][0] in (str(secret / "solutions.py"), str(secret / "backup.py"))
    # git's objects, hard-linked between clones by git itself (a second repository), are not searched
    (secret / ".git" / "objects").mkdir(parents=True)
    (secret / ".git" / "objects" / "ab12").write_bytes(b"x\x9c")
    (readable / "clone" / ".git" / "objects").mkdir(parents=True)
    os.link(secret / ".git" / "objects" / "ab12", readable / "clone" / ".git" / "objects" / "ab12")
    assert linked_secrets([str(secret)], [str(readable)]) == found
    assert linked_secrets([str(secret / ".git")], [str(readable)]) == []


def test_a_python_environment_among_the_secrets_is_not_searched_but_the_course_around_it_is(tmp_path, monkeypatch):
    """A venv's files are installed copies (uv links them from its cache): a checkout's test venvs were
    60,000 files listed at every batch's start. Neither a venv below a secret nor a secret that is one
    is entered; the course's own files beside them still are, at any depth."""
    from autograder.sandbox.host import hard_links

    secret, readable = tmp_path / "course", tmp_path / "readable"
    venv = secret / ".venv-py3.12"
    (venv / "lib" / "site-packages").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (secret / "deep" / "er").mkdir(parents=True)
    readable.mkdir()
    (venv / "lib" / "site-packages" / "six.py").write_text("# a package\n")
    os.link(venv / "lib" / "site-packages" / "six.py", readable / "six.py")
    (secret / "deep" / "er" / "solutions.py").write_text("ANSWER = 42\n")
    os.link(secret / "deep" / "er" / "solutions.py", readable / "innocent.py")
    entered: list[str] = []
    walk = hard_links.walk

    def spy(top):
        for folder, dirs, files in walk(top):
            entered.append(folder)
            yield folder, dirs, files

    monkeypatch.setattr(hard_links, "walk", spy)
    found = hard_links.linked_secrets([str(secret), str(venv)], [str(readable)])
    assert found == [(str(secret / "deep" / "er" / "solutions.py"), str(readable / "innocent.py"))]
    listed = [f for f in entered if Path(f).is_relative_to(secret)]
    assert str(venv) in listed and str(secret / "deep" / "er") in listed  # the venv is seen, and left there
    assert not [f for f in listed if Path(f).is_relative_to(venv) and f != str(venv)]
    (venv / "pyvenv.cfg").unlink()  # no longer a Python environment: searched like the rest
    assert (str(venv / "lib" / "site-packages" / "six.py"), str(readable / "six.py")) in \
        hard_links.linked_secrets([str(secret)], [str(readable)])


def test_a_batch_with_a_secret_hard_linked_into_the_sandbox_s_python_is_refused(tmp_path):
    """End to end: another student's submission (a secret of the batch) hard-linked into the venv the
    sandbox reads: the batch refuses before running anything, naming both paths and the fix."""
    config = load_config()
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text((PROJECT_ROOT / "examples" / "submissions" / "correct_module.py").read_text())
    site = Path(sys.prefix)  # the project's venv (make test), which the sandbox's Python reads
    assert str(site) in isolation.detect_isolation().python_dirs
    planted = Path(tempfile.mkdtemp(prefix="initgrade-link-test-", dir=site)) / "alice_copy.py"
    try:
        os.link(subs / "alice.py", planted)
        out = tmp_path / "out"
        with pytest.raises(IsolationRefused, match="a hard link or a bind mount") as info:
            grade_batch([subs], out, config, cache_dir=tmp_path / "cache")
        assert str(planted) in str(info.value) and "samefile" in str(info.value)
        assert not (out / "gradebook.csv").exists()
    finally:
        shutil.rmtree(planted.parent, ignore_errors=True)


def test_a_batch_with_the_submissions_bind_mounted_into_the_sandbox_s_python_is_refused(tmp_path):
    """A bind mount shows a secret folder under a second path (a container volume, ``mount --bind``),
    which grants and hiding by path do not see: the batch refuses before running anything. (In a
    mount namespace of the test's own, so the mount never reaches the machine.)"""
    _root_only()
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text((PROJECT_ROOT / "examples" / "submissions" / "correct_module.py").read_text())
    shown = Path(tempfile.mkdtemp(prefix="initgrade-mount-test-", dir=sys.prefix))
    code = ("import sys\nfrom pathlib import Path\nfrom autograder.batch.grading import grade_batch\n"
            "from autograder.config import load_config\n"
            "from autograder.sandbox.isolation_policy import IsolationRefused\n"
            "try:\n    grade_batch([Path(sys.argv[1])], Path(sys.argv[2]), load_config(),\n"
            "                cache_dir=Path(sys.argv[3]))\n"
            "except IsolationRefused as exc:\n    print('REFUSED', exc)\n")
    try:
        done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                               'mount --bind "$1" "$2" && exec "$3" -c "$4" "$1" "$5" "$6"', "sh", str(subs),
                               str(shown), sys.executable, code, str(tmp_path / "out"), str(tmp_path / "cache")],
                              capture_output=True, text=True, timeout=300)
        assert "REFUSED" in done.stdout, done.stdout + done.stderr
        assert "bind mount" in done.stdout and f"{subs} is also {shown}" in done.stdout
        assert not (tmp_path / "out" / "gradebook.csv").exists()
    finally:
        shutil.rmtree(shown, ignore_errors=True)


def test_a_bind_mount_of_a_folder_holding_a_secret_is_found_under_its_new_path(tmp_path):
    from autograder.sandbox.host.hard_links import bind_mounted_secrets

    _root_only()
    course, shown = tmp_path / "course", tmp_path / "shown"
    (course / "solutions").mkdir(parents=True)
    shown.mkdir()
    code = ("import sys\nfrom autograder.sandbox.host.hard_links import bind_mounted_secrets as b\n"
            "print(b([sys.argv[1] + '/solutions'], [sys.argv[2]]), b([sys.argv[1] + '/solutions'], ['/usr']))\n")
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           'mount --bind "$1" "$2" && exec "$3" -c "$4" "$1" "$2"', "sh", str(course), str(shown),
                           sys.executable, code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == f"{[(f'{course}/solutions', f'{shown}/solutions')]} []", done.stderr
    assert bind_mounted_secrets([str(course)], [str(shown)]) == []  # outside that namespace: no such mount
