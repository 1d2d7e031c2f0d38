"""The HTML pages' one escaping rule: Jinja templates (``templates/``) with autoescaping.

Every ``{{ value }}`` of a template is HTML-escaped, after its invisible and display-changing
characters are written out (autograder.escape.visible: escape sequences, bidi overrides, zero-width
characters). Links to other pages go through the ``page`` filter, which only makes relative,
percent-encoded links (``./<id>/feedback.html``): a name cannot start a ``javascript:`` or any other
scheme. The one value inserted as markup is the kit's own SVG (autograder.feedback.svg escapes the
text it draws), marked with :func:`trusted_svg`.
"""

from __future__ import annotations

from functools import cache

from markupsafe import Markup

from autograder.escape import relative_href, visible

FEEDBACK_PAGE = "feedback.html"


def _finalize(value):
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def _num(x: float) -> str:
    return f"{x:g}"


@cache
def environment():
    from autograder.text_templates import jinja_environment

    return jinja_environment("autograder.feedback", autoescape=True, finalize=_finalize,
                             filters={"num": _num, "page": lambda sid: relative_href(str(sid), FEEDBACK_PAGE)})


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def trusted_svg(svg: str) -> Markup:
    """The kit's own drawing (every text in it escaped by autograder.feedback.svg), inserted as is."""
    return Markup(svg)
