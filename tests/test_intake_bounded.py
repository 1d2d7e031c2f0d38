"""Reading a submission costs the grader linear memory, under a cap of grading.yaml's, and nothing
about one submission's grading can end a batch.

* Pieces of code that do not parse are handed over with their line offset, not padded with
  newlines up to it: the chunks' total size is the code's size (it was quadratic), and line
  numbers in the sandbox's messages stay the student's.
* The reading runs in a child under ``grader_memory_mb``: a submission over it gets an error row
  naming the limit, the batch goes on, and the next submission is graded normally.
* Any exception in one submission's grading (MemoryError included) is that submission's error row;
  every report is still written.
* A sandbox's replies have a header budget per submission (wire.HeaderBudget).
"""

from __future__ import annotations

import csv
import json
import os

import pytest
import yaml

from autograder import engine
from autograder.batch.grading import grade_batch
from autograder.config import PROJECT_ROOT, GradingConfig, load_config
from autograder.intake import code_chunks
from autograder.intake.bounded import read_submission
from autograder.sandbox import wire

CONFIG = load_config()
CORRECT = PROJECT_ROOT / "examples" / "submissions" / "correct_module.py"


@pytest.fixture(scope="module")
def cache(tmp_path_factory, warm_cache_at):
    """One training cache for the module's batches, with the reference trainings made."""
    return warm_cache_at(tmp_path_factory.mktemp("cache") / "training")


def test_pieces_that_do_not_parse_cost_their_own_size_not_their_line_number():
    n = 4000
    code = CORRECT.read_text() + "a=(\n" * n + "def late():\n    return 1\n" + "b=)\n" * n
    chunks = code_chunks(code, "sub.py")
    handed_over = sum(len(c["code"]) for c in chunks)
    assert handed_over <= len(code)  # padded, it was about n * n / 2 newlines
    assert len(chunks) <= 4  # the correct part, one run of a=(, late(), one run of b=)
    late = next(c for c in chunks if "def late" in c["code"])
    assert late["line"] == code.splitlines().index("def late():")


def test_a_syntax_error_after_many_lines_is_told_at_the_student_s_line(tmp_path):
    from autograder.sandbox.jail.loading import load_chunks

    code = "x = 1\n" * 500 + "def f(:\n    pass\n" + "def g():\n    return 2\n"
    chunks = code_chunks(code, "cell 3")
    namespace: dict = {}
    messages = load_chunks([{"origin": c["origin"], "code": c["code"], "line": c.get("line", 0)}
                            for c in chunks if c["code"].strip()], namespace)
    assert any("line 501" in m and "SyntaxError" in m for m in messages), messages
    assert namespace["g"].__code__.co_firstlineno == 503


def _limits(**change) -> GradingConfig:
    raw = yaml.safe_load((PROJECT_ROOT / "grading.yaml").read_text())
    raw["limits"].update(change)
    return GradingConfig.model_validate(raw)


def test_a_reading_over_grader_memory_mb_is_an_error_row_naming_the_limit(tmp_path):
    """A big nested literal constant within code_kb, under a memory cap too small for its syntax tree."""
    config = _limits(code_kb=1024, grader_memory_mb=64)
    sub = tmp_path / "nested.py"
    sub.write_text(CORRECT.read_text() + "DATA = [\n" + "    [[1, 2.5], [3, -4], (5, 'x')],\n" * 28000 + "]\n")
    reading = read_submission(sub, config.limits, config.functions)
    assert reading.submission is None and "grader_memory_mb" in reading.error, reading.error


def test_a_normal_submission_reads_the_same_in_the_child_as_in_process(monkeypatch):
    from autograder.intake import bounded, load_submission

    limits = CONFIG.limits
    assert bounded._small_file(CORRECT, limits)  # read in process by the grader: too small to need the child
    monkeypatch.setattr(bounded, "_small_file", lambda path, limits: False)
    child = read_submission(CORRECT, limits, CONFIG.functions).submission
    here = load_submission(CORRECT, limits.submission_mb << 20, None, limits.code_kb << 10, CONFIG.functions)
    assert child is not None
    assert (child.kind, child.chunks, child.files, child.digest) == (here.kind, here.chunks, here.files, here.digest)


