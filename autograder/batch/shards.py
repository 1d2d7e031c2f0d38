"""Shards: one machine grades a deterministic share of a batch and says so in ``shard.json``.

``initgrade grade PATH... --out DIR --shard K/N`` grades shard K (numbered from 0, like
``$SLURM_ARRAY_TASK_ID`` with ``--array=0-(N-1)`` and Kubernetes' ``$JOB_COMPLETION_INDEX``)
of N. Which submissions a shard gets depends only on their ids and on N:

- each id is ranked by the SHA-256 of its UTF-8 bytes (ties, which do not happen in practice,
  by the id itself), and the submission at rank i goes to shard ``i % N``. The shares differ by
  at most one submission, and no machine, Python version or file order changes them
  (Python's ``hash()`` is salted per process and would);
- every shard must see the same set of submissions: the manifest records a digest of all
  ids, and ``initgrade merge`` (autograder.batch.merge) refuses shards that saw different sets.

``DIR/shard.json`` describes the shard's output: the grader's version, the digest of
``grading.yaml``, K and N, the submission set's size and digest, the ids graded here with their
cache keys, and whether the run finished. It says ``in-progress`` from the moment the share is
chosen, ``interrupted`` if grading raised (Ctrl-C, SIGTERM turned into an exception, a crash),
and ``complete`` only once every report and the shard's gradebook are written. A process killed
outright leaves ``in-progress``, which the merge also refuses.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from autograder import __version__
from autograder.base.atomic import write_atomic
from autograder.limits import MANIFEST_ERROR_CHARS

MANIFEST = "shard.json"
MANIFEST_FORMAT: Final = "initgrade-shard/1"
Status = Literal["in-progress", "interrupted", "complete"]


class ShardSpecError(ValueError):
    """``--shard`` is not K/N with 0 <= K < N."""


class ShardSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    index: int = Field(ge=0)
    count: int = Field(ge=1)

    @classmethod
    def parse(cls, text: str) -> ShardSpec:
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not m:
            raise ShardSpecError(f"{text!r} is not K/N (for example 0/3: the first of three shards)")
        k, n = int(m.group(1)), int(m.group(2))
        if n < 1:
            raise ShardSpecError(f"{text!r}: N must be at least 1")
        if k >= n:
            raise ShardSpecError(f"{text!r}: shard index {k} is out of range; shards are numbered 0 to {n - 1} "
                                 f"(as $SLURM_ARRAY_TASK_ID with --array=0-{n - 1}, or $JOB_COMPLETION_INDEX)")
        return cls(index=k, count=n)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def id_rank_key(sid: str) -> tuple[str, str]:
    return hashlib.sha256(sid.encode("utf-8", "surrogatepass")).hexdigest(), sid


def assign(ids: Iterable[str], count: int) -> dict[str, int]:
    """Shard index of every id: rank by SHA-256, deal round-robin (balanced to one submission)."""
    return {sid: rank % count for rank, sid in enumerate(sorted(set(ids), key=id_rank_key))}


def set_digest(ids: Iterable[str]) -> str:
    """Names the whole submission set, so the merge can tell shards that saw different sets apart."""
    h = hashlib.sha256()
    for sid in sorted(set(ids)):
        h.update(sid.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


class ShardManifest(BaseModel):
    """``DIR/shard.json``; validated when read, so a damaged or foreign file is a clear error."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["initgrade-shard/1"] = MANIFEST_FORMAT
    grader_version: str
    config_digest: str
    shard: int = Field(ge=0)
    shards: int = Field(ge=1)
    status: Status
    submissions_in_set: int = Field(ge=0)
    set_digest: str
    # id -> cache key of its results.json ("" until graded): the merge checks each result is this run's.
    ids: dict[str, str]
    # The sandbox isolation the shard was graded at (autograder.sandbox.isolation_levels.label): the merge
    # refuses shards graded at different levels. "" in a manifest written before it was recorded.
    isolation: str = ""


def write_manifest(out: Path, manifest: ShardManifest) -> None:
    write_atomic(Path(out) / MANIFEST, manifest.model_dump_json(indent=2) + "\n")


def read_manifest(folder: Path) -> ShardManifest:
    """The manifest of a shard folder; ValueError with the reason when there is none or it is damaged."""
    path = Path(folder) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{folder}: not a shard output (no {MANIFEST}); grade it with --shard K/N") from None
    except OSError as exc:
        raise ValueError(f"{folder}: cannot read {MANIFEST}: {exc.strerror}") from None
    try:
        return ShardManifest.model_validate(json.loads(text))
    except ValueError as exc:  # json and pydantic errors alike
        first = str(exc).splitlines()[0][:MANIFEST_ERROR_CHARS]
        raise ValueError(f"{path}: not a valid shard manifest ({first})") from None


class ShardRecorder:
    """Chooses a shard's share inside ``grade_batch`` (its ``select`` hook) and keeps ``shard.json``.

    Used as a context manager around the grading: an exception out of it marks the shard
    ``interrupted``; ``finish(report)`` marks it ``complete``.
    """

    def __init__(self, out: Path, spec: ShardSpec, config_digest: str):
        self.out = Path(out)
        self.spec = spec
        self.config_digest = config_digest
        self.manifest: ShardManifest | None = None
        self.total = 0

    def select(self, ids: dict[Path, str]) -> list[Path]:
        """The paths of this shard's share, given every discovered path and its id."""
        shard_of = assign(ids.values(), self.spec.count)
        chosen = [p for p, sid in ids.items() if shard_of[sid] == self.spec.index]
        self.total = len(ids)
        self.manifest = ShardManifest(
            grader_version=__version__, config_digest=self.config_digest, shard=self.spec.index,
            shards=self.spec.count, status="in-progress", submissions_in_set=len(ids),
            set_digest=set_digest(ids.values()), ids={ids[p]: "" for p in sorted(chosen, key=lambda p: ids[p])})
        write_manifest(self.out, self.manifest)
        return chosen

    def finish(self, report) -> None:
        if self.manifest is None:
            return
        keys = getattr(report, "keys", {})
        done = {r.id for r in report.results}
        ids = {sid: keys.get(sid, "") for sid in self.manifest.ids}
        # A batch that returned early (stopped by a signal) has fewer results than ids.
        complete = not getattr(report, "interrupted", False) and set(ids) <= done and all(ids.values())
        from autograder.sandbox.isolation_levels import label

        level = label(getattr(report, "isolation_level", ""), getattr(report, "landlock", None))
        self.manifest = self.manifest.model_copy(update={"ids": ids, "isolation": level,
                                                         "status": "complete" if complete else "interrupted"})
        write_manifest(self.out, self.manifest)

    def __enter__(self) -> ShardRecorder:
        return self

    def __exit__(self, exc_type, exc, _tb) -> None:
        if exc_type is not None and self.manifest is not None and self.manifest.status != "complete":
            self.manifest = self.manifest.model_copy(update={"status": "interrupted"})
            try:
                write_manifest(self.out, self.manifest)
            except OSError:
                pass  # in-progress stays on disk, which the merge refuses just the same
