"""The regrade report: after a change (grading.yaml, an override, new or changed submissions, the
roster), who gained or lost what, and why, against the previous run's ``semester.json``.

For each row (a student, or a submission of no student) whose final score, status or reasons moved:
the total before and after, the change, and each reason found: a new or changed submission (its
digest), scores that moved on the same submission (grading.yaml or the grader changed: per
question), the late penalty (the policy, the due date or an extension changed), an override added,
removed or flagged. Nothing is inferred beyond comparing the two records.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    key: str
    name: str
    before: float | None
    after: float | None
    reasons: list[str]

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 6)


def _f(x) -> str:
    return "-" if x is None else f"{round(float(x), 4):g}"


def _reasons(old: dict, new: dict) -> list[str]:
    why = []
    if old["status"] != new["status"]:
        why.append(f"status {old['status']} -> {new['status']}")
    if old.get("digest") and new.get("digest") and old["digest"] != new["digest"]:
        why.append(f"submission changed ({old['digest'][:12]} -> {new['digest'][:12]})")
    elif new.get("digest") and not old.get("digest"):
        why.append("new submission")
    elif old.get("digest") == new.get("digest"):
        moved = [f"{q} {_f(old['raw'].get(q))} -> {_f(v)}" for q, v in new.get("raw", {}).items()
                 if old.get("raw", {}).get(q) != v]
        if moved:
            why.append("graded differently (grading.yaml or the grader changed): " + ", ".join(moved))
    if old.get("penalty") != new.get("penalty") or old.get("late_reason") != new.get("late_reason"):
        if new.get("total") is not None or old.get("total") is not None:
            why.append(f"late penalty {_f(old.get('penalty'))} -> {_f(new.get('penalty'))} ({new.get('late_reason')})")
    for o in new.get("overrides", []):
        if o not in old.get("overrides", []):
            why.append(f"override added: {o}")
    for o in old.get("overrides", []):
        if o not in new.get("overrides", []):
            why.append(f"override no longer applied: {o}")
    for f in new.get("flagged", []):
        if f not in old.get("flagged", []):
            why.append(f"override flagged: {f}")
    return why


def compare(previous: list[dict], current: list[dict]) -> list[Change]:
    """Rows whose outcome moved between two runs' semester.json ``entries``, in the current order."""
    before = {e["key"]: e for e in previous}
    changes = []
    for e in current:
        name = (e.get("student") or {}).get("name") or e.get("name") or e["key"]
        old = before.pop(e["key"], None)
        if old is None:
            changes.append(Change(e["key"], name, None, e.get("total"), ["new in this run (" + e["status"] + ")"]))
            continue
        why = _reasons(old, e)
        if why or old.get("total") != e.get("total"):
            changes.append(Change(e["key"], name, old.get("total"), e.get("total"),
                                  why or ["total moved with no recorded reason"]))
    for key, old in before.items():
        changes.append(Change(key, (old.get("student") or {}).get("name") or key, old.get("total"), None,
                              ["no longer in the roster or the submissions"]))
    return changes


def report_rows(changes: list[Change]) -> list[list[str]]:
    return [[c.key, c.name, "" if c.before is None else _f(c.before), "" if c.after is None else _f(c.after),
             "" if c.delta is None else f"{c.delta:+g}",
             "; ".join(c.reasons)] for c in changes]


REPORT_COLUMNS = ["key", "name", "before", "after", "change", "why"]
