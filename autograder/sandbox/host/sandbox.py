"""The grader's side of the sandbox: start a child, load a submission, call functions.

Everything that decides a grade stays here. The child is started with a scrubbed
environment, closed stdin, capped output, and, where the machine allows, in new
user/mount/network/IPC/pid namespaces, or else as an unprivileged uid confined by
Landlock where the kernel has it (see ``host.isolation.detect_isolation``).
With namespaces it is forked by the grader's zygote (``host.zygote``),
which has numpy imported already; otherwise, or when the zygote fails, it is exec'd.
Every wait on the child has a deadline measured here, so a child that hangs or
lies about time cannot stall the grader; when a call times out the whole child
(its process group and pid namespace) is killed and a fresh one is loaded for
the next call.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from autograder.base.trees import remove_tree
from autograder.config import Limits
from autograder.diagnose.explain import scrub
from autograder.limits import (
    CGROUP_SCRATCH_FOLDERS,
    CGROUP_SLACK_MB,
    DRAIN_JOIN_SECONDS,
    EXIT_STATUS_WAIT_SECONDS,
    EXIT_WAIT_SECONDS,
    KILLED_WAIT_SECONDS,
    LAST_OUTPUT_CHARS,
    LOAD_MESSAGE_CHARS,
    LOAD_MESSAGES,
    NOTE_CHARS,
    NOTES,
    PARAMETER_NAME_CHARS,
    PARAMETERS_REPORTED,
    REPLY_LIST_ITEMS,
    SUBMISSION_HEADER_BYTES,
)
from autograder.sandbox import outcomes as words
from autograder.sandbox import wire
from autograder.sandbox.host import ahead, cgroups
from autograder.sandbox.host.grants import sandbox_grants
from autograder.sandbox.host.hiding import keep_in_private
from autograder.sandbox.host.isolation import (
    Isolation,
    detect_isolation,
    sandbox_argv,
    sandbox_env,
    sandbox_uid,
    wrap,
)
from autograder.sandbox.host.output import OutputDrain, clean_output
from autograder.sandbox.host.stops_held import stops_held
from autograder.sandbox.host.uid_cleanup import kill_uid, remove_uid_ipc, sweep_uid_files
from autograder.sandbox.host.zygote import KeeperProcess, Zygote
from autograder.sandbox.outcomes import Outcome, SandboxError

# The seed of numpy's legacy global stream when a sandbox starts (see jail.main); no spec or
# common habit uses it, so a function that forgets to seed is still wrong, but repeatably so.
RANDOM_SEED = 1_234_567_891


def _signatures(raw, functions) -> dict:
    """The graded functions' parameters from the load reply, validated (the child is not trusted)."""
    out: dict[str, list[dict]] = {}
    if not isinstance(raw, dict):
        return out
    for name in functions:
        params = raw.get(name)
        if not isinstance(params, list):
            continue
        clean = []
        for p in params[:PARAMETERS_REPORTED]:
            if (isinstance(p, dict) and isinstance(p.get("name"), str) and p["name"].isidentifier()
                    and p.get("kind") in ("positional", "varargs", "keyword", "varkw")):
                clean.append({"name": p["name"][:PARAMETER_NAME_CHARS], "kind": p["kind"],
                              "default": p.get("default") is True})
        out[name] = clean
    return out


# Why one fork does not answer several calls (autograder.sandbox.jail.reuse), by the code the
# sandbox's load reply gives; each call then costs a fork of its own (about 3x the time).
CALL_REUSE_OFF = {
    "no-pid-namespace": "no pid namespace to see every process a call starts",
    "not-cpython": "the sandbox's Python is not CPython, which keeps the dict version tags it needs",
    "python-version": "the sandbox's Python keeps no dict version tags (CPython 3.10 to 3.13 do; 3.14 removed them)",
    "layout": "the dict version tags of the sandbox's Python are not where CPython 3.10 to 3.13 keep them",
    "top-level-state": "the submission's top level holds state a call could change unseen",
}


def call_reuse_mode(code: object) -> str:
    """``"on"``, or ``"off: <why>"``, from the sandbox's (untrusted) code: never its text."""
    if code == "on":
        return "on"
    return "off: " + CALL_REUSE_OFF.get(code if isinstance(code, str) else "", "the sandbox gave no known reason")


