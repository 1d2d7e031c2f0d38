"""Shards on a real scheduler: a one-node Slurm cluster started here (tests/slurm_cluster.py) runs
docs/scale/slurm/submit.sh as documented: the shards as an array job, the merge as a job that
waits for it (afterok). The merged gradebook equals one run's, byte for byte."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from slurm_cluster import one_node_cluster

from autograder.batch.shards import read_manifest
from autograder.commands.cli import main
from autograder.config import PROJECT_ROOT

SLURM_DOCS = PROJECT_ROOT / "docs" / "scale" / "slurm"
INITGRADE = Path(sys.executable).parent / "initgrade"
SUBMISSIONS = [PROJECT_ROOT / "examples" / "submissions" / name for name in
               ("correct_module.py", "correct_notebook.ipynb", "deep_transposed.py", "he_xavier_scale.py")]
SUBMISSIONS += [PROJECT_ROOT / "examples" / "mistakes" / name for name in ("he_fan_out.py", "deep_times_10.py")]


@pytest.fixture(scope="module")
def slurm():
    with one_node_cluster() as cluster:
        yield cluster


def test_shards_as_an_array_job_and_the_merge_after_it(slurm, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    for p in SUBMISSIONS:
        shutil.copy(p, subs / p.name)
    cache = tmp_path / "training-cache"
    # The scheduler is under test, not the accuracies: trainings a tenth as long keep the test short.
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    for t in raw["training"].values():
        t["num_iterations"] //= 10
    # ...and thresholds the reference reaches in that time (a config the reference fails is refused).
    for t in raw["thresholds"].values():
        if (t.get("min_train_accuracy") or 0) > 0.5:
            t["min_train_accuracy"] = 0.5
    config = tmp_path / "grading.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    # The whole set in one run, here: the reference, and it fills the cache the shards share.
    whole = CliRunner().invoke(main, ["grade", str(subs), "--out", str(tmp_path / "one-run"), "--cache", str(cache),
                                      "--config", str(config), "--no-progress"])
    assert whole.exit_code == 0, whole.output
    run = tmp_path / "run"
    env = {**slurm.env, "SUBMISSIONS": str(subs), "RUN": str(run), "CACHE": str(cache), "INITGRADE": str(INITGRADE),
           "CONFIG": str(config)}
    # The scripts ask for 2 CPUs and 4 GB per shard, as on a real cluster; this node is smaller.
    submitted = subprocess.run([str(SLURM_DOCS / "submit.sh"), "3", "--cpus-per-task=1", "--mem=500M"], env=env,
                               capture_output=True, text=True, timeout=60)
    assert submitted.returncode == 0, submitted.stderr + slurm.logs()
    array, merge = re.fullmatch(r"shards: job (\d+) \(array 0-2\); merge: job (\d+)\n", submitted.stdout).groups()
    # While the shards run, the merge waits on its dependency.
    assert "afterok" in slurm.run("scontrol", "-o", "show", "job", merge).stdout
    slurm.wait_for_jobs([array, merge])
    shard_states = slurm.job_states(array)
    assert len(shard_states) == 3 and all(s == ("COMPLETED", "0:0") for s in shard_states), shard_states
    assert slurm.job_states(merge) == [("COMPLETED", "0:0")], slurm.logs()

    shares = [read_manifest(run / f"shard-{k}") for k in range(3)]
    assert [(m.shard, m.shards, m.status, len(m.ids)) for m in shares] == [(k, 3, "complete", 2) for k in range(3)]
    merged = run / "merged"
    assert (merged / "gradebook.csv").read_bytes() == (tmp_path / "one-run" / "gradebook.csv").read_bytes()
    assert (merged / "summary.html").read_text() == (tmp_path / "one-run" / "summary.html").read_text()
    assert json.loads((merged / "merge.json").read_text())["complete"] is True
    logs = sorted(p.name for p in run.glob("initgrade-*.log"))
    assert len([n for n in logs if n.startswith("initgrade-shard-")]) == 3 and any("merge" in n for n in logs)


def test_a_failed_shard_holds_the_merge_back(slurm, tmp_path):
    run = tmp_path / "run"
    # No submissions folder: every shard fails (exit 2), so the afterok merge never runs.
    env = {**slurm.env, "SUBMISSIONS": str(tmp_path / "absent"), "RUN": str(run), "INITGRADE": str(INITGRADE)}
    submitted = subprocess.run([str(SLURM_DOCS / "submit.sh"), "2", "--cpus-per-task=1", "--mem=500M"], env=env,
                               capture_output=True, text=True, timeout=60)
    assert submitted.returncode == 0, submitted.stderr
    array, merge = re.fullmatch(r"shards: job (\d+) \(array 0-1\); merge: job (\d+)\n", submitted.stdout).groups()
    slurm.wait_for_jobs([array, merge])
    assert [s for s, _ in slurm.job_states(array)] == ["FAILED", "FAILED"]
    assert not (run / "merged").exists()
