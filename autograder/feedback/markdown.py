"""The Markdown pages' one escaping rule: Jinja templates (``templates/*.md.j2``) whose student text
goes through a filter of autograder.escape.

Markdown has no escaping that holds everywhere, so a template puts student text (names, check
messages that quote what a function returned or raised, printed output, skipped statements) only
inside a code span or fenced block it cannot close: ``{{ name|md_code }}``, ``{{ message|md_block }}``
(``md_block("  ")`` for a block inside a list item, ``md_block("> ")`` inside a blockquote).
Everything else a template prints is the kit's own text; every printed string still has its
invisible and display-changing characters written out (autograder.escape.visible), as on the HTML
pages. Undefined names fail loudly (StrictUndefined).
"""

from __future__ import annotations

from functools import cache

from autograder.escape import md_block, md_code, visible


def _finalize(value):
    return visible(value) if isinstance(value, str) else value


def _num(x: float) -> str:
    return f"{float(x):g}"  # float() of a missing value raises Jinja's UndefinedError, naming it


@cache
def environment():
    from autograder.text_templates import jinja_environment

    # No autoescaping: HTML escaping is not Markdown's; the md_* filters are.
    return jinja_environment("autograder.feedback", autoescape=False, finalize=_finalize,
                             filters={"num": _num, "md_code": md_code, "md_block": md_block})


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
