"""README.md and docs/*.md say what the code does: links, commands, options, counts and figures.

Every relative link leads to a file that exists (and a heading that exists, for an anchor);
every `initgrade COMMAND --option` written in the pages is a command and an option of the CLI;
the counts the pages give (hostile cases, diagnosis findings) are the code's; and every speed
figure README.md and docs/scale.md quote is one of docs/benchmarks.md, the one page that holds
the latest benchmark run.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import click
import pytest

from autograder.commands import cli
from autograder.config import PROJECT_ROOT

PAGES = sorted([PROJECT_ROOT / "README.md", *(PROJECT_ROOT / "docs").glob("*.md")])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_relative_links_lead_somewhere(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading #{anchor}")
    assert broken == [], f"{page.name}: {broken}"


def test_the_slug_is_githubs():
    assert _slug("Student release (`initgrade build student --out DIR`)") == (
        "student-release-initgrade-build-student---out-dir")
    assert _slug("`uid+rlimits` (no user namespaces, grader runs as root)") == (
        "uidrlimits-no-user-namespaces-grader-runs-as-root")


def _command_lines(text: str) -> list[list[str]]:
    """Each `initgrade WORD ...` written in a code span or block, as words up to its end."""
    found = []
    spans = re.findall(r"```[^\n]*\n(.*?)```", text, re.S) + re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text)
    for span in spans:
        for line in span.replace("\\\n", " ").splitlines():
            for match in re.finditer(r"(?:^|[\s/(])initgrade ([a-z][\w-]*)([^#;&|)]*)", line):
                found.append([match.group(1), *match.group(2).split()])
    return found


def _options(command: click.Command) -> set[str]:
    return {o for p in command.params for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_initgrade_commands_and_options_exist(page):
    ctx = click.Context(cli.main)
    wrong = []
    for name, *words in _command_lines(page.read_text(encoding="utf-8")):
        if name.isupper() or name in ("COMMAND", "TARGET"):
            continue
        command = cli.main.get_command(ctx, name)
        if command is None:
            wrong.append(f"initgrade {name}: no such command")
            continue
        while isinstance(command, click.Group) and words and not words[0].startswith("-"):
            sub = command.get_command(ctx, words[0])
            if sub is None:
                break
            command, words = sub, words[1:]
        options = _options(command) | {"--help"}
        wrong += [f"initgrade {name} {w}: no such option" for w in words
                  if w.startswith("--") and len(w) > 2 and w.split("=")[0] not in options]
    assert wrong == [], wrong


def test_the_command_finder_reads_blocks_and_spans():
    text = "Run `initgrade grade DIR --out X --jobs 2`.\n```\n.venv/bin/initgrade check --limits   # all\n```\n"
    assert _command_lines(text) == [["check", "--limits"], ["grade", "DIR", "--out", "X", "--jobs", "2"]]


def test_public_tests_options_the_pages_give_exist():
    conftest = (PROJECT_ROOT / "public_tests" / "conftest.py").read_text()
    given = set()
    for page in PAGES:
        given |= set(re.findall(r"pytest public_tests (--[a-z]+)", page.read_text(encoding="utf-8")))
    assert given, "the pages show how to choose the file pytest public_tests tests"
    assert all(f'addoption("{o}"' in conftest for o in given), given


# --- counts -----------------------------------------------------------------------------------------

def _hostile_case_count() -> int:
    spec = importlib.util.spec_from_file_location("_hostile_cases", PROJECT_ROOT / "tests" / "test_hostile.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["_hostile_cases"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("_hostile_cases", None)
    return len(module.CASE_NAMES)


def test_the_hostile_count_is_the_suites():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    said = re.findall(r"grades (\d+) hostile and broken submissions", readme)
    assert said == [str(_hostile_case_count())]


def test_the_diagnosis_count_is_the_codes():
    from autograder.diagnose.findings import CODES

    page = (PROJECT_ROOT / "docs" / "grading.md").read_text(encoding="utf-8")
    found = re.search(r"has (\d+) findings: (\d+) mistakes it names", page)
    assert found, "docs/grading.md says how many findings autograder/diagnose/ has"
    assert int(found.group(1)) == len(CODES)
    assert int(found.group(2)) == len(CODES) - 1  # all but the last resort, values-differ
    assert "values-differ" in CODES


# --- figures ------------------------------------------------------------------------------------------

FIGURE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?) ?(s|ms|×|MB)\b|(?<![\w.])(\d+(?:\.\d+)?×)")


def _figures(text: str) -> set[str]:
    return {m.group(1) or m.group(3).rstrip("×") for m in FIGURE.finditer(text)}


def test_speed_figures_are_the_benchmark_pages():
    bench = (PROJECT_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    speed = readme[readme.index("## Speed"):].split("\n## ", 1)[0]
    workers = re.search(r"- \*\*Workers:\*\*.*?(?=\n- \*\*)", readme, re.S).group(0)
    scale = (PROJECT_ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    cross_check = re.search(r"A cross-check with wall-clock figures.*?(?:\n\n|\Z)", scale, re.S).group(0)
    quoted = {"README speed": _figures(speed), "README workers": _figures(workers),
              "scale.md cross-check": {f for f in _figures(cross_check) if "." in f}}
    assert all(quoted.values()), quoted
    bench_numbers = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?", bench))
    missing = {where: sorted(f for f in figures if f not in bench_numbers) for where, figures in quoted.items()}
    assert not any(missing.values()), f"figures not in docs/benchmarks.md's run: {missing}"


# --- docs/students.md ---------------------------------------------------------------------------

def test_the_student_page_matches_the_release_and_the_notebook():
    import ast
    import json

    from autograder.config import load_config

    config = load_config(PROJECT_ROOT / "grading.yaml")
    page = (PROJECT_ROOT / "docs" / "students.md").read_text(encoding="utf-8")
    cell = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    tree = ast.parse(cell)
    # Only imports, and one block guarded by Colab's module: outside Colab the cell does nothing.
    assert all(isinstance(s, (ast.Import, ast.If)) for s in tree.body)
    guards = [s for s in tree.body if isinstance(s, ast.If)]
    assert [ast.unparse(g.test) for g in guards] == ["'google.colab' in sys.modules"]
    release = f"/content/{config.assignment}"
    assert f"os.path.isdir({release!r})".replace("'", '"') in cell.replace("'", '"')
    assert f'os.chdir("{release}/assignment")' in cell
    assert f'zipfile.ZipFile("{release}.zip").extractall("/content")' in cell
    assert f"assignment/{config.notebook}" in page

    # The notebook's first code cell finds public_tests one level up and initlab in its own folder.
    notebook = json.loads((PROJECT_ROOT / "assignment" / config.notebook).read_text(encoding="utf-8"))
    first = next("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    assert "sys.path.insert(0, str(Path.cwd().resolve().parent))" in first
    assert "from public_tests.checks import" in first and "from initlab." in first
    # The message a missing dataset gives is the one the page quotes.
    data = (PROJECT_ROOT / "assignment" / "initlab" / "data.py").read_text()
    quoted = re.search(r'"dataset file \.\.\. is missing; (.*?)"', page, re.S).group(1)
    assert quoted.replace("\n", " ") in data.replace('"\n            "', "")
