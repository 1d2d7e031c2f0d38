"""Which paths the sandbox covers (autograder.sandbox.host.hiding), on a fake root folder.

The promise: the sandbox sees the system folders and what lies on the way to what it needs
(the Python installation, the virtual environment, the project's assignment/ and data/);
every other top-level entry, every sibling along those ways, the secret files of /etc and the
grader's outputs are covered. /tmp is left to its own private mount unless something needed
lives under it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import autograder
from autograder.config import PROJECT_ROOT
from autograder.sandbox.host import hiding


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    """A small machine: system folders, a pyenv Python under /root, a project under /work."""
    root = tmp_path / "root"
    for folder in ["usr/lib/python3", "lib", "bin", "etc/ssh", "proc", "dev", "sys", "run", "sbin",
                   "home/alice/.ssh", "srv/backup/solutions", "opt/tool",
                   "root/.ssh", "root/.pyenv/versions/3.11/lib", "root/.pyenv/versions/3.12", "root/notes",
                   "work/proj/assignment/initlab", "work/proj/data", "work/proj/solutions", "work/proj/.git",
                   "work/proj/autograder", "work/other-checkout/solutions", "tmp/scratch"]:
        (root / folder).mkdir(parents=True)
    for file in ["etc/shadow", "etc/passwd", "etc/sudoers", "swapfile", "root/.bash_history",
                 "work/proj/README.md", "work/proj/assignment/initlab/model.py", "work/proj/data/train.h5",
                 "root/.pyenv/versions/3.11/lib/os.py", "tmp/scratch/answers.py"]:
        (root / file).write_text("x")
    (root / "lib64").symlink_to("usr/lib")                                    # a system link: kept
    (root / "work/proj/solutions-link").symlink_to("solutions")               # a way round: covered
    (root / "work/proj/assignment-link").symlink_to("assignment")             # needed itself: kept
    (root / "dangling").symlink_to("nowhere")                                 # covered all the same
    monkeypatch.setattr(hiding, "ROOT", root)
    needs(monkeypatch, root, ["root/.pyenv/versions/3.11", "work/proj/assignment", "work/proj/data"])
    return root


def needs(monkeypatch, root: Path, paths: list[str]) -> None:
    monkeypatch.setattr(hiding, "needed_paths", lambda: [(root / p).resolve() for p in paths])
    hiding.ancestors_of_needed.cache_clear()


@pytest.fixture(autouse=True)
def fresh_caches():
    hiding.ancestors_of_needed.cache_clear()
    yield
    hiding.ancestors_of_needed.cache_clear()


def hidden_under(root: Path, extra=()) -> set[str]:
    """The covered paths inside the fake root, relative to it."""
    return {os.path.relpath(p, root) for p in hiding.hide_paths(list(extra)) if Path(p).is_relative_to(root)}


def test_everything_off_the_ways_to_what_is_needed_is_covered(fake_root):
    assert hidden_under(fake_root) == {
        # top level: neither system nor on a way
        "home", "srv", "opt", "swapfile", "dangling",
        # beside the Python installation
        "root/.ssh", "root/notes", "root/.bash_history", "root/.pyenv/versions/3.12",
        # beside the project's needed folders, and other copies of the project
        "work/proj/solutions", "work/proj/.git", "work/proj/autograder", "work/proj/README.md",
        "work/proj/solutions-link", "work/other-checkout",
        # secret files of /etc that exist
        "etc/shadow", "etc/sudoers", "etc/ssh",
    }


def test_the_ways_and_the_needed_folders_stay_whole(fake_root):
    hidden = hidden_under(fake_root)
    for kept in ["usr", "lib", "lib64", "bin", "etc", "etc/passwd", "proc", "dev", "sys", "run", "root",
                 "root/.pyenv", "root/.pyenv/versions/3.11", "root/.pyenv/versions/3.11/lib/os.py", "work",
                 "work/proj", "work/proj/assignment", "work/proj/assignment/initlab/model.py",
                 "work/proj/data/train.h5", "work/proj/assignment-link"]:
        assert kept not in hidden
        assert not any(kept.startswith(h + "/") for h in hidden), kept


def test_tmp_is_left_to_its_private_mount_when_nothing_needed_is_there(fake_root):
    assert hiding.keep_in_private() == []
    assert not any(h == "tmp" or h.startswith("tmp/") for h in hidden_under(fake_root))


def test_a_project_under_tmp_is_bound_back_and_tmp_is_not_walked(fake_root, monkeypatch):
    """The jail covers /tmp whole with its own tmpfs: nothing of it is hidden entry by entry (a
    socket, a FIFO or a file made later would slip past such a list); the needed folders under
    it, outermost only, are what the jail binds back."""
    (fake_root / "tmp/ci/proj/assignment").mkdir(parents=True)
    (fake_root / "tmp/ci/proj/solutions").mkdir()
    (fake_root / "tmp/ci/venv/lib").mkdir(parents=True)
    needs(monkeypatch, fake_root, ["tmp/ci/venv", "tmp/ci/venv/lib", "tmp/ci/proj/assignment"])
    assert hiding.keep_in_private() == [str(fake_root / "tmp/ci/proj/assignment"), str(fake_root / "tmp/ci/venv")]
    hidden = hidden_under(fake_root)
    assert not any(h == "tmp" or h.startswith("tmp/") for h in hidden)
    assert {"root", "work"} <= hidden  # nothing needed there any more


def test_a_project_under_var_tmp_does_not_walk_var_tmp(fake_root, monkeypatch):
    """/var is on the way, so its other entries are covered; /var/tmp is private in the jail."""
    (fake_root / "var/tmp/ci/proj/assignment").mkdir(parents=True)
    (fake_root / "var/tmp/other").mkdir()
    (fake_root / "var/lib").mkdir()
    needs(monkeypatch, fake_root, ["var/tmp/ci/proj/assignment"])
    hidden = hidden_under(fake_root)
    assert "var/lib" in hidden
    assert not any(h.startswith("var/tmp") for h in hidden)
    assert hiding.keep_in_private() == [str(fake_root / "var/tmp/ci/proj/assignment")]


def test_the_private_folders_are_the_ones_the_jail_replaces():
    from autograder.sandbox.jail.filesystem import SCRATCH

    assert set(hiding.PRIVATE_FOLDERS) == set(SCRATCH)


def test_the_grader_outputs_are_covered_when_they_exist(fake_root):
    out = fake_root / "work/proj/assignment/out"  # even inside a needed folder
    out.mkdir()
    hidden = hidden_under(fake_root, extra=[out, fake_root / "work/never-made"])
    assert "work/proj/assignment/out" in hidden and "work/never-made" not in hidden


def test_the_result_is_sorted_existing_absolute_paths(fake_root):
    paths = hiding.hide_paths()
    assert paths == sorted(set(paths))
    assert all(os.path.isabs(p) and os.path.lexists(p) for p in paths)


def test_on_this_machine_nothing_needed_is_covered_and_the_solutions_are():
    """The real root: the Python and the project's needed folders stay visible, solutions/ does not."""
    hidden = [Path(p) for p in hiding.hide_paths()]
    needed = hiding.needed_paths()
    assert Path(sys.executable).resolve().parent in needed and PROJECT_ROOT.resolve() / "assignment" in needed
    for n in needed:
        for h in hidden:
            assert h != n and h not in n.parents, (h, n)
    assert PROJECT_ROOT / "solutions" in hidden
    assert Path(autograder.__file__).resolve().parent in hidden  # the grader's own package


def test_listed_real_paths_are_exactly_what_resolving_each_entry_gives(tmp_path):
    """hide_paths and secret_paths resolve only links one by one (the rest: the folder's real path
    and the name); the result must be the one of resolving every entry, whatever the links."""
    from autograder.sandbox.host.secrets import listed_with_real_paths

    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "file").write_text("x")
    os.mkfifo(real / "fifo")
    (tmp_path / "via").symlink_to(real)  # the folder itself reached through a link
    folder = tmp_path / "via"
    (real / "to_sub").symlink_to(real / "sub")
    (real / "to_file").symlink_to("file")
    (real / "up").symlink_to("..")
    (real / "dangling").symlink_to(tmp_path / "nowhere")
    (real / "loop").symlink_to(real / "loop")
    listed = listed_with_real_paths(folder)
    assert sorted(e.name for e, _, _ in listed) == sorted(os.listdir(real))
    for entry, found, plain_dir in listed:
        try:
            expected = entry.resolve()
        except (OSError, RuntimeError):  # a link loop: resolved by nobody
            expected = None
        assert found == expected, entry.name
        assert plain_dir == (entry.is_dir() and not entry.is_symlink()), entry.name