def test_a_batch_goes_on_past_a_submission_over_the_memory_cap(tmp_path, cache):
    config = _limits(code_kb=1024, grader_memory_mb=64)
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "a_big.py").write_text(CORRECT.read_text() + "DATA = [\n" + "    [[1, 2], [3, 4]],\n" * 40000 + "]\n")
    (folder / "b_correct.py").write_text(CORRECT.read_text())
    out = tmp_path / "out"
    report = grade_batch([folder], out, config, jobs=1, cache_dir=cache)
    by_id = {r.id: r for r in report.results}
    assert by_id["a_big"].status == "error" and "grader_memory_mb" in by_id["a_big"].error
    assert by_id["b_correct"].status == "graded" and by_id["b_correct"].score == by_id["b_correct"].max_score
    assert len(list(csv.DictReader((out / "gradebook.csv").open()))) == 2
    assert json.loads((out / "a_big" / "results.json").read_text())["extra_data"]["status"] == "error"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_memory_error_in_one_submission_s_grading_is_its_row_and_every_report_is_written(tmp_path, monkeypatch,
                                                                                            jobs, cache):
    """The grader's own failure on one submission (here a MemoryError from its checks) must not end the
    batch: that submission gets an error row, the others their grades, and the gradebook and summary exist."""
    real = engine.Grader.run_check

    def failing(self, question, check, student, trainer=None):
        if "poison" in str(getattr(getattr(student, "sandbox", None), "chunks", "")):
            raise MemoryError("simulated: the grader ran out of memory on this submission")
        return real(self, question, check, student, trainer)

    monkeypatch.setattr(engine.Grader, "run_check", failing)
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "a_poison.py").write_text(CORRECT.read_text() + "\nPOISON = 'poison'\n")
    (folder / "b_correct.py").write_text(CORRECT.read_text())
    (folder / "c_correct.py").write_text(CORRECT.read_text())
    out = tmp_path / "out"
    report = grade_batch([folder], out, CONFIG, jobs=jobs, cache_dir=cache)
    by_id = {r.id: r for r in report.results}
    assert by_id["a_poison"].status == "error" and "MemoryError" in by_id["a_poison"].error
    for ok in ("b_correct", "c_correct"):
        assert by_id[ok].status == "graded" and by_id[ok].score == by_id[ok].max_score
    assert (out / "gradebook.csv").is_file() and (out / "summary.json").is_file()
    assert (out / "a_poison" / "results.json").is_file()


def test_the_header_budget_refuses_a_header_past_it_unread():
    r, w = os.pipe()
    try:
        budget = wire.HeaderBudget(3000)
        for _ in range(2):
            wire.write_frame(w, {"status": "returned", "pad": "x" * 1400})
        wire.write_frame(w, {"status": "returned", "pad": "x" * 1400})
        assert wire.read_frame(r, budget=budget)[0]["status"] == "returned"
        assert wire.read_frame(r, budget=budget)[0]["status"] == "returned"
        left = budget.left
        with pytest.raises(wire.WireError, match="header bytes one submission"):
            wire.read_frame(r, budget=budget)
        assert budget.left == left  # refused before it was read or decoded
    finally:
        os.close(r)
        os.close(w)


def test_a_sandbox_reads_at_most_its_header_budget_over_every_call(tmp_path):
    """Every call's reply forged with a large header (written by the student's function straight to
    the reply pipe): the grader decodes at most the budget, however many calls are made."""
    from autograder.intake import load_submission
    from autograder.limits import SUBMISSION_HEADER_BYTES
    from autograder.sandbox import Sandbox, hide_paths

    code = CORRECT.read_text() + '''

import json as _json, os as _os, struct as _struct, sys as _sys

def initialize_parameters_zeros(layers_dims):
    # The reply pipe, wherever the sandbox holds it: a fork per call writes to ``out_fd``, the
    # call-reuse worker to ``replies`` (it writes the reply the call returned).
    frame, seq, out = _sys._getframe(1), None, None
    while frame is not None and (seq is None or out is None):
        seen = frame.f_locals
        if seq is None and "request" in seen:
            seq = seen["request"]["seq"]
        if out is None:
            out = seen.get("out_fd", seen.get("replies"))
        frame = frame.f_back
    header = _json.dumps({"status": "returned", "kind": "dict", "entries": [], "seq": seq,
                          "pad": "P" * 700000}).encode()
    _os.write(out, b"IGW1" + _struct.pack("<I", len(header)) + header)
    _os._exit(0)
'''
    sub_file = tmp_path / "forge.py"
    sub_file.write_text(code)
    sub = load_submission(sub_file, 1 << 20)
    sb = Sandbox(sub.chunks, sub.files, CONFIG.functions, CONFIG.limits, hide_paths([str(tmp_path)]),
                 CONFIG.sandbox.stub_modules)
    read = 0
    try:
        sb.start()
        for _ in range(8):
            before = sb.header_budget.left
            try:
                sb.call("initialize_parameters_zeros", [{"list": [2, 1]}])
            except Exception:  # noqa: BLE001 - a bad reply: the function is not called again
                pass
            read += before - sb.header_budget.left
    finally:
        sb.close()
    assert 700000 <= read <= SUBMISSION_HEADER_BYTES
    assert sb.header_budget.left >= 0


