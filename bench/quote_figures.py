"""Copy the figures of bench/figures.md (bench/paired.py's last run) into the pages that quote them.

bench/figures.md is the one source of the speed figures README.md, docs/speed.md and
docs/benchmarks.md state about the kit against its previous commit. Each of those pages holds one
block between the markers below; this script rewrites that block from bench/figures.md, so a page
never states a figure of another run (tests/test_docs_facts.py fails when a block differs from what
this script would write, or when the page states a speed figure outside it that figures.md lacks).

    .venv/bin/python bench/quote_figures.py          # after bench/paired.py --figures bench/figures.md
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "bench" / "figures.md"
PAGES = [ROOT / "README.md", ROOT / "docs" / "speed.md", ROOT / "docs" / "benchmarks.md"]
BEGIN = "<!-- begin: copied from bench/figures.md by bench/quote_figures.py; do not edit by hand -->"
END = "<!-- end: copied from bench/figures.md -->"
BLOCK = re.compile(re.escape(BEGIN) + r"\n.*?" + re.escape(END), re.S)


def block(source: str) -> str:
    """The quoted block: figures.md without its own do-not-edit comment, between the markers."""
    body = "\n".join(line for line in source.strip().splitlines() if not line.startswith("<!--"))
    return f"{BEGIN}\n{body.strip()}\n{END}"


def quoted(page: str) -> list[str]:
    """The blocks a page holds (each with its markers)."""
    return BLOCK.findall(page)


def update(source: Path = SOURCE, pages: list[Path] = PAGES) -> list[Path]:
    """Rewrite every page's block from ``source``; the pages that changed."""
    new = block(source.read_text(encoding="utf-8"))
    changed = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if len(quoted(text)) != 1:
            raise SystemExit(f"{page.name}: expected one block between the figures markers")
        rewritten = BLOCK.sub(lambda _: new, text)
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")
            changed.append(page)
    return changed


def main() -> None:
    for page in update():
        print(f"updated {page.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
