"""The sandbox: student code runs in a separate, isolated process and hands back only plain data.

What the rest of the kit uses is imported from here (``from autograder.sandbox import Sandbox``).
The package has two sides and a little that both share:

* ``host/``: the grader's side (the sandbox's life cycle, isolation detection, the zygote's
  handle, output draining, cgroups, hidden paths, the uid fallback's cleanup);
* ``jail/``: what runs inside the sandboxed process, next to student code;
* ``wire`` (the frame format), ``values`` (a value described as plain data), ``outcomes``
  (what can become of a sandbox or a call, and the student's words for it) and
  ``keeper_protocol`` (the zygote keeper's status record), used on both sides.

The names below are loaded on first use: the jail imports ``autograder.sandbox.jail...``,
which runs this file, and must not load the grader's side (its config, pydantic) with it;
the command line starts the zygote before the grader's own imports for the same reason.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> the module that defines it
_FACE = {
    "Sandbox": "autograder.sandbox.host.sandbox",
    "SandboxError": "autograder.sandbox.outcomes",
    "ProbeTimeout": "autograder.sandbox.outcomes",
    "Outcome": "autograder.sandbox.outcomes",
    "LoadReport": "autograder.sandbox.host.sandbox",
    "ProbeReply": "autograder.sandbox.host.sandbox",
    "CALL_REUSE_OFF": "autograder.sandbox.host.sandbox",
    "call_reuse_mode": "autograder.sandbox.host.sandbox",
    "prepare_first": "autograder.sandbox.host.sandbox",
    "Isolation": "autograder.sandbox.host.isolation",
    "detect_isolation": "autograder.sandbox.host.isolation",
    "UID_BASE": "autograder.sandbox.host.isolation",
    "Zygote": "autograder.sandbox.host.zygote",
    "KeeperProcess": "autograder.sandbox.host.zygote",
    "new_zygote": "autograder.sandbox.host.zygote",
    "start_early": "autograder.sandbox.host.zygote",
    "hide_paths": "autograder.sandbox.host.hiding",
    "describe_result": "autograder.sandbox.values",
}

__all__ = [
    "CALL_REUSE_OFF", "Isolation", "KeeperProcess", "LoadReport", "Outcome", "ProbeReply", "ProbeTimeout", "Sandbox",
    "SandboxError", "UID_BASE", "Zygote", "call_reuse_mode", "describe_result", "detect_isolation", "hide_paths",
    "new_zygote", "prepare_first", "start_early",
]

if TYPE_CHECKING:
    from autograder.sandbox.host.hiding import hide_paths
    from autograder.sandbox.host.isolation import UID_BASE, Isolation, detect_isolation
    from autograder.sandbox.host.sandbox import (
        CALL_REUSE_OFF,
        LoadReport,
        ProbeReply,
        Sandbox,
        call_reuse_mode,
        prepare_first,
    )
    from autograder.sandbox.host.zygote import KeeperProcess, Zygote, new_zygote, start_early
    from autograder.sandbox.outcomes import Outcome, ProbeTimeout, SandboxError
    from autograder.sandbox.values import describe_result


def __getattr__(name: str) -> Any:
    module = _FACE.get(name)
    if module is None:
        raise AttributeError(f"module 'autograder.sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
