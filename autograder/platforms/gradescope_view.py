"""What a Gradescope student sees: results.json rendered as Markdown.

Gradescope shows results.json's ``output`` (above the tests) and each test's
``output``, as plain text unless ``output_format`` / ``test_output_format`` (or a
test's own ``output_format``) says otherwise; "md" renders Markdown. The engine's
results.json keeps its plain text for every other reader; the Gradescope runner
turns a copy into this view:

* the top-level output: the score, how isolated the grading was (and a warning
  when the machine allowed less than full isolation), the likely mistakes with the
  notebook section to re-read, and what loading the code reported;
* each test's output: the check's message.

Every text that can carry student-controlled content (check messages quote values
and names from the submission; load messages quote its output) goes inside a
fenced code block whose fence is longer than any backtick run in the text, so it
renders as literal text, never as Markdown, HTML or a link. Figures are not in
the view: results.json carries text only, and the feedback's pictures are files
Gradescope never receives; the view names the mistake each figure illustrates.
"""

from __future__ import annotations

from autograder import isolation_levels
from autograder.escape import md_block

FORMAT = "md"


def isolation_lines(level: str | None) -> list[str]:
    if not level:
        return []
    said = isolation_levels.summary(level)
    lines = [f"**Isolation of your code while grading:** {said}."]
    if level != "namespaces":
        lines.append("> **Warning:** this grading ran with less isolation than the kit provides on a machine "
                     "that allows namespaces. Your score is computed the same way; tell your instructor if it "
                     "looks wrong.")
    return lines


def _section(section) -> str:
    from autograder.feedback.sections import section_heading

    try:
        return section_heading(section)
    except Exception:  # noqa: BLE001 - an unknown section still names itself
        return str(section)


def summary_markdown(results: dict) -> str:
    extra = results.get("extra_data") or {}
    tests = results.get("tests") or []
    max_score = sum(float(t.get("max_score", 0)) for t in tests)
    parts = [f"### Score: {float(results.get('score', 0)):g} / {max_score:g}" if tests
             else "### Your submission could not be graded"]
    if extra.get("error"):
        parts.append("**Grading error:**\n\n" + md_block(str(extra["error"])))
    parts += isolation_lines(extra.get("isolation"))
    seen, mistakes = set(), []
    for d in extra.get("diagnoses") or []:
        if d.get("code") in seen:
            continue
        seen.add(d.get("code"))
        mistakes.append(f"{d.get('question')}: {d.get('title')} (re-read the notebook section "
                        f"\"{_section(d.get('section'))}\")")
    if mistakes:
        parts.append("**Likely mistakes:**\n\n" + md_block("\n".join(mistakes)))
    failed = [t for t in tests if t.get("status") == "failed"]
    if failed:
        parts.append(f"**{len(failed)} of {len(tests)} checks failed**; each one's message is below.")
    if not tests and results.get("output"):
        parts.append(md_block(str(results["output"])))
    else:
        plain = str(results.get("output") or "")
        loading = plain.split("While loading your code:\n", 1)
        if len(loading) == 2:
            parts.append("**While loading your code:**\n\n" + md_block(loading[1].rstrip()))
    return "\n\n".join(parts)


def gradescope_view(results: dict) -> dict:
    """A copy of ``results`` whose visible text Gradescope renders as Markdown."""
    view = dict(results)
    view["output"] = summary_markdown(results)
    view["output_format"] = FORMAT
    view["test_output_format"] = FORMAT
    view["tests"] = [dict(t, output=md_block(str(t.get("output", ""))), output_format=FORMAT)
                     for t in results.get("tests") or []]
    return view
