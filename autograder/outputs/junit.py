"""JUnit XML for CI systems: one testsuite per submission, one testcase per check.

Its one rule for student text (the submission's name, check messages quoting what a function returned
or raised, grading errors): every attribute and text goes through autograder.base.escape.xml_text, so the
file holds only characters XML 1.0 allows and one student cannot make the class's file unparseable.
ElementTree escapes markup characters.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from autograder.base.atomic import write_atomic
from autograder.base.escape import xml_text
from autograder.base.statuses import ERROR
from autograder.engine import SubmissionResult
from autograder.limits import JUNIT_MESSAGE_CHARS


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def junit_xml(results: list[SubmissionResult], notice: str = "") -> str:
    """``notice``: a batch-level problem (an incomplete merge of shards), one failing testcase of its own."""
    root = ET.Element("testsuites", name="initgrade")
    if notice:
        suite = _element(root, "testsuite", name="initgrade", tests="1", failures="1", errors="0")
        case = _element(suite, "testcase", classname="initgrade", name="complete batch")
        _element(case, "failure", notice, message=notice[:JUNIT_MESSAGE_CHARS])
    for r in results:
        failed = [c for c in r.checks if not c.passed]
        suite = _element(root, "testsuite", name=r.id, tests=str(len(r.checks)), failures=str(len(failed)),
                         errors="1" if r.status == ERROR else "0", time=f"{r.seconds:.3f}")
        if r.name:
            _element(_element(suite, "properties"), "property", name="submitted-as", value=r.name)
        if r.status == ERROR:
            case = _element(suite, "testcase", classname=r.id, name="grading")
            _element(case, "error", r.error, message=r.error[:JUNIT_MESSAGE_CHARS])
        for c in r.checks:
            case = _element(suite, "testcase", classname=f"{r.id}.{c.question}", name=c.name,
                            points=f"{c.score:g}/{c.max_score:g}")
            if not c.passed:
                _element(case, "failure", c.message, message=c.message[:JUNIT_MESSAGE_CHARS])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path: Path, results: list[SubmissionResult], notice: str = "") -> None:
    write_atomic(path, junit_xml(results, notice))
