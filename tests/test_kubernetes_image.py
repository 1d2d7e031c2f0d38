"""docs/scale/kubernetes/Dockerfile, read as Docker would, against the kit it packs.

No container engine runs here, so the image is never built; what can be checked without one is:
it parses into known instructions, the wheel stage copies every file setup.py packs into the
wheel, and replayed here (its COPY lines, then its RUN line) it builds a wheel holding the course
files; the grader stage installs that wheel (its glob picks the name pip gives it) and never leaves
root, the commands it runs and names are real `initgrade` commands, and the Kubernetes manifests
run the image the Dockerfile says to build. tests/test_wheel.py proves such a wheel grades.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from importlib import metadata
from pathlib import Path

import click
import pytest
import yaml

import autograder
import initlab
from autograder.commands import cli
from autograder.config import PROJECT_ROOT

KUBE = PROJECT_ROOT / "docs" / "scale" / "kubernetes"
PROJECT = metadata.metadata("initgrade")  # the editable install's: pyproject.toml's [project]
KNOWN = {"FROM", "WORKDIR", "COPY", "RUN", "ENV", "USER", "ENTRYPOINT", "CMD", "ARG", "LABEL"}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; comments dropped, continuation lines joined."""
    out, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        words = (pending + line).strip().split(None, 1)
        pending = ""
        out.append((words[0].upper(), words[1] if len(words) > 1 else ""))
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


@pytest.fixture(scope="module")
def stages() -> list[list[tuple[str, str]]]:
    parsed = instructions((KUBE / "Dockerfile").read_text())
    unknown = sorted({name for name, _ in parsed} - KNOWN)
    assert unknown == [], unknown
    result: list[list[tuple[str, str]]] = []
    for name, args in parsed:
        if name == "FROM":
            result.append([])
        assert result, "the Dockerfile must start with FROM"
        result[-1].append((name, args))
    assert len(result) == 2, "a wheel stage and a grader stage"
    return result


