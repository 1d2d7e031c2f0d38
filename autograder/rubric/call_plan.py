"""The call plan (``Grader.call_plan``) kept in the signed training cache, so a grader process
reads it instead of recording it (about 50 ms of a one-notebook command).

The plan is what the checks ask of the reference solutions: it depends on the rubric and the
kit, never on a student. Its entry is named by a hash of everything it is derived from: the
kit's own source files (the checks, the probes, the diagnoses), the course's reference
solutions, what of grading.yaml a grade depends on, the layer sizes of the trainings (read from
the data), and the versions of the kit, Python and numpy. Any change to one of them names
another entry, so a stale plan is never found.

A plan only says which calls are sent ahead in one exchange; every answer is still validated,
bounded and used only for the very call it answers (``SandboxStudent.prefetch``). Still, a
plan read back is trusted only when it is sound: the entry is signed with the grader's own key
(autograder.training.cache_signing: one a sandbox or another user wrote or altered is refused), and it
must decode to at most ``PLAN_MAX_CALLS`` calls, of the rubric's functions only, with plain
arguments, that encode back to the very entry. Anything else is ignored and the plan recorded
again, as without a cache.

A new entry is written only when no sound one was found, that is after a change of the kit, the
course or the rubric; the entries of earlier ones would never be read again by that grader, so
writing one removes all but the ``PLAN_KEEP`` newest (another kit or course sharing the folder
keeps its own, unless more than that many take turns in it: each then records its plan again).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

import numpy as np

from autograder import __version__
from autograder.config import GradingConfig
from autograder.sandbox.probes import _encode_args
from autograder.training.cache_signing import SignedCache

#: Bump when what an entry holds changes.
PLAN_FORMAT = 1
#: More calls than any rubric's checks make (the bundled one: 33): a longer plan is not used.
PLAN_MAX_CALLS = 500
#: Plans kept in a cache folder: a few kits or courses may share one (the default cache).
PLAN_KEEP = 4
KIT_FOLDER = Path(__file__).resolve().parents[1]  # autograder/

Plan = list[tuple[str, tuple, bool]]


def plan_key(config: GradingConfig, solutions: Path, layers: list[list[int]]) -> str:
    """The hash that names the plan of this kit, course and rubric (grading.yaml's ``semester``
    section acts on grades after grading: left out, as in a result's cache key)."""
    rubric = config.model_dump_json(exclude={"semester"})
    h = hashlib.sha256(json.dumps([PLAN_FORMAT, __version__, platform.python_version(), np.__version__,
                                   rubric, layers]).encode())
    for path in [*sorted(KIT_FOLDER.rglob("*.py")), solutions]:
        h.update(str(path.relative_to(KIT_FOLDER) if path.is_relative_to(KIT_FOLDER) else path.name).encode())
        h.update(b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


_ENTRY_PREFIX = "call-plan-"


def _entry_name(key: str) -> str:
    return f"{_ENTRY_PREFIX}{key}"


def encode_plan(plan: Plan) -> list:
    return [[function, _encode_args(args, as_tuple), as_tuple] for function, args, as_tuple in plan]


def _scalar(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _decode_arg(arg):
    if isinstance(arg, dict) and len(arg) == 1:
        (kind, values), = arg.items()
        if kind in ("list", "tuple") and isinstance(values, list) and all(_scalar(v) for v in values):
            return list(values)
    if _scalar(arg):
        return arg
    raise ValueError("not an argument the checks pass")


def decode_plan(entry: object, functions: list[str]) -> Plan | None:
    """The plan an entry holds, or None when it is not one this kit could have written."""
    if not isinstance(entry, list) or len(entry) > PLAN_MAX_CALLS:
        return None
    plan: Plan = []
    try:
        for item in entry:
            function, args, as_tuple = item
            if function not in functions or not isinstance(as_tuple, bool) or not isinstance(args, list):
                return None
            plan.append((function, tuple(_decode_arg(a) for a in args), as_tuple))
    except (TypeError, ValueError):
        return None
    return plan if encode_plan(plan) == entry else None


def read_plan(store: SignedCache, key: str, functions: list[str]) -> Plan | None:
    """The stored plan of ``key``, if there is a sound one."""
    found = store.read(_entry_name(key))
    if found is None or found.get("key") != key:
        return None
    return decode_plan(found.get("plan"), functions)


def write_plan(store: SignedCache, key: str, plan: Plan) -> None:
    """Keep ``plan`` for the next grader (best effort: a folder that refuses it costs a recording)."""
    if len(plan) <= PLAN_MAX_CALLS and store.write(_entry_name(key), {"key": key, "plan": encode_plan(plan)}):
        prune_plans(store.folder, keep=_entry_name(key) + ".json")


def prune_plans(folder: Path, keep: str) -> int:
    """Remove the plan entries of ``folder`` but ``keep`` and the newest others, ``PLAN_KEEP`` in
    all; how many were removed. Best effort: an entry another user owns (a shared folder with the
    sticky bit) or one that goes meanwhile is left to whoever can."""
    entries = []
    try:
        with os.scandir(folder) as found:
            for entry in found:
                if entry.name.startswith(_ENTRY_PREFIX) and entry.name.endswith(".json") and entry.name != keep:
                    try:
                        entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
                    except OSError:
                        continue
    except OSError:
        return 0
    removed = 0
    for _, name in sorted(entries, reverse=True)[PLAN_KEEP - 1:]:
        try:
            os.unlink(folder / name)
            removed += 1
        except OSError:
            continue
    return removed
