"""SVG written element by element, every attribute and every text escaped by construction.

The feedback pages insert the pictures as markup (autograder.feedback.html.trusted_svg), so no
text may reach them unescaped: :func:`element` is the only way the pictures write a tag. Its
tag and attribute names are checked to be plain names (the kit writes them, never a value);
every attribute value and every text child passes autograder.base.escape.svg_text (one line, its
invisible and display-changing characters written out, only characters XML allows), then has
<, >, & and both quotes escaped. The one thing inserted as is is an :class:`Svg`, which only
this module makes. Numbers are written by the caller (a float has no one right form here).
"""

from __future__ import annotations

import html
import re

from autograder.base.escape import svg_text

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
# Text that escaping leaves as it is: ASCII letters, digits, space and a few marks.
_PLAIN = re.compile(r"[A-Za-z0-9 .,:#%()+-]*\Z")


class Svg(str):
    """Markup this module wrote: inserted as is by :func:`element` and :func:`fragment`."""

    __slots__ = ()


_NAMES: dict[str, str] = {}


def _name(key: str) -> str:
    # Python names for SVG's: font_size -> font-size, class_ -> class. Checked once per name.
    name = _NAMES.get(key)
    if name is None:
        name = key.rstrip("_").replace("_", "-")
        if not _NAME.match(name):
            raise ValueError(f"not an SVG name: {key!r}")
        _NAMES[key] = name
    return name


def _text(text: str) -> str:
    if _PLAIN.match(text):  # most of a chart: coordinates, colours, short words; nothing to escape
        return text
    return html.escape(svg_text(text), quote=True)


def _value(value: str | int) -> str:
    if type(value) is int:  # not a bool, nor numpy's integers: the chart converts those
        return str(value)
    if isinstance(value, str):  # an Svg as a value is text like any other
        return _text(value)
    raise TypeError(f"an SVG attribute is text or an int, not {type(value).__name__}: format numbers first")


def _child(child: Svg | str) -> str:
    if type(child) is Svg:
        return child
    if isinstance(child, str):
        return _text(child)
    raise TypeError(f"an SVG child is an element or text, not {type(child).__name__}")


def element(tag: str, *children: Svg | str, **attributes: str | int) -> Svg:
    """``<tag a='v'>children</tag>``, or ``<tag a='v'/>`` without children. A text child is escaped;
    an attribute named in Python form (``font_size``, ``class_``) is written in SVG's."""
    start = _name(tag) + "".join(f" {_name(k)}='{_value(v)}'" for k, v in attributes.items())
    if not children:
        return Svg(f"<{start}/>")
    return Svg(f"<{start}>{''.join(_child(c) for c in children)}</{_name(tag)}>")


def fragment(*children: Svg | str) -> Svg:
    """Elements (and text) one after the other, without an element around them."""
    return Svg("".join(_child(c) for c in children))
