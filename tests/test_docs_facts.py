"""README.md and docs/*.md say what the code does: links, commands, options, counts and figures.

Every relative link leads to a file that exists (and a heading that exists, for an anchor);
every `initgrade COMMAND --option` written in the pages is a command and an option of the CLI;
the counts the pages give (hostile cases, diagnosis findings) are the code's; every speed figure
README.md states is bench/figures.md's (bench/paired.py's last run, copied whole into README.md,
docs/speed.md and docs/benchmarks.md by bench/quote_figures.py); and docs/scale.md's wall-clock
cross-check is docs/benchmarks.md's `make bench` run.
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

FIGURE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?) ?(s|ms|×|MB)\b|(?<![\w.])(\d+(?:\.\d+)?)[×x](?!\w)")


def _figures(text: str) -> set[str]:
    return {m.group(1) or m.group(3) for m in FIGURE.finditer(text)}


def _quote_figures():
    """bench/quote_figures.py, the script that copies bench/figures.md into the pages."""
    spec = importlib.util.spec_from_file_location("_quote_figures", PROJECT_ROOT / "bench" / "quote_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readme_speed_text(readme: str) -> dict[str, str]:
    """README's sections that state speed figures: the Speed section and the Workers option."""
    speed = readme[readme.index("## Speed"):].split("\n## ", 1)[0]
    workers = re.search(r"- \*\*Workers:\*\*.*?(?=\n- \*\*)", readme, re.S).group(0)
    return {"README speed": speed, "README workers": workers}


def _contradictions(pages: dict[str, str], source: str) -> list[str]:
    """What the pages state against bench/figures.md: a copied block that is not the file's
    copy, or a speed figure outside the block that the file does not hold."""
    qf = _quote_figures()
    expected = qf.block(source)
    numbers = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?", source))
    wrong = []
    for where, text in pages.items():
        blocks = qf.quoted(text)
        wrong += [f"{where}: its copy of bench/figures.md differs (run bench/quote_figures.py)"
                  for b in blocks if b != expected]
        outside = qf.BLOCK.sub("", text)
        wrong += [f"{where}: {f} is not a figure of bench/figures.md" for f in sorted(_figures(outside) - numbers)]
    return wrong


def test_the_pages_quote_figures_md_and_nothing_else():
    source = (PROJECT_ROOT / "bench" / "figures.md").read_text(encoding="utf-8")
    qf = _quote_figures()
    for page in qf.PAGES:
        assert qf.quoted(page.read_text(encoding="utf-8")) == [qf.block(source)], page.name
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert _contradictions(_readme_speed_text(readme), source) == []


def test_a_hand_edit_that_contradicts_figures_md_fails():
    source = (PROJECT_ROOT / "bench" / "figures.md").read_text(encoding="utf-8")
    speed = _readme_speed_text((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"))["README speed"]
    new_one = re.search(r"\| one-notebook command, warm cache \(s\) +\| [\d.]+ \| ([\d.]+) \|", speed).group(1)
    edited_block = speed.replace(f"| {new_one} |", "| 0.123 |", 1)
    prose = speed + "\nOne notebook, start to finish: 0.48 s, 26× faster than nbgrader.\n"
    assert _contradictions({"block": edited_block}, source) == [
        "block: its copy of bench/figures.md differs (run bench/quote_figures.py)"]
    assert _contradictions({"prose": prose}, source) == [
        "prose: 0.48 is not a figure of bench/figures.md", "prose: 26 is not a figure of bench/figures.md"]


def test_the_script_rewrites_a_stale_copy(tmp_path):
    qf = _quote_figures()
    source = tmp_path / "figures.md"
    source.write_text("<!-- written by bench/paired.py -->\n| a | 1.500 |\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(f"Intro 2.0 s.\n\n{qf.BEGIN}\n| a | 9.999 |\n{qf.END}\n\nAfter.\n", encoding="utf-8")
    assert qf.update(source, [page]) == [page]
    assert page.read_text(encoding="utf-8") == f"Intro 2.0 s.\n\n{qf.BEGIN}\n| a | 1.500 |\n{qf.END}\n\nAfter.\n"
    assert qf.update(source, [page]) == []  # already the file's copy


def test_scale_cross_check_is_the_benchmark_run():
    bench = (PROJECT_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    scale = (PROJECT_ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    cross_check = re.search(r"A cross-check with wall-clock figures.*?(?:\n\n|\Z)", scale, re.S).group(0)
    quoted = {f for f in _figures(cross_check) if "." in f}
    assert quoted
    bench_numbers = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?", bench))
    assert sorted(quoted - bench_numbers) == [], "figures not in docs/benchmarks.md's run"


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
