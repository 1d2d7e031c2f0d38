"""``initgrade merge SHARD_DIR... --out DIR``: one gradebook from the shards of a batch.

Every check runs before anything is written, so a refused merge leaves DIR as it was.
The merge refuses (exit status 2, every problem listed):

- a folder that is not a shard output (no valid ``shard.json``);
- a shard whose run did not finish (``in-progress`` or ``interrupted``): grade it again, with
  the same command (finished submissions are reused), or leave it out with ``--allow-incomplete``;
- shards graded by another grader version than each other or than this ``initgrade``, or with
  another ``grading.yaml`` (its digest) than each other or than the one this merge loads;
- shards that disagree on N, two shards with the same index, shards that saw different
  submission sets, the same submission in two shards;
- shards graded at different sandbox isolation levels (Landlock or not included), or results inside
  them that were (a merged gradebook has one level, which its outputs state);
- a shard whose results are missing or were rewritten by another run since its manifest;
- a missing shard index, unless ``--allow-incomplete``: then ``merge.json``, the class summary
  and the JUnit file say which shards and how many submissions are missing.

On success DIR holds what one ``initgrade grade`` of the whole set writes: ``<id>/`` (feedback,
results.json, ...) copied from the shards, ``gradebook.csv``, ``summary.html`` and JUnit XML, all
made by the same writers as a single run (autograder.outputs.reports, autograder.feedback.summary,
autograder.outputs.junit): ``summary.json`` included, plus ``merge.json``, both naming the isolation level.
Exit status 0: merged (complete, or incomplete as allowed).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from autograder import __version__
from autograder.base.atomic import place_atomic, write_atomic
from autograder.batch.grading import config_digest, load_previous
from autograder.batch.shards import MANIFEST, ShardManifest, read_manifest
from autograder.config import ConfigError, GradingConfig, load_config
from autograder.engine import SubmissionResult
from autograder.feedback.summary import write_class_summary
from autograder.intake.discovery import Skipped
from autograder.outputs.junit import write_junit
from autograder.outputs.reports import BATCH_SUMMARY_FILE, batch_summary, gradebook_csv
from autograder.sandbox.isolation_levels import label, warning

MERGE_MANIFEST = "merge.json"


class MergeRefused(Exception):
    """The shards cannot be merged; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class MergePlan:
    shards: int
    shards_in_set: list[int]
    missing: list[int]
    submissions_in_set: int
    folders: dict[int, str] = field(default_factory=dict)
    # id -> (shard folder, cache key)
    sources: dict[str, tuple[Path, str]] = field(default_factory=dict)
    results: list[SubmissionResult] = field(default_factory=list)

    @property
    def notice(self) -> str:
        if not self.missing:
            return ""
        lost = self.submissions_in_set - len(self.results)
        return (f"Incomplete: shard{'s' if len(self.missing) > 1 else ''} "
                f"{', '.join(str(k) for k in self.missing)} of {self.shards} not merged (--allow-incomplete); "
                f"{lost} of {self.submissions_in_set} submissions are missing from these results.")


def _safe_id(sid: str) -> bool:
    """An id read from a manifest names a folder inside a shard and inside DIR: one plain name."""
    return bool(sid) and sid not in (".", "..") and not sid.startswith(".") and not any(
        ch in sid for ch in "/\\\0")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_each(manifests: list[tuple[Path, ShardManifest]], here_digest: str) -> list[str]:
    """What makes one shard unmergeable on its own: unfinished, another version or grading.yaml."""
    problems = []
    for folder, m in manifests:
        name = f"shard {m.shard}/{m.shards} ({folder})"
        if m.status != "complete":
            why = "was interrupted" if m.status == "interrupted" else "did not finish (still running, or killed)"
            problems.append(f"{name} {why}: grade it again with the same command (finished submissions are "
                            f"reused), or leave it out with --allow-incomplete")
        if m.grader_version != __version__:
            problems.append(f"{name} was graded by initgrade {m.grader_version}; this is initgrade {__version__}: "
                            "grade every shard and merge with one version")
        if m.config_digest != here_digest:
            problems.append(f"{name} was graded with another grading.yaml (digest {m.config_digest}; this merge "
                            f"loads {here_digest}): grade every shard with one grading.yaml and merge with "
                            "--config pointing at it")
        if m.shard >= m.shards:
            problems.append(f"{name}: shard index {m.shard} is out of range for {m.shards} shards")
    return problems


