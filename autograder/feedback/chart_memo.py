"""A picture drawn once per process for the same data: the submissions of a batch share most of them.

A chart of the feedback pages (autograder.feedback.svg) is a pure function of its arguments, and
a batch draws the same ones again and again: every submission whose initialization trains like
another's (every correct one, every copy of a common mistake) gets the same training-cost chart,
at about a millisecond and a half of the grader's CPU each. :func:`remembered` keeps the text of
the charts drawn last, under a key that is equal only for arguments equal bit for bit (a float by
its eight bytes, so -0.0 is not 0.0 and a NaN finds its own copy; an array by its dtype, shape and
bytes; a string by its characters; the type of each value in the key), so a chart taken from the
memo is the very text the function would write again.

Bounded: at most ``ENTRIES`` charts are kept (the oldest dropped first), and arguments whose key
would exceed ``KEY_BYTES`` (a submission's huge weights) are drawn without the memo, so the memo
holds at most ``ENTRIES`` times (``KEY_BYTES`` plus one chart) whatever the submissions return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from autograder.base.same_bits import TooLarge as _TooLarge
from autograder.base.same_bits import key as _key
from autograder.base.same_bits import remembered as _remembered
from autograder.limits import CHART_MEMO_ENTRIES as ENTRIES
from autograder.limits import CHART_MEMO_KEY_BYTES as KEY_BYTES

T = TypeVar("T")

__all__ = ["ENTRIES", "KEY_BYTES", "_TooLarge", "_key", "remembered"]


def remembered(draw: Callable[..., T]) -> Callable[..., T]:
    """``draw`` with the memo of the module docstring (its own, of ``ENTRIES`` charts; the key and
    the memo are autograder.base.same_bits', which the diagnoses' memo shares)."""
    return _remembered(draw, ENTRIES, KEY_BYTES)
