"""Write the hostile cases that cannot be plain .py text with a comment header.

Run ``python examples/hostile/make_binary_cases.py`` to regenerate them (the
output is deterministic and committed); their expectations are in
``expectations.yaml``. The 200 MB notebook is never committed: tests call
``write_huge_notebook`` into a temporary folder.

Nothing here runs student code; it only writes files.
"""

from __future__ import annotations

import io
import json
import random
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAMP = (2024, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same bytes on every run


def _solution_code() -> str:
    """The four correct functions, from a committed hostile case that defines them all."""
    text = (HERE / "exit_sysexit_in_function.py").read_text()
    text = text.replace("import sys\n", "").replace("    sys.exit(0)\n", "")
    return "\n".join(line for line in text.splitlines() if not line.startswith("# ")) + "\n"


def _cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.splitlines(keepends=True)}


def _notebook(cells: list[dict]) -> str:
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    for i, c in enumerate(nb["cells"]):
        c["id"] = f"cell-{i}"
    return json.dumps(nb, indent=1) + "\n"


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, STAMP), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def magics_notebook() -> str:
    code = _solution_code()
    defs = code.split("\n\ndef ")
    head, funcs = defs[0], ["def " + d for d in defs[1:]]
    he = funcs[2].replace('    np.random.seed(3)\n',
                          '    get_ipython().run_line_magic("time", "pass")\n    np.random.seed(3)\n', 1)
    deep = funcs[3].replace('    np.random.seed(3)\n', '    !echo calling deep\n    np.random.seed(3)\n', 1)
    cells = [
        _cell("%matplotlib inline\n%load_ext autoreload\n%autoreload 2\n!pip install numpy\n"),
        _cell(head + "\nimport matplotlib.pyplot as plt\nfrom IPython.display import display\n"),
        _cell("%%time\n" + funcs[0]),
        _cell(funcs[1] + "\nget_ipython().system('ls -la')\nparams = initialize_parameters_random([2, 3])\n"
              "display(params)\nplt.plot([1, 2, 3])\n"),
        _cell(he + "\ninitialize_parameters_he?\n"),
        _cell(deep),
        _cell("%timeit initialize_parameters_deep([5, 4, 3])\n!echo pretend-to-clean-up\n"),
    ]
    return _notebook(cells)


def nbformat3_notebook() -> str:
    code = _solution_code()
    nb = {"metadata": {"name": "old"}, "nbformat": 3, "nbformat_minor": 0,
          "worksheets": [{"cells": [
              {"cell_type": "markdown", "metadata": {}, "source": ["# An nbformat 3 notebook\n"]},
              {"cell_type": "code", "collapsed": False, "input": code.splitlines(keepends=True),
               "language": "python", "metadata": {}, "outputs": [], "prompt_number": 1},
          ], "metadata": {}}]}
    return json.dumps(nb, indent=1) + "\n"


