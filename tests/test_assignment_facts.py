"""The assignment's facts have one home (grading.yaml) and the seams between modules are public.

No module keeps its own copy of a fact: each is passed in or read from the configuration, so
a renamed function, a looser tolerance or another notebook name reaches every message that
names it. The probes offer a fresh (unmemoised) call as part of their protocol.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autograder.config import PROJECT_ROOT, Tolerance, load_config
from autograder.diagnose import detect_structure, diagnose
from autograder.diagnose.wording import describe
from autograder.intake import IntakeError, load_submission
from autograder.rubric.common import fresh_call
from autograder.sandbox.probes import MemoisedStudent, Returned

CONFIG = load_config()
FUNCTIONS = CONFIG.question_functions


def _he(dims, factor=lambda n_in: np.sqrt(2.0 / n_in)):
    rs = np.random.RandomState(3)
    out = {}
    for l in range(1, len(dims)):
        out[f"W{l}"] = rs.randn(dims[l], dims[l - 1]) * factor(dims[l - 1])
        out[f"b{l}"] = np.zeros((dims[l], 1))
    return out


def test_question_map_is_the_configs():
    assert list(CONFIG.question_functions) == list(CONFIG.questions)
    for question, spec in CONFIG.questions.items():
        assert CONFIG.question_functions[question] == spec.function
        assert CONFIG.question_of(spec.function) == question
    assert CONFIG.question_of("print") is None


def test_diagnose_compares_with_the_tolerance_it_is_given():
    dims = [5, 4, 3]
    expected = _he(dims)
    nudged = {k: v * (1 + 1e-4) for k, v in expected.items()}
    strict = diagnose("he", dims, nudged, expected, tolerance=CONFIG.tolerance, functions=FUNCTIONS)
    loose = diagnose("he", dims, nudged, expected, tolerance=Tolerance(rtol=1e-3, atol=1e-8), functions=FUNCTIONS)
    assert strict and strict[0].code.startswith("wrong-scale")
    assert loose == []


def test_messages_name_the_functions_they_are_given():
    dims = [12, 9, 1]
    expected = _he(dims)
    lecun = _he(dims, lambda n_in: np.sqrt(1.0 / n_in))
    renamed = {q: f"init_{q}_weights" for q in FUNCTIONS}
    (d,) = diagnose("he", dims, lecun, expected, tolerance=CONFIG.tolerance, functions=renamed)
    assert d.code == "wrong-scale-lecun"
    assert "`init_deep_weights`" in d.message and "initialize_parameters" not in d.message
    small = [3, 4, 1]  # too few weights for the spread statistics: no known mistake fits
    odd = {k: (np.where(np.arange(v.size).reshape(v.shape) % 2, 0.5, -0.5) if k[0] == "W" else v)
           for k, v in _he(small).items()}
    (d,) = diagnose("he", small, odd, _he(small), tolerance=CONFIG.tolerance, functions=renamed)
    assert d.code == "values-differ" and "`init_he_weights`" in d.message
    # and the kit's own names when the kit's map is given
    (d,) = diagnose("he", dims, lecun, expected, tolerance=CONFIG.tolerance, functions=FUNCTIONS)
    assert f"`{FUNCTIONS['deep']}`" in d.message


def test_detection_gives_numbers_and_the_wording_gives_the_sentence():
    dims = [4, 3, 2]
    returned = {"W0": np.zeros((4, 2)), "b0": np.zeros((4, 1)), "W1": np.zeros((3, 4)), "b1": np.zeros((3, 1))}
    finding, final = detect_structure.keys("zeros", dims, returned)
    assert final and finding.code == "loop-starts-at-zero"
    assert finding.facts["w0_shape"] == (4, 2) and finding.facts["pattern"] == "wraps-around"
    assert finding.facts["missing"] == ["W2", "b2"]
    assert all(not isinstance(v, str) or len(v) < 20 for v in finding.facts.values())  # data, not prose
    text = describe(finding, FUNCTIONS)
    assert "W0 of shape (4, 2)" in text and "Missing: W2, b2." in text


class _Counting(MemoisedStudent):
    """A student whose every real call returns new numbers (an unseeded function)."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def _call(self, function, args, as_tuple):
        self.calls += 1
        return Returned(function, args, [{"key": "W1"}], {"W1": np.full((2, 2), float(self.calls))})


def test_a_fresh_call_is_part_of_the_student_protocol_and_skips_the_memo():
    student = _Counting()
    first = student.call("f", [3, 2])
    assert student.call("f", [3, 2]) is first and student.calls == 1  # memoised
    again = fresh_call(student, "f", [3, 2])
    assert student.calls == 2 and not np.array_equal(again.arrays["W1"], first.arrays["W1"])
    assert student.held_bytes == first.arrays["W1"].nbytes  # evidence only: not held
    assert student.call("f", [3, 2]) is first  # the memo still answers the graded calls


