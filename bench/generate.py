"""Generate realistic batches of submissions for benchmarks (and scale tests).

A batch mixes correct submissions with the realistic mistakes of
``examples/mistakes/``, half as modules and half as notebooks built from the
student notebook. Every submission gets unique bytes (a comment naming it), so
no result can be reused between submissions; identical *initializations* still
repeat, as they do in a real class, and the training cache sees them.
"""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

import nbformat

from autograder.authoring.notebook import build_notebook, graded_cells
from autograder.config import PROJECT_ROOT

MISTAKES = PROJECT_ROOT / "examples" / "mistakes"
SOLUTIONS = PROJECT_ROOT / "solutions" / "init_functions.py"


def correct_source() -> str:
    text = SOLUTIONS.read_text()
    return re.sub(r"^\s*# (BEGIN|END) SOLUTION\n", "", text, flags=re.M)


def function_sources(module_text: str) -> dict[str, str]:
    tree = ast.parse(module_text)
    return {node.name: ast.get_source_segment(module_text, node)
            for node in tree.body if isinstance(node, ast.FunctionDef)}


def as_notebook(module_text: str, tag: str) -> str:
    """The student notebook with the graded cells holding this module's functions."""
    nb = build_notebook("student")
    sources = function_sources(module_text)
    for cell in graded_cells(nb).values():
        name = cell["metadata"]["initgrade"]["function"]
        cell["source"] = f"# {tag}\n" + sources[name]
    return nbformat.writes(nb)


def sources_pool() -> list[tuple[str, str]]:
    """(label, module text): the correct solution and every mistake file."""
    pool = [("correct", correct_source())]
    pool += [(p.stem, p.read_text()) for p in sorted(MISTAKES.glob("*.py"))]
    return pool


def generate(folder: Path, n: int, *, correct_share: float = 0.5, notebook_share: float = 0.5,
             seed: int = 0) -> list[Path]:
    """Write ``n`` submissions into ``folder``; returns their paths."""
    rng = random.Random(seed)
    pool = sources_pool()
    correct, mistakes = pool[0], pool[1:]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        label, text = correct if rng.random() < correct_share else rng.choice(mistakes)
        tag = f"student {i:05d} ({label})"
        if rng.random() < notebook_share:
            path = folder / f"s{i:05d}_{label}.ipynb"
            path.write_text(as_notebook(text, tag))
        else:
            path = folder / f"s{i:05d}_{label}.py"
            path.write_text(f"# {tag}\n{text}")
        paths.append(path)
    return paths


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"wrote {len(generate(args.folder, args.n, seed=args.seed))} submissions to {args.folder}")
