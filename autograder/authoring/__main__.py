"""``python -m autograder.authoring [--check]``: regenerate or verify the generated files.

Without options: rewrite the stub module and both notebooks from
``solutions/init_functions.py`` and :mod:`autograder.authoring.content`.
With ``--check``: write nothing; exit with status 1 if any committed generated
file is missing or differs from what would be generated (0 when all are current).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .notebook import generated_files, stale_files, write_generated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.authoring",
        description="Generate the student stubs and the two notebooks from the reference solutions.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only verify that the generated files are up to date (exit 1 if not)",
    )
    parser.add_argument(
        "--root", type=Path, default=None, help="repository root (default: this checkout)"
    )
    args = parser.parse_args(argv)

    if args.check:
        stale = stale_files(args.root)
        if stale:
            for rel in stale:
                print(f"out of date: {rel}", file=sys.stderr)
            print("run `python -m autograder.authoring` to regenerate", file=sys.stderr)
            return 1
        print(f"all {len(generated_files(args.root))} generated files are up to date")
        return 0

    changed = write_generated(args.root)
    for rel in changed:
        print(f"wrote {rel}")
    if not changed:
        print("nothing to do: all generated files are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
