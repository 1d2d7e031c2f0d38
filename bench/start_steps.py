"""What a sandbox's start and end are made of, step by step, in the grader and in the jail.

    .venv/bin/python bench/start_steps.py [-n 30] [--source examples/submissions/correct_module.py]

Starts and closes ``-n`` sandboxes of one submission the way ``engine.Grader`` does (hide list,
cgroup, pipes, the zygote's keeper, the jail's start-up, the load report; then the exit request,
the kill and the cgroup's removal), with the zygote run by this file (``--zygote FD``): the same
jail code, with a mark (monotonic clock, the process's CPU time) after each step, sent back on the
sandbox's output. Prints the median wall and CPU milliseconds of each step, and how many mount
calls and forks each start made. Figures only: tests count work, never time it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

MARKER = "INITGRADE-START-STEPS "


# ---------------------------------------------------------------------------------------------
# The instrumented zygote (runs in its own interpreter, as the real one does)

MARKS: list[tuple[str, int, float, float, int]] = []
COUNTS: dict[str, int] = defaultdict(int)


def _mark(label: str) -> None:
    import resource

    # The calling thread's CPU clock, not the process's: once the jail sets RLIMIT_CPU the kernel
    # runs the process's CPU timer, and the process clock then advances in scheduler-tick steps
    # (a step's CPU showed up in the next one: "guard seal" 1.9 ms CPU in 0.05 ms of wall). The
    # marks are all made by the main thread, the one doing the start-up.
    MARKS.append((label, os.getpid(), time.monotonic(), time.thread_time(),
                  resource.getrusage(resource.RUSAGE_SELF).ru_minflt))


def _after(owner, attr: str, label: str, count: str = "") -> None:
    original = getattr(owner, attr)

    @functools.wraps(original)
    def wrapped(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        finally:
            if count:
                COUNTS[count] += 1
            if label:
                _mark(label)

    setattr(owner, attr, wrapped)


def _before(owner, attr: str, label: str) -> None:
    original = getattr(owner, attr)

    @functools.wraps(original)
    def wrapped(*args, **kwargs):
        _mark(label)
        return original(*args, **kwargs)

    setattr(owner, attr, wrapped)


def _serve_instrumented(ctrl_fd: int) -> None:
    import socket

    from autograder.sandbox import wire
    from autograder.sandbox.jail import filesystem, main, privileges, reuse, seccomp, serve, stubs, zygote
    from autograder.sandbox.jail.guard import GUARD

    recv = socket.recv_fds

    def recv_fds(*args, **kwargs):
        got = recv(*args, **kwargs)
        MARKS.clear()
        COUNTS.clear()
        _mark("zygote: request received")
        return got

    socket.recv_fds = recv_fds  # type: ignore[assignment]
    fork = os.fork

    def counted_fork():
        pid = fork()
        COUNTS["forks"] += 1
        if pid == 0:
            _mark("fork: child running")
        return pid

    os.fork = counted_fork
    _before(zygote, "_keeper", "keeper: entered")
    write = zygote._write

    def marked_write(path, text):
        write(path, text)
        _mark("keeper: cgroup joined" if path.endswith("cgroup.procs") else f"keeper: {os.path.basename(path)} written")

    zygote._write = marked_write
    real_libc = zygote._libc

    class Libc:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def unshare(self, flags):
            _mark("keeper: env, fds")
            rc = self.inner.unshare(flags)
            _mark("keeper: unshare")
            return rc

        def mount(self, *args):
            rc = self.inner.mount(*args)
            COUNTS["mounts"] += 1
            return rc

    zygote._libc = lambda: Libc(real_libc())
    _before(zygote, "run_sandbox", "keeper: mount / private, fork")
    # jail.main
    read = wire.read_frame

    def first_read(*args, **kwargs):
        got = read(*args, **kwargs)
        if not any(m[0] == "pid 1: request read" for m in MARKS):
            _mark("pid 1: request read")
        return got

    wire.read_frame = first_read
    _before(main, "_watch_lifeline", "pid 1: /proc mounted, setsid")
    _after(main, "_watch_lifeline", "pid 1: lifeline thread")
    count_mount = filesystem.mount

    def counted_mount(*args, **kwargs):
        COUNTS["mounts"] += 1
        return count_mount(*args, **kwargs)

    filesystem.mount = counted_mount
    _after(filesystem, "_private_dev", "jail: private /dev")
    _before(filesystem, "no_nested_user_namespaces", "jail: hiding mounts")
    _after(filesystem, "no_nested_user_namespaces", "jail: no nested user namespaces")
    _after(filesystem, "_cover_proc", "jail: /proc knobs covered")
    if hasattr(filesystem, "writable_mounts"):  # mount_setattr's check (absent before issue 23's round 2)
        _before(filesystem, "writable_mounts", "jail: read-only remounts")
        _after(filesystem, "writable_mounts", "jail: read-only checked (mountinfo)")
    _before(filesystem, "_private_scratch", "jail: read-only remounts")
    _after(filesystem, "_private_scratch", "jail: private /tmp, /run, /dev/shm")
    _after(main, "drop_capabilities", "jail: capabilities dropped")
    _after(main, "verify_isolation", "jail: isolation verified")
    _before(seccomp, "compile_filter", "jail: (before seccomp)")
    _after(seccomp, "compile_filter", "jail: seccomp filter built")
    _after(seccomp, "install", "jail: seccomp filter loaded")
    _after(main, "set_limits", "jail: workdir, files, rlimits")
    _after(stubs, "install", "jail: stub modules")
    _after(GUARD, "capture", "jail: tamper guard capture")
    _after(main, "load_chunks", "jail: submission loaded (compile + run)")
    _after(GUARD, "seal", "jail: tamper guard seal")
    _after(main, "reap_others", "jail: others reaped")
    _after(main, "random_getstate", "jail: random state")
    _after(reuse, "module_list", "jail: signatures, modules listed (call reuse)")
    _after(reuse, "plain_namespace", "jail: namespace checked (call reuse)")
    _before(reuse.CallWorker, "start", "jail: call worker made (call reuse)")
    # The fork check: the call worker's own fork where calls are reused, else can_fork's fork.
    _after(reuse.CallWorker, "start", "jail: fork check (the call worker's fork, or can_fork's)")
    _after(main, "can_fork", "jail: fork check (the call worker's fork, or can_fork's)")
    del privileges, serve
    write_frame = wire.write_frame

    def loaded(fd, header, arrays=()):
        if isinstance(header, dict) and header.get("status") == "loaded":
            _mark("jail: load reply")
            os.write(1, (MARKER + json.dumps({"marks": MARKS, "counts": COUNTS}) + "\n").encode())
        return write_frame(fd, header, arrays)

    wire.write_frame = loaded
    zygote.serve(ctrl_fd, main.main)


# ---------------------------------------------------------------------------------------------
# The grader's side


class Phases:
    """Exclusive wall and CPU time per phase (a nested phase's time taken out of its caller's)."""

    def __init__(self):
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.stack: list[list] = []
        self.current: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])

    def wrap(self, owner, attr: str, phase: str) -> None:
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            frame = [time.perf_counter(), time.process_time(), 0.0, 0.0]
            self.stack.append(frame)
            try:
                return original(*args, **kwargs)
            finally:
                self.stack.pop()
                wall, cpu = time.perf_counter() - frame[0], time.process_time() - frame[1]
                self.current[phase][0] += wall - frame[2]
                self.current[phase][1] += cpu - frame[3]
                if self.stack:
                    self.stack[-1][2] += wall
                    self.stack[-1][3] += cpu

        setattr(owner, attr, timed)

    def commit(self) -> None:
        for phase, (wall, cpu) in self.current.items():
            self.wall[phase].append(wall)
            self.cpu[phase].append(cpu)
        self.current.clear()


def _jail_steps(output: str) -> tuple[list[tuple[str, float, float, int]], dict]:
    """(step, wall ms, CPU ms, page faults) from the marks the instrumented jail printed."""
    line = next((ln for ln in output.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        return [], {}
    data = json.loads(line[len(MARKER):])
    steps = []
    previous = None
    for label, pid, mono, cpu, faults in data["marks"]:
        if previous is not None:
            same = pid == previous[1]
            steps.append((label, 1000 * (mono - previous[2]), 1000 * (cpu - previous[3] if same else cpu),
                          faults - previous[4] if same else faults))
        previous = (label, pid, mono, cpu, faults)
    return steps, data["counts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="sandboxes to start (after two not counted)")
    parser.add_argument("--source", default=None, help="the submission (default: the correct module)")
    parser.add_argument("--gap", type=float, default=0.05,
                        help="seconds between a load and the sandbox's end, standing for the probes, checks "
                             "and reports (a sleep: this process's CPU stays free, as the other core is)")
    parser.add_argument("--old", action="store_true",
                        help="the way before issue 23's start work: every keeper started when its sandbox starts "
                             "(host.ahead off), the hide list computed for every start (host.hide_watch off), the "
                             "seccomp program compiled in every sandbox")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import CORRECT, machine, table

    import autograder.engine as engine
    from autograder.config import load_config
    from autograder.sandbox.host import ahead, cgroups, hide_watch, hiding, sandbox, zygote
    from autograder.training.trainer import Trainer

    class TimedZygote(zygote.Zygote):
        def command(self, ctrl_fd: int) -> list[str]:
            return [sys.executable, "-I", "-B", "-u", str(Path(__file__).resolve()), "--zygote", str(ctrl_fd),
                    *(["old"] if args.old else [])]

    config = load_config()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="initgrade-start-steps-") as tmp:
        grader = engine.Grader(config, Trainer(config, Path(tmp) / "cache"), [str(Path(tmp) / "out")])
        if grader.zygote is None:
            raise SystemExit("no namespaces here: the zygote's steps cannot be measured")
        grader.zygote.close()
        grader.zygote = TimedZygote(grader.zygote.env)
        source = Path(args.source) if args.source else CORRECT
        sub = engine.read_submission(source, config.limits, config.functions, config.notebook).submission
        if args.old:
            ahead.prepare_next = lambda *a: None  # type: ignore[assignment]
        hide_list = hide_watch.WatchedHideList()
        phases = Phases()
        phases.wrap(hide_list, "get", "grader: hide list")
        phases.wrap(hiding, "hide_paths", "grader: hide list")  # the old way's
        phases.wrap(cgroups, "create", "grader: cgroup made")
        phases.wrap(zygote.Zygote, "spawn", "grader: zygote asked to fork a keeper")
        phases.wrap(sandbox.Sandbox, "_drain_output", "grader: output reader started")
        phases.wrap(sandbox.Sandbox, "_load_request", "grader: load request built")
        phases.wrap(sandbox.Sandbox, "_read_load_header", "grader: request sent, load report awaited")
        phases.wrap(sandbox.Sandbox, "_accept_load", "grader: load report checked")
        phases.wrap(sandbox.Sandbox, "start", "grader: rest of the start (pipes, env)")
        phases.wrap(sandbox.Sandbox, "_close", "end: exit request, wait for the exit")
        phases.wrap(sandbox.Sandbox, "_kill", "end: kill, pipes closed, output joined")
        phases.wrap(cgroups.SandboxCgroup, "remove", "end: cgroup emptied and removed")
        jail: dict[str, list[tuple[float, float]]] = defaultdict(list)
        counts: dict[str, list[int]] = defaultdict(list)
        order: list[str] = []
        starts: list[float] = []
        runs: list[list[tuple[float, float]]] = []
        for i in range(args.n + 2):
            hide = (hiding.hide_paths if args.old else hide_list.get)(grader.hide_extra, grader.course)
            box = sandbox.Sandbox(sub.chunks, sub.files, config.functions, config.limits,
                                  hide, config.sandbox.stub_modules,
                                  grader.isolation, grader.zygote, config.sandbox.preload_modules, grader.grants)
            t0 = time.perf_counter()
            box.start()
            starts.append(time.perf_counter() - t0)
            time.sleep(args.gap)
            box.close()
            steps, counted = _jail_steps(box.output())
            if i < 2:
                phases.current.clear()
                continue
            phases.commit()
            runs.append([(w, c) for _, w, c, _ in steps])
            for label, wall, cpu, faults in steps:
                if label not in order:
                    order.append(label)
                jail[label].append((wall, cpu, faults))
            for k, v in counted.items():
                counts[k].append(v)
        grader.close()
        hide_list.close()
    rows = []
    for phase in phases.wall:
        rows.append([phase, f"{1000 * statistics.median(phases.wall[phase]):.2f}",
                     f"{1000 * statistics.median(phases.cpu[phase]):.2f}", ""])
    rows.append(["**jail side** (inside 'load report awaited')", "", "", ""])
    for label in order:
        rows.append([label, f"{statistics.median(w for w, _, _ in jail[label]):.2f}",
                     f"{statistics.median(c for _, c, _ in jail[label]):.2f}",
                     f"{statistics.median(f for _, _, f in jail[label]):.0f}"])
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"{args.n} starts and ends of {source.name}, one process, {args.gap * 1000:.0f} ms between a load and "
          f"the end, {'the old way' if args.old else 'this checkout'}; medians")
    grader_cpu = [sum(phases.cpu[p][i] for p in phases.cpu) for i in range(args.n)]
    jail_cpu = [sum(c for _, c in run) for run in runs]
    print(f"Sandbox.start: {1000 * statistics.median(starts[2:]):.1f} ms wall; CPU per start and end: grader "
          f"{1000 * statistics.median(grader_cpu):.1f} ms (hide list included), "
          f"jail {statistics.median(jail_cpu):.1f} ms (keeper and pid 1, up to the load report)")
    print()
    print(table(["step", "wall ms", "CPU ms (that process)", "page faults (that process)"], rows))
    print()
    print("per start: " + ", ".join(f"{k} {statistics.median(v):g}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--zygote"]:
        try:
            if sys.argv[3:4] == ["old"]:  # the seccomp program compiled in each sandbox, as before
                from autograder.sandbox.jail import seccomp
                from autograder.sandbox.jail import zygote as zygote_side

                zygote_side._prepare_once = lambda: None
                seccomp.program = seccomp.program.__wrapped__  # type: ignore[attr-defined]
            _serve_instrumented(int(sys.argv[2]))
        except BaseException:  # noqa: BLE001 - as the real zygote: it just ends
            os._exit(4)
        os._exit(0)
    main()
