"""A one-node Slurm cluster of Debian's slurm-wlm, started and stopped by the test suite.

munged (with its own key and socket), slurmctld and slurmd run in the foreground as children
of the test process, on free ports, with every file under one temporary folder; nothing of the
machine's own Slurm or MUNGE set-up is used or touched. ``make test`` installs the packages
(slurmctld, slurmd, slurm-client, munge).
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TOOLS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo")
SBIN = ("/usr/sbin", "/sbin")


def find_tool(name: str) -> str | None:
    return shutil.which(name) or next((str(Path(d, name)) for d in SBIN if Path(d, name).exists()), None)


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _mem_mb() -> int:
    text = Path("/proc/meminfo").read_text()
    return int(re.search(r"MemTotal:\s+(\d+)", text).group(1)) // 1024


SLURM_CONF = """\
ClusterName=initgradetest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.sock
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
InactiveLimit=0
KillWait=5
NodeName=testnode NodeHostname={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem} State=UNKNOWN
PartitionName=grading Nodes=testnode Default=YES MaxTime=INFINITE State=UP
"""


class Cluster:
    def __init__(self, root: Path):
        self.root = root
        self.env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
        self.procs: list[subprocess.Popen] = []

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([find_tool(cmd[0]) or cmd[0], *cmd[1:]], env=self.env, capture_output=True,
                              text=True, check=check, timeout=60)

    def start(self, *cmd: str) -> None:
        log = open(self.root / "log" / f"{Path(cmd[0]).name}.out", "w")  # noqa: SIM115 - closed with the process
        self.procs.append(subprocess.Popen([find_tool(cmd[0]), *cmd[1:]], env=self.env, stdout=log,
                                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        log.close()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted((self.root / "log").iterdir()))

    def wait_for(self, condition, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            for p in self.procs:
                if p.poll() is not None:
                    raise AssertionError(f"{p.args[0]} exited ({p.returncode}) while waiting for {what}\n{self.logs()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")
            time.sleep(0.2)

    def wait_for_jobs(self, job_ids: list[str], timeout: float = 300) -> None:
        self.wait_for(lambda: not self.run("squeue", "-h", "-j", ",".join(job_ids), check=False).stdout.strip(),
                      f"jobs {job_ids} to end", timeout)

    def job_states(self, job_id: str) -> list[tuple[str, str]]:
        """(JobState, ExitCode) of a job, one per array task."""
        text = self.run("scontrol", "-o", "show", "job", job_id).stdout
        return re.findall(r"JobState=(\S+).*?ExitCode=(\S+)", text)

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@contextmanager
def one_node_cluster() -> Iterator[Cluster]:
    missing = [t for t in TOOLS if not find_tool(t)]
    assert not missing, (f"Slurm/MUNGE tools missing: {', '.join(missing)}. `make test` installs them "
                         "(apt-get install slurmctld slurmd slurm-client munge)")
    # A short path: the MUNGE socket's full name must fit in 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="igslurm-", dir="/tmp"))
    cluster = Cluster(root)
    try:
        for d in ("munge", "state", "spool", "log"):
            (root / d).mkdir(mode=0o700)
        root.chmod(0o755)  # munged wants the socket's folders searchable by everyone
        (root / "munge").chmod(0o755)
        key = root / "munge" / "munge.key"
        cluster.run("mungekey", "--create", f"--keyfile={key}")
        sock = root / "munge" / "munge.sock"
        cluster.start("munged", "--foreground", "--force", f"--socket={sock}", f"--key-file={key}",
                      f"--log-file={root / 'log' / 'munged.log'}", f"--pid-file={root / 'munge' / 'munged.pid'}",
                      f"--seed-file={root / 'munge' / 'seed'}")
        cluster.wait_for(sock.exists, "the MUNGE socket", 20)
        ctld_port, d_port = _free_ports(2)
        (root / "slurm.conf").write_text(SLURM_CONF.format(
            host=socket.gethostname().split(".")[0], ctld_port=ctld_port, d_port=d_port, user=getpass.getuser(),
            root=root, cpus=os.cpu_count() or 1, mem=_mem_mb()))
        conf = str(root / "slurm.conf")
        cluster.start("slurmctld", "-D", "-f", conf)
        cluster.start("slurmd", "-D", "-N", "testnode", "-f", conf)
        cluster.wait_for(lambda: "idle" in cluster.run("sinfo", "-h", "-o", "%t", check=False).stdout,
                         "the node to be idle", 60)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
