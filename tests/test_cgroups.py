"""Per-sandbox control groups (autograder.sandbox.host.cgroups) against a fake cgroup tree.

The tree lives in tmp_path and the kernel's part is played by the test: a folder's
interface files are created when the code writes them, ``rmdir`` of a group that still
lists processes fails with EBUSY as on cgroupfs, and a SIGKILL takes the process out of
``cgroup.procs``; time passes only when the code sleeps. So what is checked is what the
code writes, reads, signals and removes, for both layouts, on any machine.
"""

from __future__ import annotations

import errno
import itertools
import os
import signal
import subprocess
from pathlib import Path

import pytest

from autograder.sandbox.host import cgroups

MiB = 1 << 20


class FakeKernel:
    """The cgroupfs behaviour the module relies on, for folders under one fake root."""

    def __init__(self, root: Path, monkeypatch):
        self.root = root
        self.killed: list[tuple[int, int]] = []
        self.unkillable: set[int] = set()
        self.refused: set[str] = set()  # interface files whose writes fail, as EINVAL or EBUSY would
        real_rmdir = Path.rmdir
        real_write_text = Path.write_text

        def rmdir(path: Path):
            if self.root in path.parents:
                if self.procs(path):
                    raise OSError(errno.EBUSY, "Device or resource busy", str(path))
                for f in path.iterdir():  # interface files go with the group
                    if f.is_file():
                        f.unlink()
            real_rmdir(path)

        def kill(pid, sig):
            self.killed.append((pid, sig))
            if pid in self.unkillable:
                return
            for procs in self.root.rglob("cgroup.procs"):
                self.set_procs(procs.parent, [p for p in self.procs(procs.parent) if p != pid])

        def write_text(path: Path, data, *args, **kwargs):
            if self.root in path.parents and path.name in self.refused:
                raise OSError(errno.EINVAL, "Invalid argument", str(path))
            return real_write_text(path, data, *args, **kwargs)

        monkeypatch.setattr(Path, "rmdir", rmdir)
        monkeypatch.setattr(Path, "write_text", write_text)
        monkeypatch.setattr(cgroups.os, "kill", kill)
        monkeypatch.setattr(cgroups, "time", self)

    # The module's clock: waiting out a process that will not die costs the test no real time.
    now = 0.0
    slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds

    @staticmethod
    def procs(folder: Path) -> list[int]:
        f = folder / "cgroup.procs"
        return [int(p) for p in f.read_text().split()] if f.exists() else []

    @staticmethod
    def set_procs(folder: Path, pids) -> None:
        (folder / "cgroup.procs").write_text("".join(f"{p}\n" for p in pids))


@pytest.fixture
def fresh(monkeypatch):
    """No cached layout, sandbox numbering from 0, cgroups allowed."""
    monkeypatch.delenv("INITGRADE_NO_CGROUPS", raising=False)
    monkeypatch.setattr(cgroups, "sandbox_numbers", itertools.count())
    cgroups.detect.cache_clear()
    yield
    cgroups.detect.cache_clear()


def v2_tree(root: Path, controllers: str = "cpu io memory pids") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text("")
    group = root / cgroups.GROUP  # the kernel gives a new group its interface files
    group.mkdir()
    (group / "cgroup.controllers").write_text(controllers + "\n")
    (group / "cgroup.subtree_control").write_text("")
    return root


def use_v2(monkeypatch, root: Path, own: str = "/") -> None:
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", root)
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"": own})


def use_v1(monkeypatch, root: Path, controllers=("pids", "memory"), own=None) -> dict[str, Path]:
    mounts = {}
    for c in controllers:
        (root / c).mkdir(parents=True)
        mounts[c] = root / c
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", root)  # no cgroup.controllers: not v2
    monkeypatch.setattr(cgroups, "v1_mounts", lambda: dict(mounts))
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: dict(own or {c: "/" for c in controllers}))
    return mounts


# --- reading /proc -------------------------------------------------------------------------------

def test_own_cgroups_reads_v1_and_v2_lines(tmp_path):
    table = tmp_path / "cgroup"
    table.write_text("12:pids:/\n11:memory,hugetlb:/user.slice\n3:cpu,cpuacct:/x\n0::/init.scope\nbroken line\n")
    assert cgroups.own_cgroups(str(table)) == {
        "pids": "/", "memory": "/user.slice", "hugetlb": "/user.slice", "cpu": "/x", "cpuacct": "/x",
        "": "/init.scope"}
    assert cgroups.own_cgroups(str(tmp_path / "missing")) == {}


