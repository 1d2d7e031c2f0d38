"""The rating criteria of a feedback, as a student reads it, checked mechanically. (A helper for the tests.)

``problems(out, sid)`` reads one graded submission's reports (``results.json``, ``feedback.md``,
``feedback.html`` under ``out/sid``) and returns one line per criterion it breaks, or an empty list:

* **names the real mistake**: every question that lost points has a diagnosis or a failed check whose
  message says what was found (not only "check failed");
* **in the student's terms**: no diagnosis code (``weights-offset``: codes are for instructors and
  scripts, in results.json's extra_data and the page's ``data-code``), no internal name of the kit,
  no path of the grading machine, no Python type name (``builtins.NoneType``), no code-cell count
  ("cell 4" of a notebook whose cells Jupyter numbers otherwise: places are ``cell [n]`` or
  ``cell n (the cell starting ...)``);
* **no false claim**: no "only the seeding is off" beside another mistake of the same question, no
  advice about lists for a value that is not a list, no diagnosis for a full score, no "While loading
  your code" box for a notebook whose left-out statements no call needed, no isolation level;
* **actionable**: every question that lost points is told what to write or change;
* **one message per cause**: no diagnosis's text twice in results.json, no two checks with the same message;
* sentences separated: no new sentence glued to a closing parenthesis.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from autograder.diagnose.findings import CODES

# Names of the kit's internals and traces of the grading machine a student must never see.
LEAKS = re.compile(r"_Quiet|DisplayStandIn|DisplayModule|autograder|site-packages|dist-packages|"
                   r"/usr/lib/python|\.venv|initgrade-|Traceback \(most recent|builtins\.|NoneType")
# What a message tells the student to do: a verb of a fix, or the line to write.
ACTIONS = re.compile(r"\b(?:[Uu]se|[Ww]rite|[Cc]all|[Nn]ame|[Rr]emove|[Ff]ix|[Ss]wap|[Bb]uild|[Mm]ultiply|"
                     r"[Dd]ivide|[Ee]nd it|[Rr]eturn|[Ss]et it|[Ll]oop with|[Kk]eep|[Aa]dd|[Dd]raw|[Ii]nitialize|"
                     r"[Tt]ake|[Cc]reate|[Cc]heck|[Cc]ount)\b")
GLUED = re.compile(r"[^.]\)\s+(?:Your|Diagnosis|Also found|Use|Call|Write)\b")


def problems(out: Path, sid: str) -> list[str]:
    folder = Path(out) / sid
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    md = (folder / "feedback.md").read_text(encoding="utf-8")
    html = (folder / "feedback.html").read_text(encoding="utf-8")
    tests = data["tests"]
    visible = "\n".join([data["output"]] + [t["output"] for t in tests])
    found: list[str] = []
    for name, text in (("results.json", visible), ("feedback.md", md), ("feedback.html", html)):
        hit = LEAKS.search(text)
        if hit:
            found.append(f"{name} shows {hit.group(0)!r}")
        if re.search(r"\bcell \d+,", text) and data["extra_data"].get("kind") == "notebook":
            found.append(f"{name} names a cell by its count among code cells")
        shown = re.sub(r"<[^>]*>", " ", text) if name == "feedback.html" else text  # attributes are for scripts
        code = next((c for c in CODES if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", shown)), None)
        if code is not None:
            found.append(f"{name} shows the diagnosis code {code!r}: students read its title")
        if GLUED.search(text):
            found.append(f"{name} glues a sentence to a parenthesis: {GLUED.search(text).group(0)!r}")
    if re.search(r"isolation|Sandbox:", data["output"], re.I):
        found.append("results.json's visible output names the isolation level")
    if "rather than a list" in visible and not re.search(r"is a (?:list|tuple)\b", visible):
        found.append("advice about a list for a value that is not one")
    diagnoses = data["extra_data"]["diagnoses"]
    if data["score"] >= sum(t["max_score"] for t in tests):
        if diagnoses or "Likely mistake" in md:
            found.append("a diagnosis at full score")
        if "## While loading your code" in md and "Not used for grading" in md and "defined 2 times" not in md \
                and "Error" not in md:
            found.append("the left-out statements listed in full at full score")
    questions = {t["name"].split(":")[0] for t in tests}
    for q in questions:
        lost = [t for t in tests if t["name"].startswith(f"{q}:") and t["score"] < t["max_score"]]
        if not lost:
            continue
        told = " ".join(t["output"] for t in lost)
        if not diagnoses and all(t["output"] in ("", "check failed") for t in lost):
            found.append(f"{q}: lost points with no mistake named")
        if not ACTIONS.search(told):
            found.append(f"{q}: no fix said ({told[:120]!r})")
        if "only the seeding is off" in told and len({d["code"] for d in diagnoses if d["question"] == q}) > 1:
            found.append(f"{q}: 'only the seeding is off' beside another mistake")
        messages = [t["output"] for t in lost if not t["output"].startswith("Not run:")]
        if len(messages) != len(set(messages)):
            found.append(f"{q}: two checks say the same thing")
        for d in {d["title"] for d in diagnoses if d["question"] == q}:
            explained = [t for t in lost if f"{d}. " in t["output"] and f"{d}. Explained under" not in t["output"]]
            if len(explained) > 1 and len({t["output"] for t in explained}) > 1:
                bodies = [t["output"].split(f"{d}. ", 1)[1][:80] for t in explained]
                if len(set(bodies)) == 1:
                    found.append(f"{q}: the diagnosis {d!r} explained under {len(explained)} checks")
    return found
