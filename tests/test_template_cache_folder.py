"""The grader never follows a link in a shared temporary folder: Jinja's compiled templates live in a
private folder of the user's cache, checked before use."""

from __future__ import annotations

import os
import tempfile


def test_a_link_planted_as_jinja_s_cache_folder_is_never_followed(tmp_path, monkeypatch):
    """Jinja's default bytecode cache is ``TMPDIR/_jinja2-cache-<uid>``, chmodded before it is checked:
    a link planted there made a root grader chmod the file it points to. The kit's environments keep
    compiled templates in a private folder of the user's cache and never look at TMPDIR's."""
    from autograder.base import text_templates

    shared_tmp, home = tmp_path / "shared-tmp", tmp_path / "home"
    shared_tmp.mkdir()
    home.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("x")
    victim.chmod(0o644)
    (shared_tmp / f"_jinja2-cache-{os.getuid()}").symlink_to(victim)
    monkeypatch.setenv("TMPDIR", str(shared_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    env = text_templates.jinja_environment("autograder.feedback", autoescape=True, finalize=str, filters={})
    assert env.bytecode_cache is not None and env.bytecode_cache.directory == str(home / "cache/initgrade/templates")
    assert (victim.stat().st_mode & 0o777) == 0o644
    assert (home / "cache/initgrade/templates").stat().st_mode & 0o777 == 0o700


def test_a_cache_folder_others_can_write_is_not_used_for_templates(tmp_path, monkeypatch):
    open_base = tmp_path / "open"
    (open_base / "initgrade").mkdir(parents=True)
    (open_base / "initgrade").chmod(0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(open_base))
    from autograder.base import text_templates

    assert text_templates.private_cache_folder("templates") is None
    link_base = tmp_path / "linked"
    (link_base / "initgrade").mkdir(parents=True)
    (link_base / "initgrade" / "templates").symlink_to(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(link_base))
    assert text_templates.private_cache_folder("templates") is None
