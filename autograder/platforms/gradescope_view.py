"""What a Gradescope student sees: results.json rendered as Markdown.

Gradescope shows results.json's ``output`` (above the tests) and each test's
``output``, as plain text unless ``output_format`` / ``test_output_format`` (or a
test's own ``output_format``) says otherwise; "md" renders Markdown. The engine's
results.json keeps its plain text for every other reader; the Gradescope runner
turns a copy into this view:

* the top-level output: the score, the likely mistakes with the notebook section to
  re-read, and what loading the code reported (the isolation level is the instructor's
  concern: it stays in ``extra_data``, out of the student's view);
* each test's output: the check's message.

The top-level output is the template ``templates/gradescope_summary.md.j2`` (see
:mod:`autograder.base.text_templates` for its filters). Every text that can carry
student-controlled content (check messages quote values and names from the
submission; load messages quote its output) goes inside a fenced code block whose
fence is longer than any backtick run in the text, so it renders as literal text,
never as Markdown, HTML or a link. Figures are not in the view: results.json
carries text only, and the feedback's pictures are files Gradescope never
receives; the view names the mistake each figure illustrates.
"""

from __future__ import annotations

from autograder.base.escape import md_block

FORMAT = "md"


def _section(section) -> str:
    from autograder.feedback.sections import section_heading

    try:
        return section_heading(section)
    except Exception:  # noqa: BLE001 - an unknown section still names itself
        return str(section)


def summary_markdown(results: dict) -> str:
    from autograder.base.text_templates import render

    extra = results.get("extra_data") or {}
    tests = results.get("tests") or []
    seen, mistakes = set(), []
    for d in extra.get("diagnoses") or []:
        if d.get("code") in seen:
            continue
        seen.add(d.get("code"))
        mistakes.append({"question": d.get("question"), "title": d.get("title"), "section": _section(d.get("section"))})
    # The engine's plain output ends with what loading the code reported, after this line.
    loading = str(results.get("output") or "").split("While loading your code:\n", 1)
    return render(__package__, "gradescope_summary.md.j2", tests=len(tests),
                  score=float(results.get("score", 0)), max_score=sum(float(t.get("max_score", 0)) for t in tests),
                  error=str(extra["error"]) if extra.get("error") else None,
                  mistakes=mistakes, failed=sum(t.get("status") == "failed" for t in tests),
                  output=str(results.get("output") or ""),
                  loading=loading[1].rstrip() if len(loading) == 2 else None).rstrip("\n")


def gradescope_view(results: dict) -> dict:
    """A copy of ``results`` whose visible text Gradescope renders as Markdown."""
    view = dict(results)
    view["output"] = summary_markdown(results)
    view["output_format"] = FORMAT
    view["test_output_format"] = FORMAT
    view["tests"] = [dict(t, output=md_block(str(t.get("output", ""))), output_format=FORMAT)
                     for t in results.get("tests") or []]
    return view
