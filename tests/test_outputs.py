"""Every output is safe to open and to parse, whatever a student names a file or prints.

One batch (``initgrade grade``, two workers) grades a correct submission copied under hostile names
(markup, formulas, ``javascript:``, escape sequences, newlines, backticks, bidi controls, look-alikes,
the names of batch outputs, an option, bytes that are not UTF-8) and a few submissions whose functions
print hostile text and raise exceptions with hostile text. Then each output is read with a real
parser: ``csv`` (no cell starts a formula), ElementTree and expat (the JUnit file parses), markdown-it
with raw HTML enabled (no tag of the students' survives), headless Chromium (no script, no
``javascript:`` link, every link reaches the right feedback page), and the console output (no escape
sequence, no markup error). Then one test per folder case: output inside input, input inside output,
read-only output, empty input, an option-like file name, look-alike and clashing names, file modes.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse
from xml.parsers import expat

import pytest
from markdown_it import MarkdownIt

from autograder.base.atomic import write_atomic
from autograder.base.escape import csv_cell, md_block, md_code, visible, xml_text
from autograder.base.ids import PLAIN, RESERVED, display_name, unique_ids
from autograder.config import PROJECT_ROOT

CORRECT = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"
# File names (without .py) a student or their platform can produce. None holds '/', which no file name can.
HOSTILE_NAMES = [
    "javascript:document.title='X';alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "data:text,html;<script>alert(1)<",
    '=HYPERLINK("http:evil.example","open grade")',
    "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1",
    "<img src=x onerror=alert(1)>",
    "\x1b[2J\x1b]0;pwned\x07title", "bell\x07\x08back",
    "line\nbreak", "cr\r# Score: 40 \u2215 40",
    "[link=file:x]click[bold red]", "[red]x[",
    "tick`s``and```more",
    "gradebook.csv", "summary.html", "Gradebook.CSV", "junit.xml", "results.json",
    "--junit=x", "-rf",
    "alice", "\u0430lice", "\uff41lice", "al\u200bice", "\u202eecila", "caf\u00e9", "cafe\u0301",
    "con", "a..b", "x" * 200,
]
BAD_BYTES = b"bytes\xff\xfe"  # a POSIX file name need not be UTF-8
# Functions that print and raise hostile text: markup, a fake heading, fences, escape sequences.
NOISY = '''
class Loud(Exception):
    def __repr__(self):
        return "<script>alert('repr')</script>\\x00\\x1b[31m"
    def __str__(self):
        return "</pre><script>alert('str')</script>\\x0c`````"

def initialize_parameters_zeros(layer_dims):
    print("<script>alert(1)</script>\\n[/oops] [red]x\\x1b[2J\\r# Score: 40 / 40\\n```\\n<img src=x onerror=alert(1)>")
    print("<details open><summary>click</summary>\\x1b]8;;http://evil.example\\x1b\\\\link\\x1b]8;;\\x1b\\\\</details>")
    raise Loud()

def initialize_parameters_random(layer_dims, scale=10):
    raise ValueError("[/oops] <b>bold</b>\\r\\n## Score: 40 / 40 ```` \\x1b]0;title\\x07 \\ud800 \\ufffe")

def initialize_parameters_he(layer_dims):
    print("[/oops]\\r\\n# Score: 40 / 40")
    return {"<img src=x onerror=alert(1)>": 1, "\\x1b[2J": 2, "=cmd|calc": 3}

def initialize_parameters_deep(layer_dims):
    raise KeyError("</code>\\n# Score: 40 / 40\\n<iframe src=javascript:alert(1)>")
'''
NOISY_NAME = "noisy <b>[red]x"
FORMULA = tuple("=+-@\t\r\n\x00\uff1d\uff0b\uff0d\uff20")


def _initgrade(*args, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, args)], capture_output=True,
                          cwd=cwd, env=env, timeout=timeout, umask=0o022)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, warm_cache_at):
    root = tmp_path_factory.mktemp("hostile")
    subs = root / "in"
    subs.mkdir()
    files = {}
    for name in HOSTILE_NAMES:
        files[name + ".py"] = subs / (name + ".py")
        shutil.copy(CORRECT, files[name + ".py"])
    bad = os.fsdecode(BAD_BYTES + b".py")
    shutil.copy(CORRECT, subs / bad)
    files[bad] = subs / bad
    (subs / (NOISY_NAME + ".py")).write_text(NOISY)
    files[NOISY_NAME + ".py"] = subs / (NOISY_NAME + ".py")
    out, cache = root / "out", warm_cache_at(root / "cache")  # the reference trainings made
    run = _initgrade(subs, "--out", out, "--jobs", "2", "--cache", cache, "--junit", out / "junit.xml",
                     "--no-progress")
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-3000:]
    book = list(csv.DictReader((out / "gradebook.csv").open(newline="", encoding="utf-8")))
    by_name = {}
    for row in book:
        name = row["name"][1:] if row["name"].startswith("'") else row["name"]
        by_name[name] = row
    return {"root": root, "in": subs, "out": out, "cache": cache, "files": files, "run": run, "book": book,
            "by_name": by_name}


def _id_of(hostile, file_name: str) -> str:
    return hostile["by_name"][visible(display_name(file_name), one_line=True)]["submission"]


# ----------------------------------------------------------------------------- ids

def test_every_submission_has_a_safe_unique_id_and_keeps_its_name(hostile):
    out, book, files = hostile["out"], hostile["book"], hostile["files"]
    assert len(book) == len(files)  # nothing swallowed, nothing merged
    ids = [row["submission"] for row in book]
    assert len({i.casefold() for i in ids}) == len(ids)
    for file_name in files:
        sid = _id_of(hostile, file_name)
        assert PLAIN.fullmatch(sid) and len(sid) <= 80, sid
        assert sid.casefold() not in RESERVED and not sid.endswith((".xml", ".csv", ".html", ".json"))
        data = json.loads((out / sid / "results.json").read_text(encoding="utf-8"))
        assert data["extra_data"]["submission"] == sid
        assert data["extra_data"]["name"] == display_name(file_name)
        assert data["output_format"] == "text" and data["test_output_format"] == "text"
    # the batch's own files are still the batch's
    assert (out / "gradebook.csv").is_file() and (out / "summary.html").is_file() and (out / "junit.xml").is_file()


def test_look_alike_names_get_visibly_different_ids(hostile):
    latin = _id_of(hostile, "alice.py")
    assert latin == "alice"
    look_alikes = ["\u0430lice.py", "\uff41lice.py", "al\u200bice.py", "\u202eecila.py"]
    ids = [_id_of(hostile, n) for n in look_alikes]
    for sid in ids:
        assert sid.isascii() and sid != latin and re.search(r"-[0-9a-f]{8}$", sid), sid
    assert len(set(ids)) == len(ids)
    assert _id_of(hostile, "caf\u00e9.py") != _id_of(hostile, "cafe\u0301.py")  # NFC and NFD


def test_a_rerun_finds_its_earlier_results(hostile):
    run = _initgrade(hostile["in"], "--out", hostile["out"], "--cache", hostile["cache"], "--no-progress")
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    n = len(hostile["files"])
    assert f"{n} submissions: 0 graded now, {n} unchanged since the last run" in run.stdout.decode()


def test_ids_of_clashing_names_are_distinct_and_stable(tmp_path):
    paths = []
    for folder, name in [("a", "alice.py"), ("b", "alice.py"), ("a", "alice.ipynb"), ("a", "ALICE.py"),
                         ("a", "alice.py.py"), ("b", "gradebook.csv.py")]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text("")
        paths.append(tmp_path / folder / name)
    ids = unique_ids(paths)
    assert len({i.casefold() for i in ids.values()}) == len(paths), ids
    assert unique_ids(paths[::-1]) == ids  # the order of the command line does not matter
    assert all(PLAIN.fullmatch(i) for i in ids.values())


# ----------------------------------------------------------------------------- CSV

def test_gradebook_has_no_formula_cell(hostile):
    rows = list(csv.reader((hostile["out"] / "gradebook.csv").open(newline="", encoding="utf-8")))
    assert rows[0][-1] == "name" and len(rows) == len(hostile["files"]) + 1
    for row in rows:
        assert len(row) == len(rows[0])
        for cell in row:
            assert not cell.startswith(FORMULA), cell
            assert not re.search(r"[\x00-\x1f\x7f]", cell), cell  # control characters are written out
    # the neutralised names still say what the file was called
    assert csv_cell('=HYPERLINK("http:evil.example","open grade").py') in {r[-1] for r in rows}


# ----------------------------------------------------------------------------- XML

def test_junit_parses_with_every_name_and_message(hostile):
    data = (hostile["out"] / "junit.xml").read_bytes()
    expat.ParserCreate().Parse(data, True)  # a strict XML 1.0 parser
    root = ET.fromstring(data)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert len(suites) == len(hostile["files"])
    noisy = suites[_id_of(hostile, NOISY_NAME + ".py")]
    assert noisy.find("properties/property").get("value") == NOISY_NAME + ".py"
    failures = " ".join(f.text or "" for f in noisy.iter("failure"))
    # the exception's text (its str or its repr), shown with its control characters written out, not dropped
    assert "<script>alert('" in failures and ("\\x0c" in failures or "\\x00\\x1b[31m" in failures), failures
    # One rule for every string: what xml_text gives always parses.
    weird = "".join(chr(c) for c in range(0, 0x3000, 7)) + "\ud800\udfff\ufffe\uffff\U0001F600"
    attribute = xml_text(weird).replace('&', '&amp;').replace('<', '&lt;').replace(chr(39), '&apos;')
    expat.ParserCreate().Parse(f"<a b='{attribute}'/>", True)


# ----------------------------------------------------------------------------- Markdown

class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[str] = []
        self._in_heading = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._in_heading = tag
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag == self._in_heading:
            self._in_heading = None

    def handle_data(self, data):
        if self._in_heading:
            self.headings[-1] += data


def _rendered_markdown(path: Path) -> _Tags:
    html = MarkdownIt("commonmark", {"html": True}).render(path.read_text(encoding="utf-8"))
    tags = _Tags()
    tags.feed(html)
    return tags


def test_feedback_markdown_renders_no_student_html_or_heading(hostile):
    out = hostile["out"]
    for file_name in hostile["files"]:
        sid = _id_of(hostile, file_name)
        tags = _rendered_markdown(out / sid / "feedback.md")
        for tag, attrs in tags.tags:
            assert tag not in ("script", "iframe", "details", "summary", "b", "style"), (sid, tag)
            if tag == "img":
                assert attrs["src"].startswith("figures/") and attrs["src"].endswith(".svg"), (sid, attrs)
            assert not any(k.startswith("on") for k in attrs), (sid, tag, attrs)
            if tag == "a":
                assert not attrs.get("href", "").lower().startswith(("javascript:", "data:")), (sid, attrs)
        assert tags.headings[0].startswith("Feedback for ") and sum(t == "h1" for t, _ in tags.tags) == 1
        assert not any("Score: 40 / 40" in h for h in tags.headings), (sid, tags.headings)
    # the noisy one's printed text and exception text are there, as text
    md = (out / _id_of(hostile, NOISY_NAME + ".py") / "feedback.md").read_text()
    assert "<script>alert(1)</script>" in md and "\\x1b[2J" in md and "\x1b" not in md


@pytest.mark.parametrize("text", ["```\n<script>x</script>\n```", "````", "~~~\n# h\n~~~", "a\r# h\rb",
                                  "\n\n<details>\n\n", "`" * 40 + "\n<b>x</b>", "x\n</li></ul><img src=x>"])
@pytest.mark.parametrize("indent", ["", "  ", "> "])
def test_a_fenced_block_cannot_be_closed_by_its_text(text, indent):
    doc = f"- item\n\n{md_block(text, indent)}\n\nafter <i>kit</i>" if indent == "  " else \
          f"{md_block(text, indent)}\n\nafter <i>kit</i>"
    tags = _Tags()
    tags.feed(MarkdownIt("commonmark", {"html": True}).render(doc))
    found = [t for t, _ in tags.tags]
    assert "script" not in found and "details" not in found and "b" not in found and "img" not in found, found
    assert not tags.headings and found.count("pre") == 1 and "i" in found  # the kit's own HTML after it still works
    span = MarkdownIt("commonmark", {"html": True}).render(f"# Feedback for {md_code(text)}\n")
    assert span.count("<h1>") == 1 and "<script" not in span and "<h2>" not in span


# ----------------------------------------------------------------------------- HTML, in Chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.scripts = 0
        self.handlers: list[str] = []
        self._href = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.scripts += tag in ("script", "iframe", "object", "embed")
        self.handlers += [k for k in attrs if k.startswith("on")]
        if tag == "a":
            self._href = attrs.get("href", "")
            self.links.append((self._href, ""))

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None

    def handle_data(self, data):
        if self._href is not None:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)


def _chromium_dom(page: Path, profile: Path) -> tuple[str, str]:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--dump-dom", page.resolve().as_uri()]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, run.stderr


def test_html_pages_run_no_script_and_link_only_to_feedback_pages(hostile, tmp_path):
    assert CHROMIUM is not None, "headless Chromium is not installed: run `make test` (it installs chromium)"
    out = hostile["out"]
    noisy = _id_of(hostile, NOISY_NAME + ".py")
    pages = [out / "summary.html", out / noisy / "feedback.html",
             out / _id_of(hostile, HOSTILE_NAMES[0] + ".py") / "feedback.html",
             out / _id_of(hostile, "\x1b[2J\x1b]0;pwned\x07title.py") / "feedback.html"]
    for i, page in enumerate(pages):
        dom, log = _chromium_dom(page, tmp_path / f"profile{i}")
        parsed = _Dom()
        parsed.feed(dom)
        assert parsed.scripts == 0 and not parsed.handlers, (page, parsed.handlers)
        assert "\x1b" not in dom and "\u202e" not in dom  # written out, not acted on
        console = [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
        assert not console, console  # nothing ran, nothing was refused by the page's policy
        for href, text in parsed.links:
            target = urlparse(urljoin(page.resolve().as_uri(), href))
            assert target.scheme == "file", (page, href)  # relative: no javascript:, data: or http: link
            if not href.startswith("#"):
                linked = Path(unquote(target.path))
                assert linked.is_file() and linked.name == "feedback.html" and linked.parent.parent == out, href
                assert linked.parent.name == text.strip(), (href, text)  # the link's text names its target
    summary = _Dom()
    summary.feed(_chromium_dom(out / "summary.html", tmp_path / "profile-s")[0])
    linked = {Path(unquote(urlparse(h).path)).parent.name for h, _ in summary.links if not h.startswith("#")}
    assert linked >= {r["submission"] for r in hostile["book"]}  # every submission is reachable


# ----------------------------------------------------------------------------- terminal

def test_console_shows_student_text_as_text(hostile):
    stdout, stderr = hostile["run"].stdout.decode(), hostile["run"].stderr.decode()
    assert "Traceback" not in stderr and "MarkupError" not in stderr
    for seq in ("\x1b", "\x07", "\r", "\x08"):
        assert seq not in stdout, repr(seq)  # not a terminal: rich adds no colour, so any would be the students'
    assert "JUnit XML:" in stdout
    # what the student's code printed, in output.txt for a TA's cat or less: written out too
    printed = (hostile["out"] / _id_of(hostile, NOISY_NAME + ".py") / "output.txt").read_text()
    assert "[/oops]" in printed and "<script>" in printed and "\x1b" not in printed and "\r" not in printed
    # On a terminal (colours on), still no sequence of the students': no clear screen, no title, no bell.
    env = {**os.environ, "FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "200", "OPENBLAS_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(hostile["in"]), "--out",
                          str(hostile["out"]), "--cache", str(hostile["cache"]), "--progress"],
                         capture_output=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    text = run.stdout.decode()
    assert "\x1b[2J" not in text and "\x1b]0;" not in text and "\x07" not in text and "\x1b]8;;" not in text


# ----------------------------------------------------------------------------- folders

def _two_subs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CORRECT, folder / "a.py")
    return folder


def test_output_folder_inside_the_input_is_refused(tmp_path):
    subs = _two_subs(tmp_path / "in")
    run = _initgrade(subs, "--out", subs / "grades")
    assert run.returncode == 2 and b"inside the input folder" in run.stderr, run.stderr
    assert not (subs / "grades").exists()


def test_input_inside_the_output_folder_is_refused(tmp_path):
    subs = _two_subs(tmp_path / "out" / "subs")
    run = _initgrade(subs / "a.py", "--out", tmp_path / "out")
    assert run.returncode == 2 and b"inside the output folder" in run.stderr, run.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_read_only_output_folder_is_refused_before_grading(tmp_path):
    subs = _two_subs(tmp_path / "in")
    out = tmp_path / "ro"
    out.mkdir()
    # A read-only bind mount in a user namespace: read-only even for root, which ignores permission bits.
    script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"')
    cmd = ["unshare", "-Urm", "sh", "-c", script, "sh", str(out), sys.executable, "-m", "autograder", "grade",
           str(subs), "--out", str(out)]
    run = subprocess.run(cmd, capture_output=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert b"cannot write to the output folder" in run.stderr and b"Traceback" not in run.stderr
    assert b"submissions:" not in run.stdout  # refused before any grading
    # a file where the folder should be
    (tmp_path / "file").write_text("")
    run = _initgrade(subs, "--out", tmp_path / "file" / "out")
    assert run.returncode == 2 and b"cannot write to the output folder" in run.stderr, run.stderr


def test_empty_input_writes_nothing(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a submission")
    run = _initgrade(tmp_path / "empty", "--out", tmp_path / "out")
    assert run.returncode == 2 and b"no submissions found" in run.stderr
    assert not (tmp_path / "out").exists()


def test_junit_path_that_a_submission_could_take_is_refused(tmp_path):
    subs = _two_subs(tmp_path / "in")
    for junit, words in ((tmp_path / "out" / "a" / "junit.xml", b"inside the output folder"),
                         (tmp_path / "out" / "junit", b"inside the output folder"),
                         (subs / "junit.xml", b"over or inside the submissions")):
        run = _initgrade(subs, "--out", tmp_path / "out", "--junit", junit)
        assert run.returncode == 2 and words in run.stderr, (junit, run.stderr)


def test_option_like_file_name_is_refused_and_double_dash_grades_it(tmp_path, hostile):
    subs = _two_subs(tmp_path / "in")
    shutil.copy(CORRECT, subs / "--junit=x.py")
    glob = sorted(p.name for p in subs.iterdir())  # what the shell gives for `*`
    run = _initgrade(*glob, "--out", tmp_path / "out", cwd=subs)
    assert run.returncode == 2 and b"initgrade grade --out DIR -- *" in run.stderr, run.stderr
    assert not (subs / "x.py").exists() and not (tmp_path / "out").exists()
    run = _initgrade("--out", tmp_path / "out", "--cache", hostile["cache"], "--", *glob, cwd=subs)
    assert run.returncode == 0, run.stderr
    names = {row["name"] for row in csv.DictReader((tmp_path / "out" / "gradebook.csv").open())}
    assert names == {"a.py", "'--junit=x.py"}


def test_report_files_follow_the_umask(hostile, tmp_path):
    # the batch ran with umask 022
    for path in (hostile["out"] / "gradebook.csv", hostile["out"] / "summary.html", hostile["out"] / "junit.xml",
                 hostile["out"] / "alice" / "results.json", hostile["out"] / "alice" / "feedback.html"):
        assert path.stat().st_mode & 0o777 == 0o644, path
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "private.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "private.txt").stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(".*.tmp"))
