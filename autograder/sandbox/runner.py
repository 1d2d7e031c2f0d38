"""The grader's side of the sandbox: start a child, load a submission, call functions.

Everything that decides a grade stays here. The child is started with a scrubbed
environment, closed stdin, capped output, and, where the machine allows, in new
user/mount/network/pid namespaces as an unprivileged uid (see ``detect_isolation``).
Every wait on the child has a deadline measured here, so a child that hangs or
lies about time cannot stall the grader; when a call times out the whole child
(its process group and pid namespace) is killed and a fresh one is loaded for
the next call.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from autograder.config import Limits
from autograder.sandbox import wire

UID_BASE = 2_000_000  # sandboxes run as UID_BASE + a per-process offset when the grader is root


@dataclass(frozen=True)
class Isolation:
    """What the machine lets the sandbox do, detected once per grader process.

    With namespaces the child is root of its own user namespace only long enough
    to hide folders and remount the file system read-only, then drops every
    capability. Without them (no unprivileged user namespaces), a root grader at
    least runs the child as an unprivileged uid when that uid can run Python.
    """

    namespaces: bool
    drop_uid: bool

    @property
    def level(self) -> str:
        if self.namespaces:
            return "namespaces"
        return "uid+rlimits" if self.drop_uid else "rlimits"

    def describe(self) -> str:
        if self.namespaces:
            return ("user/mount/net/pid namespaces: no network, grader folders hidden, read-only "
                    "file system, private /tmp and process table, no capabilities; resource limits; "
                    "scrubbed environment; per-call timeouts")
        base = "resource limits, scrubbed environment, per-call timeouts; NO network or file-system isolation"
        return base + ("; unprivileged uid" if self.drop_uid else "")


def _runs(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=30, env=_child_env("/tmp")).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.lru_cache(maxsize=1)
def detect_isolation() -> Isolation:
    """Try the namespace wrapper once; fall back to what works.

    ``INITGRADE_NO_NAMESPACES=1`` forces the fallback (to test it, or on a machine
    where namespaces misbehave).
    """
    probe = [sys.executable, "-I", "-c", "import numpy"]
    if os.environ.get("INITGRADE_NO_NAMESPACES") != "1" and _runs(_wrap(probe, Isolation(True, False), 0)):
        return Isolation(namespaces=True, drop_uid=False)
    if os.geteuid() == 0 and shutil.which("setpriv") and _runs(_wrap(probe, Isolation(False, True), UID_BASE)):
        return Isolation(namespaces=False, drop_uid=True)
    return Isolation(namespaces=False, drop_uid=False)


def _wrap(cmd: list[str], iso: Isolation, uid: int) -> list[str]:
    if iso.namespaces:
        return ["unshare", "--user", "--map-root-user", "--mount", "--net", "--pid", "--fork",
                "--kill-child", "--mount-proc", *cmd]
    if iso.drop_uid:
        return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *cmd]
    return cmd


def _child_env(workdir: str) -> dict[str, str]:
    """The only environment the child sees: nothing of the grader's leaks through."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": "/tmp",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


class SandboxError(Exception):
    """The submission could not be loaded or a call failed; ``message`` is for the student."""


class ProbeTimeout(SandboxError):
    pass


@dataclass
class LoadReport:
    functions: list[str]
    messages: list[str]
    notes: list[str]
    seconds: float


@dataclass
class ProbeReply:
    header: dict
    arrays: list = field(default_factory=list)


class _OutputDrain(threading.Thread):
    """Reads the child's stdout+stderr, keeping the first ``cap`` bytes and discarding the rest."""

    def __init__(self, stream, cap: int):
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.kept = bytearray()
        self.dropped = 0

    def run(self):
        try:
            while chunk := self.stream.read1(65536):
                room = self.cap - len(self.kept)
                self.kept += chunk[:max(room, 0)]
                self.dropped += max(len(chunk) - max(room, 0), 0)
        except (OSError, ValueError):
            pass

    def text(self) -> str:
        out = self.kept.decode("utf-8", errors="replace")
        if self.dropped:
            out += f"\n[... {self.dropped} more bytes of output were discarded]"
        return out


