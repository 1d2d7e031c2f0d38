"""Trees a student shaped are walked and removed whatever their depth (autograder/base/trees.py).

Before red-team round 3, ``os.walk`` and ``shutil.rmtree`` recursed once per level on Python 3.10 and
3.11 (Gradescope's Ubuntu 22.04 has 3.10): a chain of a few thousand nested folders, which a sandbox
makes in a second with ``mkdir`` relative to an open folder, raised RecursionError in the grader. At the
uid level the submission became a "grader failure" and its working folder stayed on the disk for good
(a batch of them fills it); an upload with such a folder was never graded; and one student's folder
stopped ``initgrade semester`` for the whole class. Each test below fails that way without the fix.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from autograder.base.trees import remove_tree, walk
from autograder.config import PROJECT_ROOT, load_config

DEPTH = 2100  # past twice the default recursion limit, and "d/" * DEPTH past PATH_MAX (4096)
SHALLOWER = 1500  # past the recursion limit: enough for a walk that recursed
CASE = PROJECT_ROOT / "examples" / "hostile" / "res_deep_folders_in_function.py"


def _nest(top: Path, depth: int = DEPTH, every: int = 0, outside: Path | None = None) -> None:
    """``depth`` folders below ``top``, made relative to an open folder (as a sandbox would); with
    ``every``, a file and a link to ``outside`` at every ``every``-th level."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for level in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
            if every and level % every == 0:
                os.close(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
                if outside is not None:
                    os.symlink(outside, "link", dir_fd=fd)
    finally:
        os.close(fd)


def test_remove_tree_removes_any_depth_and_width_and_follows_no_link(tmp_path):
    outside = tmp_path / "keep"
    outside.mkdir()
    (outside / "precious").write_text("kept")
    top = tmp_path / "made"
    top.mkdir()
    _nest(top, every=500, outside=outside)
    for i in range(2000):
        (top / f"wide{i}").mkdir()
    (top / "link-to-keep").symlink_to(outside)
    remove_tree(top)
    assert not os.path.lexists(top)
    assert (outside / "precious").read_text() == "kept"
    remove_tree(tmp_path / "absent")  # nothing there: nothing to do, no error
    link = tmp_path / "only-a-link"
    link.symlink_to(outside)
    remove_tree(link)
    assert not os.path.lexists(link) and (outside / "precious").exists()


def test_walk_goes_down_any_depth_and_can_be_pruned(tmp_path):
    _nest(tmp_path, depth=SHALLOWER)
    (tmp_path / "x.py").write_text("")
    (tmp_path / "skip").mkdir()
    (tmp_path / "skip" / "hidden.py").write_text("")
    seen_files, folders = [], 0
    for _, dirs, files in walk(tmp_path):
        dirs[:] = [d for d in dirs if d != "skip"]
        folders += 1
        seen_files += files
    assert folders > sys.getrecursionlimit() and seen_files == ["x.py"]
    remove_tree(tmp_path / "d")


def test_an_upload_and_a_semester_folder_with_deep_folders_are_read(tmp_path):
    from autograder.platforms.upload import find_work
    from autograder.semester.times import _newest_mtime

    shutil.copy(PROJECT_ROOT / "examples" / "submissions" / "correct_module.py", tmp_path / "init_functions.py")
    _nest(tmp_path, depth=SHALLOWER)
    try:
        found, _ = find_work(tmp_path, notebook=load_config().notebook, functions=load_config().functions)
        assert found == tmp_path / "init_functions.py"
        assert _newest_mtime(tmp_path) == (tmp_path / "init_functions.py").stat().st_mtime
    finally:
        remove_tree(tmp_path / "d")


def test_a_sandbox_that_nests_folders_is_graded_and_leaves_nothing(tmp_path, monkeypatch):
    """The uid level without Landlock: the sandbox's working folder and the shared scratch folders."""
    from autograder.intake import load_submission
    from autograder.sandbox import Sandbox, hide_paths
    from autograder.sandbox.host import isolation

    if os.geteuid() != 0:
        pytest.fail("the uid level needs a root grader: `make test` runs as root")
    config = load_config()
    monkeypatch.setenv("INITGRADE_NO_NAMESPACES", "1")
    monkeypatch.setenv("INITGRADE_NO_LANDLOCK", "1")
    isolation.detect_isolation.cache_clear()
    try:
        iso = isolation.detect_isolation()
        assert iso.level == "uid+rlimits" and not iso.landlock, iso.reasons
        sub = load_submission(CASE, 1 << 20)
        sb = Sandbox(sub.chunks, sub.files, config.functions, config.limits, hide_paths([str(tmp_path)]),
                     config.sandbox.stub_modules, isolation=iso)
        try:
            sb.start()
            sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
            workdir = sb._tmp
        finally:
            sb.close()
    finally:
        isolation.detect_isolation.cache_clear()
    # Read once closed, as the engine does: the output is drained beside the replies, and only the
    # close waits for the drain to reach the end of it (before, a busy machine cut "NESTED <n>").
    printed = sb.output()
    assert "NESTED " in printed, printed[-2000:]
    assert int(printed.split("NESTED ", 1)[1].split()[0]) >= 2 * SHALLOWER  # its folder and /tmp at least
    assert workdir and not os.path.lexists(workdir)
    left = [p for top in ("/tmp", "/var/tmp", "/dev/shm") for p in Path(top).glob("hostile-was-here-deep-*")
            if p.lstat().st_uid == sb.uid]
    assert left == []


def test_a_batch_with_a_deep_folder_submission_grades_every_submission(tmp_path, warm_cache_at):
    """The batch's start walks its secrets (the submissions among them) for hard links, and the uid level
    without Landlock walks them again for its proof: one student's nested folders stopped the whole
    batch with a traceback before anything was graded."""
    from autograder.batch.grading import grade_batch

    folder = tmp_path / "in"
    (folder / "alice").mkdir(parents=True)
    correct = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"
    shutil.copy(correct, folder / "alice" / "init_functions.py")
    shutil.copy(correct, folder / "bob.py")
    _nest(folder / "alice", depth=SHALLOWER)
    try:
        config = load_config()
        report = grade_batch([folder], tmp_path / "out", config, cache_dir=warm_cache_at(tmp_path / "cache"))
        assert {r.id: (r.status, r.score) for r in report.results} == {
            "alice": ("graded", config.max_points()), "bob": ("graded", config.max_points())}
    finally:
        remove_tree(folder / "alice" / "d")
