"""The semester's steps one by one, on small inputs made here (no grading): each roster layout read by
its documented columns, matching that never guesses, submission times from each source (a hostile
Classroom clone's git configuration never runs), the late policy's arithmetic, overrides refused or
flagged, the visibility schedule, and the regrade report's reasons."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from autograder.base.results import CheckResult
from autograder.semester.lateness import lateness
from autograder.semester.matching import match
from autograder.semester.overrides import read_overrides
from autograder.semester.regrade import compare
from autograder.semester.roster import Roster, RosterError, Student, parse_extension, read_layout, read_roster
from autograder.semester.times import submitted_at
from autograder.semester.visibility import gradescope_tests, split_fix, student_view
from autograder.semester_settings import Semester

DUE = datetime(2026, 10, 1, 23, 59, tzinfo=timezone.utc)


def test_each_roster_layout_is_read_by_its_documented_columns(tmp_path):
    moodle = tmp_path / "moodle.csv"
    moodle.write_text("\ufeffFirst name,Last name,ID number,Institution,Department,Email address,"
                      "Assignment: Init (Real),Last downloaded from this course\n"
                      "Ada,Lovelace,u100,,,ada@example.edu,-,1700000000\n")
    assert read_layout(moodle) == ("moodle", [Student(id="u100", name="Ada Lovelace", email="ada@example.edu",
                                                      lms_id="u100")])
    gradescope = tmp_path / "gs.csv"
    gradescope.write_text("First Name,Last Name,SID,Email,Role,Sections\nAlan,Turing,42,alan@example.edu,Student,L1\n"
                          "Grace,Hopper,,grace@example.edu,TA,\n")
    assert read_layout(gradescope) == ("gradescope", [Student(id="42", name="Alan Turing", email="alan@example.edu",
                                                              lms_id="42", section="L1")])
    classroom = tmp_path / "classroom.csv"
    classroom.write_text("identifier,github_username,github_id,name\nu100,ada-l,9001,Ada\n")
    assert read_layout(classroom)[1] == [Student(id="u100", name="Ada", github="ada-l", lms_id="9001")]
    kit = tmp_path / "kit.csv"
    kit.write_text("id,name,email,extension\nk1,Kim,kim@example.edu,36h\n")
    assert read_layout(kit)[1] == [Student(id="k1", name="Kim", email="kim@example.edu", extension_hours=36.0)]
    merged = read_roster([moodle, classroom])  # Classroom's identifier adds the GitHub account
    assert merged.layouts == ["moodle", "classroom"] and merged.students[0].github == "ada-l"
    other = tmp_path / "other.csv"
    other.write_text("who,score\nx,1\n")
    with pytest.raises(RosterError, match="not a roster layout"):
        read_layout(other)
    assert (parse_extension("2d"), parse_extension("1.5"), parse_extension("12 hours")) == (48.0, 36.0, 12.0)
    with pytest.raises(RosterError):
        parse_extension("next week")


def test_matching_takes_exact_keys_and_lists_every_leftover(tmp_path):
    roster = Roster([Student(id="s1", email="a@x"), Student(id="s2", login="bob"), Student(id="s3", github="kit"),
                     Student(id="s4", login="same"), Student(id="s5", email="same")], [], [])
    files = {}
    for name in ("s1.py", "BOB.ipynb", "same.py", "s1.zip", "s2x.py", "init-kit"):
        path = tmp_path / name
        path.mkdir() if name == "init-kit" else path.write_text("")
        files[name.replace(".", "-").lower()] = path  # the submission ids, distinct
    m = match(files, roster, "init")
    assert m.by_student == {"s2": "bob-ipynb", "s3": "init-kit"}
    assert m.duplicates == {"s1": ["s1-py", "s1-zip"]}  # two submissions for one student: neither used
    assert "shared by students s4, s5" in m.without_student["same-py"]
    assert m.without_student["s2x-py"] == "no student has 's2x' (file name)"  # no partial match
    assert {s.id for s in m.without_submission} == {"s4", "s5"}


def test_submission_times_come_from_each_source_and_a_hostile_clone_runs_nothing(tmp_path):
    nb = tmp_path / "nb"
    nb.mkdir()
    (nb / "timestamp.txt").write_text("2026-10-01 20:00:00.000000 UTC")
    assert submitted_at(nb).when == datetime(2026, 10, 1, 20, 0, tzinfo=timezone.utc)
    assert submitted_at(nb).source == "nbgrader"
    repo = tmp_path / "init-kit"
    repo.mkdir()
    (repo / "a.py").write_text("x = 1\n")
    env = dict(os.environ, GIT_AUTHOR_NAME="s", GIT_AUTHOR_EMAIL="s@x", GIT_COMMITTER_NAME="s",
               GIT_COMMITTER_EMAIL="s@x", GIT_COMMITTER_DATE="2026-09-30T10:00:00+00:00")
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "x"]):
        subprocess.run(["git", *cmd], cwd=repo, env=env, check=True, capture_output=True)
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    with (repo / ".git" / "config").open("a") as f:  # the student's own configuration
        f.write(f"[core]\n\tfsmonitor = {hook}\n\tpager = {hook}\n[log]\n\tshowSignature = true\n"
                f"[gpg]\n\tprogram = {hook}\n")
    when = submitted_at(repo)
    assert (when.source, when.when) == ("git commit", datetime(2026, 9, 30, 10, 0, tzinfo=timezone.utc))
    assert not marker.exists()
    link = tmp_path / "linked"
    link.mkdir()
    (link / "timestamp.txt").symlink_to(nb / "timestamp.txt")  # never followed
    (link / "a.py").write_text("")
    assert submitted_at(link).source == "file time"


def test_the_late_policy_arithmetic():
    policy = Semester.model_validate({"due": DUE, "grace_minutes": 30, "late": {"per_day_percent": 15,
                                                                               "cap_percent": 40,
                                                                               "zero_after_days": 5}})
    on_time = lateness(DUE + timedelta(minutes=29), 0, policy, 40)
    assert (on_time.penalty, on_time.days_late, on_time.reason) == (0.0, 0, "on time")
    one = lateness(DUE + timedelta(minutes=31), 0, policy, 40)
    assert (one.days_late, one.penalty, one.apply(30)) == (1, 6.0, 24.0)
    capped = lateness(DUE + timedelta(days=4), 0, policy, 40)
    assert (capped.days_late, capped.penalty) == (4, 16.0)  # 60% capped at 40%
    cut = lateness(DUE + timedelta(days=6), 0, policy, 40)
    assert cut.zeroed and cut.apply(40) == 0.0 and "cut-off" in cut.reason
    extended = lateness(DUE + timedelta(days=1), 48, policy, 40)
    assert extended.penalty == 0.0 and extended.reason == "on time (extension 48 h)"
    assert lateness(None, 0, policy, 40).reason == "submission time unknown: no penalty applied"
    with pytest.raises(ValueError, match="time zone"):
        Semester.model_validate({"due": "2026-10-01T23:59:00"})
    with pytest.raises(ValueError, match="cannot be taken back"):
        Semester.model_validate({"visibility": {"before_due": "visible", "after_due": "hidden"}})


def test_overrides_say_why_and_who_and_name_their_submission(tmp_path):
    path = tmp_path / "overrides.csv"
    path.write_text("student,question,points,reason,who,digest\n"
                    "s1,he,3,ok,TA,abcdef012345\n"
                    "s1,nope,3,ok,TA,abcdef012345\n"
                    "s1,he,lots,ok,TA,abcdef012345\n"
                    "s1,he,3,,TA,abcdef012345\n"
                    "s1,total,-1.5,late form,TA,abc\n")
    found, problems = read_overrides(path, ["zeros", "he"])
    assert [(o.student, o.question, o.points, o.relative) for o in found] == [("s1", "he", 3.0, False)]
    assert [p.split(":")[0] for p in problems] == ["overrides.csv line 3", "overrides.csv line 4",
                                                   "overrides.csv line 5", "overrides.csv line 6"]
    assert found[0].apply(1.0, 10.0) == 3.0


def test_the_visibility_schedule():
    message = "W1 differs (at [0, 3]). Diagnosis: LeCun factor. To fix it, multiply by 2."
    assert split_fix(message) == ("W1 differs (at [0, 3]).", "Diagnosis: LeCun factor. To fix it, multiply by 2.")
    checks = [CheckResult("he", "seeded_values", "he: seeded values", 0, 3, False, message),
              CheckResult("deep", "structure", "deep: structure", 2, 2, True, "passed")]
    policy = Semester.model_validate({"checks": {"deep": {"before_due": "hidden", "after_due": "score_only"}}})
    before = student_view(checks, policy, after_due=False)
    assert [(s.level, s.text, s.held) for s in before] == [("visible", "W1 differs (at [0, 3]).", True),
                                                           ("hidden", "", False)]
    after = student_view(checks, policy, after_due=True)
    assert [(s.level, s.text, s.held) for s in after] == [("visible", message, False), ("score_only", "", False)]
    tests = gradescope_tests(checks, policy)
    assert [(t["name"], t["visibility"], t["max_score"]) for t in tests] == [
        ("he: seeded values", "visible", 3), ("he: seeded values (how to fix)", "after_due_date", 0.0),
        ("deep: structure", "after_due_date", 2)]
    assert tests[2]["output"] == ""  # score only after the due date: no text then either


def test_the_regrade_report_gives_each_reason():
    base = {"key": "s1", "status": "graded", "digest": "aaa", "raw": {"he": 7.0}, "penalty": 0.0,
            "late_reason": "on time", "overrides": [], "flagged": [], "total": 37.0, "student": {"name": "Ada"}}
    same = compare([base], [dict(base)])
    assert same == []
    regraded = compare([base], [dict(base, raw={"he": 10.0}, total=40.0)])
    assert regraded[0].delta == 3.0 and regraded[0].reasons == [
        "graded differently (grading.yaml or the grader changed): he 7 -> 10"]
    overridden = compare([base], [dict(base, overrides=["total +2 by TA: form"], total=39.0)])
    assert overridden[0].reasons == ["override added: total +2 by TA: form"]
    gone = compare([base], [])
    assert gone[0].after is None and gone[0].reasons == ["no longer in the roster or the submissions"]


def test_a_gradescope_group_submission_counts_for_each_member(tmp_path):
    folder = tmp_path / "submission_9"
    folder.mkdir()
    (folder / "submission_metadata.json").write_text(
        '{"created_at": "2026-10-01T10:00:00-07:00", "users": [{"sid": "s1", "email": "a@x"}, {"email": "b@x"}]}')
    roster = Roster([Student(id="s1"), Student(id="s2", email="b@x"), Student(id="s3")], [], [])
    m = match({"submission_9": folder}, roster, "init")
    assert m.by_student == {"s1": "submission_9", "s2": "submission_9"}
    assert m.how == {"submission_9": "Gradescope submission metadata"}
    assert [s.id for s in m.without_submission] == ["s3"]
    assert submitted_at(folder).when == datetime(2026, 10, 1, 17, 0, tzinfo=timezone.utc)


def test_an_override_for_a_student_not_in_the_roster_is_a_problem_said_once(tmp_path):
    from autograder.semester.ledger import unknown_students

    path = tmp_path / "o.csv"
    path.write_text("student,question,points,reason,who,digest\nghost,total,5,typo?,TA,abcdef0123\n")
    found, problems = read_overrides(path, ["he"])
    assert problems == [] and unknown_students(found, [Student(id="s1")]) == [
        "overrides line 2: student 'ghost' is not in the roster"]


def test_a_classroom_clone_cannot_claim_other_students_or_an_earlier_time(tmp_path):
    """Files a student commits are the student's: a submission_metadata.json or timestamp.txt in a
    Classroom clone names nobody and dates nothing (red-team round 3); its name and commit do."""
    roster_file = tmp_path / "classroom_roster.csv"
    roster_file.write_text("identifier,github_username,github_id,name\n"
                           "s1,octo-one,1,One\ns2,octo-two,2,Two\ns3,octo-three,3,Three\n")
    clone = tmp_path / "in" / "weight-initialization-octo-one"
    clone.mkdir(parents=True)
    (clone / "init_functions.py").write_text("x = 1\n")
    forged = datetime(2020, 1, 1, tzinfo=timezone.utc)
    (clone / "submission_metadata.json").write_text(json.dumps(
        {"created_at": forged.isoformat(), "users": [{"sid": "s2"}, {"sid": "s3"}]}))
    (clone / "timestamp.txt").write_text("2020-01-01 00:00:00.000000 UTC")
    committed = datetime(2026, 10, 1, 9, 30, tzinfo=timezone.utc)
    env = dict(os.environ, GIT_AUTHOR_NAME="s", GIT_AUTHOR_EMAIL="s@x", GIT_COMMITTER_NAME="s",
               GIT_COMMITTER_EMAIL="s@x", GIT_COMMITTER_DATE=committed.isoformat(),
               GIT_AUTHOR_DATE=committed.isoformat())
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "done"]):
        subprocess.run(["git", *cmd], cwd=clone, env=env, check=True, capture_output=True)
    matching = match({"octo-one": clone}, read_roster([roster_file]), "weight-initialization")
    assert matching.by_student == {"s1": "octo-one"} and matching.how["octo-one"] == "GitHub Classroom repository"
    when = submitted_at(clone)
    assert (when.when, when.source) == (committed, "git commit")
