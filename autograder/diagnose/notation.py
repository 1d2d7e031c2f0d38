"""How numbers, shapes and key lists are written in the messages students read."""

from __future__ import annotations

from collections.abc import Sequence

from autograder.diagnose.returned import layer_number


def num(x: float) -> str:
    """Four significant digits: enough to tell factors apart, short enough to read."""
    return f"{x:.4g}"


def shape_text(shape: Sequence[int]) -> str:
    """A shape as numpy prints it: ``(5, 4)``, ``(3,)``."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def key_list(keys: Sequence[str]) -> str:
    return ", ".join(sorted(keys, key=lambda k: (k[:1], layer_number(k), k)))
