"""Submissions that are not regular files: links, FIFOs, sockets and overfull folders.

They cannot be committed as they are (git stores a link's target, not a FIFO, and a link to the
grader's solutions would be one in every checkout), so the hostile batch test makes them in its
temporary submissions folder with ``write_case``. Their expectations are in expectations.yaml.
What each proves: intake opens nothing but regular files (``O_NOFOLLOW``, ``O_NONBLOCK``),
refuses the submission with a message naming what it found, and the batch goes on.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOLUTION = ROOT / "solutions" / "init_functions.py"
CORRECT = ROOT / "examples" / "submissions" / "correct_module.py"


def _package(folder: Path) -> Path:
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    return folder


def _many_entries(folder: Path) -> None:
    pkg = _package(folder)
    (pkg / "init_functions.py").write_text(CORRECT.read_text())
    junk = pkg / "junk"
    junk.mkdir()
    for i in range(6000):
        (junk / f"{i}.txt").touch()


def _socket_file(path: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(path))
    finally:
        s.close()


def _package_with(folder: Path, name: str, make) -> None:
    pkg = _package(folder)
    make(pkg / name)


def _hidden_link(folder: Path) -> None:
    pkg = _package(folder)
    (pkg / "init_functions.py").write_text(CORRECT.read_text())
    (pkg / ".cache").symlink_to("/etc")


CASES = {
    "link_to_solutions.py": lambda p: p.symlink_to(SOLUTION),
    "link_relative_to_solutions.py": lambda p: p.symlink_to(os.path.relpath(SOLUTION, p.parent)),
    "link_to_dev_zero.py": lambda p: p.symlink_to("/dev/zero"),
    "link_dangling.ipynb": lambda p: p.symlink_to(p.parent / "no-such-notebook.ipynb"),
    "link_loop.py": lambda p: p.symlink_to(p.name),
    "link_folder_to_solutions": lambda p: p.symlink_to(SOLUTION.parent, target_is_directory=True),
    "link_inside_package": lambda p: _package_with(p, "init_functions.py", lambda f: f.symlink_to(SOLUTION)),
    "link_subfolder_inside_package": lambda p: _package_with(p, "initlab", lambda f: f.symlink_to(SOLUTION.parent)),
    "fifo_module.py": lambda p: os.mkfifo(p),
    "fifo_inside_package": lambda p: _package_with(p, "init_functions.py", os.mkfifo),
    "socket_module.py": _socket_file,
    "folder_with_6000_entries": _many_entries,
    "package_with_hidden_link": _hidden_link,
}


def write_case(name: str, folder: Path) -> Path:
    """Make the case ``name`` in ``folder`` (a temporary submissions folder)."""
    path = folder / name
    CASES[name](path)
    return path