def test_v1_mounts_finds_the_pids_and_memory_hierarchies(tmp_path):
    info = tmp_path / "mountinfo"
    info.write_text(
        "25 1 0:22 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids\n"
        "26 1 0:23 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
        "27 1 0:24 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "28 1 0:25 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
        "29 1 0:26 / /mnt/with\\040space rw - cgroup cgroup rw,pids\n"
        "30 1 0:27 / /proc rw - proc proc rw\n")
    assert cgroups.v1_mounts(str(info)) == {"pids": Path("/sys/fs/cgroup/pids"),
                                             "memory": Path("/sys/fs/cgroup/memory")}
    info.write_text("29 1 0:26 / /mnt/with\\040space rw - cgroup cgroup rw,pids\n")
    assert cgroups.v1_mounts(str(info)) == {"pids": Path("/mnt/with space")}
    assert cgroups.v1_mounts(str(tmp_path / "missing")) == {}


# --- detection -----------------------------------------------------------------------------------

def test_v2_detection_enables_pids_and_memory_for_the_sandbox_groups(tmp_path, monkeypatch, fresh):
    root = v2_tree(tmp_path / "cg")
    use_v2(monkeypatch, root)
    layout = cgroups.detect()
    assert layout == cgroups.Layout(2, (("unified", root),))
    # The last controller written is what a fake file keeps; the kernel would list both.
    assert (root / "cgroup.subtree_control").read_text() == "+memory"
    assert (root / cgroups.GROUP / "cgroup.subtree_control").read_text() == "+memory"


def test_v2_detection_nests_under_this_process_own_cgroup(tmp_path, monkeypatch, fresh):
    root = tmp_path / "cg"
    v2_tree(root / "user.slice" / "grader")
    (root / "cgroup.controllers").write_text("pids memory\n")
    use_v2(monkeypatch, root, own="/user.slice/grader")
    assert cgroups.detect().bases == (("unified", root / "user.slice" / "grader"),)


@pytest.mark.parametrize("controllers", ["cpu memory io", ""])
def test_v2_without_the_pids_controller_is_not_used(tmp_path, monkeypatch, fresh, controllers):
    use_v2(monkeypatch, v2_tree(tmp_path / "cg", controllers))
    assert cgroups.detect() is None
    assert cgroups.create(10, None) is None


def test_v2_where_the_controller_cannot_be_enabled_is_not_used(tmp_path, monkeypatch, fresh):
    root = v2_tree(tmp_path / "cg")
    use_v2(monkeypatch, root)
    (root / "cgroup.subtree_control").unlink()
    (root / "cgroup.subtree_control").mkdir()  # writing fails, as EBUSY does in a busy cgroup
    assert cgroups.detect() is None


def test_the_environment_switch_turns_cgroups_off(tmp_path, monkeypatch, fresh):
    use_v2(monkeypatch, v2_tree(tmp_path / "cg"))
    monkeypatch.setenv("INITGRADE_NO_CGROUPS", "1")
    assert cgroups.detect() is None


def test_v1_detection_uses_the_hierarchies_this_process_is_root_of(tmp_path, monkeypatch, fresh):
    mounts = use_v1(monkeypatch, tmp_path)
    assert cgroups.detect() == cgroups.Layout(1, (("pids", mounts["pids"]), ("memory", mounts["memory"])))


def test_v1_leaves_a_supervisor_tree_alone(tmp_path, monkeypatch, fresh):
    use_v1(monkeypatch, tmp_path, own={"pids": "/docker/0123", "memory": "/"})
    assert cgroups.detect() is None  # memory alone is not enough: pids is the point


def test_v1_without_memory_still_caps_processes(tmp_path, monkeypatch, fresh):
    mounts = use_v1(monkeypatch, tmp_path, controllers=("pids",))
    assert cgroups.detect() == cgroups.Layout(1, (("pids", mounts["pids"]),))


# --- one sandbox's group -------------------------------------------------------------------------

def test_v2_create_writes_the_limits_into_a_fresh_group(tmp_path, monkeypatch, fresh):
    root = v2_tree(tmp_path / "cg")
    use_v2(monkeypatch, root)
    FakeKernel(tmp_path, monkeypatch)
    cg = cgroups.create(32, 256 * MiB)
    (controller, leaf), = cg.folders
    assert controller == "unified" and leaf.parent == root / cgroups.GROUP
    assert leaf.name.startswith(f"{os.getpid()}-0-")
    assert (leaf / "pids.max").read_text() == "32"
    assert (leaf / "memory.max").read_text() == str(256 * MiB)
    assert (leaf / "memory.swap.max").read_text() == "0"
    assert cg.procs_files == [str(leaf / "cgroup.procs")]
    assert cg.describe() == "cgroup v2 (pids)"
    other = cgroups.create(32, None)
    assert other.folders[0][1] != leaf and not (other.folders[0][1] / "memory.max").exists()


