"""A semester in a test: a Canvas roster of 30 students (and a GitHub Classroom roster beside it), 28
submissions in mixed forms and names, a due date and a late policy, two overrides, then a change of
grading.yaml, a changed submission and a new one, and a regrade.

The grades come from the sandboxed engine (``initgrade grade``); the semester step (``initgrade
semester run``) is checked value by value: the kit's gradebook, Canvas's and Moodle's imports read
back by their documented columns, the regrade report, and the Gradescope results and feedback
before and after the due date.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from autograder.config import PROJECT_ROOT

SUBS = PROJECT_ROOT / "examples" / "submissions"
DUE = datetime(2026, 10, 1, 23, 59, tzinfo=timezone(timedelta(hours=2)))
N_STUDENTS = 30


def _run(*args: str, check_status: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=900, env=dict(os.environ, COLUMNS="300"))
    assert done.returncode in check_status and "Traceback" not in done.stderr, done.stdout + done.stderr
    return done


def _stamp(path: Path, when: datetime) -> None:
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (when.timestamp(), when.timestamp()), follow_symlinks=False)


def _config(tmp: Path, per_day: float) -> Path:
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    raw["semester"] = {
        "due": DUE.isoformat(), "grace_minutes": 10,
        "late": {"per_day_percent": per_day, "cap_percent": 50, "zero_after_days": 7},
        "checks": {"he": {"before_due": "score_only", "after_due": "visible"},
                   "deep.structure": {"before_due": "hidden", "after_due": "visible"}},
        "hold_fixes_until_due": True,
        "exports": {"canvas_column": "Initialization (4242)", "moodle_column": "Assignment: Initialization (Real)"},
    }
    path = tmp / f"grading_{per_day:g}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _name(i: int) -> str:
    # Student 30's name is a spreadsheet formula: every CSV the kit writes quotes it.
    return "=HYPERLINK(\"http://x\"), Eve" if i == N_STUDENTS else f"Last{i}, First{i}"


def _sis(i: int) -> str:
    return f"s{i:03d}"


def _rosters(tmp: Path) -> list[Path]:
    canvas = tmp / "canvas_export.csv"
    with canvas.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Initialization (4242)", "Extension"])
        w.writerow(["    Points Possible", "", "", "", "", "40", ""])
        for i in range(1, N_STUDENTS + 1):
            w.writerow([_name(i), str(1000 + i), _sis(i), f"login{i}", "A" if i % 2 else "B", "",
                        "3d" if i == 6 else ""])
        w.writerow(["Student, Test", "9999", "", "", "A", "", ""])
    classroom = tmp / "classroom_roster.csv"
    classroom.write_text("identifier,github_username,github_id,name\n"
                         f"{_sis(17)},octo-seventeen,7017,First17 Last17\n")
    return [canvas, classroom]


def _notebook_folder(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(SUBS / "correct_notebook.ipynb", folder / "initialization.ipynb")
    return folder


def _submissions(tmp: Path) -> Path:
    """28 submissions; every file time before the due date unless said otherwise."""
    d = tmp / "in"
    d.mkdir()
    early = DUE - timedelta(days=1)
    for i in range(1, 11):  # named by SIS User ID
        shutil.copy(SUBS / "correct_module.py", d / f"{_sis(i)}.py")
    for i in range(11, 15):  # named by SIS Login ID, notebooks
        shutil.copy(SUBS / "correct_notebook.ipynb", d / f"login{i}.ipynb")
    shutil.copy(SUBS / "correct_module.py", d / "S015.py")  # upper-case id
    shutil.copy(SUBS / "correct_module.py", d / "last16first16_1016_55501_initialization.py")  # Canvas download
    repo = _notebook_folder(d / "weight-initialization-octo-seventeen")  # a Classroom clone
    git_env = dict(os.environ, GIT_AUTHOR_NAME="s", GIT_AUTHOR_EMAIL="s@x", GIT_COMMITTER_NAME="s",
                   GIT_COMMITTER_EMAIL="s@x", GIT_COMMITTER_DATE=(DUE - timedelta(hours=3)).isoformat(),
                   GIT_AUTHOR_DATE=(DUE - timedelta(hours=3)).isoformat())
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "done"]):
        subprocess.run(["git", *cmd], cwd=repo, env=git_env, check=True, capture_output=True)
    gs = _notebook_folder(d / "submission_777")  # Gradescope, matched by its metadata
    (gs / "submission_metadata.json").write_text(json.dumps({
        "id": 777, "created_at": (DUE - timedelta(hours=1)).isoformat(),
        "assignment": {"due_date": DUE.isoformat(), "title": "Initialization"},
        "users": [{"email": "eighteen@example.edu", "id": 1, "name": "First18 Last18", "sid": _sis(18)}]}))
    nb = _notebook_folder(d / _sis(19))  # nbgrader's collected folder
    (nb / "timestamp.txt").write_text((DUE - timedelta(hours=2)).astimezone(timezone.utc)
                                      .strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    shutil.copy(SUBS / "correct_zip.zip", d / f"{_sis(20)}.zip")
    shutil.copytree(SUBS / "correct_package", d / _sis(21))
    for i, name in zip(range(22, 28), ["he_xavier_scale.py", "zeros_drawn_at_random.py", "deep_transposed.py",
                                       "random_uniform_rand.py", "he_loop_stops_early.py", "correct_module.py"]):
        shutil.copy(SUBS / name, d / f"{_sis(i)}.py")
    shutil.copy(SUBS / "correct_module.py", d / "stranger.py")  # no such student
    for p in d.iterdir():
        _stamp(p, early)
    _stamp(d / f"{_sis(5)}.py", DUE + timedelta(days=1, hours=12))  # late: 2 started days
    _stamp(d / f"{_sis(6)}.py", DUE + timedelta(days=2))  # late, but within a 3-day extension
    assert len(list(d.iterdir())) == 28
    return d


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _raw(grades: Path, sid: str) -> float:
    return float(json.loads((grades / sid / "results.json").read_text())["score"])


@pytest.fixture(scope="module")
def term(tmp_path_factory, warm_cache_at):
    tmp = tmp_path_factory.mktemp("term")
    subs, rosters = _submissions(tmp), _rosters(tmp)
    cache, grades, out = warm_cache_at(tmp / "cache"), tmp / "grades", tmp / "semester"
    config = _config(tmp, per_day=10)
    _run("grade", str(subs), "--out", str(grades), "--config", str(config), "--cache", str(cache), "-j", "2",
         "--no-progress")
    digest = {sid: json.loads((grades / sid / "results.json").read_text())["extra_data"]["digest"]
              for sid in (_sis(22), _sis(23))}
    first_raw = {sid: (_raw(grades, sid), _question(grades, sid, "he")) for sid in (_sis(22), _sis(23))}
    overrides = tmp / "overrides.csv"
    overrides.write_text("student,question,points,reason,who,digest\n"
                         f"{_sis(22)},he,10,\"=scale right, tolerance too strict\",T. Ng,{digest[_sis(22)][:12]}\n"
                         f"{_sis(23)},total,+2,regrade request 14,T. Ng,{digest[_sis(23)][:10]}\n")
    common = [str(subs), "--grades", str(grades), "--roster", str(rosters[0]), "--roster", str(rosters[1]),
              "--overrides", str(overrides), "--out", str(out)]
    after_due = (DUE + timedelta(days=10)).isoformat()
    first = _run("semester", "run", *common, "--config", str(config), "--now", after_due, check_status=(1,))
    state = {"first": json.loads((out / "semester.json").read_text()), "first_out": first.stdout + first.stderr,
             "book1": {r["student_id"] or r["submission"]: r for r in _csv(out / "gradebook.csv")},
             "canvas": _csv(out / "canvas.csv"), "moodle": _csv(out / "moodle.csv")}
    before_out = tmp / "before_due"
    _run("semester", "run", *common[:-1], str(before_out), "--config", str(config), "--now",
         (DUE - timedelta(days=2)).isoformat(), check_status=(1,))
    # The change: a harsher penalty, s023 hands in again (correct now), s028 hands in late.
    config2 = _config(tmp, per_day=20)
    shutil.copy(SUBS / "correct_module.py", subs / f"{_sis(23)}.py")
    _stamp(subs / f"{_sis(23)}.py", DUE - timedelta(hours=5))
    shutil.copy(SUBS / "correct_module.py", subs / f"{_sis(28)}.py")
    _stamp(subs / f"{_sis(28)}.py", DUE + timedelta(hours=5))
    again = _run("grade", str(subs), "--out", str(grades), "--config", str(config2), "--cache", str(cache),
                 "--no-progress")
    second = _run("semester", "run", *common, "--config", str(config2), "--now", after_due, check_status=(1,))
    return {**state, "tmp": tmp, "grades": grades, "out": out, "before_out": before_out,
            "regrade_grade": again.stdout, "second_out": second.stdout + second.stderr,
            "book2": {r["student_id"] or r["submission"]: r for r in _csv(out / "gradebook.csv")},
            "regrade": _csv(out / "regrade.csv"), "first_raw": first_raw}


def test_every_student_and_every_submission_is_accounted_for(term):
    book = term["book1"]
    assert len(book) == N_STUDENTS + 1  # 30 students, and the submission of no student
    matched_by = {sid: book[sid]["matched_by"] for sid in book if book[sid]["student_id"]}
    assert matched_by[_sis(1)] == "file name" and matched_by["s011"] == "file name"  # login11.ipynb
    assert book[_sis(11)]["submitted_as"] == "login11.ipynb"
    assert book[_sis(15)]["submitted_as"] == "S015.py"
    assert matched_by[_sis(16)] == "Canvas submission download (user id)"
    assert matched_by[_sis(17)] == "GitHub Classroom repository"
    assert matched_by[_sis(18)] == "Gradescope submission metadata"
    assert [sid for sid in book if book[sid]["status"] == "no submission"] == [_sis(28), _sis(29), _sis(30)]
    assert book["stranger"]["status"] == "no student" and book["stranger"]["student_id"] == ""
    assert "no student has 'stranger'" in book["stranger"]["notes"]
    assert "3 without a submission" in term["first_out"] and "1 submissions without a student" in term["first_out"]
    figures = term["first"]["figures"]
    assert figures["no_submission"] == [_sis(28), _sis(29), _sis(30)]
    assert figures["submissions_without_student"] == ["stranger"]


def test_times_come_from_the_platform_with_their_source(term):
    book = term["book1"]
    assert book[_sis(17)]["time_source"] == "git commit"
    assert datetime.fromisoformat(book[_sis(17)]["submitted_at"]) == DUE - timedelta(hours=3)
    assert book[_sis(18)]["time_source"] == "gradescope"
    assert datetime.fromisoformat(book[_sis(18)]["submitted_at"]) == DUE - timedelta(hours=1)
    assert book[_sis(19)]["time_source"] == "nbgrader"
    assert datetime.fromisoformat(book[_sis(19)]["submitted_at"]) == DUE - timedelta(hours=2)
    assert book[_sis(1)]["time_source"] == "file time"


def test_late_policy_extension_and_overrides_value_by_value(term):
    book = term["book1"]
    for i in [*range(1, 5), *range(7, 22), 27]:
        row = book[_sis(i)]
        assert (row["status"], row["raw_total"], row["late_penalty"], row["total"]) == ("graded", "40", "0", "40"), row
        assert row["late"] == "on time" and row["overrides"] == "" and row["flagged"] == ""
    late = book[_sis(5)]  # 1.5 days late: 2 started days at 10% of 40
    assert (late["raw_total"], late["late_penalty"], late["total"]) == ("40", "8", "32")
    assert late["late"] == "2 days late: -20% of 40 points"
    extended = book[_sis(6)]  # 2 days after the due date, with a 3-day extension
    assert (extended["late_penalty"], extended["total"], extended["late"]) == ("0", "40", "on time (extension 72 h)")
    raw22, he22 = term["first_raw"][_sis(22)]
    he = book[_sis(22)]  # he set to 10 by hand
    assert float(he["he"]) == 10 and float(he["raw_total"]) == raw22 and raw22 < 40
    assert float(he["total"]) == raw22 + 10 - he22
    assert he["overrides"] == "he set to 10 by T. Ng: =scale right, tolerance too strict"
    raw23 = term["first_raw"][_sis(23)][0]
    assert float(book[_sis(23)]["raw_total"]) == raw23 and float(book[_sis(23)]["total"]) == min(raw23 + 2, 40)
    assert book[_sis(23)]["overrides"] == "total +2 by T. Ng: regrade request 14"
    for i in (22, 23, 24, 25, 26):
        assert float(book[_sis(i)]["raw_total"]) < 40, i  # the examples' mistakes cost points


def _question(grades: Path, sid: str, question: str) -> float:
    data = json.loads((grades / sid / "results.json").read_text())
    return sum(t["score"] for (q, _), t in zip(data["extra_data"]["checks"], data["tests"]) if q == question)


def test_the_lms_exports_read_back_by_their_documented_columns(term):
    book, canvas, moodle = term["book1"], term["canvas"], term["moodle"]
    assert list(canvas[0]) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Initialization (4242)"]
    assert canvas[0]["Student"] == "Points Possible" and canvas[0]["Initialization (4242)"] == "40"
    rows = {r["SIS User ID"]: r for r in canvas[1:]}
    assert len(rows) == N_STUDENTS
    for sid, row in rows.items():
        i = int(sid[1:])
        name = "'" + _name(i) if i == N_STUDENTS else _name(i)
        assert (row["Student"], row["ID"], row["SIS Login ID"]) == (name, str(1000 + i), f"login{i}")
        assert row["Initialization (4242)"] == book[sid]["total"], sid
    assert rows[_sis(5)]["Initialization (4242)"] == "32" and rows[_sis(29)]["Initialization (4242)"] == ""
    assert list(moodle[0]) == ["First name", "Last name", "ID number", "Email address",
                               "Assignment: Initialization (Real)", "Feedback"]
    mrows = {r["ID number"]: r for r in moodle}
    assert len(mrows) == N_STUDENTS
    assert (mrows[_sis(5)]["First name"], mrows[_sis(5)]["Last name"]) == ("First5", "Last5")
    assert mrows[_sis(5)]["Assignment: Initialization (Real)"] == "32"
    assert mrows[_sis(5)]["Feedback"] == "raw 40/40; late penalty -8 (2 days late: -20% of 40 points); final 32"
    assert mrows[_sis(22)]["Feedback"] == ("raw 37/40; override: he set to 10 by T. Ng: =scale right, tolerance "
                                           "too strict; final 40")
    # A name that is a formula is quoted (a leading ') in every CSV the kit writes.
    assert mrows[_sis(30)]["Last name"] == "'=HYPERLINK(\"http://x\")"
    assert term["book1"][_sis(30)]["name"] == "'" + _name(N_STUDENTS)


def test_the_regrade_report_says_who_changed_by_how_much_and_why(term):
    report = {r["key"]: r for r in term["regrade"]}
    assert set(report) == {_sis(5), _sis(23), _sis(28)}, report
    assert (report[_sis(5)]["before"], report[_sis(5)]["after"], report[_sis(5)]["change"]) == ("32", "24", "-8")
    assert "late penalty 8 -> 16" in report[_sis(5)]["why"]
    assert "submission changed" in report[_sis(23)]["why"] and "override flagged" in report[_sis(23)]["why"]
    assert report[_sis(23)]["after"] == "40"
    assert (report[_sis(28)]["before"], report[_sis(28)]["after"]) == ("", "32")
    assert "new submission" in report[_sis(28)]["why"] and "status no submission -> graded" in report[_sis(28)]["why"]
    book = term["book2"]
    assert book[_sis(23)]["overrides"] == "" and "NOT APPLIED" in book[_sis(23)]["flagged"]
    assert book[_sis(22)]["overrides"].startswith("he set to 10")  # kept across the regrade
    assert "1 graded now" in term["regrade_grade"] or "2 graded now" in term["regrade_grade"]


def test_gradescope_results_and_feedback_before_and_after_the_due_date(term):
    results = json.loads((term["out"] / "students" / _sis(22) / "results.json").read_text())
    by_name = {t["name"]: t for t in results["tests"]}
    he_tests = [t for t in results["tests"] if t["name"].lower().startswith("he")]
    assert he_tests, list(by_name)
    for t in he_tests:  # he: score only before the due date, everything after
        if t["max_score"] > 0:
            assert t["visibility"] == "visible" and t["output"] == ""
        else:
            assert t["visibility"] == "after_due_date" and t["name"].endswith("(details)")
    deep = [t for t in results["tests"] if t["name"].lower().startswith("deep") and "structure" in t["name"].lower()]
    assert deep and all(t["visibility"] == "after_due_date" for t in deep)
    assert results["score"] == float(term["book1"][_sis(22)]["total"])
    assert "raw" in results["output"] and results["extra_data"]["overrides"]
    late = json.loads((term["out"] / "students" / _sis(5) / "results.json").read_text())
    assert late["score"] == 24 and "late penalty -16" in late["output"]
    before = (term["before_out"] / "students" / _sis(22) / "feedback.md").read_text()
    after = (term["out"] / "students" / _sis(22) / "feedback.md").read_text()
    assert "are shown after the due date" in before and "are shown after the due date" not in after
    assert "Diagnosis:" not in before and "Diagnosis: LeCun factor" in after
    # he is score only before the due date: its score, and no text under it.
    assert "- `he: seeded values`: 0 / 3, failed\n- `he: " in before
    assert "- `he: seeded values`: 0 / 3, failed\n  ```text" in after
    # A visible check's "how to fix" is held back until the due date: what was found is shown.
    before = (term["before_out"] / "students" / _sis(25) / "feedback.md").read_text()
    after = (term["out"] / "students" / _sis(25) / "feedback.md").read_text()
    assert "W1 differs from the expected seeded values" in before and "W1 differs" in after
    assert before.count("(how to fix: shown after the due date)") == 2 and "Diagnosis:" not in before
    assert after.count("Diagnosis:") == 2 and "how to fix: shown" not in after


def test_inside_gradescope_the_penalty_and_the_schedule_go_into_results_json(term, tmp_path):
    from autograder.config import load_config
    from autograder.platforms.gradescope_view import gradescope_view
    from autograder.semester.gradescope import apply_semester, with_late_line

    config = load_config(term["tmp"] / "grading_20.yaml")
    engine = json.loads((term["grades"] / _sis(22) / "results.json").read_text())
    (tmp_path / "submission_metadata.json").write_text(json.dumps(
        {"created_at": (DUE + timedelta(hours=30)).isoformat(), "users": [{"sid": _sis(22)}]}))
    shown = with_late_line(gradescope_view(apply_semester(engine, config, tmp_path)))
    assert shown["score"] == engine["score"] - 16  # 2 started days at 20% of 40
    assert shown["output"].startswith(f"Raw score {engine['score']:g}; late penalty -16: 2 days late: -40% of 40 "
                                      f"points.\n\n### Score: {engine['score'] - 16:g} / 40")
    assert shown["extra_data"]["raw_score"] == engine["score"]
    visibility = {t["name"]: t["visibility"] for t in shown["tests"]}
    he = [n for n in visibility if n.startswith("he:")]
    assert he and all(visibility[n] == ("after_due_date" if n.endswith("(details)") else "visible") for n in he)
    assert [visibility[n] for n in visibility if n.startswith("deep: structure")] == ["after_due_date"]
    # The engine's scores are untouched: the extra tests carry no points.
    assert sum(t["max_score"] for t in shown["tests"]) == 40
    (tmp_path / "submission_metadata.json").write_text(json.dumps({"created_at": DUE.isoformat()}))
    on_time = apply_semester(engine, config, tmp_path)
    assert on_time["score"] == engine["score"] and "Late policy: on time." in on_time["output"]


def test_an_override_added_from_the_command_line_is_pinned_to_the_current_submission(term, tmp_path):
    path = tmp_path / "more_overrides.csv"
    _run("semester", "override", "--semester", str(term["out"] / "semester.json"), "--file", str(path),
         "--student", _sis(24), "--question", "deep", "--points", "+1.5", "--reason", "transposed: said so",
         "--who", "T. Ng")
    digest = json.loads((term["grades"] / _sis(24) / "results.json").read_text())["extra_data"]["digest"]
    assert _csv(path) == [{"student": _sis(24), "question": "deep", "points": "+1.5",
                           "reason": "transposed: said so", "who": "T. Ng", "digest": digest[:12]}]
    refused = _run("semester", "override", "--semester", str(term["out"] / "semester.json"), "--file", str(path),
                   "--student", _sis(29), "--question", "he", "--points", "3", "--reason", "x", "--who", "y",
                   check_status=(2,))
    assert "has no graded submission" in refused.stderr