def _check_together(manifests: list[tuple[Path, ShardManifest]]) -> list[str]:
    """What makes shards not one split of one set: different N, an index twice, different sets."""
    problems = []
    if len({m.shards for _, m in manifests}) > 1:
        problems.append("the shards disagree on N: " + "; ".join(
            f"{f} is shard {m.shard}/{m.shards}" for f, m in manifests) + ". Merge shards of one run only")
    by_index: dict[int, list[Path]] = {}
    for folder, m in manifests:
        by_index.setdefault(m.shard, []).append(folder)
    for k, fs in sorted(by_index.items()):
        if len(fs) > 1:
            problems.append(f"shard index {k} given {len(fs)} times: {', '.join(str(f) for f in fs)}")
    if len({m.isolation for _, m in manifests}) > 1:
        problems.append("the shards were graded at different sandbox isolation levels: " + "; ".join(
            f"{f}: {m.isolation or 'not recorded'}" for f, m in manifests)
            + ". Grade every shard on machines that give the same level (initgrade grade prints it)")
    if len({(m.set_digest, m.submissions_in_set) for _, m in manifests}) > 1:
        problems.append("the shards saw different submission sets: " + "; ".join(
            f"{f} saw {m.submissions_in_set} submissions (set {m.set_digest[:12]})" for f, m in manifests)
            + ". Every shard must be graded from the same PATHs")
    return problems


def plan_merge(folders: list[Path], config: GradingConfig, out: Path, *, allow_incomplete: bool = False,
               junit: Path | None = None) -> MergePlan:
    """Read and cross-check the shards; MergeRefused lists every problem found."""
    problems: list[str] = []
    manifests: list[tuple[Path, ShardManifest]] = []
    seen_folders: set[Path] = set()
    for folder in folders:
        real = Path(folder).resolve()
        if real in seen_folders:
            problems.append(f"{folder}: given twice")
            continue
        seen_folders.add(real)
        try:
            manifests.append((Path(folder), read_manifest(folder)))
        except ValueError as exc:
            problems.append(str(exc))
    if not manifests:
        raise MergeRefused(problems or ["no shard folders given"])

    problems += _check_each(manifests, config_digest(config))
    problems += _check_together(manifests)
    counts = sorted({m.shards for _, m in manifests})
    by_index = sorted({m.shard for _, m in manifests})
    sets = {(m.set_digest, m.submissions_in_set) for _, m in manifests}

    out_real = Path(out).resolve()
    sources: dict[str, tuple[Path, str]] = {}
    for folder, m in manifests:
        real = folder.resolve()
        if _inside(out_real, real):
            problems.append(f"--out {out} is inside shard folder {folder}: merge into another folder")
        if junit is not None and _inside(Path(junit).resolve(), real):
            problems.append(f"--junit {junit} is inside shard folder {folder}: write it elsewhere")
        for sid, key in m.ids.items():
            if not _safe_id(sid):
                problems.append(f"{folder}/{MANIFEST} lists {sid!r}, which is not a submission id")
                continue
            if sid in sources:
                problems.append(f"submission {sid!r} is in two shards: {sources[sid][0]} and {folder}")
                continue
            sources[sid] = (folder, key)
            if (out_real / sid).is_symlink():
                problems.append(f"{out}/{sid} is a link: the merge writes only into real folders of --out")
            if _inside(real, out_real / sid):
                problems.append(f"shard folder {folder} is where the merge would write submission {sid!r}")

    n = counts[-1]
    missing = sorted(set(range(n)) - set(by_index)) if len(counts) == 1 else []
    if missing and not allow_incomplete:
        problems.append(f"shard{'s' if len(missing) > 1 else ''} {', '.join(str(k) for k in missing)} of {n} "
                        f"not given: merge every shard, or pass --allow-incomplete (the outputs then say so)")
    total = manifests[0][1].submissions_in_set
    if not missing and len(sets) == 1 and not problems and len(sources) != total:
        problems.append(f"the shards hold {len(sources)} submissions but their set has {total}")

    plan = MergePlan(shards=n, shards_in_set=by_index, missing=missing, submissions_in_set=total,
                     sources=sources, folders={m.shard: str(f) for f, m in manifests})
    if not problems:
        for sid, (folder, key) in sorted(sources.items()):
            result = load_previous(folder / sid, key)
            if result is None or result.id != sid:
                problems.append(f"{folder}: the results of {sid!r} are missing or were written by another run "
                                f"than its {MANIFEST}: grade the shard again")
            else:
                plan.results.append(result)
        levels = {label(r.isolation, r.landlock) for r in plan.results}
        if len(levels) > 1:
            problems.append("the shards' results were graded at different sandbox isolation levels: "
                            + ", ".join(sorted(levels)) + ". Grade them again on machines that give one level")
    if problems:
        raise MergeRefused(problems)
    return plan


def _files(folder: Path) -> list[Path]:
    """Regular files under ``folder``, relative to it; links are neither followed nor listed."""
    found = []
    for top, _, names in os.walk(folder):  # os.walk does not enter linked folders
        for name in names:
            path = Path(top, name)
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(folder))
    return sorted(found)


