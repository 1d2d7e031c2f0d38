"""The Markdown pages' one escaping rule: every value a template inserts goes through a filter.

Markdown has no escaping that holds everywhere, so feedback.md follows the generated files' rule
(autograder.base.text_templates): a ``{{ value }}`` without a filter stops the render (UnquotedValue), and
the filter says what the value is. Student text (names, check messages that quote what a function
returned or raised, printed output, skipped statements) goes only inside a code span or fenced block
it cannot close: ``{{ name|md_code }}``, ``{{ message|md_block }}`` (``md_block("  ")`` for a block
inside a list item, ``md_block("> ")`` inside a blockquote, ``md_item`` for a block that is the list
item). The kit's own text (titles, section names, figure captions) goes through ``kit``, numbers
through ``num``. Every filter writes out invisible and display-changing characters
(autograder.base.escape.visible), as on the HTML pages. Undefined names fail loudly (StrictUndefined).
"""

from __future__ import annotations

from functools import cache

from autograder.base.text_templates import FILTERS as _ALL_FILTERS
from autograder.base.text_templates import jinja_environment, quoted_only

FILTERS = {name: _ALL_FILTERS[name] for name in ("kit", "num", "md_code", "md_block", "md_item")}


@cache
def environment():
    # No autoescaping: HTML escaping is not Markdown's; the md_* filters are.
    return jinja_environment("autograder.feedback", autoescape=False, finalize=quoted_only(FILTERS), filters=FILTERS)


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
