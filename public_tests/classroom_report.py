"""Turn the public tests' JUnit XML into GitHub Classroom points (standard library only).

``python public_tests/classroom_report.py JUNIT_XML`` writes, for the Classroom workflow
that ``initgrade build github`` generates:

* the step output ``result`` (``$GITHUB_OUTPUT``): base64 JSON for
  ``classroom-resources/autograding-grading-reporter`` (one point per public check);
* the job summary (``$GITHUB_STEP_SUMMARY``): each check, passed or what failed.

These points come from a run the student controls (the workflow and these files are in
their repository): they are a progress signal, never a grade. Messages are flattened to
one line with ``::`` broken up, so the reporter, which prints them, cannot be made to
read a workflow command.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import xml.etree.ElementTree as ET


def one_line(text: str, limit: int = 1000) -> str:
    text = re.sub(r"[\r\n\t\x00-\x1f\x7f]+", " ", str(text)).replace("::", ": :")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def results_from_junit(path: str) -> list[dict]:
    """One entry per test case: name, passed, message."""
    cases = []
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        return [{"name": "public checks", "passed": False, "message": f"the public tests did not run ({exc})"}]
    for case in root.iter("testcase"):
        problem = next((c for c in case if c.tag in ("failure", "error")), None)
        name = case.get("name", "check")
        message = "" if problem is None else (problem.get("message") or problem.text or "failed")
        cases.append({"name": name, "passed": problem is None and case.find("skipped") is None,
                      "message": message})
    return cases or [{"name": "public checks", "passed": False, "message": "no public test ran"}]


def payload(cases: list[dict]) -> dict:
    tests = [{"name": one_line(c["name"], 200), "status": "pass" if c["passed"] else "fail",
              "score": 1.0 if c["passed"] else 0.0, "message": "" if c["passed"] else one_line(c["message"]),
              "line_no": 0, "execution_time": ""} for c in cases]
    return {"version": 1, "status": "pass" if all(c["passed"] for c in cases) else "fail",
            "max_score": float(len(cases)), "tests": tests}


def summary(cases: list[dict]) -> str:
    passed = sum(c["passed"] for c in cases)
    lines = [f"## Public checks: {passed} / {len(cases)} passed", "",
             "These checks are the ones in your notebook; your grade comes from the hidden checks, run by "
             "your instructor on your final commit.", ""]
    for c in cases:
        lines.append(f"- **{one_line(c['name'], 200)}**: {'passed' if c['passed'] else 'failed'}")
        if not c["passed"]:
            lines += ["", _fence(str(c["message"])), ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    cases = results_from_junit(argv[1] if len(argv) > 1 else "public.xml")
    encoded = base64.b64encode(json.dumps(payload(cases)).encode()).decode("ascii")
    for var, text in (("GITHUB_OUTPUT", f"result={encoded}\n"), ("GITHUB_STEP_SUMMARY", summary(cases))):
        if os.environ.get(var):
            with open(os.environ[var], "a", encoding="utf-8") as f:
                f.write(text)
    print(f"public checks: {sum(c['passed'] for c in cases)} / {len(cases)} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