def copy_submission(src: Path, dst: Path) -> None:
    """A shard's ``<id>/`` folder into DIR: regular files only (our own outputs hold no links),
    results.json last as in a grading run, files the shard no longer has removed."""
    files = _files(src)
    files.sort(key=lambda rel: rel.as_posix() == "results.json")
    for rel in files:
        place_atomic(src / rel, dst / rel)
    keep = set(files)
    for top, dirs, names in os.walk(dst):
        for name in names + [d for d in dirs if Path(top, d).is_symlink()]:
            old = Path(top, name)
            if old.relative_to(dst) not in keep and (old.is_symlink() or old.is_file()):
                old.unlink()


def shards_not_submissions(plan: MergePlan) -> list[Skipped]:
    """The entries of the input that are not submissions, as the shards' summary.json list them (every
    shard discovers the whole input, so each lists them all; read as data, said once each)."""
    seen: dict[str, Skipped] = {}
    for folder in sorted({str(f) for f, _ in plan.sources.values()}):
        try:
            listed = json.loads((Path(folder) / BATCH_SUMMARY_FILE).read_text(encoding="utf-8"))["not_submissions"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for entry in listed if isinstance(listed, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str) and isinstance(entry.get("reason"), str):
                seen.setdefault(entry["path"], Skipped(Path(entry["path"]), entry["reason"]))
    return [seen[k] for k in sorted(seen)]


def write_merged(plan: MergePlan, out: Path, config: GradingConfig, junit: Path | None = None) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for sid, (folder, _) in sorted(plan.sources.items()):
        copy_submission(folder / sid, out / sid)
    results = sorted(plan.results, key=lambda r: r.id)
    write_atomic(out / "gradebook.csv", gradebook_csv(results, config))
    skipped = shards_not_submissions(plan)
    write_class_summary(out, results, config, notice=plan.notice, skipped=skipped)
    write_junit(junit or out / "junit.xml", results, notice=plan.notice)
    level, landlock = (results[0].isolation, results[0].landlock) if results else ("", None)
    write_atomic(out / BATCH_SUMMARY_FILE, json.dumps(
        batch_summary(results, config, isolation=level, landlock=landlock, interrupted=plan.notice,
                      skipped=skipped), indent=2))
    write_atomic(out / MERGE_MANIFEST, json.dumps({
        "isolation": level, "landlock": landlock, "isolation_label": label(level, landlock),
        "format": "initgrade-merge/1", "grader_version": __version__, "config_digest": config_digest(config),
        "complete": not plan.missing, "shards": plan.shards, "merged_shards": plan.shards_in_set,
        "missing_shards": plan.missing, "submissions": len(results),
        "submissions_in_set": plan.submissions_in_set, "notice": plan.notice,
        "not_submissions": [{"path": str(x.path), "reason": x.reason} for x in skipped],
        "shard_folders": {str(k): f for k, f in sorted(plan.folders.items())}}, indent=2) + "\n")


@click.command()
@click.argument("shard_dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Folder for the merged outputs.")
@click.option("--config", "config_path", type=click.Path(exists=True, path_type=Path),
              help="grading.yaml the shards were graded with (default: the kit's).")
@click.option("--junit", type=click.Path(path_type=Path), help="JUnit XML file (default: OUT/junit.xml).")
@click.option("--allow-incomplete", is_flag=True,
              help="Merge even if some shards are missing; the outputs say which and how many submissions.")
def merge(shard_dirs, out, config_path, junit, allow_incomplete):
    """Merge the outputs of `initgrade grade --shard K/N` into one gradebook, summary and JUnit file.

    Exit status: 0 merged (an incomplete set only with --allow-incomplete, which the outputs
    say); 2 refused, with every reason, and nothing written.
    """
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        plan = plan_merge(list(shard_dirs), config, out, allow_incomplete=allow_incomplete, junit=junit)
    except MergeRefused as exc:
        click.echo(f"error: cannot merge; nothing was written to {out}:", err=True)
        for p in exc.problems:
            click.echo(f"  - {p}", err=True)
        sys.exit(2)
    write_merged(plan, out, config, junit)
    click.echo(f"Merged {len(plan.results)} submissions from {len(plan.shards_in_set)} of {plan.shards} shards "
               f"into {out / 'gradebook.csv'}, {out / 'summary.html'}, {out / BATCH_SUMMARY_FILE} and "
               f"{junit or out / 'junit.xml'}.")
    level = label(plan.results[0].isolation, plan.results[0].landlock) if plan.results else "none"
    click.echo(f"Sandbox isolation of every merged result: {level}.")
    weak = warning(plan.results[0].isolation, plan.results[0].landlock) if plan.results else None
    if weak:
        click.echo(f"WARNING: {weak}", err=True)
    if plan.notice:
        click.echo(f"warning: {plan.notice}", err=True)