class Sandbox:
    """One submission's sandboxed process, restarted transparently after a timeout.

    ``chunks`` is the submission's code (list of ``{"origin", "code"}``) and ``files``
    any extra modules it imports (relative path -> text).
    """

    def __init__(self, chunks, files, functions, limits: Limits, hide: list[str],
                 stub_modules: list[str], isolation: Isolation | None = None):
        self.chunks, self.files, self.functions = chunks, files, functions
        self.limits, self.hide, self.stub_modules = limits, hide, stub_modules
        self.isolation = isolation or detect_isolation()
        self.proc: subprocess.Popen | None = None
        self.drains: list[_OutputDrain] = []
        self.started_at = time.monotonic()
        self.starts = 0
        self.load: LoadReport | None = None
        self._tmp: str | None = None

    # -- life cycle -------------------------------------------------------------------
    def _budget_left(self) -> float:
        return self.limits.submission_seconds - (time.monotonic() - self.started_at)

    def start(self) -> LoadReport:
        if self._budget_left() <= 0:
            raise SandboxError("the grading time budget for this submission is used up "
                               f"({self.limits.submission_seconds:.0f} s)")
        self.starts += 1
        uid = UID_BASE + (os.getpid() % 1_000_000)
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        if not self.isolation.namespaces:
            self._tmp = tempfile.mkdtemp(prefix="initgrade-")
            if self.isolation.drop_uid:
                os.chown(self._tmp, uid, uid)
        workdir = "/tmp" if self.isolation.namespaces else self._tmp
        cmd = _wrap([sys.executable, "-I", "-B", "-m", "autograder.sandbox.child", str(req_r), str(rep_w)],
                    self.isolation, uid)
        try:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(req_r, rep_w), env=_child_env(workdir), cwd=workdir if self._tmp else "/",
                start_new_session=True,
            )
        finally:
            os.close(req_r)
            os.close(rep_w)
        self.req_fd, self.rep_fd = req_w, rep_r
        drain = _OutputDrain(self.proc.stdout, self.limits.output_kb * 1024)
        drain.start()
        self.drains.append(drain)
        request = {
            "chunks": self.chunks, "files": self.files, "functions": self.functions,
            "limits": self.limits.model_dump(), "hide": self.hide,
            "namespaces": self.isolation.namespaces, "stub_modules": self.stub_modules,
            "workdir": workdir,
        }
        t0 = time.monotonic()
        try:
            wire.write_frame(self.req_fd, request)
            deadline = t0 + min(self.limits.load_seconds, max(self._budget_left(), 0.1))
            header, _ = wire.read_frame(self.rep_fd, deadline=deadline)
        except wire.WireTimeout:
            self.kill()
            raise SandboxError(
                f"your code did not finish loading within {self.limits.load_seconds:.0f} s "
                "(is there a long computation or an endless loop at the top level of a cell?)"
            ) from None
        except (wire.WireError, OSError) as exc:
            self.kill()
            raise SandboxError(
                "the process running your code ended while loading it "
                f"({self._exit_description()}; did your code call sys.exit/os._exit or crash?)"
                + self._output_hint()
            ) from exc
        if header.get("status") != "loaded":
            self.kill()
            raise SandboxError("the sandbox did not load your code (unexpected reply)")
        self.load = LoadReport(
            functions=[f for f in header.get("functions", []) if f in self.functions],
            messages=[str(m)[:500] for m in header.get("messages", [])][:50],
            notes=[str(n)[:300] for n in header.get("notes", [])][:20],
            seconds=time.monotonic() - t0,
        )
        return self.load

    def call(self, function: str, args: list) -> ProbeReply:
        """Call ``function(*args)`` in a fresh fork of the loaded submission."""
        if self.proc is None or self.proc.poll() is not None:
            self.kill()
            self.start()
        deadline = time.monotonic() + min(self.limits.probe_seconds, max(self._budget_left(), 0.1))
        try:
            wire.write_frame(self.req_fd, {"op": "call", "function": function, "args": args})
            header, arrays = wire.read_frame(
                self.rep_fd, deadline=deadline, max_array_bytes=self.limits.reply_mb << 20)
        except wire.WireTimeout:
            self.kill()
            raise ProbeTimeout(
                f"{function} did not return within {self.limits.probe_seconds:.0f} s "
                "(an endless loop, or waiting for input?)"
            ) from None
        except (wire.WireError, OSError) as exc:
            self.kill()
            raise SandboxError(f"{function}: the reply could not be read ({exc})") from None
        return ProbeReply(header=header, arrays=arrays)

    def _exit_description(self) -> str:
        if self.proc is None:
            return "not started"
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "still running"
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit code {code}"

    def _output_hint(self) -> str:
        text = self.drains[-1].text().strip() if self.drains else ""
        return f"\nLast output:\n{text[-800:]}" if text else ""

    def output(self) -> str:
        return "\n".join(d.text() for d in self.drains if d.kept or d.dropped)

    def kill(self) -> None:
        """End the child, everything it started and its pipes; safe to call twice."""
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            for fd in (self.req_fd, self.rep_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            for d in self.drains:
                d.join(timeout=2)
            self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                wire.write_frame(self.req_fd, {"op": "exit"})
            except OSError:
                pass
        self.kill()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
