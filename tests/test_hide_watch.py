"""The hide list kept between submissions (autograder.sandbox.host.hide_watch), on a fake root folder.

The promise kept from computing it for every submission: an entry made while a batch runs is
hidden from the next submission on. The tests count computations (``walks``) and uses of a kept
list (``reused``), and check every list against ``hide_paths`` computed afresh.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.config import PROJECT_ROOT
from autograder.sandbox.host import hiding
from autograder.sandbox.host.hide_watch import WatchedHideList

FOLDERS = ["usr/lib/python3", "lib", "bin", "etc/ssh", "proc", "dev", "sys", "run", "home/alice/.ssh",
           "srv/backup", "opt/tool", "root/.ssh", "root/.pyenv/versions/3.11/lib", "root/.pyenv/versions/3.12",
           "work/proj/assignment/initlab", "work/proj/data", "work/proj/solutions", "work/other-checkout"]


def _make_root(base: Path) -> Path:
    root = base / "root"
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True)
    for file in ["etc/shadow", "etc/passwd", "root/.bash_history", "work/proj/README.md",
                 "work/proj/assignment/initlab/model.py"]:
        (root / file).write_text("x")
    return root


def _needs(root: Path) -> list[Path]:
    return [(root / p).resolve() for p in ["root/.pyenv/versions/3.11", "work/proj/assignment", "work/proj/data"]]


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    """A small machine with no links on the ways (a link is watched by nothing: see the last tests)."""
    root = _make_root(tmp_path)
    monkeypatch.setattr(hiding, "ROOT", root)
    monkeypatch.setattr(hiding, "needed_paths", lambda: _needs(root))
    hiding.ancestors_of_needed.cache_clear()
    yield root
    hiding.ancestors_of_needed.cache_clear()


@pytest.fixture
def watched():
    w = WatchedHideList()
    yield w
    w.close()


def _same(w: WatchedHideList, extra=()) -> list[str]:
    got = w.get(list(extra))
    assert got == hiding.hide_paths(list(extra))  # whether kept or computed: the list of this moment
    return got


def test_a_list_is_kept_while_nothing_changes(fake_root, watched):
    for _ in range(4):
        _same(watched)
    assert (watched.walks, watched.reused) == (1, 3)


@pytest.mark.parametrize("where, listed", [("new-backup", True), ("work/proj/copy-of-solutions", True),
                                           ("root/.pyenv/stray", True),
                                           ("root/.pyenv/versions/3.12/deep", False)])  # inside a hidden folder
def test_an_entry_made_in_a_listed_folder_is_hidden_from_the_next_use(fake_root, watched, where, listed):
    _same(watched)
    made = fake_root / where
    made.mkdir()
    got = _same(watched)
    assert watched.walks == (2 if listed else 1)  # a hidden folder's insides need no new list
    # hidden itself, or inside a folder already hidden whole (one mount fewer)
    assert any(str(made) == p or str(made).startswith(p + os.sep) for p in got)
    _same(watched)
    assert watched.walks == (2 if listed else 1)  # and kept again afterwards


def test_a_removed_or_renamed_entry_is_seen(fake_root, watched):
    _same(watched)
    (fake_root / "opt").rename(fake_root / "opt-renamed")
    assert str(fake_root / "opt-renamed") in _same(watched)
    (fake_root / "work" / "other-checkout").rmdir()  # in /work, listed on the way to the project
    assert str(fake_root / "work" / "other-checkout") not in _same(watched)
    assert watched.walks == 3


def test_a_named_folder_made_later_is_hidden_from_the_next_use(fake_root, watched, tmp_path):
    outputs = tmp_path / "outputs-made-later"
    assert str(outputs) not in _same(watched, [str(outputs)])  # does not exist yet
    outputs.mkdir()
    assert str(outputs) in _same(watched, [str(outputs)])
    assert watched.walks == 2


def test_other_folders_of_the_batch_are_another_list(fake_root, watched, tmp_path):
    _same(watched, [str(tmp_path / "a")])
    _same(watched, [str(tmp_path / "b")])
    assert watched.walks == 2


def test_a_link_on_the_ways_is_never_kept(fake_root, watched):
    (fake_root / "work" / "proj" / "solutions-link").symlink_to("solutions")
    for _ in range(3):
        assert str(fake_root / "work" / "proj" / "solutions-link") in _same(watched)
    assert (watched.walks, watched.reused) == (3, 0)


def test_a_fork_computes_its_own_and_leaves_the_parents_queue_alone(fake_root, watched):
    _same(watched)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            watched.get([])
            os.write(w, bytes([watched.walks]))
        finally:
            os._exit(0)
    os.close(w)
    child_walks = os.read(r, 1)
    os.close(r)
    os.waitpid(pid, 0)
    assert child_walks == b"\x02"  # the parent's watch is not the child's to read
    _same(watched)
    assert (watched.walks, watched.reused) == (1, 1)
    (fake_root / "made-after-the-fork").mkdir()
    assert str(fake_root / "made-after-the-fork") in _same(watched)  # its events were left for it


MOUNT_SCRIPT = textwrap.dedent('''
    import ctypes, json, os, sys
    from pathlib import Path
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    # A mount namespace of its own (and a user namespace where not root): the host's table is untouched.
    flags = 0x20000 | (0 if os.geteuid() == 0 else 0x10000000)
    uid, gid = os.geteuid(), os.getegid()
    assert libc.unshare(flags) == 0, ctypes.get_errno()
    if os.geteuid() != 0 and uid != 0:
        open("/proc/self/setgroups", "w").write("deny")
        open("/proc/self/uid_map", "w").write(f"0 {uid} 1")
        open("/proc/self/gid_map", "w").write(f"0 {gid} 1")
    assert libc.mount(None, b"/", None, ctypes.c_ulong(16384 | (1 << 18)), None) == 0
    from autograder.sandbox.host import hiding
    from autograder.sandbox.host.hide_watch import WatchedHideList
    root = Path(sys.argv[1])
    hiding.ROOT = root
    hiding.needed_paths = lambda: [root / "root/.pyenv/versions/3.11", root / "work/proj/assignment",
                                   root / "work/proj/data"]
    w = WatchedHideList()
    w.get([]); w.get([])
    before = (w.walks, w.reused)
    # A tmpfs over a listed folder, holding the same needed folders and one more entry: every named
    # path looks the same and no watched folder had an event; only the mount table says it changed.
    target = root / "work"
    assert libc.mount(b"none", str(target).encode(), b"tmpfs", ctypes.c_ulong(0), None) == 0
    for needed in ("proj/assignment/initlab", "proj/data", "planted"):
        (target / needed).mkdir(parents=True)
    got = w.get([])
    print(json.dumps({"before": before, "after": [w.walks, w.reused], "planted": str(target / "planted") in got}))
''')


def test_a_mount_over_a_listed_folder_is_seen(tmp_path):
    root = _make_root(tmp_path)
    done = subprocess.run([sys.executable, "-c", MOUNT_SCRIPT, str(root)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    found = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert found == {"before": [1, 1], "after": [2, 1], "planted": True}
