"""Feedback a student can act on, rendered: diagnosed mistakes, pictures, and a class summary.

Only renders: it reads the records of autograder.base.results (the pictures' data is gathered while
grading, beside the engine, by autograder.evidence) and writes pages.

* :mod:`.svg` draws the pictures as inline SVG (no network, no scripts), every element written by
  :mod:`.svg_elements`, which escapes each attribute and text;
* :mod:`.page` writes ``feedback.html`` and the Markdown of ``feedback.md`` per submission, from the
  templates in ``templates/`` (:mod:`.html` and :mod:`.markdown` hold each format's escaping rule);
* :mod:`.summary` writes ``summary.html`` for a whole batch (:func:`write_class_summary`).

The notebook section each diagnosis points to is named in autograder.diagnose.sections.
"""
