"""Files of the system that only the grader's user may read stay out of every sandbox's reach.

With namespaces the sandbox runs as the grader's own uid (root mapped to it, every capability
dropped). An owner needs no capability to read its own file of mode 0600, so before red-team round 3
a root grader's sandbox read every root-only file of ``/etc`` that is not on the named list
(``/etc/shadow``, ``/etc/ssh``): a CI runner's token, ``/etc/ssl/private``, a credential store. The
rule now: every entry of ``/etc`` that other users cannot read is a secret
(``autograder.sandbox.host.secrets.private_system_entries``), hidden like the others.

Here a root-only file, a closed folder (holding a world-readable file) and an open file are planted
in ``/etc``; the secret list must name exactly the closed ones, and a namespaced sandbox reading them
by path must get nothing, while the open one stays readable (the rule hides only what others could
not read anyway).
"""

from __future__ import annotations

import os
import secrets as random_tokens
import shutil
from pathlib import Path

import pytest

from autograder.config import load_config
from autograder.intake import load_submission
from autograder.sandbox import Sandbox, detect_isolation, hide_paths
from autograder.sandbox.host import secrets

CONFIG = load_config()

PROBE = '''
def initialize_parameters_zeros(layers_dims):
    seen = []
    for path in PATHS:
        try:
            with open(path) as f:
                seen.append(f.read(100).strip() or "(empty)")
        except OSError as exc:
            seen.append(type(exc).__name__)
    raise RuntimeError("REPORT " + " | ".join(seen) + " END")
'''


@pytest.fixture
def planted():
    """A root-only token, a closed folder with an open file in it, and an open file, all in /etc."""
    if os.geteuid() != 0:
        pytest.fail("planting in /etc needs root: `make test` runs as root")
    tag = "initgrade-test-" + random_tokens.token_hex(6)
    token, closed, public = Path("/etc") / f"{tag}-token", Path("/etc") / f"{tag}-dir", Path("/etc") / f"{tag}-open"
    try:
        token.write_text("ROOT-ONLY-TOKEN\n")
        token.chmod(0o600)
        closed.mkdir(mode=0o700)
        (closed / "note").write_text("IN-A-CLOSED-FOLDER\n")
        (closed / "note").chmod(0o644)
        public.write_text("OPEN-TO-ALL\n")
        public.chmod(0o644)
        secrets.private_system_entries.cache_clear()  # once per process otherwise: see it planted
        yield token, closed, public
    finally:
        token.unlink(missing_ok=True)
        public.unlink(missing_ok=True)
        shutil.rmtree(closed, ignore_errors=True)
        secrets.private_system_entries.cache_clear()


def test_every_entry_of_etc_closed_to_others_is_a_secret(planted):
    token, closed, public = planted
    found = secrets.private_system_entries()
    assert str(token) in found and str(closed) in found
    assert str(public) not in found and str(closed / "note") not in found  # the folder is hidden whole
    listed = secrets.secret_paths([])
    assert str(token) in listed and str(closed) in listed and str(public) not in listed
    hidden = hide_paths()
    assert str(token) in hidden and str(closed) in hidden and str(public) not in hidden


def test_a_namespaced_sandbox_reads_no_root_only_file_of_etc(planted, tmp_path):
    assert detect_isolation().namespaces, "the namespaced sandbox is what runs as the grader's own uid"
    token, closed, public = planted
    paths = [str(token), str(closed / "note"), str(public)]
    source = tmp_path / "probe.py"
    source.write_text(f"PATHS = {paths!r}\n" + PROBE)
    sub = load_submission(source, 1 << 20)
    sb = Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide_paths([str(tmp_path)]),
                 CONFIG.sandbox.stub_modules)
    try:
        sb.start()
        reply = sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
    finally:
        sb.close()
    message = reply.header.get("message", "")
    assert "REPORT " in message, reply.header
    seen = message.split("REPORT ", 1)[1].split(" END", 1)[0].split(" | ")
    assert seen[2] == "OPEN-TO-ALL"  # the probe really reads what it may
    assert "ROOT-ONLY-TOKEN" not in message and "IN-A-CLOSED-FOLDER" not in message, seen
