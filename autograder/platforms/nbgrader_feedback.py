"""The student's Markdown on nbgrader's feedback page, rendered without live HTML.

``nbgrader generate_feedback`` writes an HTML page per submission from its own template, which
renders every Markdown cell with nbconvert's ``markdown2html`` filter and does not consult
``HTMLExporter.sanitize_html``: a ``<script>``, an ``onerror=`` or a ``javascript:`` link typed in a
Markdown cell would run in the page the instructor and the student open. The generated
``nbgrader_config.py`` registers :func:`safe_markdown` in that filter's place (and turns
``sanitize_html`` on for what nbconvert's own templates render): the Markdown is rendered as
before, then every tag and attribute outside a short list of text formatting is written out as
text, and links keep only the http, https and mailto schemes.
"""

from __future__ import annotations

import bleach
from nbconvert.filters import markdown2html

# What a Markdown cell may show: text formatting, lists, tables, code, links. No images (a source
# could track who opens the page), no forms, frames, styles or scripts.
TAGS = frozenset({"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "b", "i", "u", "del",
                  "sup", "sub", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span", "div",
                  "table", "thead", "tbody", "tr", "th", "td"})
ATTRIBUTES = {"a": ["href", "title"], "th": ["align"], "td": ["align"], "*": ["class"]}


def safe_markdown(source: str) -> str:
    """``source`` (a Markdown cell) as HTML in which nothing can run."""
    return bleach.clean(markdown2html(str(source)), tags=TAGS, attributes=ATTRIBUTES,
                        protocols=["http", "https", "mailto"], strip=False, strip_comments=True)