def write_huge_notebook(path: Path, megabytes: int = 200) -> Path:
    """A syntactically valid notebook of ``megabytes`` MB (a giant saved output), for tests."""
    code = _solution_code()
    filler = "x" * (1 << 20)
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [')
        f.write(json.dumps(_cell(code) | {"id": "a"}))
        f.write(', {"cell_type": "code", "id": "b", "execution_count": 1, "metadata": {}, "source": ["1"], '
                '"outputs": [{"output_type": "stream", "name": "stdout", "text": [')
        for i in range(megabytes):
            f.write(("," if i else "") + json.dumps(filler))
        f.write("]}]}]}\n")
    return path


def _functions_cells() -> list[dict]:
    """The four correct functions, one cell each (after an imports cell)."""
    code = _solution_code()
    defs = code.split("\n\ndef ")
    return [_cell(defs[0] + "\n")] + [_cell("def " + d.rstrip("\n") + "\n") for d in defs[1:]]


def bang_lines_notebook(n: int = 5000) -> str:
    """n shell lines in one cell (IPython's transformer re-reads a cell once per such line)."""
    shell = "".join(f"!echo step {i} > /dev/null\n" for i in range(n))
    indented = "def setup():\n" + "".join(f"    !mkdir -p /tmp/run{i}\n" for i in range(n // 5)) + "    return 1\n"
    return _notebook(_functions_cells() + [_cell(shell), _cell(indented)])


def bang_and_assign_notebook(n: int = 1500) -> str:
    """Shell lines mixed with forms only IPython rewrites (``files = !ls``, ``obj?``), so the
    cell cannot be read by the fast path."""
    lines = []
    for i in range(n):
        lines.append(("!echo %d\n", "files%d = !ls\n", "np.zeros?\n", "%%time x%d = %d\n")[i % 4].replace(
            "%d", str(i)))
    return _notebook(_functions_cells() + [_cell("".join(lines))])


def cell_magics_notebook(n: int = 2000) -> str:
    """Thousands of ``%%`` cells (shell cells and timed cells) around the functions."""
    cells = []
    for i in range(n):
        cells.append(_cell(f"%%bash\necho cell {i}\n" if i % 2 else f"%%time\nvalue_{i} = {i}\n"))
    return _notebook(cells[: n // 2] + _functions_cells() + cells[n // 2:])


def nested_notebook() -> str:
    """Deeply nested expressions: past the parser's bracket limit, a 50,000-term sum (a
    left-deep tree) and 60 levels of nested literal lists."""
    cells = [
        _cell("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"),
        _cell("y = " + " + ".join(["1"] * 50000) + "\n"),
        _cell("Z = " + "[" * 60 + "1" + "]" * 60 + "\n"),
        _cell("def f():\n    return " + "-" * 20000 + "1\n"),
    ]
    return _notebook(cells[:2] + _functions_cells() + cells[2:])


def write_single_line_notebook(path: Path, megabytes: float = 0.9) -> Path:
    """One cell that is a single line of ``megabytes`` MB (a string literal), with the functions."""
    line = "BLOB = '" + "ab" * int(megabytes * (1 << 19)) + "'\n"
    path.write_text(_notebook(_functions_cells() + [_cell(line)]), encoding="utf-8")
    return path


def write_quadratic_block_notebook(path: Path, lines: int = 30000) -> Path:
    """One function of shell lines plus one line only IPython rewrites (``files = !ls``): IPython
    re-tokenizes the whole block once per rewrite, minutes of work, past ``limits.intake_seconds``."""
    block = "def setup():\n" + "    !ls\n" * lines + "    files = !ls\n    return files\n"
    path.write_text(_notebook(_functions_cells() + [_cell(block)]), encoding="utf-8")
    return path


# Cases too large to commit: written by the tests into their temporary folder.
GENERATED = {
    "bound_notebook_900kb_single_line.ipynb": write_single_line_notebook,
    "bound_notebook_15mb_single_line.ipynb": lambda path: write_single_line_notebook(path, 15),
    "bound_notebook_quadratic_block.ipynb": write_quadratic_block_notebook,
}


def cases() -> dict[str, bytes]:
    rng = random.Random(1234)
    code = _solution_code().encode()
    evil_helper = (b"import os\nimport signal\n"
                   b"for _p in (os.getppid(),):\n"
                   b"    try:\n        os.kill(_p, signal.SIGTERM)\n    except OSError:\n        pass\n"
                   b"try:\n    open('/work/main/hostile-was-here.txt', 'x').write('HOSTILE-WAS-HERE')\n"
                   b"    print('WRITABLE /work/main')\nexcept OSError:\n    pass\n"
                   b"SCALE = 2\n")
    return {
        "broken_empty.py": b"",
        "broken_binary.py": bytes(rng.randrange(256) for _ in range(4096)),
        "broken_notebook_invalid_json.ipynb": b'{"cells": [{"cell_type": "code", "source": "import numpy as np"\n',
        "broken_notebook_binary.ipynb": b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(4096)),
        "broken_notebook_nbformat3.ipynb": nbformat3_notebook().encode(),
        "broken_notebook_magics.ipynb": magics_notebook().encode(),
        "broken_zip_traversal.zip": _zip([("init_functions.py", code),
                                          ("../../../../tmp/hostile-was-here.py", b"print('HOSTILE-WAS-HERE')\n")]),
        "broken_zip_bomb.zip": _zip([("init_functions.py", code), ("padding.py", b"#" * (64 << 20))]),
        "broken_zip_corrupt.zip": _corrupt(_zip([("init_functions.py", code * 4)])),
        "bound_notebook_5000_bang_lines.ipynb": bang_lines_notebook().encode(),
        "bound_notebook_bang_and_assign_lines.ipynb": bang_and_assign_notebook().encode(),
        "bound_notebook_2000_cell_magics.ipynb": cell_magics_notebook().encode(),
        "bound_notebook_nested_expressions.ipynb": nested_notebook().encode(),
        "zip_package_import_time_helper.zip": _zip([
            ("init_functions.py", b"from student_helpers import SCALE\n" + code),
            ("student_helpers.py", evil_helper),
        ]),
    }


def _corrupt(raw: bytes) -> bytes:
    """Flip bytes inside the compressed data, leaving the headers intact."""
    data = bytearray(raw)
    for i in range(60, 200):
        data[i] ^= 0x5A
    return bytes(data)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else HERE
    for name, data in cases().items():
        (out / name).write_bytes(data)
        print(f"wrote {out / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