def test_v1_create_makes_one_group_per_hierarchy(tmp_path, monkeypatch, fresh):
    mounts = use_v1(monkeypatch, tmp_path)
    FakeKernel(tmp_path, monkeypatch)
    cg = cgroups.create(16, 64 * MiB)
    assert [c for c, _ in cg.folders] == ["pids", "memory"]
    pids_leaf, memory_leaf = (f for _, f in cg.folders)
    assert pids_leaf.parent == mounts["pids"] / cgroups.GROUP and memory_leaf.parent == mounts["memory"] / cgroups.GROUP
    assert (pids_leaf / "pids.max").read_text() == "16"
    assert not (pids_leaf / "memory.limit_in_bytes").exists()
    assert (memory_leaf / "memory.limit_in_bytes").read_text() == str(64 * MiB)
    assert (memory_leaf / "memory.memsw.limit_in_bytes").read_text() == str(64 * MiB)
    assert cg.describe() == "cgroup v1 (memory, pids)"


def test_a_group_whose_process_cap_cannot_be_written_is_undone(tmp_path, monkeypatch, fresh):
    root = v2_tree(tmp_path / "cg")
    use_v2(monkeypatch, root)
    kernel = FakeKernel(tmp_path, monkeypatch)
    kernel.refused.add("pids.max")
    assert cgroups.create(8, None) is None
    assert [p.name for p in (root / cgroups.GROUP).iterdir() if p.is_dir()] == []


def test_joining_kills_and_removal(tmp_path, monkeypatch, fresh):
    """The wrapper puts the command itself in the group; kill_all empties it; remove deletes it."""
    root = v2_tree(tmp_path / "cg")
    use_v2(monkeypatch, root)
    kernel = FakeKernel(tmp_path, monkeypatch)
    cg = cgroups.create(8, None)
    leaf = cg.folders[0][1]
    out = subprocess.run(cgroups.wrap_command(["/bin/sh", "-c", "echo $$"], cg), capture_output=True, text=True)
    assert out.returncode == 0
    pid = int(out.stdout)
    assert kernel.procs(leaf) == [pid]  # written by the wrapper, whose pid the command kept
    assert cg.pids() == {pid}
    kernel.set_procs(leaf, [pid, 424242])
    assert cg.kill_all(timeout=1) is True
    assert (leaf / "cgroup.kill").read_text() == "1"
    assert sorted(kernel.killed) == [(pid, signal.SIGKILL), (424242, signal.SIGKILL)]
    kernel.set_procs(leaf, [515151])  # a late arrival makes rmdir busy: killed, then removed
    assert cg.remove() is True
    assert not leaf.exists() and (515151, signal.SIGKILL) in kernel.killed


def test_a_process_that_will_not_die_is_reported(tmp_path, monkeypatch, fresh):
    mounts = use_v1(monkeypatch, tmp_path)
    kernel = FakeKernel(tmp_path, monkeypatch)
    cg = cgroups.create(8, None)
    leaf = cg.folders[0][1]
    kernel.set_procs(leaf, [777777])
    kernel.unkillable.add(777777)
    assert cg.kill_all(timeout=0.05) is False
    assert 0.05 <= kernel.slept < 0.1  # kept trying until the timeout, not beyond
    assert not (leaf / "cgroup.kill").exists()  # v1 has no cgroup.kill: signals only
    assert cg.remove() is False  # still busy after every retry
    assert leaf.exists() and leaf.parent == mounts["pids"] / cgroups.GROUP
    kernel.unkillable.clear()
    assert cg.remove() is True and not leaf.exists()


def test_the_wrapper_fails_loudly_when_it_cannot_join(tmp_path):
    cg = cgroups.SandboxCgroup(cgroups.Layout(2, ()), [("unified", tmp_path / "gone")])
    proc = subprocess.run(cgroups.wrap_command(["/bin/echo", "ran"], cg), capture_output=True, text=True)
    assert proc.returncode == cgroups.WRAPPER_FAILED and "ran" not in proc.stdout
    assert cgroups.wrap_command(["/bin/true"], None) == ["/bin/true"]


def test_stale_groups_of_dead_graders_are_swept(tmp_path, monkeypatch, fresh):
    root = v2_tree(tmp_path / "cg")
    use_v2(monkeypatch, root)
    kernel = FakeKernel(tmp_path, monkeypatch)
    dead = subprocess.Popen(["/bin/true"])
    dead.wait()
    group = root / cgroups.GROUP
    for name, procs in [(f"{dead.pid}-3-aaaaaa", []), (f"{dead.pid}-4-bbbbbb", [888888]),
                        (f"{os.getpid()}-9-cccccc", []), ("not-a-grader", [])]:
        (group / name).mkdir()
        kernel.set_procs(group / name, procs)
    cgroups.create(8, None)  # the first sandbox of a process sweeps
    left = sorted(p.name for p in group.iterdir() if p.is_dir())
    assert f"{dead.pid}-3-aaaaaa" not in left  # dead owner, empty: removed
    assert f"{dead.pid}-4-bbbbbb" in left  # still holds a process: left for its own cleanup
    assert f"{os.getpid()}-9-cccccc" in left and "not-a-grader" in left
