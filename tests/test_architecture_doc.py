"""docs/architecture.md matches the code: every module it names exists, every module of the
packages it maps is named, and its table of environment switches is environment.py's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from autograder import environment

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text()
# The packages the page maps module by module.
MAPPED = ("sandbox", "sandbox/host", "sandbox/jail", "intake", "diagnose", "packaging", "platforms", "semester",
          "commands", "batch", "outputs", "rubric", "training", "base", "feedback")


def _sections() -> dict[str, set[str]]:
    """Module file names the trees name, by package (a path from autograder/; "" for its top)."""
    sections: dict[str, set[str]] = {}
    for block in re.findall(r"```\n(.*?)```", DOC, re.S):
        if "TRUST BOUNDARY" in block:  # the flow picture, not a tree
            continue
        current = None
        top = "\nautograder/\n" in f"\n{block}"  # the whole tree: its folder lines only point to the maps below
        for line in block.splitlines():
            words = line.split()
            if not words:
                continue
            head = words[0].rstrip("/")
            if words[0] == "autograder/":
                current = ""
                continue
            if words[0].endswith("/"):
                if not top and (head in MAPPED or f"sandbox/{head}" in MAPPED):
                    current = head if head in MAPPED else f"sandbox/{head}"
                continue  # a folder that is not mapped here (templates/): its files are not modules
            for token in re.findall(r"[\w/<>]+\.py", line):
                folder, _, name = token.rpartition("/")
                if folder or current is not None:
                    sections.setdefault(folder or current or "", set()).add(name)
    return sections


def test_every_module_the_page_names_exists():
    missing = sorted(f"{package}/{name}".lstrip("/") for package, names in _sections().items() for name in names
                     if not (ROOT / "autograder" / package / name).is_file())
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"


def test_every_module_of_the_mapped_packages_is_named():
    sections = _sections()
    for package in ("", *MAPPED):
        present = {p.name for p in (ROOT / "autograder" / package).glob("*.py")} - {"__init__.py", "__main__.py"}
        unnamed = sorted(present - sections.get(package, set()))
        assert unnamed == [], f"docs/architecture.md does not say what autograder/{package} {unnamed} do"


def test_the_environment_table_is_environment_py():
    section = DOC[DOC.index("## Environment switches"):DOC.index("Read elsewhere, on purpose")]
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|$", section, re.M))
    assert sorted(rows) == sorted(environment.SWITCHES)
    # Meanings included: each row says what environment.py says, code formatting aside.
    differ = {name: (rows[name], text) for name, text in environment.SWITCHES.items()
              if rows[name].replace("`", "") != text}
    assert differ == {}, differ


def _table(heading: str) -> list[list[str]]:
    """The rows of the first table after ``heading`` (cells stripped, header and rule dropped)."""
    section = DOC[DOC.index(heading):]
    table = section[section.index("\n|") + 1:]
    rows = []
    for line in table.splitlines():
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[2:]


def _module_paths(cell: str) -> list[str]:
    return re.findall(r"`((?:autograder|assignment|public_tests)/[\w/]+\.py)`", cell)


# --- bounds kept outside limits.py --------------------------------------------------------------

BOUND_SUFFIXES = ("_SECONDS", "_CHARS", "_BYTES", "_ITEMS", "_ENTRIES", "_DIM", "_DIMS", "_FDS", "_LINES", "_MB",
                  "_KB")


def _number(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _inline_bounds(tree: ast.AST) -> list[str]:
    """What the page's "Bounds kept inline" calls a bound: a named constant of a bound's kind, a literal
    timeout or sleep, a literal cut of 20 or more (a digest's cut is an id's length, not a bound)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.lstrip("_").isupper() and name.endswith(BOUND_SUFFIXES) and not isinstance(node.value, ast.Call):
                found.append(name)
        elif isinstance(node, ast.keyword) and node.arg == "timeout" and _number(node.value):
            found.append(f"timeout={node.value.value}")
        elif (isinstance(node, ast.Call) and ast.unparse(node.func) == "time.sleep"
              and _number(next(iter(node.args), None))):
            found.append("sleep")
        elif (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) and node.slice.lower is None
              and _number(node.slice.upper) and node.slice.upper.value >= 20
              and not (isinstance(node.value, ast.Call) and ast.unparse(node.value.func).endswith("hexdigest"))):
            found.append(f"[:{node.slice.upper.value}]")
    return found


def test_the_detector_sees_each_kind_of_inline_bound():
    source = ("import time\nWAIT_SECONDS = 3\nLIMIT_MB = 1 << 4\nRANDOM_SEED = 7\nx = 'a'[:200]\ny = 'a'[:3]\n"
              "h = __import__('hashlib').sha256(b'').hexdigest()[:24]\np.wait(timeout=5)\ntime.sleep(0.1)\n")
    assert sorted(_inline_bounds(ast.parse(source))) == ["LIMIT_MB", "WAIT_SECONDS", "[:200]", "sleep", "timeout=5"]


