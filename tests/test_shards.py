"""Shards and their merge (autograder.batch.shards, autograder.batch.merge).

One set graded in one run and in 3 shards merged gives the same gradebook byte for byte and
the same class summary and JUnit file; every bad set of shards is refused with a reason and
leaves the output folder as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from autograder.batch.grading import config_digest, grade_batch
from autograder.batch.shards import MANIFEST, ShardRecorder, ShardSpec, ShardSpecError, assign, read_manifest
from autograder.commands.cli import main
from autograder.config import PROJECT_ROOT, load_config

SUBMISSIONS = [PROJECT_ROOT / "examples" / "submissions" / name for name in
               ("correct_module.py", "correct_notebook.ipynb", "deep_transposed.py", "he_xavier_scale.py")]
SUBMISSIONS += [PROJECT_ROOT / "examples" / "mistakes" / name for name in ("he_fan_out.py", "deep_times_10.py")]


def run_cli(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# --- choosing a share --------------------------------------------------------------------


def test_shares_are_balanced_disjoint_and_cover_the_set():
    ids = [f"student-{i:04d}" for i in range(1000)] + ["é-ü", "x" * 300, "a b"]
    for n in (1, 2, 3, 7, 64):
        shard_of = assign(ids, n)
        sizes = [sum(1 for k in shard_of.values() if k == i) for i in range(n)]
        assert sum(sizes) == len(ids) and max(sizes) - min(sizes) <= 1, (n, sizes)
    assert assign(ids[:2], 5) and sorted(assign(ids[:2], 5).values()) == [0, 1]  # more shards than ids


def test_shares_do_not_depend_on_order_or_on_the_process():
    ids = [f"s{i}" for i in range(200)]
    shuffled = ids[:]
    random.Random(4).shuffle(shuffled)
    assert assign(ids, 3) == assign(shuffled, 3)
    # Ranked by SHA-256 of the id, so another interpreter with another hash seed agrees.
    by_hash = sorted(ids, key=lambda s: hashlib.sha256(s.encode()).hexdigest())
    expected = {sid: rank % 3 for rank, sid in enumerate(by_hash)}
    assert assign(ids, 3) == expected
    code = ("import json, sys; from autograder.batch.shards import assign; "
            "print(json.dumps(assign(json.load(sys.stdin), 3)))")
    for seed in ("1", "12345"):
        out = subprocess.run([sys.executable, "-c", code], input=json.dumps(shuffled), capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert json.loads(out.stdout) == expected


@pytest.mark.parametrize("text, says", [("3/3", "out of range"), ("5/2", "numbered 0 to 1"), ("0/0", "at least 1"),
                                        ("1", "not K/N"), ("-1/3", "not K/N"), ("a/b", "not K/N")])
def test_bad_shard_option_is_a_clear_error_before_anything_is_written(tmp_path, text, says):
    with pytest.raises(ShardSpecError, match=says):
        ShardSpec.parse(text)
    out = tmp_path / "out"
    result = run_cli("grade", SUBMISSIONS[0], "--out", out, "--shard", text, "--no-progress")
    assert result.exit_code == 2
    assert says in result.output and "--shard" in result.output
    assert not out.exists()


# --- one run against three shards merged -------------------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory, warm_cache_at):
    """The 6 submissions graded in one run and as shards 0/3, 1/3, 2/3 (one shared training cache)."""
    root = tmp_path_factory.mktemp("shards")
    subs = root / "subs"
    subs.mkdir()
    for p in SUBMISSIONS:
        shutil.copy(p, subs / p.name)
    cache = warm_cache_at(root / "cache")  # the reference trainings made
    whole = run_cli("grade", subs, "--out", root / "all", "--cache", cache, "--junit", root / "all" / "junit.xml",
                    "--no-progress")
    assert whole.exit_code == 0, whole.output
    for k in range(3):
        r = run_cli("grade", subs, "--out", root / f"s{k}", "--cache", cache, "--shard", f"{k}/3", "--no-progress")
        assert r.exit_code == 0, r.output
        assert f"Shard {k}/3: 2 of 6 submissions (complete)" in r.output
    return root


def _junit_semantics(path: Path):
    def walk(e):
        attrs = {k: v for k, v in e.attrib.items() if k != "time"}  # seconds differ between runs
        return (e.tag, attrs, (e.text or "").strip(), [walk(c) for c in e])

    return walk(ET.parse(path).getroot())


def test_merged_shards_equal_one_run(graded, tmp_path):
    out = tmp_path / "merged"
    r = run_cli("merge", graded / "s0", graded / "s1", graded / "s2", "--out", out)
    assert r.exit_code == 0, r.output
    assert (out / "gradebook.csv").read_bytes() == (graded / "all" / "gradebook.csv").read_bytes()
    assert len((out / "gradebook.csv").read_text().splitlines()) == 7
    assert (out / "summary.html").read_text() == (graded / "all" / "summary.html").read_text()
    assert _junit_semantics(out / "junit.xml") == _junit_semantics(graded / "all" / "junit.xml")
    # every submission's feedback is there for the summary's links, with its results
    for p in SUBMISSIONS:
        sid = p.stem
        assert (out / sid / "feedback.html").is_file()
        assert json.loads((out / sid / "results.json").read_text()) == json.loads(
            (graded / "all" / sid / "results.json").read_text()) | {
            "execution_time": json.loads((out / sid / "results.json").read_text())["execution_time"]}
    merged = json.loads((out / "merge.json").read_text())
    assert merged["complete"] is True and merged["missing_shards"] == [] and merged["submissions"] == 6


def test_the_merged_folder_states_its_one_isolation_level(graded, tmp_path):
    out = tmp_path / "merged"
    r = run_cli("merge", graded / "s0", graded / "s1", graded / "s2", "--out", out)
    assert r.exit_code == 0, r.output
    level = read_manifest(graded / "s0").isolation
    assert level and all(read_manifest(graded / f"s{k}").isolation == level for k in range(3))
    assert f"Sandbox isolation of every merged result: {level}." in r.output
    summary, whole = (json.loads((folder / "summary.json").read_text()) for folder in (out, graded / "all"))
    assert summary["isolation_label"] == level == whole["isolation_label"]
    assert {k: v for k, v in summary.items() if k != "unchanged_since_last_run"} == {
        k: v for k, v in whole.items() if k != "unchanged_since_last_run"}
    assert json.loads((out / "merge.json").read_text())["isolation_label"] == level
    assert f"Sandbox isolation: {level}" in (out / "summary.html").read_text()


def test_shards_split_the_set_without_overlap(graded):
    manifests = [read_manifest(graded / f"s{k}") for k in range(3)]
    ids = [sid for m in manifests for sid in m.ids]
    assert sorted(ids) == sorted(p.stem for p in SUBMISSIONS)
    assert [len(m.ids) for m in manifests] == [2, 2, 2]
    for m in manifests:
        assert m.status == "complete" and m.shards == 3 and m.submissions_in_set == 6
        for sid, key in m.ids.items():
            assert json.loads((graded / f"s{m.shard}" / sid / "results.json").read_text())[
                "extra_data"]["cache_key"] == key


def test_a_share_with_no_submissions_is_a_complete_empty_shard(graded, tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(SUBMISSIONS[0], one)
    r = run_cli("grade", one, "--out", tmp_path / "s1", "--cache", graded / "cache", "--shard", "1/2", "--no-progress")
    assert r.exit_code == 0, r.output
    m = read_manifest(tmp_path / "s1")
    assert m.status == "complete" and m.ids == {} and m.submissions_in_set == 1


def test_a_shard_of_an_empty_folder_says_no_submissions_and_writes_no_manifest(graded, tmp_path):
    """The one run whose recorder never makes a manifest (nothing found, so nothing to select):
    the command stops at 'no submissions found' before anything reads the manifest."""
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_cli("grade", empty, "--out", tmp_path / "s0", "--cache", graded / "cache", "--shard", "0/2",
                "--no-progress")
    assert r.exit_code == 2, r.output
    assert "no submissions found" in r.output and "Shard 0/2" not in r.output
    assert not (tmp_path / "s0" / MANIFEST).exists()


def test_incomplete_set_only_with_the_flag_and_the_outputs_say_it(graded, tmp_path):
    out = tmp_path / "merged"
    r = run_cli("merge", graded / "s0", graded / "s2", "--out", out, "--allow-incomplete")
    assert r.exit_code == 0, r.output
    merged = json.loads((out / "merge.json").read_text())
    assert merged["complete"] is False and merged["missing_shards"] == [1] and merged["submissions"] == 4
    assert "shard 1 of 3 not merged" in (out / "summary.html").read_text()
    failures = [f.get("message") for f in ET.parse(out / "junit.xml").getroot().iter("failure")]
    assert any("2 of 6 submissions are missing" in m for m in failures)
    assert "missing" in r.output
    assert len((out / "gradebook.csv").read_text().splitlines()) == 5


# --- refusals: a clear reason each, nothing written ----------------------------------------


def _copy_shards(graded: Path, tmp: Path, names=("s0", "s1", "s2")) -> list[Path]:
    copies = []
    for name in names:
        shutil.copytree(graded / name, tmp / name)
        copies.append(tmp / name)
    return copies


def _edit_manifest(folder: Path, **changes) -> None:
    data = json.loads((folder / MANIFEST).read_text())
    data.update(changes)
    (folder / MANIFEST).write_text(json.dumps(data))


def _refused(tmp_path: Path, *args, says: str) -> None:
    out = tmp_path / "merged"
    out.mkdir(exist_ok=True)
    (out / "gradebook.csv").write_text("previous gradebook\n")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    r = run_cli("merge", *args, "--out", out)
    assert r.exit_code == 2, r.output
    assert "nothing was written" in r.output and says in r.output, r.output
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "gradebook.csv").read_text() == "previous gradebook\n"


def test_refuses_a_missing_shard(graded, tmp_path):
    _refused(tmp_path, graded / "s0", graded / "s2", says="shard 1 of 3 not given")


def test_refuses_the_same_index_twice(graded, tmp_path):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    shutil.copytree(s0, tmp_path / "again")
    _refused(tmp_path, s0, s1, s2, tmp_path / "again", says="shard index 0 given 2 times")


def test_refuses_overlapping_shards(graded, tmp_path):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    stolen = next(iter(read_manifest(s0).ids.items()))
    _edit_manifest(s1, ids={**read_manifest(s1).ids, stolen[0]: stolen[1]})
    _refused(tmp_path, s0, s1, s2, says=f"submission {stolen[0]!r} is in two shards")


def test_refuses_shards_with_different_n(graded, tmp_path):
    other = tmp_path / "two"
    r = run_cli("grade", graded / "subs", "--out", other, "--cache", graded / "cache", "--shard", "1/2",
                "--no-progress")
    assert r.exit_code == 0, r.output
    _refused(tmp_path, graded / "s0", other, graded / "s2", says="the shards disagree on N")


@pytest.mark.parametrize("status, says", [("in-progress", "did not finish"), ("interrupted", "was interrupted")])
def test_refuses_an_unfinished_shard(graded, tmp_path, status, says):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    _edit_manifest(s1, status=status)
    _refused(tmp_path, s0, s1, s2, says=says)


def test_an_interrupted_grading_leaves_an_interrupted_shard(graded, tmp_path):
    config = load_config()
    out = tmp_path / "s1"
    recorder = ShardRecorder(out, ShardSpec.parse("1/3"), config_digest(config))

    def stop(result, reused):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), recorder:
        grade_batch([graded / "subs"], out, config, cache_dir=graded / "cache", on_result=stop,
                    select=recorder.select)
    assert read_manifest(out).status == "interrupted"
    _refused(tmp_path, graded / "s0", out, graded / "s2", says="was interrupted")
    # grading it again with the same command finishes it, and the merge then takes it
    r = run_cli("grade", graded / "subs", "--out", out, "--cache", graded / "cache", "--shard", "1/3", "--no-progress")
    assert r.exit_code == 0 and read_manifest(out).status == "complete"
    assert run_cli("merge", graded / "s0", out, graded / "s2", "--out", tmp_path / "ok").exit_code == 0


def test_refuses_another_grader_version(graded, tmp_path):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    _edit_manifest(s2, grader_version="0.0.9")
    _refused(tmp_path, s0, s1, s2, says="was graded by initgrade 0.0.9")


def test_refuses_shards_graded_at_different_isolation_levels(graded, tmp_path):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    _edit_manifest(s1, isolation="uid+rlimits without Landlock")
    _refused(tmp_path, s0, s1, s2, says="graded at different sandbox isolation levels")


def test_refuses_results_graded_at_another_level_inside_a_shard(graded, tmp_path):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    sid = next(iter(read_manifest(s2).ids))
    data = json.loads((s2 / sid / "results.json").read_text())
    data["extra_data"].update(isolation="rlimits", landlock=True)
    (s2 / sid / "results.json").write_text(json.dumps(data))
    _refused(tmp_path, s0, s1, s2, says="results were graded at different sandbox isolation levels")


def test_refuses_another_grading_yaml(graded, tmp_path):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    _edit_manifest(s2, config_digest="0123456789abcdef")
    _refused(tmp_path, s0, s1, s2, says="was graded with another grading.yaml")
    # and shards that agree with each other but not with the grading.yaml the merge loads
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    raw["limits"]["probe_seconds"] = raw["limits"]["probe_seconds"] + 1
    changed = tmp_path / "grading.yaml"
    changed.write_text(yaml.safe_dump(raw, sort_keys=False))
    _refused(tmp_path, graded / "s0", graded / "s1", graded / "s2", "--config", changed,
             says="was graded with another grading.yaml")


def test_refuses_shards_of_different_submission_sets(graded, tmp_path):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    _edit_manifest(s2, submissions_in_set=7, set_digest="f" * 64)
    _refused(tmp_path, s0, s1, s2, says="saw different submission sets")


def test_refuses_results_rewritten_since_the_manifest(graded, tmp_path):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    sid = next(iter(read_manifest(s1).ids))
    data = json.loads((s1 / sid / "results.json").read_text())
    data["extra_data"]["cache_key"] = "0.1.0:other:run"
    (s1 / sid / "results.json").write_text(json.dumps(data))
    _refused(tmp_path, s0, s1, s2, says=f"the results of {sid!r} are missing or were written by another run")


def test_refuses_folders_that_are_not_shards_and_unsafe_ids(graded, tmp_path):
    _refused(tmp_path, graded / "all", graded / "s1", graded / "s2", says="not a shard output")
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    (s0 / MANIFEST).write_text("{not json")
    _refused(tmp_path, s0, s1, s2, says="not a valid shard manifest")
    shutil.rmtree(s0)
    shutil.copytree(graded / "s0", s0)
    _edit_manifest(s0, ids={"../../etc": "k"})
    _refused(tmp_path, s0, s1, s2, says="which is not a submission id")


def test_refuses_to_write_into_a_shard(graded, tmp_path):
    s0, s1, s2 = _copy_shards(graded, tmp_path)
    before = sorted(p.relative_to(s1) for p in s1.rglob("*"))
    r = run_cli("merge", s0, s1, s2, "--out", s1 / "merged")
    assert r.exit_code == 2 and "is inside shard folder" in r.output
    r = run_cli("merge", s0, s1, s2, "--out", tmp_path / "merged", "--junit", s2 / "junit.xml")
    assert r.exit_code == 2 and "--junit" in r.output and not (s2 / "junit.xml").exists()
    assert sorted(p.relative_to(s1) for p in s1.rglob("*")) == before
    assert not (tmp_path / "merged").exists()


# --- the ready-to-use examples of docs/scale.md ---------------------------------------------

SCALE = PROJECT_ROOT / "docs" / "scale"
EXAMPLE_FILES = ["slurm/submit.sh", "slurm/grade-shards.sbatch", "slurm/merge.sbatch", "kubernetes/grade-job.yaml",
                 "kubernetes/merge-job.yaml", "github/grade.yml"]


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_docs_show_the_example_files_as_they_are(name):
    # docs/scale.md quotes each file whole: what a reader copies is what the tests run.
    assert (SCALE / name).read_text().rstrip("\n") in (PROJECT_ROOT / "docs" / "scale.md").read_text()


def test_kubernetes_indexed_job_commands_grade_and_merge(graded, tmp_path):
    """Each pod's command, as the manifests write it, run here for every completion index."""
    grade_job = yaml.safe_load((SCALE / "kubernetes" / "grade-job.yaml").read_text())
    merge_job = yaml.safe_load((SCALE / "kubernetes" / "merge-job.yaml").read_text())
    assert grade_job["spec"]["completionMode"] == "Indexed"
    pod = grade_job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in pod["env"]}
    n = grade_job["spec"]["completions"]
    assert int(env["SHARDS"]) == n  # the shard count given to initgrade is the Job's
    root = tmp_path / "grading"
    shutil.copytree(graded / "subs", root / "submissions")
    shutil.copytree(graded / "cache", root / "run" / "training-cache")  # the volume after a first course run

    def run_pod(container, extra_env):
        assert container["command"] == ["/bin/sh", "-c"]
        script = " ".join(container["args"]).replace("/grading", str(root))
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
        return subprocess.run(["/bin/sh", "-c", script], env={**os.environ, **extra_env, "PATH": path},
                              capture_output=True, text=True, timeout=600)

    for k in range(n):
        done = run_pod(pod, {**env, "JOB_COMPLETION_INDEX": str(k)})
        assert done.returncode == 0, done.stdout + done.stderr
    merged = run_pod(merge_job["spec"]["template"]["spec"]["containers"][0], {})
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert (root / "run" / "merged" / "gradebook.csv").read_bytes() == (graded / "all" / "gradebook.csv").read_bytes()


