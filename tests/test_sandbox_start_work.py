"""The work a sandbox's start does (issue 23, branch ``pid1``), counted, and the isolation it must
still give: every mount read-only but ``/proc`` and the private scratch folders, hidden folders and
files empty and unwritable, whichever way the file system was made read-only.

- One ``mount_setattr(AT_RECURSIVE)`` makes the tree read-only where the kernel has it; the
  remounts, one per mount point, where the call fails (the fallback is forced here by failing the
  system call, as an older kernel or a container's seccomp profile would).
- A hidden folder is the private /dev's one empty folder bound over it (a mount, no tmpfs).
- pid 1 of a zygote's sandbox runs no lifeline thread: its keeper watches the lifeline.

The jail's real start-up runs in ``unshare`` (new user, mount, pid, network namespaces), its C
library wrapped so that each ``mount`` and ``mount_setattr`` is counted; the submission reports
what it sees from inside. No test here times anything.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT, load_config
from autograder.sandbox import Sandbox, detect_isolation, hide_paths, new_zygote
from autograder.sandbox.jail import filesystem, zygote
from autograder.sandbox.jail.libc import SYS_MOUNT_SETATTR

CONFIG = load_config()

# What the submission reports at its top level, from inside the sandbox (printed, one JSON line).
VIEW = r'''
import json, os

def _view(hidden_dirs, hidden_files):
    rw, lines = [], 0
    with open("/proc/self/mountinfo") as f:
        for line in f:
            lines += 1
            fields = line.split()
            if fields[5].split(",")[0] != "ro":
                rw.append(fields[4])
    dirs = {}
    for d in hidden_dirs:
        st = os.stat(d)
        try:
            listed = os.listdir(d)
        except OSError as exc:
            listed = type(exc).__name__
        try:
            open(os.path.join(d, "planted"), "w").close()
            planted = "written"
        except OSError as exc:
            planted = type(exc).__name__
        try:
            os.chmod(d, 0o755)
            chmod = "changed"
        except OSError as exc:
            chmod = type(exc).__name__
        dirs[d] = {"mode": st.st_mode & 0o7777, "listed": listed, "planted": planted, "chmod": chmod}
    files = {}
    for p in hidden_files:
        with open(p, "rb") as f:
            files[p] = len(f.read())
    return {"rw": sorted(set(rw)), "mounts": lines, "threads": len(os.listdir("/proc/self/task")),
            "pid": os.getpid(), "dirs": dirs, "files": files}

print("VIEW " + json.dumps(_view(HIDDEN_DIRS, HIDDEN_FILES)), flush=True)
'''

HARNESS = r'''
import ctypes, errno, json, os, sys
from autograder.sandbox import wire
from autograder.sandbox.jail import libc

fail, limits, hide, code = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
real = libc.LIBC
COUNTS = {"mount": 0, "mount_setattr": 0}


class Counted:
    """The C library, counting mount(2) and mount_setattr(2); with ``fail == "mount_setattr"`` the
    latter fails with ENOSYS, as on a kernel before 5.12."""

    def __getattr__(self, name):
        fn = getattr(real, name)
        if name == "mount":
            def mount(*args):
                COUNTS["mount"] += 1
                return fn(*args)
            return mount
        if name == "syscall":
            def syscall(number, *args):
                if number == libc.SYS_MOUNT_SETATTR:
                    COUNTS["mount_setattr"] += 1
                    if fail == "mount_setattr":
                        ctypes.set_errno(errno.ENOSYS)
                        return -1
                    if fail == "mount_setattr_lies":  # says it worked, changed nothing
                        return 0
                return fn(number, *args)
            return syscall
        return fn


libc.LIBC = Counted()
from autograder.sandbox.jail import main  # noqa: E402

request = {"chunks": [{"origin": "cell 1", "code": code}], "functions": [], "limits": limits, "hide": hide,
           "namespaces": True, "workdir": None, "sweep": True, "nonce": "n1", "scratch": None,
           "landlock": False, "stub_modules": []}
req_r, req_w = os.pipe()
rep_r, rep_w = os.pipe()
cnt_r, cnt_w = os.pipe()
wire.write_frame(req_w, request)
pid = os.fork()
if pid == 0:
    os.close(req_w)
    os.close(rep_r)
    os.close(cnt_r)
    import autograder.sandbox.jail.filesystem as fs
    isolate = fs.isolate_filesystem

    def counted_isolate(*args):  # the counts once the file system is done, before any student code
        try:
            return isolate(*args)
        finally:
            os.write(cnt_w, json.dumps(COUNTS).encode())
            os.close(cnt_w)
    main.isolate_filesystem = counted_isolate
    try:
        main.main(["jail", str(req_r), str(rep_w)])
    finally:
        os._exit(0)
os.close(req_w)
os.close(rep_w)
os.close(cnt_w)
header, _ = wire.read_frame(rep_r)
counts = os.read(cnt_r, 4096).decode()
os.waitpid(pid, 0)
print("REPLY " + json.dumps({"status": header.get("status"), "notes": header.get("notes"),
                             "counts": json.loads(counts or "{}")}), flush=True)
'''

NAMESPACES = ["unshare", "--user", "--map-root-user", "--mount", "--net", "--ipc", "--pid", "--fork",
              "--kill-child", "--mount-proc"]


def _outside_scratch(path: Path) -> bool:
    real = os.path.realpath(path)
    return not any(real == s or real.startswith(s + "/") for s in filesystem.SCRATCH)


@pytest.fixture(scope="module")
def hidden():
    """Three folders (each holding files) and a file, outside the scratch folders (which the sandbox
    replaces whole, so a path under them is not there at all, hidden or not), hidden only in the
    sandbox's own mount namespace: the checkout's own, or, where the checkout lies under /tmp (a CI
    clone), made for the module in the home folder and removed after it."""
    if _outside_scratch(PROJECT_ROOT):
        yield ([str(PROJECT_ROOT / "docs"), str(PROJECT_ROOT / "bench"), str(PROJECT_ROOT / "examples")],
               [str(PROJECT_ROOT / "README.md")])
        return
    home = Path.home()
    if not (_outside_scratch(home) and os.access(home, os.W_OK)):
        pytest.fail(f"the checkout lies under {filesystem.SCRATCH} and the home folder {home} is not a "
                    "writable folder outside them: no folder to hide here")
    root = Path(tempfile.mkdtemp(prefix=".initgrade-test-hidden-", dir=home))
    try:
        dirs = []
        for name in ("docs", "bench", "examples"):
            (root / name).mkdir()
            (root / name / "inside.txt").write_text("not for the sandbox\n")
            dirs.append(str(root / name))
        (root / "README.md").write_text("a file the sandbox sees empty\n")
        yield dirs, [str(root / "README.md")]
    finally:
        shutil.rmtree(root, ignore_errors=True)

# Writable in a sandbox by design: /proc's own mount (its knobs are covered read-only) and the
# private scratch tmpfs (jail.filesystem.SCRATCH) that exist on this machine.
WRITABLE = {"/proc", *(p for p in filesystem.SCRATCH if os.path.isdir(p))}


def _code(dirs: list[str], files: list[str]) -> str:
    return f"HIDDEN_DIRS = {dirs!r}\nHIDDEN_FILES = {files!r}\n" + VIEW


def _start(fail: str, dirs: list[str], files: list[str], tmp_path, loads: bool = True) -> tuple[dict, dict]:
    """(the load reply with the counts, the submission's view) of one start in fresh namespaces."""
    cmd = [sys.executable, "-I", "-u", "-c", HARNESS, fail, json.dumps(CONFIG.limits.model_dump()),
           json.dumps(dirs + files), _code(dirs, files)]
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run([*NAMESPACES, *cmd], capture_output=True, text=True, timeout=300, env=env,
                         cwd=str(tmp_path))
    replies = [ln for ln in out.stdout.splitlines() if ln.startswith("REPLY ")]
    views = [ln for ln in out.stdout.splitlines() if ln.startswith("VIEW ")]
    assert replies and (views or not loads), out.stdout[-2000:] + out.stderr[-2000:]
    return json.loads(replies[-1][len("REPLY "):]), json.loads(views[-1][len("VIEW "):]) if views else {}


@pytest.fixture(scope="module")
def starts(tmp_path_factory, hidden):
    """Four starts: with and without mount_setattr, with three hidden folders or none."""
    hidden_dirs, hidden_files = hidden
    if not detect_isolation().namespaces:
        pytest.fail("this machine has no unprivileged user namespaces")
    tmp = tmp_path_factory.mktemp("starts")
    return {(fail, n): _start(fail, hidden_dirs[:n], hidden_files, tmp)
            for fail in ("none", "mount_setattr") for n in (0, 3)}


def test_the_tree_is_made_read_only_in_one_call_not_one_remount_per_mount(starts):
    assert SYS_MOUNT_SETATTR is not None  # x86_64 and aarch64: the machines the suite runs on
    (fast0, _), (fast3, _) = starts["none", 0], starts["none", 3]
    (slow0, view0), (slow3, _) = starts["mount_setattr", 0], starts["mount_setattr", 3]
    for reply in (fast0, fast3, slow0, slow3):
        assert reply["status"] == "loaded", reply
    # The tree, then /proc's own mount back to writable: two calls, whatever the mounts.
    assert fast0["counts"]["mount_setattr"] == fast3["counts"]["mount_setattr"] == 2
    # Tried once, refused, then the remounts (none of them a mount_setattr).
    assert slow0["counts"]["mount_setattr"] == slow3["counts"]["mount_setattr"] == 1
    # A hidden folder costs one mount (its bind), not a remount besides; the remounts cost one per
    # mount point outside /proc and /dev, at least the root's and the three hidden folders'.
    assert fast3["counts"]["mount"] - fast0["counts"]["mount"] == 3
    assert slow3["counts"]["mount"] - slow0["counts"]["mount"] == 6
    assert slow0["counts"]["mount"] - fast0["counts"]["mount"] >= 1
    remounted = slow3["counts"]["mount"] - fast3["counts"]["mount"]
    assert remounted >= 4 and remounted < view0["mounts"]


@pytest.mark.parametrize("fail", ["none", "mount_setattr"], ids=["mount_setattr", "remounts"])
def test_every_mount_is_read_only_but_proc_and_the_scratch_folders(starts, fail):
    _, view = starts[fail, 3]
    rw = set(view["rw"])
    if fail == "mount_setattr":
        # The remounts leave /dev's mounts as they are, as they always did: the private /dev is a
        # tmpfs read-only as a file system, its device binds ignore the flag, the host's /dev and
        # /dev/pts lie under it out of reach.
        rw = {p for p in rw if p != "/dev" and not p.startswith("/dev/")} | (rw & {"/dev/shm"})
    assert rw <= WRITABLE, view["rw"]
    assert "/" not in rw and "/proc" in rw


@pytest.mark.parametrize("fail", ["none", "mount_setattr"], ids=["mount_setattr", "remounts"])
def test_hidden_folders_and_files_stay_empty_and_unwritable(starts, fail, hidden):
    hidden_dirs, hidden_files = hidden
    _, view = starts[fail, 3]
    assert set(view["dirs"]) == set(hidden_dirs)
    for d, seen in view["dirs"].items():
        assert seen["mode"] == 0, (d, seen)  # mode 000, as the tmpfs each had before
        assert seen["listed"] in ([], "PermissionError"), (d, seen)
        assert seen["planted"] in ("PermissionError", "OSError"), (d, seen)
        assert seen["chmod"] == "OSError", (d, seen)  # EROFS: the folder is on a read-only file system
    assert view["files"] == {hidden_files[0]: 0}
    assert os.listdir(hidden_dirs[0]) and os.path.getsize(hidden_files[0]) > 0  # untouched outside


def test_a_mount_left_writable_after_mount_setattr_refuses_the_sandbox(tmp_path, hidden):
    """The check after the one call is what decides: a call that reports success but leaves the
    tree writable (as a broken kernel or a stand-in could) refuses the sandbox before any student
    code runs."""
    if not detect_isolation().namespaces:
        pytest.fail("this machine has no unprivileged user namespaces")
    reply, view = _start("mount_setattr_lies", hidden[0][:1], [], tmp_path, loads=False)
    assert reply["status"] == "cannot-isolate", reply
    assert any("read-only left" in n and n.startswith("UNSAFE: ") for n in reply["notes"]), reply
    assert view == {}  # the submission never ran


def test_a_writable_mount_left_is_found_in_mountinfo(tmp_path, monkeypatch):
    """The check after mount_setattr reads each mount's own flag; a line it cannot read counts as
    writable (the sandbox is refused)."""
    info = tmp_path / "mountinfo"
    info.write_text(
        "22 1 8:1 / / ro,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "23 22 0:5 / /proc rw,nosuid - proc proc rw\n"
        "24 22 0:6 / /home/a\\040b rw - tmpfs none rw\n"
        "25 22 0:7 / /srv ro - tmpfs none rw\n")
    real_open = os.open
    monkeypatch.setattr(filesystem.os, "open", lambda path, *a: real_open(str(info), *a))
    assert filesystem.writable_mounts() == ["/home/a b"]
    info.write_text(info.read_text() + "garbled\n")
    assert filesystem.writable_mounts() == ["/home/a b", "(a line of /proc/self/mountinfo not understood)"]


def test_pid_1_of_a_zygote_sandbox_runs_no_lifeline_thread(tmp_path):
    """Seen from the grader's side, once loaded: the keeper, pid 1 and the call worker, one thread
    each (pid 1's lifeline reader is gone: the keeper watches the lifeline); pid 1's mounts all
    read-only but /proc and the scratch folders."""
    assert detect_isolation().namespaces
    from autograder.intake import load_submission

    sub = load_submission(PROJECT_ROOT / "examples" / "submissions" / "correct_module.py", 1 << 20)
    z = new_zygote(detect_isolation())
    try:
        sb = Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide_paths([str(tmp_path)]),
                     CONFIG.sandbox.stub_modules, zygote=z)
        try:
            load = sb.start()
            assert load.call_reuse == "on"  # so the worker is forked at the load (the fork check)
            keeper = sb.proc.pid
            pid1 = _children(keeper)
            assert len(pid1) == 1, pid1
            worker = _children(pid1[0])
            assert len(worker) == 1, worker
            threads = [len(os.listdir(f"/proc/{p}/task")) for p in (keeper, pid1[0], worker[0])]
            with open(f"/proc/{pid1[0]}/mountinfo") as f:
                rw = {ln.split()[4] for ln in f if ln.split()[5].split(",")[0] != "ro"}
        finally:
            sb.close()
        assert threads == [1, 1, 1]
        assert rw <= WRITABLE, rw
    finally:
        z.close()


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _child(pipe_w: int) -> int:
    pid = os.fork()
    if pid == 0:
        os.close(pipe_w)
        try:
            select.select([], [], [], 600)
        finally:
            os._exit(7)
    return pid


def test_the_keeper_kills_the_sandbox_when_the_lifeline_ends():
    """End of file on the lifeline (the grader gone): the keeper kills pid 1 and reports its end."""
    life_r, life_w = os.pipe()
    pid = _child(life_w)
    os.close(life_w)  # the grader's end, closed: as its death closes it
    status = zygote._wait_for_sandbox(pid, life_r)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    with pytest.raises(OSError):
        os.fstat(life_r)  # closed by the wait


def test_the_keeper_reports_an_exit_while_the_grader_lives():
    """pid 1 ending on its own (an exit request) is waited for; the lifeline kills nothing."""
    life_r, life_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os._exit(3)
    try:
        status = zygote._wait_for_sandbox(pid, life_r)
        assert os.waitstatus_to_exitcode(status) == 3
    finally:
        os.close(life_w)
