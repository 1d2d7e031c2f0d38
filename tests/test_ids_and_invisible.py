"""Every invisible character written out, swept over whole Unicode categories; ids that are never a
Windows device name, whatever follows it.

The class of autograder.base.invisible is derived from Unicode's categories (Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs
but the space, and the default-ignorable letters and marks, the braille blank). The sweep takes every
code point of those categories under this Python's Unicode, and checks each escaping function writes
every one of them out (as ASCII), while visible text (letters, digits, punctuation, symbols, CJK,
emoji, combining accents) passes unchanged.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from autograder.base import escape, invisible
from autograder.base.ids import _WINDOWS_DEVICES, safe_id, unique_ids

ONE_LINE = (escape.csv_cell, escape.svg_text, lambda t: escape.visible(t, one_line=True),
            lambda t: escape.terminal_text(t, one_line=True).plain)
KEEP_LAYOUT = (escape.visible, escape.xml_text, escape.md_block, lambda t: escape.terminal_text(t).plain)


def _in_table(c: int) -> bool:
    return any(a <= c <= b for a, b in invisible.RANGES)


def _category_sweep() -> dict[str, str]:
    """Every code point of the class under this Python's Unicode, as one string per category."""
    by_cat: dict[str, list[str]] = {}
    for c in range(0x110000):
        cat = unicodedata.category(chr(c))
        if cat in invisible.CATEGORIES and c not in (0x09, 0x0A, 0x20):
            by_cat.setdefault(cat, []).append(chr(c))
    for first, last in invisible.OTHER_INVISIBLE:
        by_cat.setdefault("other", []).extend(chr(c) for c in range(first, last + 1))
    return {cat: "".join(chars) for cat, chars in by_cat.items()}


SWEEP = _category_sweep()


def test_the_table_holds_every_code_point_of_the_categories_under_this_python():
    derived = invisible.derive()
    flat = [(a, b) for a, b in invisible.RANGES]
    missing = [(a, b) for a, b in derived if not all(_in_table(c) for c in (a, b))
               or not any(x <= a and b <= y for x, y in flat)]
    assert missing == [], [f"{a:04X}-{b:04X}" for a, b in missing[:10]]


@pytest.mark.parametrize("category", sorted(SWEEP))
@pytest.mark.parametrize("write", KEEP_LAYOUT + ONE_LINE)
def test_every_code_point_of_each_category_is_written_out(category, write):
    text = SWEEP[category]
    assert len(text) > 0
    out = write(text)
    assert out.isascii(), (category, [f"U+{ord(c):04X}" for c in out if not c.isascii()][:5])
    assert out.count("\\") >= len(text)  # one escape for each character


@pytest.mark.parametrize("char", ["\u0600", "\U00013430", "\U0001BCA0", "\u2800", "\u3164", "\u00a0", "\u2028",
                                  "\ue000", "\U000e0041", "\u061c", "\u180e", "\U000e0100"])
def test_the_characters_a_held_out_attack_used_are_written_out(char):
    assert escape.visible(f"a{char}b") == f"a\\{'u' if ord(char) <= 0xFFFF else 'U'}" \
        f"{ord(char):0{4 if ord(char) <= 0xFFFF else 8}x}b".replace("\\u00a0", "\\xa0")


def test_visible_text_passes_unchanged():
    text = ("Alice O'Brien, résumé (e\u0301), 東京, Ünïcödé, Ελληνικά, русский, עברית, العربية, हिन्दी "
            "π≈3.14 ✓ 🙂 👩‍💻"[:-3] + " <b>&amp;</b> $x^2$ `code` tab\there")
    assert escape.visible(text) == text
    # the emoji ZWJ sequence is the one exception: its joiner is a format character, written out
    assert escape.visible("👩\u200d💻") == "👩\\u200d💻"


DEVICES = sorted(_WINDOWS_DEVICES - {"conin$", "conout$", "clock$"}) + ["CONIN$", "Clock$"]
SUFFIXES = ["", ".x", ".x-\u202e", ".e-\u2026", ".tar.gz", ".py", " .txt", "\u202e", ".", "..x", ".PRN"]


def _windows_device(sid: str) -> bool:
    return sid.split(".")[0].rstrip(" ").casefold() in _WINDOWS_DEVICES


@pytest.mark.parametrize("device", DEVICES)
def test_no_id_is_a_windows_device_name_whatever_the_suffix_or_case(device):
    for suffix in SUFFIXES:
        for name in (device + suffix, device.upper() + suffix, device.title() + suffix):
            sid = safe_id(name)
            assert not _windows_device(sid), (name, sid)
            assert sid.split(".")[0].casefold() not in _WINDOWS_DEVICES


def test_ids_of_a_batch_of_device_names_are_safe_and_distinct():
    paths = [Path(f"/subs/{d}{s}.py") for d in ("PRN", "con", "aux", "nul", "com1", "lpt1") for s in ("", ".x", ".e")]
    paths += [Path(f"/other/{p.name}") for p in paths]
    ids = unique_ids(paths)
    assert len({sid.casefold() for sid in ids.values()}) == len(paths)
    assert not any(_windows_device(sid) for sid in ids.values()), ids


def test_a_superscript_digit_device_is_caught_after_normalising():
    assert not _windows_device(safe_id("COM\u00b9.txt")) and not _windows_device(safe_id("lpt\u00b3"))