def test_bounds_kept_inline_are_the_pages_table():
    found = {}
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel != "autograder/limits.py":
            bounds = _inline_bounds(ast.parse(path.read_text(), rel))
            if bounds:
                found[rel] = bounds
    listed = {module for row in _table("## Bounds kept inline") for module in _module_paths(row[0])}
    unlisted = {m: b for m, b in found.items() if m not in listed}
    assert unlisted == {}, ("move these bounds to autograder/limits.py, or name them in docs/architecture.md's "
                            f"'Bounds kept inline': {unlisted}")
    gone = sorted(listed - set(found))
    assert gone == [], f"docs/architecture.md lists inline bounds these modules no longer keep: {gone}"
    for row in _table("## Bounds kept inline"):  # a bound the table names by name is still that name
        for name in re.findall(r"`([A-Z_]{3,})`", row[1]):
            assert name in found[_module_paths(row[0])[0]], (row[0], name)


# --- environment variables read outside environment.py -------------------------------------------

def _environment_reads(tree: ast.AST) -> set[str]:
    """Names read from os.environ ([...], .get, .setdefault, getenv); "*" for a name held in a variable
    (setdefault reads too: a value set outside wins)."""
    names = set()
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args and ast.unparse(node.func).endswith(
                ("environ.get", "environ.setdefault", "getenv")):
            key = node.args[0]
        if key is not None:
            names.add(key.value if isinstance(key, ast.Constant) else "*")
    return names


def test_environment_reads_outside_environment_py_are_the_pages_table():
    found = {}
    for folder in ("autograder", "assignment", "public_tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            names = _environment_reads(ast.parse(path.read_text(), rel))
            if names and rel != "autograder/environment.py":
                found[rel] = names
    table = {}
    for row in _table("Read elsewhere, on purpose"):
        for module in _module_paths(row[0]):
            table[module] = set(re.findall(r"`([A-Z_]+)`", row[1]))
    assert sorted(found) == sorted(table), "docs/architecture.md's 'Read elsewhere' table and the code disagree"
    for module, names in found.items():
        literal = names - {"*"}
        assert literal <= table[module], (module, literal - table[module])
        if "*" in names:  # a name held in a variable: each the table gives must be spelled in the module
            assert all(f'"{n}"' in (ROOT / module).read_text() for n in table[module]), module
        else:
            assert literal == table[module], (module, table[module] - literal)


# --- what the page says of escaping and writing --------------------------------------------------

def test_escaping_is_where_the_page_says():
    from autograder.base import escape

    row = next(r for r in _table("## Where to look") if r[0] == "how a string is escaped")
    after = row[1].split("`autograder/base/escape.py`", 1)[1].split(";", 1)[0]
    functions = re.findall(r"`(\w+)`", after)
    assert len(functions) >= 6 and all(callable(getattr(escape, f, None)) for f in functions), functions
    assert not [n for n in vars(escape) if "html" in n.lower()], "escape.py escapes HTML after all: fix the page"
    html = ast.parse((ROOT / "autograder" / "feedback" / "html.py").read_text())
    calls = [n for n in ast.walk(html) if isinstance(n, ast.Call) and ast.unparse(n.func) == "jinja_environment"]
    assert calls and all(ast.unparse(k.value) == "True" for c in calls for k in c.keywords if k.arg == "autoescape")
    assert all(any(k.arg == "autoescape" for k in c.keywords) for c in calls)


def test_only_atomic_py_renames_files_into_place():
    renamers = []
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.replace", "os.rename", "shutil.move"):
                renamers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "rename":
                renamers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert [r for r in renamers if not r.startswith("autograder/base/atomic.py")] == [], renamers


def test_dotted_names_the_page_quotes_exist():
    """Every ``module.name`` of the kit the page writes (text_templates.jinja_environment,
    engine.Grader.grade, ...) names something that exists."""
    import importlib

    tokens = set(re.findall(r"(?<![\w/.])([a-z_]+(?:\.[A-Za-z_]\w*)+)(?![\w/])", DOC))
    kit = {p.stem for p in (ROOT / "autograder").iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    checked = []
    for token in sorted(tokens):
        head, *rest = token.split(".")
        if head not in kit or (len(rest) == 1 and rest[0] in ("py", "md", "yaml", "json", "csv", "html", "txt", "xml")):
            continue  # another library's name (time.sleep), or a file name (feedback.md)
        for i in range(len(rest), -1, -1):  # the longest importable prefix, then attributes
            try:
                obj = importlib.import_module(".".join(["autograder", head, *rest[:i]]))
            except ModuleNotFoundError:
                continue
            for attr in rest[i:]:
                obj = getattr(obj, attr, None)
                assert obj is not None, f"docs/architecture.md quotes `{token}`, which does not exist"
            checked.append(token)
            break
    assert {"base.text_templates.jinja_environment", "engine.Grader.grade"} <= set(checked), checked


def test_every_limit_of_grading_yaml_is_described():
    """The page's "config.py: every limit described": each field of grading.yaml's limits says what it bounds
    (what `initgrade check --limits` prints)."""
    from autograder.config import Limits

    assert "every limit described" in DOC
    undescribed = [name for name, field in Limits.model_fields.items() if not (field.description or "").strip()]
    assert Limits.model_fields and undescribed == [], undescribed
