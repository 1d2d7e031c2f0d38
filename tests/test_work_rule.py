"""Which file is a student's work (autograder.intake.work), the same in every entry point; ids from the
student's folder; every entry of an input folder accounted for.

The Classroom test grades a folder of student repository clones of the real release (``initgrade
build student``): notebook filled, module filled, both, neither, a mistake; each row comes from the
file the rule names, and the feedback and results.json name it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.base.ids import unique_ids
from autograder.config import load_config
from autograder.intake import IntakeError, discover_all, load_submission
from autograder.intake.work import DEFAULT_NOTEBOOK, choose

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_config()
SOLVED_NB = ROOT / "solutions" / "initialization_solved.ipynb"
SOLVED_PY = ROOT / "solutions" / "init_functions.py"
FAN_OUT = ("* np.sqrt(2 / fan_in)", "* np.sqrt(2 / layers_dims[l])")  # he's mistake: the fan-out


def _env() -> dict:
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")


def test_default_notebook_is_grading_yamls():
    from autograder.config import GradingConfig

    assert GradingConfig.model_fields["notebook"].default == DEFAULT_NOTEBOOK


@pytest.mark.parametrize(("notebook_written", "module_written", "chosen"), [
    (True, False, "assignment/initialization.ipynb"),
    (False, True, "assignment/initlab/init_functions.py"),
    (True, True, "assignment/initialization.ipynb"),
    (False, False, "assignment/initialization.ipynb"),
])
def test_the_rule(notebook_written, module_written, chosen):
    nb, py = "assignment/initialization.ipynb", "assignment/initlab/init_functions.py"
    written = {nb: notebook_written, py: module_written}
    choice = choose([nb], [py], "initialization.ipynb", written.__getitem__)
    assert choice.path == chosen
    assert ("untouched" in choice.reason) == (chosen == py)


def test_the_rule_without_a_notebook_and_with_several():
    assert choose([], ["initlab/init_functions.py"], "initialization.ipynb", lambda p: False).kind == "module"
    # Among several notebooks, the one grading.yaml names, however deep, and never a copy deeper than it.
    pick = choose(["a/initialization.ipynb", "a/b/initialization.ipynb", "scratch.ipynb"], [], "initialization.ipynb",
                  lambda p: True)
    assert pick.path == "a/initialization.ipynb"
    from autograder.intake.work import NoWork

    with pytest.raises(NoWork, match="none is named"):
        choose(["x.ipynb", "y.ipynb"], [], "initialization.ipynb", lambda p: True)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    from autograder.packaging.student import build_student

    return build_student(tmp_path_factory.mktemp("release"), CONFIG)["folder"]


def _clone(release: Path, folder: Path, notebook: str | None = None, module: str | None = None) -> Path:
    shutil.copytree(release, folder)
    if notebook is not None:
        (folder / "assignment" / "initialization.ipynb").write_text(notebook, encoding="utf-8")
    if module is not None:
        (folder / "assignment" / "initlab" / "init_functions.py").write_text(module, encoding="utf-8")
    return folder


def _load(path: Path):
    return load_submission(path, 64 << 20, None, 256 << 10, CONFIG.functions, notebook=CONFIG.notebook)


def test_a_repository_clone_is_read_from_the_file_the_rule_names(release, tmp_path):
    untouched = _load(_clone(release, tmp_path / "neither"))
    assert untouched.graded_file == "assignment/initialization.ipynb" and untouched.kind == "notebook"
    module_only = _load(_clone(release, tmp_path / "module", module=SOLVED_PY.read_text()))
    assert module_only.graded_file == "assignment/initlab/init_functions.py"
    assert "untouched" in module_only.graded_because
    both = _load(_clone(release, tmp_path / "both", SOLVED_NB.read_text(), SOLVED_PY.read_text()))
    assert both.graded_file == "assignment/initialization.ipynb"
    # An unreadable notebook is still the work: graded to say why, never replaced by the stub module.
    with pytest.raises(IntakeError, match="not a valid Jupyter notebook"):
        _load(_clone(release, tmp_path / "broken", "{not json", SOLVED_PY.read_text()))


def test_the_folder_of_a_clone_named_on_the_command_line_is_one_submission(release, tmp_path):
    repo = _clone(release, tmp_path / "init-alice", SOLVED_NB.read_text())
    found = discover_all([repo])
    assert found.found == [repo] and not found.skipped


def test_ids_from_the_nearest_distinguishing_folder(tmp_path):
    paths = [tmp_path / f"init-{who}" / "assignment" / "initialization.ipynb" for who in ("alice", "bob", "Carol")]
    assert sorted(unique_ids(paths).values()) == ["init-Carol", "init-alice", "init-bob"]
    # Same folder, different extensions: each keeps its extension, as before.
    ids = unique_ids([tmp_path / "alice.py", tmp_path / "alice.ipynb"])
    assert sorted(ids.values()) == ["alice.ipynb", "alice.py"]
    # Folders whose names clash with another submission fall back to a hash of the path.
    clash = unique_ids([tmp_path / "x" / "a.py", tmp_path / "y" / "a.py", tmp_path / "x.py"])
    assert len(set(clash.values())) == 3 and clash[tmp_path / "x.py"] == "x"


def _mixed(folder: Path) -> Path:
    folder.mkdir()
    module = (ROOT / "examples" / "submissions" / "correct_module.py").read_text()
    for name in ("_alice.py", "__erin.py", "carol.py"):
        (folder / name).write_text(module)
    shutil.copyfile(ROOT / "examples" / "submissions" / "correct_notebook.ipynb", folder / "heidi.IPYNB")
    (folder / "bob.txt").write_text("my answers are in the notebook\n")
    (folder / "gradebook.csv").write_text("submission\n")
    (folder / "dave").mkdir()
    (folder / "dave" / "answers.docx").write_bytes(b"PK\x03\x04 not really a document")
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "__pycache__").mkdir()
    (folder / "old-grades").mkdir()
    (folder / "old-grades" / "gradebook.csv").write_text("submission\n")
    (folder / "alice-report").mkdir()
    for name in ("results.json", "feedback.md"):
        (folder / "alice-report" / name).write_text("{}")
    return folder


def test_every_entry_is_a_submission_or_listed_with_the_reason(tmp_path):
    found = discover_all([_mixed(tmp_path / "in")])
    names = sorted(p.name for p in found.found)
    assert names == ["__erin.py", "_alice.py", "carol.py", "dave", "heidi.IPYNB"]
    reasons = {s.path.name: s.reason for s in found.skipped}
    assert set(reasons) == {"bob.txt", ".DS_Store", "__pycache__", "old-grades", "alice-report", "gradebook.csv"}
    assert "initgrade writes" in reasons["gradebook.csv"]
    assert "reports written by initgrade" in reasons["alice-report"]
    assert ".txt" in reasons["bob.txt"] and "hidden" in reasons[".DS_Store"]
    assert "earlier initgrade batch" in reasons["old-grades"] and "bytecode" in reasons["__pycache__"]
    assert _load(tmp_path / "in" / "heidi.IPYNB").kind == "notebook"  # the upper-case extension is read


def test_batch_lists_what_is_not_a_submission_everywhere(tmp_path):
    src = _mixed(tmp_path / "in")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(src), "--out", str(out), "--no-progress"],
                          capture_output=True, text=True, env=_env(), timeout=900)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(",")[0] for line in (out / "gradebook.csv").read_text().splitlines()[1:]]
    assert rows == ["__erin", "_alice", "carol", "dave", "heidi"]
    summary = json.loads((out / "summary.json").read_text())
    listed = {Path(s["path"]).name: s["reason"] for s in summary["not_submissions"]}
    assert set(listed) == {"bob.txt", ".DS_Store", "__pycache__", "old-grades", "alice-report", "gradebook.csv"}
    by_id = {r["submission"]: r for r in summary["results"]}
    assert by_id["dave"]["status"] == "error" and "no notebook" in by_id["dave"]["error"]
    assert all(by_id[s]["total"] == 40 for s in ("__erin", "_alice", "carol", "heidi"))
    html = (out / "summary.html").read_text()
    assert "Not submissions" in html and "bob.txt" in html and "earlier initgrade batch" in html
    assert "Not submissions (6 entries" in proc.stdout and "bob.txt: not a .ipynb" in proc.stdout


def test_a_folder_of_nothing_but_non_submissions_says_what_it_saw(tmp_path):
    from autograder.limits import SKIPPED_SHOWN

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("x")
    for i in range(SKIPPED_SHOWN + 4):
        (tmp_path / "in" / f"scan-{i:02d}.pdf").write_bytes(b"%PDF")
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "in"), "--out",
                           str(tmp_path / "out"), "--no-progress"], capture_output=True, text=True, env=_env(),
                          timeout=300)
    assert proc.returncode == 2 and "no submissions found" in proc.stderr
    assert "notes.txt: not a .ipynb, .py or .zip file" in proc.stdout
    # The console lists a bounded number, and says how many more there are.
    assert proc.stdout.count(": not a .ipynb") == SKIPPED_SHOWN and "and 5 more" in proc.stdout


def test_results_from_a_kit_with_another_rule_are_graded_again(tmp_path):
    """The rule is part of a result's key: a re-run never reuses a result picked by another rule."""
    from autograder import __version__
    from autograder.batch.grading import cache_key, config_digest
    from autograder.intake.work import RULE

    sub = tmp_path / "alice.py"
    sub.write_text("x = 1\n")
    key = cache_key(sub, CONFIG)
    assert RULE in key and key != f"{__version__}:{config_digest(CONFIG)}:{key.rsplit(':', 1)[1]}"