# --------------------------------------------------------------------------- counts that multiply work


def _notebook_of(cells: list[str], **top) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": top.pop("metadata", {}),
                       "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None,
                                  "outputs": [], "source": c} for i, c in enumerate(cells)]})


def test_a_notebook_over_code_cells_is_an_error_naming_the_limit(tmp_path):
    from autograder.intake import IntakeError, load_submission

    code = CORRECT.read_text()
    (tmp_path / "ok.ipynb").write_text(_notebook_of([code, "%%bash\nls\n", "x = 1\n"]))
    (tmp_path / "over.ipynb").write_text(_notebook_of([code, "%%bash\nls\n", "x = 1\n", "y = 2\n"]))
    assert load_submission(tmp_path / "ok.ipynb", 1 << 20, max_cells=3).chunks
    with pytest.raises(IntakeError, match=r"over.ipynb has 4 code cells.*at most 3 .*code_cells in grading.yaml"):
        load_submission(tmp_path / "over.ipynb", 1 << 20, max_cells=3)


def test_code_kb_counts_every_file_read_for_one_submission(tmp_path):
    """A folder's untouched notebook and its module are both read to choose the work: their code
    together is under code_kb, not each alone."""
    from autograder.intake import IntakeError, load_submission

    stubs = (PROJECT_ROOT / "assignment" / "initlab" / "init_functions.py").read_text()
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / CONFIG.notebook).write_text(_notebook_of([stubs, "# " + "x" * 3000 + "\n"]))
    (folder / "init_functions.py").write_text(CORRECT.read_text() + "# " + "y" * 3000 + "\n")
    both = len(stubs) + len(CORRECT.read_text()) + 6000
    assert load_submission(folder, 1 << 20, None, both + 100, CONFIG.functions, notebook=CONFIG.notebook).chunks
    with pytest.raises(IntakeError, match="brings the code read to .*code_kb"):
        load_submission(folder, 1 << 20, None, both - 100, CONFIG.functions, notebook=CONFIG.notebook)


def test_lines_that_parse_and_lines_that_do_not_make_at_most_code_pieces_chunks():
    from autograder.limits import CODE_PIECES

    code = CORRECT.read_text() + "x = 1\na=(\n" * 3000
    chunks = code_chunks(code, "sub.py")
    assert len(chunks) <= CODE_PIECES + 2  # the pieces, the run that parses before the cut, the rest
    assert sum(c["code"].count("\n") for c in chunks) <= code.count("\n") + 1  # nothing padded, nothing doubled
    assert any("def initialize_parameters_zeros" in c["code"] for c in chunks)  # the definitions first are kept