def test_a_failing_fresh_call_is_no_evidence():
    class Broken(_Counting):
        def call_fresh(self, function, *args, as_tuple=False):
            raise RuntimeError("sandbox gone")

    assert fresh_call(Broken(), "f", [3, 2]) is None


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def test_a_package_of_several_modules_is_read_from_the_one_defining_a_graded_function(tmp_path):
    helper = "def plot(x):\n    return x\n"
    graded = f"import numpy as np\n\ndef {FUNCTIONS['he']}(layers_dims):\n    return {{}}\n"
    path = tmp_path / "sub.zip"
    path.write_bytes(_zip({"pkg/helpers.py": helper, "pkg/work.py": graded}))
    sub = load_submission(path, 1 << 20, functions=CONFIG.functions)
    assert sub.kind == "zip:package" and any(FUNCTIONS["he"] in c["code"] for c in sub.chunks)
    # without a module defining one of grading.yaml's functions, the student is told which
    path.write_bytes(_zip({"pkg/helpers.py": helper, "pkg/other.py": "def initialize_weights(d):\n    pass\n"}))
    with pytest.raises(IntakeError, match=r"none of its modules defines initialize_parameters_\*"):
        load_submission(path, 1 << 20, functions=CONFIG.functions)
    with pytest.raises(IntakeError, match="none of its modules defines make_w, build_b"):
        load_submission(path, 1 << 20, functions=["make_w", "build_b"])


def test_authoring_follows_the_notebook_name_of_the_configuration_in_force(tmp_path):
    text = (PROJECT_ROOT / "grading.yaml").read_text(encoding="utf-8")
    own = tmp_path / "grading.yaml"
    own.write_text(text.replace(f"notebook: {CONFIG.notebook}", "notebook: lab3.ipynb"), encoding="utf-8")
    code = ("import json, sys; from autograder.config import load_config; load_config(sys.argv[1]); "
            "from autograder import authoring as a; from autograder.authoring.stubs import render_stub_module, "
            "read_solutions; print(json.dumps([str(a.student_notebook()), str(a.solved_notebook()), "
            "'lab3.ipynb' in render_stub_module(read_solutions())]))")
    out = subprocess.run([sys.executable, "-c", code, str(own)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, cwd=tmp_path)
    assert json.loads(out.stdout) == [str(Path("assignment/lab3.ipynb")), str(Path("solutions/lab3_solved.ipynb")),
                                      True]


# ----------------------------------------------------------------------------- published figures

@pytest.fixture(scope="module")
def reference_outcomes(tmp_path_factory):
    """The reference trainings, computed once: the one source of the figures docs/grading.md, the
    notebook and the feedback state (autograder.training.trainer.Outcome.final_cost: the cost after the
    last iteration, not the last recorded one)."""
    from autograder.rubric.reference import reference_functions
    from autograder.training.trainer import Trainer

    trainer = Trainer(CONFIG, cache_dir=tmp_path_factory.mktemp("training-cache"))
    ref = reference_functions(CONFIG.functions)
    runs = {"he": ("circles", "initialize_parameters_he"), "deep": ("images", "initialize_parameters_deep")}
    return {name: (training, trainer.outcome(training, ref[fn](trainer.layers(training))))
            for name, (training, fn) in runs.items()}


def test_the_docs_state_the_reference_trainings_figures(reference_outcomes):
    # The table of the results the assignment reproduces, once in docs/grading.md (README links it).
    readme = (PROJECT_ROOT / "docs" / "grading.md").read_text(encoding="utf-8")
    _, he = reference_outcomes["he"]
    row = next(line for line in readme.splitlines() if line.startswith("| He |"))
    assert f"{he.costs[0]:.4f} → {he.final_cost:.4f}" in row, row
    assert repr(he.train_accuracy) in row and f"{he.test_accuracy:g}" in row
    training, deep = reference_outcomes["deep"]
    row = next(line for line in readme.splitlines() if line.startswith("| `initialize_parameters_deep`"))
    iterations = CONFIG.training[training].num_iterations
    assert f"{deep.final_cost:.4f} after {iterations} iterations" in row, row
    assert f"{deep.train_accuracy:.2f}" in row and f"{deep.test_accuracy:.2f}" in row


def test_the_feedback_and_the_notebook_state_the_final_cost_not_the_last_recorded(reference_outcomes):
    from autograder.feedback.evidence import _outcome_data
    from autograder.feedback.page import _training_figure

    training, deep = reference_outcomes["deep"]
    data = _outcome_data(deep)
    run = {"check": "accuracy", "training": training, "call": "initialize_parameters_deep([...])", "label": "",
           "student": data, "reference": data, "same_as_reference": True}
    figure = _training_figure("deep", [run], CONFIG)
    assert figure is not None and f"final cost {deep.final_cost:.4g}," in figure.text
    assert deep.final_cost != deep.costs[-1]  # the last recorded cost is an earlier iteration's
    # the notebook computes the same number (initlab.model.cost_of of the trained parameters) for its
    # printed lines and its tables, and never calls the last recorded cost the final one
    nb = json.loads((PROJECT_ROOT / "solutions" / "initialization_solved.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert code.count('"final_cost": cost_of(') == 2 and "r['final_cost']" in code
    assert "costs[-1]" not in code and "last cost" not in code
