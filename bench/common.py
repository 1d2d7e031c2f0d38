"""Shared helpers of the benchmarks: timed subprocesses with their peak memory, notebooks, tables."""

from __future__ import annotations

import ast
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.config import PROJECT_ROOT

VENV_BIN = Path(sys.executable).parent
MISTAKES = PROJECT_ROOT / "examples" / "mistakes"
CORRECT = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"


@dataclass
class Timed:
    seconds: float
    peak_mb: float  # largest resident set of the command or any process it waited for
    stdout: str
    stderr: str
    returncode: int
    # CPU seconds (user + system) of the command and all its processes (cpu_source says how they were
    # counted): on a machine shared with other work, far steadier than wall time.
    cpu: float = 0.0
    cpu_source: str = "rusage"


# cgroup v1's CPU accounting: every process forked below a group is counted in it, reaped or not.
CPUACCT = Path("/sys/fs/cgroup/cpuacct")


class _Accounting:
    """A fresh cpuacct group the command runs in, so its CPU counts every process of its tree.

    wait4's rusage counts only the processes that were waited for, all the way up: a sandbox's keeper
    is reaped by the kernel (the zygote ignores SIGCHLD), so a grade's sandboxes, most of a warm
    batch's CPU, never reached it. The group counts them (the kit moves a sandbox into cgroups of
    its own for pids and memory, never for cpuacct). None where the machine has no writable cpuacct
    hierarchy (cgroup v2 alone, no root): the figures then fall back to rusage and say so."""

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def make(cls) -> _Accounting | None:
        folder = CPUACCT / f"initgrade-bench-{os.getpid()}-{time.monotonic_ns()}"
        try:
            folder.mkdir()
        except OSError:
            return None
        return cls(folder)

    def join(self) -> None:
        """In the forked child, before exec: the command starts inside the group."""
        (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        return int((self.folder / "cpuacct.usage").read_text()) / 1e9

    def remove(self) -> None:
        try:
            self.folder.rmdir()
        except OSError:
            pass  # a process of the command outlived it: left for the machine's own clean-up


def run_timed(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None, check: bool = True) -> Timed:
    """Run ``cmd``; wall time, the peak RSS of its process tree (wait4's rusage) and its CPU (its own
    cpuacct group where the machine has one: _Accounting)."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-out-{os.getpid()}-{time.monotonic_ns()}"
    group = _Accounting.make()
    try:
        with open(f"{out_path}.o", "w+") as out, open(f"{out_path}.e", "w+") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    preexec_fn=group.join if group is not None else None)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            cpu, source = usage.ru_utime + usage.ru_stime, "rusage"
            if group is not None:
                cpu, source = group.seconds(), "cpuacct"
            result = Timed(seconds, usage.ru_maxrss / 1024, out.read(), err.read(), proc.returncode, cpu, source)
    finally:
        if group is not None:
            group.remove()
    os.unlink(f"{out_path}.o")
    os.unlink(f"{out_path}.e")
    if check and result.returncode != 0:
        raise SystemExit(f"{cmd} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def tool_env(cache_root: Path) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["INITGRADE_CACHE"] = str(cache_root / "engine")
    env["INITGRADE_INKERNEL_CACHE"] = str(cache_root / "inkernel")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.pop("INITGRADE_PUBLIC_TARGET", None)
    return env


def functions_of(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    return {n.name: "\n".join(lines[n.lineno - 1:n.end_lineno])
            for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)}


def submission_sources(n: int) -> dict[str, dict[str, str]]:
    """``n`` submissions: correct ones and one per realistic mistake (in turn), as function sources.

    A mistake file replaces only the function it is about; the other functions are correct.
    """
    good = functions_of(CORRECT)
    mistakes = sorted(MISTAKES.glob("*.py"))
    out: dict[str, dict[str, str]] = {}
    i = 0
    while len(out) < n:
        if i % 3 == 0:
            out[f"s{len(out):03d}_correct"] = dict(good)
        else:
            m = mistakes[(i - 1 - i // 3) % len(mistakes)]
            src = dict(good)
            src.update({k: v for k, v in functions_of(m).items() if k in good})
            out[f"s{len(out):03d}_{m.stem}"] = src
        i += 1
    return out


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{platform.machine()}, {os.cpu_count()} cores ({cpu or 'unknown CPU'}), Linux {platform.release()}, "
            f"Python {platform.python_version()}, load average at start {os.getloadavg()[0]:.2f}")


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells[1:]]
    return "\n".join(lines)