def test_classroom_clones_each_graded_from_the_file_the_rule_names(release, tmp_path):
    """``initgrade grade`` over a folder of ``gh classroom clone`` repositories: one row per repository,
    named after it, each graded from the rule's file, named in feedback.md, feedback.html and results.json."""
    clones = tmp_path / "clones"
    clones.mkdir()
    solved_nb, solved_py = SOLVED_NB.read_text(), SOLVED_PY.read_text()
    assert FAN_OUT[0] in solved_nb and FAN_OUT[0] in solved_py
    cases = {  # repository -> (notebook, module, file graded, he points)
        "init-notebook-filled": (solved_nb, None, "assignment/initialization.ipynb", 10),
        "init-module-filled": (None, solved_py, "assignment/initlab/init_functions.py", 10),
        "init-both-filled": (solved_nb, solved_py.replace(*FAN_OUT), "assignment/initialization.ipynb", 10),
        "init-neither": (None, None, "assignment/initialization.ipynb", 0),
        "init-mistake": (solved_nb.replace(*FAN_OUT), solved_py, "assignment/initialization.ipynb", None),
    }
    for repo, (nb, py, _, _) in cases.items():
        _clone(release, clones / repo, nb, py)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(clones), "--out", str(out), "--jobs", "2",
                           "--no-progress"], capture_output=True, text=True, env=_env(), timeout=900)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split(",")[0]: line.split(",") for line in (out / "gradebook.csv").read_text().splitlines()[1:]}
    assert sorted(rows) == sorted(cases)
    for repo, (_, _, graded_file, he) in cases.items():
        data = json.loads((out / repo / "results.json").read_text())
        assert data["extra_data"]["graded_file"] == graded_file, repo
        assert data["extra_data"]["graded_because"] and f"Graded: {graded_file}" in data["output"]
        assert f"Graded: `{graded_file}`" in (out / repo / "feedback.md").read_text()
        assert graded_file in (out / repo / "feedback.html").read_text()
        per_q = {t["name"].split(":")[0]: 0.0 for t in data["tests"]}
        for t in data["tests"]:
            per_q[t["name"].split(":")[0]] += t["score"]
        if he is None:  # the mistake in the notebook is graded, not the correct module beside it
            assert per_q["he"] < 10 and per_q["zeros"] == per_q["random"] == per_q["deep"] == 10, per_q
        else:
            assert per_q["he"] == he, (repo, per_q)
    header = (out / "gradebook.csv").read_text().splitlines()[0].split(",")
    assert rows["init-neither"][header.index("total")] == "0"
    assert rows["init-module-filled"][header.index("total")] == f"{CONFIG.max_points():g}"

    # The Classroom workflow's own step (and so Gradescope's, which shares it) applies the same rule.
    gh_out = tmp_path / "github_output"
    step = subprocess.run([sys.executable, "-m", "autograder.platforms.classroom", "--submission",
                           str(clones / "init-module-filled"), "--out", str(tmp_path / "step")],
                          capture_output=True, text=True, env=dict(_env(), GITHUB_OUTPUT=str(gh_out)), timeout=900)
    assert step.returncode == 0, step.stderr
    results = json.loads((tmp_path / "step" / "results.json").read_text())
    assert results["extra_data"]["graded_file"] == "assignment/initlab/init_functions.py"
    assert "untouched" in results["extra_data"]["graded_because"]
    payload = json.loads(base64.b64decode(gh_out.read_text().split("=", 1)[1]))
    assert sum(t["score"] for t in payload["tests"]) == CONFIG.max_points()


