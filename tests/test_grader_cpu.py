"""Per-submission work of the grader process, counted (never timed).

* The names a left-out statement would define are found without ``ast.walk`` (a list grown while it
  is read, Load/Store markers skipped), and they are exactly ast.walk's names in ast.walk's order, on
  every top-level statement of the examples.
* The layer sizes every training check asks for read the dataset's signed input-size entry once per
  process and file stamp, not once per check and submission.
"""

from __future__ import annotations

import ast
import json

from autograder.config import PROJECT_ROOT, load_config
from autograder.intake import code
from autograder.training import cache_signing
from autograder.training.trainer import Trainer

EXAMPLES = PROJECT_ROOT / "examples"


def _walked_names(stmt: ast.stmt) -> list[str]:
    """The names as the kit listed them before: every node of ast.walk, in its order."""
    names: list[str] = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not stmt:
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*"]
    return list(dict.fromkeys(names))


def _example_statements() -> list[ast.stmt]:
    sources = []
    for path in sorted(EXAMPLES.rglob("*")):
        if path.suffix == ".py":
            sources.append(path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix == ".ipynb":
            try:
                cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            except (ValueError, KeyError, TypeError):
                continue
            sources += ["".join(c.get("source", "")) for c in cells
                        if isinstance(c, dict) and c.get("cell_type") == "code"]
    statements = []
    for text in sources:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        statements += tree.body
    return statements


def test_defined_names_are_ast_walks_without_walking_it(monkeypatch):
    statements = _example_statements()
    # Every kind of binding: comprehension targets, walrus, with/for targets, nested definitions, imports.
    statements += ast.parse("for i, (a, *b) in x:\n    import os.path as p, sys\n    def f(): pass\n"
                            "with o() as (c, d):\n    e = [j for j in y if (k := j)]\n"
                            "try:\n    from m import *\nexcept E as err:\n    class C: z = 1\n").body
    assert len(statements) > 1000
    expected = [_walked_names(s) for s in statements]
    walks = []
    real_walk = ast.walk

    def counted(node):
        walks.append(node)
        return real_walk(node)

    monkeypatch.setattr(ast, "walk", counted)
    found = [code._defined_names(s) for s in statements]
    assert walks == []  # the kit's own walk, not ast.walk's generators
    assert found == expected
    assert any(len(names) > 3 for names in found)


def test_layer_sizes_read_the_input_size_entry_once_per_process(tmp_path, monkeypatch):
    config = load_config()
    trainer = Trainer(config, tmp_path / "cache")
    first = {name: trainer.layers(name) for name in config.training}  # written to the cache here
    reads = []
    real_read = cache_signing.SignedCache.read

    def read(self, key):
        reads.append(key)
        return real_read(self, key)

    monkeypatch.setattr(cache_signing.SignedCache, "read", read)
    fresh = Trainer(config, tmp_path / "cache")  # a new process's trainer: nothing in memory yet
    for _ in range(5):  # five submissions' training checks
        assert {name: fresh.layers(name) for name in config.training} == first
    datasets = {t.dataset for t in config.training.values()}
    assert sorted(reads) == sorted(set(reads)) and len(reads) == len(datasets), reads
    assert all(key.startswith("input-size-") for key in reads)
    assert not fresh._data  # and the data itself was never loaded