@dataclass
class LoadReport:
    functions: list[str]
    messages: list[str]
    notes: list[str]
    seconds: float
    # function -> its parameters as the sandbox read them (autograder.sandbox.values.describe_signature)
    signatures: dict = field(default_factory=dict)
    # whether one fork answers several calls: "on" or "off: <why>" (call_reuse_mode)
    call_reuse: str = ""


@dataclass
class ProbeReply:
    header: dict
    arrays: list = field(default_factory=list)


def memory_cap(limits: Limits) -> int:
    """A sandbox's memory cap in bytes: its address space, its scratch folders, some slack."""
    return (limits.memory_mb + CGROUP_SCRATCH_FOLDERS * limits.tmp_mb + CGROUP_SLACK_MB) << 20


def keeper_key(limits: Limits, preload: Sequence[str], env: dict[str, str], cwd: str) -> ahead.Key:
    """What a keeper of these limits, preloaded modules, environment and folder is started with."""
    return ahead.Key(limits.processes, memory_cap(limits), tuple(sorted(env.items())), cwd, tuple(preload))


def prepare_first(zygote: Zygote, limits: Limits, preload: Sequence[str]) -> None:
    """Start the first sandbox's keeper now (host.ahead), before the submission is read: its fork,
    cgroup and namespaces then overlap the grader's reading of the submission and its hide list, and
    the first ``Sandbox.start`` takes it. The key is the one that start computes: with namespaces (the
    only level with a zygote) the working folder is ``/tmp``, the sandbox's own tmpfs, entered from ``/``."""
    ahead.prepare_first(zygote, keeper_key(limits, preload, sandbox_env("/tmp", "/tmp"), "/"))


