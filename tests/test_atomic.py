"""The one atomic writer (autograder.base.atomic) and the writers built on it: a write that fails half-way
leaves the old file whole (or no file) and no temporary file beside it."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from autograder.base import atomic
from autograder.packaging.common import write_zip


class Interrupted(Exception):
    pass


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_text_write_that_fails_half_way_keeps_the_old_file(tmp_path):
    path = tmp_path / "results.json"
    atomic.write_atomic(path, "old\n")
    # A lone surrogate cannot be encoded: the write fails after "new..." went to the temporary file.
    with pytest.raises(UnicodeEncodeError):
        atomic.write_atomic(path, "new " * 10000 + "\ud800")
    assert path.read_text() == "old\n" and _only(tmp_path) == ["results.json"]
    atomic.write_atomic(path, "new\n")
    assert path.read_text() == "new\n" and _only(tmp_path) == ["results.json"]


@pytest.mark.parametrize("existing", [True, False])
def test_streamed_write_interrupted_leaves_no_half_file(tmp_path, existing):
    path = tmp_path / "sub" / "big.bin"
    if existing:
        path.parent.mkdir()
        path.write_bytes(b"old")
    with pytest.raises(Interrupted), atomic.replacing(path) as f:
        f.write(b"x" * (1 << 20))
        f.flush()
        raise Interrupted
    assert _only(path.parent) == (["big.bin"] if existing else [])
    if existing:
        assert path.read_bytes() == b"old"
    with atomic.replacing(path) as f:
        f.write(b"whole")
    assert path.read_bytes() == b"whole" and _only(path.parent) == ["big.bin"]


def test_new_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic.write_atomic(tmp_path / "a", "x")
        with atomic.replacing(tmp_path / "b") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o640 == (tmp_path / "b").stat().st_mode & 0o777


@pytest.mark.parametrize("can_link", [True, False])
def test_placing_a_copy_that_fails_half_way_keeps_the_old_file(tmp_path, monkeypatch, can_link):
    src, dst = tmp_path / "shard" / "feedback.html", tmp_path / "out" / "feedback.html"
    src.parent.mkdir()
    src.write_bytes(b"n" * (3 << 20))
    atomic.place_atomic(src, dst)
    assert dst.read_bytes() == src.read_bytes()
    if can_link:
        assert dst.stat().st_ino == src.stat().st_ino  # no bytes copied
    dst.unlink()
    dst.write_bytes(b"old")

    def no_link(*args):
        raise OSError("cross-device link")

    def copy_then_fail(s, f, length=0):
        f.write(s.read(1 << 20))
        raise Interrupted

    if not can_link:
        monkeypatch.setattr(os, "link", no_link)
        monkeypatch.setattr(shutil, "copyfileobj", copy_then_fail)
        with pytest.raises(Interrupted):
            atomic.place_atomic(src, dst)
        assert dst.read_bytes() == b"old" and _only(dst.parent) == ["feedback.html"]
        monkeypatch.undo()
        monkeypatch.setattr(os, "link", no_link)
    atomic.place_atomic(src, dst)
    assert dst.read_bytes() == src.read_bytes() and _only(dst.parent) == ["feedback.html"]
    assert (dst.stat().st_ino == src.stat().st_ino) == can_link


def test_zip_that_fails_half_way_keeps_the_old_zip(tmp_path, monkeypatch):
    folder = tmp_path / "release"
    for name in ("a.txt", "b.txt", "c.txt"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(name * 1000)
    zip_path = tmp_path / "out" / "release.zip"
    write_zip(folder, zip_path)
    before = zip_path.read_bytes()
    real = Path.read_bytes

    def fails_on_c(self):
        if self.name == "c.txt":
            raise Interrupted
        return real(self)

    (folder / "a.txt").write_text("changed")
    monkeypatch.setattr(Path, "read_bytes", fails_on_c)
    with pytest.raises(Interrupted):
        write_zip(folder, zip_path)
    monkeypatch.undo()
    assert zip_path.read_bytes() == before and _only(zip_path.parent) == ["release.zip"]
    write_zip(folder, zip_path)
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.read("a.txt") == b"changed" and sorted(zf.namelist()) == ["a.txt", "b.txt", "c.txt"]
