"""One escaping rule per output format, for every string a student controls.

A student controls their file name, what their code prints, the text of the exceptions it raises and
the values it returns (dictionary keys, reprs), and through them parts of every message of a check.
Every report writer passes such text through the one function of its format here:

* HTML: not here. The pages are Jinja templates with autoescaping (autograder/feedback/templates);
  links are built by :func:`relative_href` only.
* terminal: :func:`terminal_text` (a rich ``Text``: never parsed as markup; escape sequences,
  carriage returns and other control characters shown as ``\\x1b``, ``\\r``...).
* CSV: :func:`csv_cell` (OWASP's rule for formula injection, on top of :func:`visible`).
* XML: :func:`xml_text` (only characters XML 1.0 allows; the others shown visibly).
* SVG pictures: :func:`svg_text` (one line, visible, XML's characters), applied by the pictures'
  element builder (autograder.feedback.svg_elements) to every text and attribute.
* Markdown: :func:`md_block` and :func:`md_code` (student text only inside a code block or code span
  that it cannot close, so no raw HTML, link, image or heading of its own); :func:`md_text` for a
  line of running text (every ASCII punctuation character backslash-escaped).
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import quote

from autograder.base.invisible import RANGES

# Characters that change how the text around them is displayed rather than being seen: C0 and C1
# controls (escape sequences, carriage return, backspace, bell), Unicode format characters (bidi
# overrides and isolates, zero-width spaces and joiners, invisible operators, prefixed number signs,
# tags, BOM), spaces other than the space, line and paragraph separators, private-use and unassigned
# code points, lone surrogates (undecodable bytes of a file name), and the invisible letters, marks and
# symbols (fillers, variation selectors, the braille blank): the class of autograder.base.invisible, derived
# from Unicode's categories, not a hand list. Tab and newline are not in it: a format that must not
# keep them as layout adds them.
_INVISIBLE = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in RANGES)
# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]: what it
# forbids (other controls, surrogates, U+FFFE and U+FFFF, which are unassigned) is in the class.


@cache
def _pattern(one_line: bool) -> re.Pattern:
    """The class as a pattern, with tab and newline when ``one_line``; compiled on first use (a few
    hundred ranges: 10 ms that a command writing no text does not pay)."""
    return re.compile(f"[{chr(9) + chr(10) if one_line else ''}{_INVISIBLE}]")


_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _show(match: re.Match) -> str:
    c = match.group()
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    return f"\\x{n:02x}" if n <= 0xFF else (f"\\u{n:04x}" if n <= 0xFFFF else f"\\U{n:08x}")


def _printable_ascii(text: str) -> bool:
    """Only the characters from space to tilde: none of them is in the class (or is a tab or a
    newline), so there is nothing to write out. Two passes at C speed instead of a pattern's: most of
    what the reports write (numbers, the kit's words, a picture's coordinates) is such text."""
    return text.isascii() and text.isprintable()


def visible(text: object, *, one_line: bool = False) -> str:
    """``text`` with every invisible or display-changing character written out (``\\x1b``, ``\\u202e``).
    Newlines and tabs stay, unless ``one_line``."""
    text = str(text)
    if _printable_ascii(text):
        return text
    return _pattern(one_line).sub(_show, text)


# ----------------------------------------------------------------------------- terminal

def terminal_text(text: object, *, one_line: bool = False, style: str = ""):
    """A rich Text: printed as the characters it holds, never as console markup ([red], [link=...])."""
    from rich.text import Text

    return Text(visible(text, one_line=one_line), style=style)


# ----------------------------------------------------------------------------- CSV

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV Injection": =, +, -,
# @, tab, carriage return; the ASVS adds NUL; full-width forms, which some spreadsheets fold to ASCII).
_FORMULA_START = frozenset("=+-@\t\r\n\x00\uff1d\uff0b\uff0d\uff20")


def csv_cell(value: object) -> str:
    """One gradebook cell: control characters made visible, and a leading single quote on a cell that a
    spreadsheet would otherwise evaluate. The csv module does the quoting of commas and quotes."""
    text = visible(value, one_line=True)
    return "'" + text if text[:1] in _FORMULA_START else text


# ----------------------------------------------------------------------------- XML

def xml_text(text: object) -> str:
    """Text for an XML 1.0 attribute or element: characters XML forbids (and other invisible ones)
    written out visibly; ElementTree escapes <, >, & and quotes."""
    return visible(text)  # the class holds every character XML forbids


# ----------------------------------------------------------------------------- Markdown

_BACKTICKS = re.compile(r"`+")


def _fence_for(text: str, least: int) -> str:
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    return "`" * max(least, longest + 1)


def md_block(text: object, indent: str = "") -> str:
    """A fenced code block that ``text`` cannot close (its fence is longer than any run of backticks in
    the text), every line prefixed with ``indent`` (a list item's "  ", a blockquote's "> ") so that no
    line falls out of the container: whatever the text holds, it renders as text."""
    body = visible(text)
    fence = _fence_for(body, 3)
    lines = [fence + "text", *body.split("\n"), fence]
    return "\n".join(indent + line if line else indent.rstrip() for line in lines)


_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md_text(text: object) -> str:
    """One line of running Markdown text (a table cell, a sentence): invisible characters written out,
    and every ASCII punctuation character backslash-escaped (CommonMark allows it for each), so no
    link, image, emphasis, table cell break, heading or HTML of its own."""
    return _MD_PUNCTUATION.sub(r"\\\1", visible(text, one_line=True))


def md_code(text: object) -> str:
    """An inline code span for a one-line string (a file name): no newline, so no heading of its own;
    delimiters longer than any backtick run inside."""
    body = visible(text, one_line=True)
    fence = _fence_for(body, 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip(" ") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


# ----------------------------------------------------------------------------- links

def relative_href(*parts: str) -> str:
    """A link relative to the current page: every part percent-encoded (a ':' or '/' in a name can
    neither start a scheme such as ``javascript:`` nor climb folders), behind ``./``."""
    return "./" + "/".join(quote(p, safe="") if p not in (".", "..") else p.replace(".", "%2E") for p in parts)


# ----------------------------------------------------------------------------- SVG

def svg_text(text: object) -> str:
    """Text drawn in an SVG picture (or one of its attributes), before its XML escaping: on one line
    (a drawn line break is invisible, so it is written out ``\\n``), every other invisible or
    display-changing character written out, and no character XML 1.0 forbids. The drawing's element
    builder (autograder.feedback.svg_elements) applies it, then escapes <, >, & and quotes."""
    return visible(text, one_line=True)  # whose class holds xml_text's