def _setup_course_files() -> list[tuple[str, object]]:
    """setup.py's COURSE_FILES, read without running setup.py (importing it would run setup())."""
    tree = ast.parse((PROJECT_ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["COURSE_FILES"]:
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no COURSE_FILES")


def _python_version(image: str) -> tuple[int, int]:
    match = re.fullmatch(r"python:3\.(\d+)(?:[.\d]*)-slim(?:-\w+)?", image)
    assert match, f"{image} is not an official python slim image"
    return 3, int(match.group(1))


def test_both_stages_use_a_python_the_kit_supports(stages):
    lowest = tuple(int(x) for x in PROJECT["Requires-Python"].removeprefix(">=").split("."))
    for stage in stages:
        version = _python_version(stage[0][1].split()[0])
        assert lowest <= version <= (3, 13), version  # the Pythons the kit is tested on


def _copied(stage) -> set[str]:
    sources = set()
    for name, args in stage:
        if name == "COPY" and not args.startswith("--from"):
            *srcs, _dest = shlex.split(args)
            sources.update(s.rstrip("/") for s in srcs)
    return sources


def test_the_wheel_stage_copies_what_setup_py_packs_and_builds_the_wheel(stages):
    wheel_stage = stages[0]
    copied = _copied(wheel_stage)
    for source in copied:
        assert (PROJECT_ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    packed = {rel for rel, _suffixes in _setup_course_files()}
    packages = {Path(p.__file__).parent.relative_to(PROJECT_ROOT).as_posix() for p in (autograder, initlab)}
    needed = packed | packages | {"pyproject.toml", "setup.py"}
    lacking = sorted(n for n in needed if not any(n == c or n.startswith(f"{c}/") for c in copied))
    assert lacking == [], f"the wheel would lack {lacking}"
    runs = [args for name, args in wheel_stage if name == "RUN"]
    assert any(re.search(r"\bpip wheel --no-deps\b.* -w /dist \.$", r) for r in runs), runs


def test_the_grader_stage_installs_that_wheel_and_stays_root(stages):
    grader = stages[1]
    assert ("COPY", "--from=wheel /dist/ /tmp/dist/") in grader
    stage_name = stages[0][0][1].split()
    assert stage_name[1:] == ["AS", "wheel"], stage_name
    installs = [args for name, args in grader if name == "RUN" and "pip install" in args]
    assert len(installs) == 1
    wheel_glob = re.search(r"/tmp/dist/(\S+\.whl)", installs[0]).group(1)
    assert Path(f"{PROJECT['Name']}-{PROJECT['Version']}-py3-none-any.whl").match(wheel_glob)
    users = [args for name, args in stages[0] + grader if name == "USER"]
    assert set(users) <= {"root"}, users


def test_it_checks_for_the_programs_that_start_sandboxes(stages):
    from autograder.sandbox.host import isolation

    runs = " ".join(args for name, args in stages[1] if name == "RUN")
    for program in ("unshare", "setpriv"):
        assert f"command -v {program}" in runs, program
        assert program in " ".join(isolation.wrap(["python"], isolation.Isolation(program == "unshare",
                                                                                 program == "setpriv"), 2_000_000))


def _real_command(words: list[str]) -> None:
    assert words[0] == "initgrade", words
    ctx = click.Context(cli.main)
    if len(words) > 1 and not words[1].startswith("-"):
        command = cli.main.get_command(ctx, words[1])
        assert command is not None, f"initgrade has no command {words[1]!r}"
        for word in words[2:]:
            if word.startswith("--"):
                options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
                assert word.split("=")[0] in options, f"initgrade {words[1]} has no option {word}"


def test_the_commands_it_runs_are_real(stages):
    grader = stages[1]
    entry = json.loads(dict(grader)["ENTRYPOINT"])
    cmd = json.loads(dict(grader)["CMD"])
    _real_command(entry + cmd)
    assert "--help" in cmd or cli.main.get_command(click.Context(cli.main), cmd[0]) is not None
    inits = [shlex.split(args) for name, args in grader if name == "RUN" and args.startswith("initgrade")]
    assert inits == [["initgrade", "init", "/course"]]
    _real_command(inits[0])
    assert ("WORKDIR", "/course") in grader


def test_the_jobs_run_the_image_it_builds():
    build = re.search(r"docker build -f (\S+) -t (\S+) \.$", (KUBE / "Dockerfile").read_text(), re.M)
    assert build and PROJECT_ROOT / build.group(1) == KUBE / "Dockerfile"
    assert build.group(2).endswith(f":{PROJECT['Version']}")
    for manifest in ("grade-job.yaml", "merge-job.yaml"):
        job = yaml.safe_load((KUBE / manifest).read_text())
        for container in job["spec"]["template"]["spec"]["containers"]:
            assert container["image"] == build.group(2), manifest
            script = " ".join(container["args"])
            _real_command(shlex.split(script.removeprefix("exec "))[:2])


def test_the_wheel_stage_builds_a_wheel_the_grader_stage_installs(stages, tmp_path):
    """Stage 1 replayed without Docker: only what its COPY lines bring, then its RUN line (pip as this
    Python's), and the wheel it makes is the one stage 2's glob picks, holding the course files."""
    import os
    import shutil
    import subprocess
    import sys
    import zipfile

    wheel_stage = stages[0]
    workdir = dict(wheel_stage)["WORKDIR"]
    src, dist = tmp_path / "src", tmp_path / "dist"
    for name, args in wheel_stage:
        if name == "COPY":
            *sources, dest = shlex.split(args)
            for source in sources:
                target = src / dest.removeprefix("./") if dest.endswith("/") and dest != "./" else src
                origin = PROJECT_ROOT / source
                if origin.is_dir():
                    shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy(origin, target / origin.name)
    (run,) = [args for name, args in wheel_stage if name == "RUN"]
    words = shlex.split(run)
    assert words[:2] == ["pip", "wheel"] and workdir == "/src"
    command = [sys.executable, "-m", "pip", *words[1:]]
    command[command.index("/dist")] = str(dist)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(command, cwd=src, env=env, capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    grader = stages[1]
    (install,) = [args for name, args in grader if name == "RUN" and "pip install" in args]
    glob = re.search(r"/tmp/dist/(\S+\.whl)", install).group(1)
    wheels = list(dist.glob(glob))
    assert len(wheels) == 1, sorted(p.name for p in dist.iterdir())
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    for needed in ("autograder/course/grading.yaml", "autograder/course/solutions/init_functions.py",
                   "autograder/course/data/train_circles.h5", "initlab/model.py", "autograder/launch.py"):
        assert needed in names, needed
