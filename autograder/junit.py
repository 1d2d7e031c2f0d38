"""JUnit XML for CI systems: one testsuite per submission, one testcase per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from autograder.engine import SubmissionResult
from autograder.reports import write_atomic


def junit_xml(results: list[SubmissionResult], notice: str = "") -> str:
    """``notice``: a batch-level problem (an incomplete merge of shards), one failing testcase of its own."""
    root = ET.Element("testsuites", name="initgrade")
    if notice:
        suite = ET.SubElement(root, "testsuite", name="initgrade", tests="1", failures="1", errors="0")
        case = ET.SubElement(suite, "testcase", classname="initgrade", name="complete batch")
        ET.SubElement(case, "failure", message=notice[:500]).text = notice
    for r in results:
        failed = [c for c in r.checks if not c.passed]
        suite = ET.SubElement(root, "testsuite", name=r.id, tests=str(len(r.checks)), failures=str(len(failed)),
                              errors="1" if r.status == "error" else "0", time=f"{r.seconds:.3f}")
        if r.status == "error":
            case = ET.SubElement(suite, "testcase", classname=r.id, name="grading")
            ET.SubElement(case, "error", message=r.error[:500]).text = r.error
        for c in r.checks:
            case = ET.SubElement(suite, "testcase", classname=f"{r.id}.{c.question}", name=c.name)
            case.set("points", f"{c.score:g}/{c.max_score:g}")
            if not c.passed:
                ET.SubElement(case, "failure", message=c.message[:500]).text = c.message
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path: Path, results: list[SubmissionResult], notice: str = "") -> None:
    write_atomic(path, junit_xml(results, notice))