def test_a_notebook_of_too_many_json_lists_is_refused_before_it_is_parsed(tmp_path):
    from autograder.intake import IntakeError, load_submission
    from autograder.limits import NOTEBOOK_CONTAINERS

    nested = "[" * 50 + "]" * 50
    path = tmp_path / "deep.ipynb"
    path.write_text(_notebook_of([CORRECT.read_text()]).replace('"metadata": {}', '"metadata": {"k": ['
                                                                  + ",".join([nested] * (NOTEBOOK_CONTAINERS // 50))
                                                                  + "]}", 1))
    with pytest.raises(IntakeError, match="more than .* JSON lists and objects.*clear its outputs"):
        load_submission(path, 20 << 20)


def test_a_zip_s_modules_are_bounded_before_unpacking_and_its_data_never_unpacked(tmp_path):
    """Only modules and notebooks of a .zip are read, so nothing else is unpacked (a damaged picture
    costs nothing and fails nothing); modules past code_kb and OTHER_MODULES_BYTES are refused from the
    sizes in the zip's directory, and a folder's other modules past OTHER_MODULES_BYTES too."""
    import zipfile

    from autograder.intake import IntakeError, load_submission
    from autograder.limits import OTHER_MODULES_BYTES

    ok = tmp_path / "ok.zip"
    with zipfile.ZipFile(ok, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("init_functions.py", CORRECT.read_text())
        z.writestr("figure.png", b"\x89PNG" + os.urandom(2000))
    raw = bytearray(ok.read_bytes())
    at = raw.index(b"\x89PNG") if b"\x89PNG" in raw else raw.index(b"figure.png") + 40
    raw[at:at + 64] = b"\0" * 64  # the picture's compressed bytes damaged: never unpacked, never noticed
    ok.write_bytes(bytes(raw))
    assert load_submission(ok, 1 << 20, None, 64 << 10).kind == "zip:package"

    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("init_functions.py", CORRECT.read_text())
        z.writestr("helpers/bulk.py", "".join(f"x{i} = {i * 7919 % 100003}\n"
                                              for i in range((OTHER_MODULES_BYTES + (64 << 10)) // 12)))
    with pytest.raises(IntakeError, match="KB of Python modules.*code_kb"):
        load_submission(big, 20 << 20, None, 64 << 10)

    folder = tmp_path / "sub"
    (folder / "helpers").mkdir(parents=True)
    (folder / "init_functions.py").write_text(CORRECT.read_text())
    (folder / "helpers" / "bulk.py").write_text("x = 1\n" * (OTHER_MODULES_BYTES // 6 + 1))
    with pytest.raises(IntakeError, match="KB of Python modules beside init_functions.py"):
        load_submission(folder, 20 << 20, None, 64 << 10)


def test_code_pieces_count_over_the_whole_notebook_not_per_cell(tmp_path):
    """Alternating lines that parse and lines that do not, spread over many cells: the pieces are
    counted for the submission, so 50 cells of 60 such lines make some 150 chunks, not 3,000."""
    from autograder.intake import load_submission
    from autograder.limits import CODE_PIECES

    path = tmp_path / "spread.ipynb"
    path.write_text(_notebook_of([CORRECT.read_text()] + ["x = 1\na=(\n" * 30] * 50))
    chunks = load_submission(path, 1 << 20).chunks
    assert len(chunks) <= CODE_PIECES + 2 + 50
    assert any("def initialize_parameters_zeros" in c["code"] for c in chunks)


def test_a_notebook_s_code_is_counted_in_bytes_as_a_module_s():
    """Parsing costs per byte, and identifiers outside ASCII are normalized one by one: code of
    52 K characters, many of three bytes, is 78 KB of code."""
    from autograder.intake import IntakeError
    from autograder.intake.bounds import ReadingBounds
    from autograder.intake.notebooks import notebook_chunks

    raw = _notebook_of([CORRECT.read_text(), "\uff58\u5909 = 1\n" * 7000]).encode()  # 52 K characters, 78 KB
    assert notebook_chunks(raw, "wide.ipynb", ReadingBounds(128 << 10))
    with pytest.raises(IntakeError, match="holds 78 KB of code"):
        notebook_chunks(raw, "wide.ipynb", ReadingBounds(64 << 10))


def test_a_reading_child_that_needed_ipython_has_the_grader_import_it_once(tmp_path):
    """A large notebook is read in a forked child: a child that had to import IPython says so, and the
    grader imports it then, so later children inherit it instead of importing it each time."""
    import subprocess
    import sys

    path = tmp_path / "big.ipynb"
    outputs = [{"output_type": "stream", "name": "stdout", "text": ["x" * 1000 + "\n"] * 400}]
    nb = json.loads(_notebook_of([CORRECT.read_text(), "def f():\n    files = !ls\n    return files\n"]))
    nb["cells"][0]["outputs"] = outputs
    path.write_text(json.dumps(nb))
    code = ("import sys\nfrom pathlib import Path\nfrom autograder.config import load_config\n"
            "from autograder.intake.bounded import read_submission\n"
            "assert 'IPython' not in sys.modules\n"
            "r = read_submission(Path(sys.argv[1]), load_config().limits)\n"
            "print(r.peak_kb > 0, 'IPython' in sys.modules, any('get_ipython().getoutput' in c['code']"
            " for c in r.submission.chunks))\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "True", "True"], done.stderr  # read in a child, IPython now here