def test_shards_and_their_merge_list_what_is_not_a_submission(tmp_path):
    """Each shard discovers the whole input; the merged summary lists what is not a submission once."""
    src = tmp_path / "in"
    src.mkdir()
    module = (ROOT / "examples" / "submissions" / "correct_module.py").read_text()
    for name in ("alice.py", "bob.py"):
        (src / name).write_text(module)
    (src / "notes.txt").write_text("x")
    for k in (0, 1):
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(src), "--out", str(tmp_path / f"s{k}"),
                               "--shard", f"{k}/2", "--no-progress"], capture_output=True, text=True, env=_env(),
                              timeout=600)
        assert proc.returncode == 0, proc.stderr
        listed = json.loads((tmp_path / f"s{k}" / "summary.json").read_text())["not_submissions"]
        assert [Path(x["path"]).name for x in listed] == ["notes.txt"]
    proc = subprocess.run([sys.executable, "-m", "autograder", "merge", str(tmp_path / "s0"), str(tmp_path / "s1"),
                           "--out", str(tmp_path / "merged")], capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    merged = json.loads((tmp_path / "merged" / "merge.json").read_text())
    assert [Path(x["path"]).name for x in merged["not_submissions"]] == ["notes.txt"]
    assert (tmp_path / "merged" / "summary.html").read_text().count("notes.txt") == 1


def test_gradescope_upload_follows_the_rule(release, tmp_path):
    """Gradescope's and Classroom's picking (platforms.upload.find_work) is the batch's rule."""
    from autograder.platforms.upload import find_work

    both = _clone(release, tmp_path / "both", SOLVED_NB.read_text(), SOLVED_PY.read_text())
    module = _clone(release, tmp_path / "module", None, SOLVED_PY.read_text())
    neither = _clone(release, tmp_path / "neither")
    args = {"notebook": CONFIG.notebook, "functions": CONFIG.functions}
    assert find_work(both, **args)[0] == both / "assignment" / "initialization.ipynb"
    path, because = find_work(module, **args)
    assert path == module / "assignment" / "initlab" / "init_functions.py" and "untouched" in because
    assert find_work(neither, **args)[0] == neither / "assignment" / "initialization.ipynb"
    # Reading a candidate is bounded as intake is: a notebook past the code cap is the work (the
    # grading says why), never passed over for the module beside it.
    big = _clone(release, tmp_path / "big", (ROOT / "assignment" / "initialization.ipynb").read_text(),
                 SOLVED_PY.read_text())
    assert find_work(big, **args, max_code_bytes=2000)[0] == big / "assignment" / "initialization.ipynb"
    assert find_work(big, **args)[0].name == "init_functions.py"
    upper = tmp_path / "upper"
    upper.mkdir()
    shutil.copyfile(SOLVED_NB, upper / "INITIALIZATION.IPYNB")
    assert find_work(upper, **args)[0] == upper / "INITIALIZATION.IPYNB"


def test_pytest_public_tests_follows_the_rule(release, tmp_path):
    """The Classroom default workflow's ``pytest public_tests`` tests the file the grader grades."""
    def public(repo: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "public_tests"],
                              cwd=repo, capture_output=True, text=True, env=_env(), timeout=300)

    module = public(_clone(release, tmp_path / "module", None, SOLVED_PY.read_text()))
    assert module.returncode == 0 and "target: " in module.stdout, module.stdout
    assert module.stdout.split("target: ", 1)[1].split("\n")[0].endswith("init_functions.py")
    mistake = public(_clone(release, tmp_path / "mistake", SOLVED_NB.read_text().replace(*FAN_OUT),
                            SOLVED_PY.read_text()))
    assert mistake.returncode == 1, mistake.stdout
    assert mistake.stdout.split("target: ", 1)[1].split("\n")[0].endswith("initialization.ipynb")
    assert "1 failed, 3 passed" in mistake.stdout, mistake.stdout
