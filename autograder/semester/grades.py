"""The grades step: what ``initgrade grade`` wrote for each submission, read back as plain records.

The engine is not called here: a submission's ``results.json`` (the grade cached by its content,
grader version and grading.yaml) is the input. A submission with no results.json, or one the
gradebook lists as not graded, has no grade, and the semester says so rather than scoring it 0.
results.json is the kit's own output, but it holds student text (messages), read here as data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.base.statuses import NOT_GRADED
from autograder.config import GradingConfig


@dataclass(frozen=True)
class Check:
    question: str
    check: str
    name: str
    score: float
    max_score: float
    passed: bool
    output: str


@dataclass(frozen=True)
class Grade:
    submission: str  # the submission id (the folder of its reports)
    name: str  # as submitted
    status: str  # graded, error, not graded
    digest: str = ""  # the submission's content hash: what an override is pinned to
    cache_key: str = ""
    error: str = ""
    checks: list[Check] = field(default_factory=list)
    diagnoses: list[dict] = field(default_factory=list)

    def question_scores(self, config: GradingConfig) -> dict[str, float]:
        scores = dict.fromkeys(config.questions, 0.0)
        for c in self.checks:
            scores[c.question] = scores.get(c.question, 0.0) + c.score
        return scores

    @property
    def total(self) -> float:
        return sum(c.score for c in self.checks)


def read_grade(grades: Path, sid: str, name: str) -> Grade:
    path = Path(grades) / sid / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        extra = data["extra_data"]
        checks = [Check(str(q), str(c), str(t["name"]), float(t["score"]), float(t["max_score"]),
                        t["status"] == "passed", str(t.get("output", "")))
                  for (q, c), t in zip(extra["checks"], data["tests"])]
        return Grade(sid, str(extra.get("name") or name), str(extra["status"]), str(extra.get("digest", "")),
                     str(extra.get("cache_key", "")), str(extra.get("error", "")), checks,
                     [d for d in extra.get("diagnoses", []) if isinstance(d, dict)])
    except (OSError, ValueError, KeyError, TypeError):
        return Grade(sid, name, NOT_GRADED, error="no results.json: not graded (run `initgrade grade` on it)")