def test_github_matrix_covers_every_shard_once():
    flow = yaml.safe_load((SCALE / "github" / "grade.yml").read_text())
    shard = flow["jobs"]["shard"]
    assert shard["strategy"]["matrix"]["shard"] == list(range(int(shard["env"]["SHARDS"])))
    assert shard["strategy"]["fail-fast"] is False
    assert flow["jobs"]["merge"]["needs"] == "shard"
    grade_cmd = next(s["run"] for s in shard["steps"] if "initgrade grade" in s.get("run", ""))
    assert "--shard ${{ matrix.shard }}/${{ env.SHARDS }}" in grade_cmd
    merge_cmd = next(s["run"] for s in flow["jobs"]["merge"]["steps"] if "initgrade merge" in s.get("run", ""))
    assert "run/shard-*" in merge_cmd


def test_sigterm_leaves_an_interrupted_shard_that_the_merge_refuses(graded, tmp_path):
    """What a scheduler does at a time limit: SIGTERM to the shard while it grades."""
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(SUBMISSIONS[0], subs / "a_correct.py")
    shutil.copy(PROJECT_ROOT / "examples" / "submissions" / "hostile_endless_loop.py", subs / "b_endless.py")
    out = tmp_path / "shard"
    cmd = [str(Path(sys.executable).parent / "initgrade"), "grade", str(subs), "--out", str(out), "--cache",
           str(graded / "cache"), "--shard", "0/1", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # Graded in id order: once the first result is written, the endless loop is being graded.
        deadline = time.monotonic() + 300
        while not (out / "a_correct" / "results.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else ""
            time.sleep(0.05)
        assert read_manifest(out).status == "in-progress"
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, output
    m = read_manifest(out)
    assert m.status == "interrupted" and set(m.ids) == {"a_correct", "b_endless"}
    _refused(tmp_path, out, says="was interrupted")


def test_merge_replaces_stale_files_and_never_follows_links(graded, tmp_path):
    out = tmp_path / "merged"
    sid = next(iter(read_manifest(graded / "s0").ids))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the merge's")
    (out / sid).mkdir(parents=True)
    (out / sid / "stale.svg").write_text("old")
    (out / sid / "linked").symlink_to(outside, target_is_directory=True)
    r = run_cli("merge", graded / "s0", graded / "s1", graded / "s2", "--out", out)
    assert r.exit_code == 0, r.output
    assert not (out / sid / "stale.svg").exists() and not (out / sid / "linked").exists()
    assert (outside / "keep.txt").read_text() == "not the merge's"
    # a submission folder of --out that is itself a link is refused before anything is written
    shutil.rmtree(out / sid)
    (out / sid).symlink_to(outside, target_is_directory=True)
    r = run_cli("merge", graded / "s0", graded / "s1", graded / "s2", "--out", out)
    assert r.exit_code == 2 and "is a link" in r.output
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]
