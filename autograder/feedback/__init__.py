"""Feedback a student can act on: diagnosed mistakes, pictures, and a class summary.

* :mod:`.evidence` collects, during grading, the plain data the pictures need;
* :mod:`.svg` draws them as inline SVG (no network, no scripts), every element written by
  :mod:`.svg_elements`, which escapes each attribute and text;
* :mod:`.page` writes ``feedback.html`` and the Markdown of ``feedback.md`` per submission, from the
  templates in ``templates/`` (:mod:`.html` and :mod:`.markdown` hold each format's escaping rule);
* :mod:`.summary` writes ``summary.html`` for a whole batch (:func:`write_class_summary`);
* :mod:`.sections` names the notebook section each diagnosis points to.
"""
