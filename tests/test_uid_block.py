"""At the uid level a sandbox never runs as a uid the machine already uses (autograder.sandbox.host.uid_block).

Before red-team round 3 the sandbox uid was ``2000000 + 64 * grader pid + n`` whatever the machine held
there. On a machine joined to a directory (sssd, LDAP, FreeIPA hand out uids in the millions) or giving
users subordinate ranges for rootless containers (/etc/subuid), that uid can be a person's: the
student's code then reads and writes that person's files, and the end-of-sandbox sweep kills their
processes and deletes their scratch files. Here every uid of this process's first block runs a
process (as another account's would): the sandbox must take the next block, and every one of those
processes must survive the sandbox's end.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from autograder.config import load_config
from autograder.intake import load_submission
from autograder.sandbox import Sandbox, hide_paths
from autograder.sandbox.host import isolation, uid_block

CONFIG = load_config()

PROBE = '''
import os

def initialize_parameters_zeros(layers_dims):
    raise RuntimeError("UID %d END" % os.getuid())
'''


def test_a_block_is_taken_by_an_account_a_subordinate_range_or_a_process(tmp_path):
    start = uid_block.block_starts(12345)[0]
    assert uid_block.taken(start, [], set()) == ""  # nothing of this machine there (a fresh test machine)
    assert "subordinate range" in uid_block.taken(start, [(start + 63, 65536)], set())
    assert "subordinate range" in uid_block.taken(start, [(start - 65536, 65537)], set())
    assert uid_block.taken(start, [(start + 64, 65536), (start - 10, 10)], set()) == ""  # just outside
    assert "runs a process" in uid_block.taken(start, [], {start + 5})
    assert "account" in uid_block.taken(0, [], set())  # root's uid: an account on every machine
    sub = tmp_path / "subuid"
    sub.write_text("alice:100000:65536\n# comment\nbob:2003200:65536\nbroken line\n")
    assert uid_block._subordinate_ranges((str(sub),)) == [(100000, 65536), (2003200, 65536)]


def test_the_blocks_of_two_graders_never_overlap():
    blocks = {}
    for pid in (1, 2, 4095, 4096, (1 << 22) - 1):
        for start in uid_block.block_starts(pid):
            assert start + uid_block.UIDS_PER_PROCESS <= (1 << 32) - 2
            for uid in (start, start + uid_block.UIDS_PER_PROCESS - 1):
                assert uid_block.owner_pid(uid) == pid
            assert start not in blocks, (pid, blocks.get(start))
            blocks[start] = pid
    assert len(uid_block.block_starts(1)) >= 8  # room to move on many times


@pytest.fixture
def first_block_in_use():
    """A process running as each uid of this process's first block, as another account's would."""
    if os.geteuid() != 0:
        pytest.fail("the uid level needs a root grader: `make test` runs as root")
    first = uid_block.block_starts(os.getpid())[0]
    procs = [subprocess.Popen(["setpriv", f"--reuid={u}", f"--regid={u}", "--clear-groups", "sleep", "600"],
                              stdin=subprocess.DEVNULL)
             for u in range(first, first + uid_block.UIDS_PER_PROCESS)]
    uid_block._block.cache_clear()
    try:
        yield first, procs
    finally:
        for p in procs:
            p.kill()
            p.wait()
        uid_block._block.cache_clear()


def test_a_sandbox_takes_the_next_block_and_leaves_the_other_uids_processes_alone(
        first_block_in_use, tmp_path, monkeypatch):
    first, procs = first_block_in_use
    monkeypatch.setenv("INITGRADE_NO_NAMESPACES", "1")
    isolation.detect_isolation.cache_clear()
    try:
        iso = isolation.detect_isolation()
        assert iso.level == "uid+rlimits", iso.reasons
        source = tmp_path / "probe.py"
        source.write_text(PROBE)
        Path(tmp_path).chmod(0o755)
        sub = load_submission(source, 1 << 20)
        sb = Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide_paths([str(tmp_path)]),
                     CONFIG.sandbox.stub_modules, isolation=iso)
        try:
            sb.start()
            reply = sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
        finally:
            sb.close()
    finally:
        isolation.detect_isolation.cache_clear()
    message = reply.header.get("message", "")
    assert "UID " in message, reply.header
    ran_as = int(message.split("UID ", 1)[1].split(" END", 1)[0])
    assert ran_as == sb.uid and not first <= ran_as < first + uid_block.UIDS_PER_PROCESS, (ran_as, first)
    assert uid_block.owner_pid(ran_as) == uid_block.owner_pid(first)  # still this grader's own
    assert [p.poll() for p in procs] == [None] * len(procs)  # the sweep killed nobody else's process