class Sandbox:
    """One submission's sandboxed process, restarted transparently after a timeout.

    ``chunks`` is the submission's code (list of ``{"origin", "code"}``) and ``files``
    any extra modules it imports (relative path -> text).

    Each start gets its own cgroup when the machine allows (``cgroups.create``):
    a hard cap on processes and threads, and a way to find and kill every
    process of the sandbox. A function whose call took the whole sandbox down
    (it killed the process serving it, or the reply was garbage) is, like one
    that timed out, not called again: each further call would cost a restart.
    """

    def __init__(self, chunks, files, functions, limits: Limits, hide: list[str],
                 stub_modules: list[str], isolation: Isolation | None = None, zygote: Zygote | None = None,
                 preload: Sequence[str] = (), grants: Sequence[str] | None = None):
        self.chunks, self.files, self.functions = chunks, files, functions
        self.preload = list(preload)  # imported by the zygote before it forks (trusted kit modules)
        self.limits, self.hide, self.stub_modules = limits, hide, stub_modules
        self.isolation = isolation or detect_isolation()
        # What Landlock lets a fallback sandbox read (host.grants); the grader passes its own, made
        # with the batch's folders among the secrets.
        self.grants = list(grants) if grants is not None else (
            [] if self.isolation.namespaces else list(sandbox_grants(self.isolation.python_dirs, self.isolation.kit)))
        # With namespaces, sandboxes are forked by the grader's zygote (numpy already
        # imported); without one, or if it fails, each start execs a new interpreter.
        self.zygote = zygote if self.isolation.namespaces else None
        self.random_seed = RANDOM_SEED
        self.proc: subprocess.Popen | KeeperProcess | None = None
        self.drains: list[OutputDrain] = []
        self.started_at = time.monotonic()
        self.starts = 0
        self.load: LoadReport | None = None
        self.fatal: dict[str, SandboxError] = {}
        self.cgroup: cgroups.SandboxCgroup | None = None
        self.uid = sandbox_uid() if self.isolation.drop_uid else 0  # used at the uid level only
        self._tmp: str | None = None
        # The header bytes this submission's replies may take, over every start and call.
        self.header_budget = wire.HeaderBudget(SUBMISSION_HEADER_BYTES)
        # Called once, right after the first load request is sent: the grader's work that can run while
        # it waits for the load (autograder.engine: threads started then, not beside its own work).
        self.on_request: Callable[[], None] | None = None

    # -- life cycle -------------------------------------------------------------------
    def _budget_left(self) -> float:
        return self.limits.submission_seconds - (time.monotonic() - self.started_at)

    def _memory_cap(self) -> int:
        return memory_cap(self.limits)

    def start(self) -> LoadReport:
        """Start the sandboxed process and load the submission in it: the load report, or a
        SandboxError that says why not (out of time, died loading, cannot isolate, a bad reply).

        One retry, at most: a zygote keeper that says it could not enter the namespaces has run
        no submission code; the zygote is dropped and the sandbox starts again the exec way."""
        while True:  # two rounds at most: a retry sets self.zygote to None, and only a zygote retries
            if self._budget_left() <= 0:
                raise words.budget_used_up(self.limits.submission_seconds)
            self.starts += 1
            workdir = self._workdir()
            proc = self._spawn(workdir)
            nonce = os.urandom(8).hex()
            self._seq = 0
            self._drain_output(proc)
            t0 = time.monotonic()
            header = self._read_load_header(self._load_request(workdir, nonce), t0)
            if header is not None:
                load = self._accept_load(header, nonce, t0)
                if isinstance(proc, KeeperProcess) and self.zygote is not None:
                    # The next start's first steps, while this submission is graded (host.ahead).
                    ahead.prepare_next(self.zygote, self._keeper_key(sandbox_env(workdir, workdir), "/"))
                return load

    def _workdir(self) -> str:
        """The sandbox's working folder: a private temporary folder of the fallback levels (owned
        by the sandbox uid), the sandbox's own tmpfs /tmp with namespaces."""
        if self._tmp is None and not self.isolation.namespaces:
            self._tmp = tempfile.mkdtemp(prefix="initgrade-")
            if self.isolation.drop_uid:
                os.chown(self._tmp, self.uid, self.uid)
        return self._tmp or "/tmp"

    def _spawn(self, workdir: str) -> subprocess.Popen | KeeperProcess:
        """The process, forked from the zygote or exec'd, in its cgroup; its three pipes kept here."""
        env, cwd = sandbox_env(workdir, workdir), workdir if self._tmp else "/"
        self.proc = None
        if self.zygote is not None:
            # A keeper started ahead, while the previous submission was graded (host.ahead), or one now.
            key = self._keeper_key(env, cwd)
            with stops_held():  # made and held here whole: a stop cannot leave it between the two
                prepared = ahead.take(self.zygote, key) or ahead.start_keeper(self.zygote, key)
                if prepared is not None:
                    self.cgroup, self.proc = prepared.cgroup, prepared.proc
                    self.req_fd, self.rep_fd, self.life_fd = prepared.req_fd, prepared.rep_fd, prepared.life_fd
            if prepared is not None:
                return prepared.proc
        with stops_held():
            self.cgroup = cgroups.create(self.limits.processes, self._memory_cap())
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        # The lifeline: only this process holds its write end. When the grader dies (even
        # by SIGKILL), the child reads end-of-file and ends the sandbox. setpriv's
        # --pdeathsig alone does not survive unshare's switch to a new user namespace.
        life_r, life_w = os.pipe()
        try:
            argv = sandbox_argv(self.isolation, ["-I", "-B", "-u"], module="autograder.sandbox.jail")
            cmd = wrap([*argv, str(req_r), str(rep_w), str(life_r)], self.isolation, self.uid, pdeathsig=True)
            self.proc = subprocess.Popen(
                cgroups.wrap_command(cmd, self.cgroup), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=(req_r, rep_w, life_r), env=env, cwd=cwd,
                start_new_session=True,
            )
        except OSError:
            for fd in (req_w, rep_r, life_w):
                os.close(fd)
            self._release_cgroup()
            raise
        finally:
            os.close(req_r)
            os.close(rep_w)
            os.close(life_r)
        self.req_fd, self.rep_fd, self.life_fd = req_w, rep_r, life_w
        return self.proc

    def _keeper_key(self, env: dict[str, str], cwd: str) -> ahead.Key:
        return keeper_key(self.limits, self.preload, env, cwd)

    def _drain_output(self, proc: subprocess.Popen | KeeperProcess) -> None:
        """Read the process's printed output from now on, up to output_kb."""
        drain = OutputDrain(proc.stdout, self.limits.output_kb * 1024)
        drain.start()
        self.drains.append(drain)

    def _load_request(self, workdir: str, nonce: str) -> dict:
        """What the jail needs to confine itself and load the submission (the first frame)."""
        return {
            "chunks": [{"origin": c["origin"], "code": c["code"], "line": int(c.get("line", 0))}
                       for c in self.chunks if c["code"].strip()],
            "files": self.files, "functions": self.functions,
            "limits": self.limits.model_dump(), "hide": self.hide,
            "namespaces": self.isolation.namespaces, "stub_modules": self.stub_modules,
            "workdir": workdir, "sweep": self.isolation.namespaces or self.isolation.drop_uid,
            "nonce": nonce, "keep": keep_in_private() if self.isolation.namespaces else [],
            "random_seed": self.random_seed,
            "readable": self.grants,
            # Part of the level (decided once per grader): a sandbox that cannot apply it refuses.
            "landlock": self.isolation.landlock,
        }

    def _read_load_header(self, request: dict, t0: float) -> dict | None:
        """Send the load request and read the load report's header within load_seconds; None when
        a zygote keeper could not isolate (no submission code ran: start again without the zygote)."""
        try:
            wire.write_frame(self.req_fd, request)
            meanwhile, self.on_request = self.on_request, None
            if meanwhile is not None:
                meanwhile()
            deadline = t0 + min(self.limits.load_seconds, max(self._budget_left(), 0.1))
            header, _ = wire.read_frame(self.rep_fd, deadline=deadline, budget=self.header_budget)
        except wire.WireTimeout:
            self.kill()
            raise words.load_timeout(self.limits.load_seconds, self._output_hint()) from None
        except (wire.WireError, OSError) as exc:
            how, hint = self._exit_description(), self._output_hint()
            not_isolated = isinstance(self.proc, KeeperProcess) and self.proc.not_isolated
            self.kill()
            if not_isolated and self.zygote is not None:
                # The keeper said (on a channel no submission can write) that it could not
                # enter the namespaces: no submission code ran. The zygote is replaced, and
                # this sandbox starts the exec way.
                self.zygote.could_not_isolate()
                self.zygote = None
                return None
            raise words.died_loading(how, hint) from exc
        if isinstance(self.proc, KeeperProcess) and self.zygote is not None:
            self.zygote.isolated()
        return header

    def _accept_load(self, header: dict, nonce: str, t0: float) -> LoadReport:
        """The load report, once the header proves a sandbox that came up as designed (fail closed:
        killed and refused otherwise)."""
        if header.get("status") == "cannot-isolate" and header.get("nonce") == nonce:
            self.kill()  # it refused before loading: no student code ran
            raise words.cannot_isolate(_str_list(header.get("notes")))
        if header.get("status") != "loaded" or header.get("nonce") != nonce:
            self.kill()
            raise words.bad_load_reply()
        self.load = LoadReport(
            functions=[f for f in _str_list(header.get("functions")) if f in self.functions],
            messages=[m[:LOAD_MESSAGE_CHARS] for m in _str_list(header.get("messages"))][:LOAD_MESSAGES],
            notes=[n[:NOTE_CHARS] for n in _str_list(header.get("notes"))][:NOTES],
            seconds=time.monotonic() - t0,
            signatures=_signatures(header.get("signatures"), self.functions),
            call_reuse=call_reuse_mode(header.get("call_reuse")),
        )
        unsafe = [n for n in self.load.notes if n.startswith("UNSAFE:")]
        if unsafe:  # fail closed: never grade in a sandbox that did not come up as designed
            self.kill()
            raise words.cannot_isolate(unsafe)
        refused = header.get("cannot_fork")
        if refused is not None:  # any value but null: fail closed, whatever it says
            self.kill()
            ended = words.read_call_ended(refused) if isinstance(refused, dict) else None
            error = ended.errno if ended is not None and ended.outcome is Outcome.LIMIT_EXCEEDED else None
            raise words.cannot_fork_after_load(error, self.limits.processes)
        return self.load

    def use_random_seed(self, seed: int) -> None:
        """Calls from now on run in a process whose global random stream starts from ``seed`` (the
        engine's ``call_fresh`` asks for another state, then its first one back): a process started
        with another seed ends here, and the next call starts one with this seed."""
        if seed != self.random_seed:
            self.random_seed = seed % 2**32
            self.kill()

    def call(self, function: str, args: list) -> ProbeReply:
        """Call ``function(*args)`` in a fresh fork of the loaded submission."""
        if function in self.fatal:
            raise words.not_called_again(self.fatal[function])
        self.restart_if_ended()
        deadline = time.monotonic() + min(self.limits.probe_seconds, max(self._budget_left(), 0.1))
        seq = self._next_call(function, args)
        try:
            wire.write_frame(self.req_fd, seq[1])
        except OSError as exc:
            self._call_failed(function, exc)
        return self._reply(function, seq[0], deadline)

    def restart_if_ended(self) -> None:
        """A process to call into: the loaded submission started again if its process has ended
        (killed after a timeout, or to change the random state); raises SandboxError if it cannot."""
        if self.proc is None or self.proc.poll() is not None:
            self.kill()
            self.start()

    def call_planned(self, calls: list[tuple[str, list]]) -> list[ProbeReply | SandboxError]:
        """Answers to ``calls`` (function, args) in one exchange: every request is sent without
        waiting for the replies, which come back in order (autograder.sandbox.host.pipeline).

        Each call keeps its own deadline (``probe_seconds``, counted from the previous reply, when
        the sandbox starts on it) and its reply cap. A call that times out or ends the sandbox is
        the last one answered (its error in place of a reply): the sandbox is killed, and the
        calls after it are left to ``call``. The error does not mark the function (``fatal``)
        here: the caller does that if and when it uses the answer (autograder.sandbox.probes)."""
        from autograder.sandbox.host.pipeline import PipelinedRequests

        if self.starts == 0 and calls:
            # Never started (a resumed grading starts its sandbox only for a call with no answer
            # saved, autograder.engine): it starts now; if it cannot, the calls are made on
            # demand and each says why.
            try:
                self.start()
            except SandboxError:
                return []
        if self.proc is None or self.proc.poll() is not None:
            return []
        requests = PipelinedRequests(self.req_fd, [self._next_call(f, a) for f, a in calls])
        answers: list[ProbeReply | SandboxError] = []
        for i, (function, _) in enumerate(calls):
            if function in self.fatal:
                break  # the on-demand call says "not called again": leave it to ``call``
            try:
                requests.send_up_to(i)
            except OSError as exc:
                answers.append(self._failure(function, exc, mark=False))
                break
            deadline = time.monotonic() + min(self.limits.probe_seconds, max(self._budget_left(), 0.1))
            try:
                answers.append(self._reply(function, requests.seq(i), deadline, mark=False))
            except SandboxError as exc:
                answers.append(exc)
                if self.proc is None:
                    break  # killed: the rest are answered on demand by a new process
            requests.consumed(i)
        if len(answers) < len(calls) and self.proc is not None:
            self.kill()  # requests already sent would be answered out of turn: start afresh
        return answers

    def _next_call(self, function: str, args: list) -> tuple[int, dict]:
        self._seq += 1
        return self._seq, {"op": "call", "function": function, "args": args, "seq": self._seq}

    def _reply(self, function: str, seq: int, deadline: float, *, mark: bool = True) -> ProbeReply:
        """Read the reply of call ``seq``; raises the SandboxError it comes to (the sandbox is
        killed when the call timed out or the process died, and ``function`` is marked not to
        be called again unless ``mark`` is False)."""
        try:
            header, arrays = wire.read_frame(self.rep_fd, deadline=deadline, budget=self.header_budget,
                                             max_array_bytes=self.limits.reply_mb << 20)
            if header.get("seq") != seq:
                raise wire.WireError("a reply out of sequence")
        except wire.WireTimeout:
            self.kill()
            raise words.call_timeout(function, self.limits.probe_seconds) from None
        except (wire.WireError, OSError) as exc:
            raise self._failure(function, exc, mark) from None
        instead = words.read_call_ended(header)
        if instead is not None and instead.outcome is Outcome.LIMIT_EXCEEDED and instead.limit != "reply_mb":
            raise words.cannot_run(function, instead, self.limits.processes, self.limits.open_files)
        if instead is not None and instead.outcome is Outcome.UNREADABLE:
            # The student's own exception text: it may name folders of this machine.
            raise words.unreadable_value(function, scrub(instead.message))
        return ProbeReply(header=header, arrays=arrays)  # the other outcomes are the caller's (probes) to word

    def _call_failed(self, function: str, exc: Exception) -> None:
        raise self._failure(function, exc, True) from None

    def _failure(self, function: str, exc: Exception, mark: bool) -> SandboxError:
        """The sandbox died or garbled a reply during ``function``: kill it, and say which."""
        ended = self.proc is not None and self.proc.poll() is not None
        if not ended and self.proc is not None:
            try:
                self.proc.wait(timeout=0.5)
                ended = True
            except subprocess.TimeoutExpired:
                pass
        how = self._exit_description() if ended else None
        self.kill()
        error = words.died_in_call(function, str(how)) if ended else words.bad_call_reply(function, str(exc))
        if mark:
            self.fatal[function] = error
        return error

    @property
    def scratch_dir(self) -> str | None:
        """The sandbox's private folder on the host, when it has one (without namespaces); None
        with namespaces' own tmpfs."""
        return self._tmp

    def _exit_description(self) -> str:
        if self.proc is None:
            return "not started"
        try:
            code = self.proc.wait(timeout=EXIT_STATUS_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            return "still running"
        return words.describe_exit(code)

    def _output_hint(self) -> str:
        text = clean_output(self.drains[-1].text()).strip() if self.drains else ""
        return f"\nLast output:\n{text[-LAST_OUTPUT_CHARS:]}" if text else ""

    def printed_nothing(self) -> bool:
        """Whether no process of this sandbox printed anything up to now, in any start (what
        ``output`` would show so far is empty, and nothing is on its way to it)."""
        return all(d.printed_nothing() for d in self.drains)

    def output_pieces(self) -> list[str]:
        """The printed output of each start, raw (what ``output`` joins)."""
        return [d.text() for d in self.drains if d.kept or d.dropped]

    def output(self, before: Sequence[str] = ()) -> str:
        """The printed output of every start, made safe to show; ``before``: the raw pieces of an
        earlier sandbox of the same grading (a resumed one's first pass), as if they were its own."""
        return clean_output("\n".join([*before, *self.output_pieces()]))

    def _release_cgroup(self) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def kill(self) -> None:
        """End the child, everything it started and its pipes; safe to call twice.

        A Ctrl-C arriving meanwhile is held back until the cleanup is done, so an
        interrupted batch leaves no process and no cgroup behind.
        """
        with stops_held():
            self._kill()

    def _kill(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                if isinstance(self.proc, KeeperProcess):  # a keeper killed before its setsid()
                    try:
                        os.kill(self.proc.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
            if self.cgroup is not None:
                self.cgroup.kill_all()
            if self.isolation.drop_uid:  # also what left the cgroup's view (or ran where there is none)
                kill_uid(self.uid, self.isolation)
            try:
                self.proc.wait(timeout=KILLED_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                pass
            for fd in (self.req_fd, self.rep_fd, self.life_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
            for d in self.drains:
                d.join(timeout=DRAIN_JOIN_SECONDS)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None
        self._release_cgroup()

    def close(self) -> None:
        with stops_held():
            self._close()

    def _close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                wire.write_frame(self.req_fd, {"op": "exit"})
                self.proc.wait(timeout=EXIT_WAIT_SECONDS)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()
        if self.isolation.drop_uid and self.starts:  # never started (a resumed grading's): nothing ran as its uid
            sweep_uid_files(self.uid)
            remove_uid_ipc(self.uid)
        if self._tmp:
            remove_tree(self._tmp)  # however deep the student made it (autograder/base/trees.py)
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _str_list(value) -> list[str]:
    """A list of strings from an untrusted reply, or an empty list."""
    if not isinstance(value, list):
        return []
    return [v for v in value[:REPLY_LIST_ITEMS] if isinstance(v, str)]
