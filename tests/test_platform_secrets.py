"""A platform's folders around a submission are secrets of the batch: nbgrader's course folder.

``nbgrader autograde`` runs the engine on ``submitted/<student>/<assignment>/initialization.ipynb``
inside the course folder, which also holds every other student's notebook, the source notebook (the
solutions), ``gradebook.db`` and the feedback. Before red-team round 3 the engine knew only the one
submitted file as a secret: a course folder where a sandbox could see it (under ``/usr``, which every
level lets a sandbox read) was read whole, and the uid level without Landlock let the sandbox uid
read a world-readable course folder anywhere. Now nbgrader's ``EngineGrade`` names the course folder to
the engine (``INITGRADE_SECRETS``): hidden with namespaces, never granted by Landlock, and without
Landlock the engine refuses until it is closed, and the refusal reaches the instructor's log.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from autograder.platforms.engine_record import grade_file
from autograder.sandbox import detect_isolation

MARKERS = {"source": "SOURCE-SOLUTION-MARKER", "gradebook": "GRADEBOOK-MARKER", "other": "OTHER-STUDENT-MARKER"}

THIEF = '''
def initialize_parameters_he(layers_dims):
    seen = []
    for path in PATHS:
        try:
            with open(path) as f:
                seen.append(f.read(200))
        except OSError as exc:
            seen.append(type(exc).__name__)
    raise RuntimeError("REPORT " + " | ".join(seen) + " END")
'''


def _notebook(source: str) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": None,
                                  "outputs": [], "source": source}]})


@pytest.fixture
def course():
    """An nbgrader course folder under /usr/local (a JupyterHub image's), open to other users."""
    if os.geteuid() != 0:
        pytest.fail("a folder under /usr and the uid fallback need root: `make test` runs as root")
    top = Path(tempfile.mkdtemp(prefix="initgrade-nbgrader-course-", dir="/usr/local"))
    try:
        top.chmod(0o755)
        source = top / "source" / "weight-initialization" / "initialization.ipynb"
        other = top / "submitted" / "other" / "weight-initialization" / "initialization.ipynb"
        thief = top / "submitted" / "thief" / "weight-initialization" / "initialization.ipynb"
        for path in (source, other, thief):
            path.parent.mkdir(parents=True)
        source.write_text(_notebook(f"# {MARKERS['source']}\n"))
        other.write_text(_notebook(f"# {MARKERS['other']}\n"))
        (top / "gradebook.db").write_text(MARKERS["gradebook"])
        paths = [str(source), str(top / "gradebook.db"), str(other)]
        thief.write_text(_notebook(f"PATHS = {paths!r}\n" + THIEF))
        subprocess.run(["chmod", "-R", "go+rX", str(top)], check=True)
        yield top, thief
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_nbgrader_names_its_course_folder_to_the_engine(tmp_path):
    from traitlets.config import Config

    from autograder.platforms.nbgrader_engine import EngineGrade

    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    assert EngineGrade(config=config)._course_folders() == [tmp_path]


def test_a_namespaced_sandbox_reads_nothing_of_the_course_folder(course):
    assert detect_isolation().namespaces
    top, thief = course
    grades = grade_file(thief, secrets=[top])
    assert not grades.error, grades.error + grades.log
    said = "\n".join(record.message for record in grades.checks.values())
    assert "REPORT " in said, said[:2000]  # the thief ran its search
    for marker in MARKERS.values():
        assert marker not in said + grades.summary, said[:2000]


def test_without_landlock_the_engine_refuses_an_open_course_folder_and_says_so_to_the_instructor(
        course, monkeypatch):
    top, thief = course
    monkeypatch.setenv("INITGRADE_NO_NAMESPACES", "1")
    monkeypatch.setenv("INITGRADE_NO_LANDLOCK", "1")
    grades = grade_file(thief, secrets=[top])
    assert grades.error and not grades.checks  # nothing graded: every check scores 0, flagged
    assert "chmod -R o-rwx" in grades.log and str(top) in grades.log, grades.log
    assert str(top) not in grades.error + grades.summary  # the student's text names no grader path


def test_without_landlock_otter_reports_the_refusal_to_the_instructor_only(course, monkeypatch, tmp_path):
    """otter on a container without namespaces or Landlock: the refusal's reason goes to the plugin's
    report (the autograder's own output), the results the student sees name no grader path."""
    from autograder.platforms.otter_plugin import EngineGrades

    top, thief = course
    monkeypatch.setenv("INITGRADE_NO_NAMESPACES", "1")
    monkeypatch.setenv("INITGRADE_NO_LANDLOCK", "1")
    plugin = EngineGrades(str(thief), None, {})
    plugin.grades = grade_file(thief, secrets=[top])
    report = plugin.generate_report()
    assert "not graded" in report and "chmod -R o-rwx" in report and str(top) in report, report
    student_sees = plugin.grades.error + plugin.grades.summary  # after_grading's messages and output
    assert "could not be graded" in student_sees and str(top) not in student_sees, student_sees

