"""The HTML pages' one escaping rule: Jinja templates (``templates/``) with autoescaping.

Every ``{{ value }}`` of a template is HTML-escaped, after its invisible and display-changing
characters are written out (autograder.base.escape.visible: escape sequences, bidi overrides, zero-width
characters). Links to other pages go through the ``page`` filter, which only makes relative,
percent-encoded links (``./<id>/feedback.html``): a name cannot start a ``javascript:`` or any other
scheme. The one value inserted as markup is the kit's own SVG, marked with :func:`trusted_svg`, which
takes only what the element builder (autograder.feedback.svg_elements) wrote: every attribute and text
of it escaped, its invisible characters written out. Messages go through ``prose``, which escapes them
whole and only then shows their Markdown code spans as <code>.
"""

from __future__ import annotations

import re
from functools import cache

from markupsafe import Markup, escape

from autograder.base.escape import relative_href, visible
from autograder.feedback.svg_elements import Svg

FEEDBACK_PAGE = "feedback.html"


def _finalize(value):
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def _num(x: float) -> str:
    return f"{x:g}"


_CODE_SPAN = re.compile(r"`([^`]+)`")


def prose(text) -> Markup:
    """A message whose Markdown code spans (`np.zeros((n, 1))`) show as code, not as backticks: the
    text is escaped whole first (invisible characters written out), then each pair of backticks
    becomes a <code> element around text that is already escaped."""
    escaped = str(escape(visible(str(text))))
    return Markup(_CODE_SPAN.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))


@cache
def environment():
    from autograder.base.text_templates import jinja_environment

    return jinja_environment("autograder.feedback", autoescape=True, finalize=_finalize,
                             filters={"num": _num, "prose": prose,
                                      "page": lambda sid: relative_href(str(sid), FEEDBACK_PAGE)})


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def trusted_svg(svg: Svg) -> Markup:
    """The kit's own drawing, inserted as is: only what autograder.feedback.svg_elements wrote (every
    attribute and text in it escaped by construction), never a string from elsewhere."""
    if not isinstance(svg, Svg):
        raise TypeError(f"only the SVG builder's output is inserted as markup, not a {type(svg).__name__}")
    return Markup(svg)
