"""Tests for autograder.diagnose.

The mistaken submissions in examples/mistakes/ are never imported here: one
subprocess (this venv's interpreter) imports them all by path and prints their
outputs as JSON; the tests only handle that plain data.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import diagnose as diagnosis
from autograder.config import load_config
from autograder.diagnose import CODES, SECTIONS, Diagnosis

CONFIG = load_config()
# The assignment's facts come from grading.yaml, as the rubric passes them.
FUNCTIONS = CONFIG.question_functions
diagnose = functools.partial(diagnosis.diagnose, tolerance=CONFIG.tolerance, functions=FUNCTIONS)

ROOT = Path(__file__).resolve().parents[1]
MISTAKES = ROOT / "examples" / "mistakes"
MISTAKE_FILES = sorted(MISTAKES.glob("*.py"))
SIZES = [[5, 4, 3], [7, 6, 5, 3, 1], [12, 9, 1]]
RANDOM_SCALES = [0.01, 10.0]
HEADER = re.compile(r"^# expect: (?P<code>\S+)\s+\(question: (?P<question>\w+)\)")

# Runs in the child: import each file by path, call every function on every size
# (random also with scale=10), twice, and print everything as JSON.
CHILD = r"""
import importlib.util, json, sys
import numpy as np

sizes = json.loads(sys.argv[1])
scales = json.loads(sys.argv[2])
functions = json.loads(sys.argv[3])
result = {}

def plain(d):
    return {str(k): np.asarray(v, dtype=np.float64).tolist() for k, v in d.items()}

for path in sys.argv[4:]:
    calls = []
    try:
        spec = importlib.util.spec_from_file_location("submission", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    except Exception as exc:
        result[path] = {"error": repr(exc)}
        continue
    for q, name in functions.items():
        fn = getattr(mod, name, None)
        for dims in sizes:
            for scale in (scales if q == "random" else [None]):
                call = {"question": q, "layers_dims": dims, "scale": scale}
                try:
                    if fn is None:
                        raise AttributeError(name)
                    args = (list(dims),) if scale is None else (list(dims), scale)
                    with np.errstate(all="ignore"):
                        call["returned"] = plain(fn(*args))
                        call["repeat"] = plain(fn(*args))
                except Exception as exc:
                    call["error"] = repr(exc)
                calls.append(call)
    result[path] = {"calls": calls}
print(json.dumps(result))
"""


def _load_reference():
    spec = importlib.util.spec_from_file_location(
        "initgrade_reference", ROOT / "solutions" / "init_functions.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


REFERENCE = _load_reference()


def reference(question: str, dims: list[int], scale: float | None = None) -> dict:
    fn = getattr(REFERENCE, FUNCTIONS[question])
    return fn(list(dims)) if scale is None else fn(list(dims), scale)


def _arrays(d: dict) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=np.float64) for k, v in d.items()}


def _same(a: dict, b: dict) -> bool:
    rtol, atol = CONFIG.tolerance.rtol, CONFIG.tolerance.atol
    return set(a) == set(b) and all(
        a[k].shape == b[k].shape and np.allclose(a[k], b[k], rtol=rtol, atol=atol) for k in a)


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(SIZES), json.dumps(RANDOM_SCALES),
         json.dumps(FUNCTIONS), *map(str, MISTAKE_FILES)],
        capture_output=True, text=True, timeout=120, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr
    raw = json.loads(proc.stdout)
    out = {}
    for path, res in raw.items():
        assert "error" not in res, (path, res)
        calls = []
        for c in res["calls"]:
            assert "error" not in c, (path, c)
            c = dict(c)
            c["returned"] = _arrays(c["returned"])
            c["repeat"] = _arrays(c["repeat"])
            calls.append(c)
        out[Path(path).stem] = calls
    return out


def _header(path: Path) -> tuple[str, str]:
    m = HEADER.match(path.read_text().splitlines()[0])
    assert m, f"{path.name}: first line must be '# expect: <code>  (question: <id>)'"
    return m["code"], m["question"]


def _extra(calls: list[dict], call: dict) -> dict:
    others = [
        {"layers_dims": c["layers_dims"], "returned": c["returned"], "scale": c["scale"]}
        for c in calls
        if c["question"] == call["question"] and c["scale"] == call["scale"]
        and c["layers_dims"] != call["layers_dims"]
    ]
    return {"repeat": call["repeat"], "other_calls": others}


def _check_fields(d: Diagnosis) -> None:
    assert d.code in CODES
    assert d.title == CODES[d.code]
    assert d.notebook_section in SECTIONS
    assert d.confidence in ("high", "medium")
    assert isinstance(d.partial_credit_eligible, bool)
    assert len(d.message) > 40


# --------------------------------------------------------------------------- examples

def test_examples_exist_and_cover_codes():
    assert len(MISTAKE_FILES) >= 20
    codes = {_header(p)[0] for p in MISTAKE_FILES}
    required = {
        "wrong-scale-0.01", "wrong-scale-1", "wrong-scale-10", "wrong-scale-lecun",
        "wrong-scale-he", "wrong-scale-glorot", "wrong-scale-fan-out",
        "power-instead-of-multiply", "uniform-instead-of-normal", "not-seeded", "wrong-seed",
        "seed-in-loop", "reversed-layer-order", "transposed-weights", "random-biases",
        "bias-shape", "loop-stops-early", "loop-starts-at-zero", "zeros-instead-of-random",
        "random-instead-of-zeros", "default-rng",
    }
    assert required <= codes, required - codes
    assert codes <= set(CODES)
    readme = (MISTAKES / "README.md").read_text()
    for p in MISTAKE_FILES:
        assert p.name in readme, p.name


@pytest.mark.parametrize("path", MISTAKE_FILES, ids=[p.stem for p in MISTAKE_FILES])
def test_mistake_is_diagnosed(path: Path, outputs):
    code, question = _header(path)
    calls = outputs[path.stem]
    failing = 0
    for call in calls:
        q, dims, scale = call["question"], call["layers_dims"], call["scale"]
        expected = reference(q, dims, scale)
        returned = call["returned"]
        with_extra = diagnose(q, dims, returned, expected, scale=scale, extra=_extra(calls, call))
        if q != question:
            # exactly one mistake per file: the other functions are right
            assert with_extra == [], (q, dims, [d.code for d in with_extra])
            continue
        if _same(returned, expected):
            assert with_extra == []
            continue  # e.g. a fixed 0.01 is right when scale=0.01
        failing += 1
        for d in with_extra:
            _check_fields(d)
        assert [d.code for d in with_extra] == [code], (dims, scale, with_extra)
        if code != "not-seeded":  # the others need no extra evidence
            plain = diagnose(q, dims, returned, expected, scale=scale)
            assert [d.code for d in plain] == [code], (dims, scale, plain)
    assert failing >= 1


# ----------------------------------------------------------------------- correct / unrelated

@pytest.mark.parametrize("question", list(FUNCTIONS))
def test_correct_outputs_give_no_diagnosis(question):
    scales = RANDOM_SCALES + [1.0, 0.5] if question == "random" else [None]
    for dims in SIZES + [[3, 1], [2, 2, 2], [4, 4, 4, 4]]:
        for scale in scales:
            exp = reference(question, dims, scale)
            again = {k: v.copy() for k, v in exp.items()}
            others = [{"layers_dims": d, "returned": reference(question, d, scale), "scale": scale}
                      for d in SIZES if d != dims]
            assert diagnose(question, dims, again, exp, scale=scale) == []
            assert diagnose(question, dims, again, exp, scale=scale,
                            extra={"repeat": again, "other_calls": others}) == []
    # float rounding from another way of writing the factor is not a mistake
    if question == "he":
        dims = [7, 6, 5, 3, 1]
        exp = reference("he", dims)
        rs = np.random.RandomState(3)
        alt = {}
        for l in range(1, len(dims)):
            alt[f"W{l}"] = rs.randn(dims[l], dims[l - 1]) * np.sqrt(2) / np.sqrt(dims[l - 1])
            alt[f"b{l}"] = np.zeros((dims[l], 1))
        assert diagnose("he", dims, alt, exp) == []


@pytest.mark.parametrize("question", ["random", "he", "deep"])
@pytest.mark.parametrize("dims", SIZES, ids=str)
def test_unrelated_random_values_are_generic(question, dims):
    rng = np.random.default_rng(20240917)
    returned = {}
    for l in range(1, len(dims)):
        returned[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * 0.03
        returned[f"b{l}"] = np.zeros((dims[l], 1))
    exp = reference(question, dims, 0.01 if question == "random" else None)
    others = []
    for d in SIZES:
        if d != dims:
            others.append({"layers_dims": d, "returned": {
                **{f"W{l}": rng.standard_normal((d[l], d[l - 1])) * 0.03 for l in range(1, len(d))},
                **{f"b{l}": np.zeros((d[l], 1)) for l in range(1, len(d))}}})
    for extra in (None, {"other_calls": others}):
        diags = diagnose(question, dims, returned, exp, extra=extra)
        assert [d.code for d in diags] == ["values-differ"]
        _check_fields(diags[0])
        assert "W1" in diags[0].message and "max |difference|" in diags[0].message


@pytest.mark.parametrize("question", ["random", "he", "deep"])
def test_right_spread_but_one_sign_is_not_called_right_distribution(question):
    # |randn| has the right second moment; the sign test keeps it generic
    dims = [7, 6, 5, 3, 1]
    exp = reference(question, dims, 0.01 if question == "random" else None)
    ret = {k: np.abs(v) for k, v in exp.items()}
    assert [d.code for d in diagnose(question, dims, ret, exp)] == ["values-differ"]
    neg = {k: -v for k, v in exp.items()}
    (d,) = diagnose(question, dims, neg, exp)
    assert d.code == "wrong-scale-other" and "opposite sign" in d.message


def test_ones_weights_for_zeros_are_generic():
    dims = [5, 4, 3]
    ret = {k: (np.ones_like(v) if k.startswith("W") else v)
           for k, v in reference("zeros", dims).items()}
    diags = diagnose("zeros", dims, ret, reference("zeros", dims))
    assert [d.code for d in diags] == ["values-differ"]


# ------------------------------------------------------------------------------ synthetic

def _build(dims, draw, factor, bias=None):
    out = {}
    for l in range(1, len(dims)):
        out[f"W{l}"] = draw((dims[l], dims[l - 1])) * factor(dims[l - 1], dims[l])
        out[f"b{l}"] = np.zeros((dims[l], 1)) if bias is None else bias(dims[l])
    return out


def _he(n_in, n_out):
    return np.sqrt(2 / n_in)


def _lecun(n_in, n_out):
    return np.sqrt(1 / n_in)


def test_named_seed_and_partial_credit():
    dims = [7, 6, 5, 3, 1]
    rs = np.random.RandomState(7)
    ret = _build(dims, lambda s: rs.randn(*s), _he)
    (d,) = diagnose("he", dims, ret, reference("he", dims))
    assert d.code == "wrong-seed" and "seed 7" in d.message
    assert d.partial_credit_eligible and d.confidence == "high" and d.notebook_section == "seeding"


def test_wrong_seed_and_wrong_scale_both_reported_without_partial_credit():
    dims = [7, 6, 5, 3, 1]
    rs = np.random.RandomState(42)
    ret = _build(dims, lambda s: rs.randn(*s), _lecun)
    diags = diagnose("he", dims, ret, reference("he", dims))
    assert [d.code for d in diags] == ["wrong-seed", "wrong-scale-lecun"]
    assert not any(d.partial_credit_eligible for d in diags)


def test_scale_codes_are_not_partial_credit():
    dims = [12, 9, 1]
    rs = np.random.RandomState(3)
    ret = _build(dims, lambda s: rs.randn(*s), _lecun)
    (d,) = diagnose("he", dims, ret, reference("he", dims))
    assert d.code == "wrong-scale-lecun" and not d.partial_credit_eligible
    assert d.notebook_section == "he-variance"
    assert "0.2887" in d.message and "0.4082" in d.message  # sqrt(1/12) vs sqrt(2/12)


def test_default_rng_unscaled_standard_normal():
    dims = [5, 4, 3]
    rng = np.random.default_rng(3)
    ret = _build(dims, rng.standard_normal, lambda a, b: 0.01)
    (d,) = diagnose("random", dims, ret, reference("random", dims))
    assert d.code == "default-rng" and d.partial_credit_eligible


def test_random_scale_inferred_default_and_ignored_scale():
    dims = [5, 4, 3]
    rs = np.random.RandomState(3)
    ret = _build(dims, lambda s: rs.randn(*s), lambda a, b: 0.01)
    (d,) = diagnose("random", dims, ret, reference("random", dims, 10.0), scale=10.0)
    assert d.code == "random-scale-ignored"
    assert diagnose("random", dims, ret, reference("random", dims)) == []


def test_statistical_fallback_names_scale_with_enough_samples():
    dims = [300, 200, 100]
    rs = np.random.RandomState(987654)
    ret = _build(dims, lambda s: rs.randn(*s), _lecun)
    (d,) = diagnose("he", dims, ret, reference("he", dims))
    assert d.code == "wrong-scale-lecun" and d.confidence == "medium"
    assert not d.partial_credit_eligible


def test_statistical_fallback_right_spread_unknown_seed():
    dims = [300, 200, 100]
    rs = np.random.RandomState(987654)
    ret = _build(dims, lambda s: rs.randn(*s), _he)
    (d,) = diagnose("he", dims, ret, reference("he", dims))
    assert d.code == "not-seeded" and d.confidence == "medium" and d.partial_credit_eligible


def test_statistics_need_enough_samples():
    dims = [5, 4, 3]  # 32 weights: LeCun and He cannot be told apart reliably
    rs = np.random.RandomState(987654)
    ret = _build(dims, lambda s: rs.randn(*s), _lecun)
    diags = diagnose("he", dims, ret, reference("he", dims))
    assert [d.code for d in diags] == ["values-differ"]


def test_repeat_evidence_makes_not_seeded_certain():
    dims = [5, 4, 3]
    rs = np.random.RandomState(11111)
    a = _build(dims, lambda s: rs.randn(*s), _he)
    b = _build(dims, lambda s: rs.randn(*s), _he)
    (d,) = diagnose("he", dims, a, reference("he", dims), extra={"repeat": b})
    assert d.code == "not-seeded" and d.confidence == "high"


def test_random_biases_with_bias_draws_and_constant_biases():
    dims = [7, 6, 5, 3, 1]
    rs = np.random.RandomState(3)
    ret = {}
    for l in range(1, len(dims)):
        ret[f"W{l}"] = rs.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        ret[f"b{l}"] = rs.randn(dims[l], 1)
    assert [d.code for d in diagnose("deep", dims, ret, reference("deep", dims))] == ["random-biases"]
    ones = {k: (np.ones_like(v) if k.startswith("b") else v)
            for k, v in reference("deep", dims).items()}
    assert [d.code for d in diagnose("deep", dims, ones, reference("deep", dims))] == ["nonzero-biases"]


def test_shifted_keys_and_wrong_shapes():
    dims = [5, 4, 3]
    exp = reference("zeros", dims)
    shifted = {f"{k[0]}{int(k[1:]) - 1}": v for k, v in exp.items()}
    (d,) = diagnose("zeros", dims, shifted, exp)
    assert d.code == "loop-starts-at-zero" and "shifted" in d.message
    odd = dict(exp, W1=np.zeros((4, 7)))  # a size no index of layers_dims gives
    assert [d.code for d in diagnose("zeros", dims, odd, exp)] == ["wrong-shapes"]
    square = dict(exp, W1=np.zeros((4, 4)))  # layers_dims[1] for the columns: the digit for the letter l
    (d,) = diagnose("zeros", dims, square, exp)
    assert d.code == "index-typo" and "`layers_dims[1]`" in d.message and "the digit 1" in d.message
    missing = {k: v for k, v in exp.items() if k != "b2"}
    assert [d.code for d in diagnose("zeros", dims, missing, exp)] == ["wrong-keys"]


def test_power_with_nan_and_other_seed():
    dims = [7, 6, 5, 3, 1]
    rs = np.random.RandomState(5)
    with np.errstate(invalid="ignore"):
        ret = _build(dims, lambda s: rs.randn(*s) ** 0.01, lambda a, b: 1.0)
    (d,) = diagnose("random", dims, ret, reference("random", dims))
    assert d.code == "power-instead-of-multiply" and "NaN" in d.message


def test_diagnosis_is_frozen_and_question_checked():
    d = Diagnosis("values-differ", "t", "m", "shapes", "high", False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.code = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        diagnose("xavier", [3, 2], {}, {})


def test_the_one_over_n_rule_is_called_lecun_as_in_the_notebook():
    """The notebook says LeCun for variance 1/n and Glorot for 2/(n_in + n_out); a diagnosis
    a student reads next to it must use the same names (no "Xavier", which courses use for both)."""
    dims = [12, 9, 1]
    rs = np.random.RandomState(3)
    (d,) = diagnose("he", dims, _build(dims, lambda s: rs.randn(*s), _lecun), reference("he", dims))
    assert d.code == "wrong-scale-lecun" and d.title.startswith("LeCun factor")
    assert "LeCun" in d.message and "xavier" not in (d.title + d.message).lower()
    import importlib
    import pkgutil

    import autograder.diagnose as package

    # every text table of the package's modules (titles, explanations, fixes) and their text constants
    modules = [package] + [importlib.import_module(f"{package.__name__}.{m.name}")
                           for m in pkgutil.iter_modules(package.__path__)]
    texts = []
    for value in (v for module in modules for v in vars(module).values()):
        if isinstance(value, dict):
            texts += [v for v in value.values() if isinstance(v, str)]
        elif isinstance(value, str):
            texts.append(value)
    words = " ".join(texts).lower()
    assert "lecun" in words and "glorot" in words and "xavier" not in words


def test_key_numbers_off_their_layer_are_told_from_the_keys_not_the_shapes():
    """'b' + str(l + 1): the bias keys are one too high and each holds the layer below's bias; the
    weights are right, so neither a loop from 0 nor a bias shape is blamed."""
    dims = [5, 4, 3]
    exp = reference("he", dims)
    high = {k if k[0] == "W" else f"b{int(k[1:]) + 1}": v for k, v in exp.items()}
    (d,) = diagnose("he", dims, high, exp)
    assert d.code == "key-offset" and "one too high" in d.message and "`'b' + str(l + 1)`" in d.message
    assert "double parentheses" not in d.message
    low = {k if k[0] == "b" else f"W{int(k[1:]) - 1}": v for k, v in exp.items()}
    (d,) = diagnose("he", dims, low, exp)
    assert d.code == "key-offset" and "one too low" in d.message and "`'W' + str(l - 1)`" in d.message


@pytest.mark.parametrize("index, sizes", [("1", lambda dims, l: dims[1]), ("l-1", lambda dims, l: dims[l - 1]),
                                          ("0", lambda dims, l: dims[0])])
def test_a_bias_sized_with_the_wrong_index_names_the_index(index, sizes):
    dims = [7, 6, 5, 3, 1]
    exp = reference("deep", dims)
    ret = dict(exp, **{f"b{l}": np.zeros((sizes(dims, l), 1)) for l in range(1, len(dims))})
    (d,) = diagnose("deep", dims, ret, exp, extra={"signature": ["layer_dims"]})
    assert d.code == "index-typo" and f"`layer_dims[{index}]`" in d.message and "`layer_dims[l]`" in d.message
    assert "double parentheses" not in d.message


def test_an_offset_is_named_with_its_factor():
    dims = [7, 6, 5, 3, 1]
    rs = np.random.RandomState(3)
    ret = _build(dims, lambda s: rs.randn(*s) * 10 + 10, lambda a, b: 1.0)
    (d,) = diagnose("he", dims, ret, reference("he", dims))
    assert d.code == "weights-offset" and "`+ 10`" in d.message and "`* 10`" in d.message


def test_transposed_weights_still_tell_their_factor_and_their_seeding():
    dims = [7, 6, 5, 3, 1]
    rs = np.random.RandomState(3)
    fan_out = {}
    for l in range(1, len(dims)):
        fan_out[f"W{l}"] = rs.randn(dims[l - 1], dims[l]) * np.sqrt(2 / dims[l])
        fan_out[f"b{l}"] = np.zeros((dims[l], 1))
    codes = [d.code for d in diagnose("he", dims, fan_out, reference("he", dims))]
    assert codes == ["transposed-weights", "wrong-scale-fan-out"]
    unseeded = {k: (np.random.RandomState(99).randn(*v.shape) * np.sqrt(2 / v.shape[1]) if k[0] == "W" else v)
                for k, v in fan_out.items()}
    again = {k: (np.random.RandomState(98).randn(*v.shape) * np.sqrt(2 / v.shape[1]) if k[0] == "W" else v)
             for k, v in fan_out.items()}
    codes = [d.code for d in diagnose("he", dims, unseeded, reference("he", dims), extra={"repeat": again})]
    assert codes[0] == "transposed-weights" and "not-seeded" in codes


def test_a_star_parameter_is_named_when_the_dictionary_comes_back_empty():
    line = ("def initialize_parameters_deep(*layer_dims):", "def initialize_parameters_deep(layer_dims):")
    (d,) = diagnose("deep", [5, 4, 3], {}, reference("deep", [5, 4, 3]), extra={"star": line})
    assert d.code == "wrong-signature" and line[0] in d.message and line[1] in d.message
    assert "Build them as" not in d.message


# --------------------------------------------------------------------------- offsets on unseeded weights

CHECKED = [[5, 4, 3], [3, 7, 1], [6, 5, 4, 3, 1], [40, 25, 10]]  # the seeded calls and the evidence call


def _drawn(question: str, dims: list[int], rng, offset: float, scale: float | None = None) -> dict:
    out = {}
    for l in range(1, len(dims)):
        factor = {"random": scale if scale is not None else 0.01, "he": np.sqrt(2 / dims[l - 1]),
                  "deep": 1 / np.sqrt(dims[l - 1])}[question]
        out[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * factor + offset
        out[f"b{l}"] = np.zeros((dims[l], 1))
    return out


def _unseeded(question: str, offset: float, rng, scale: float | None = None) -> list:
    calls = [{"layers_dims": d, "returned": _drawn(question, d, rng, offset, scale), "scale": scale} for d in CHECKED]
    extra = {"other_calls": calls[1:], "repeat": _drawn(question, CHECKED[0], rng, offset, scale)}
    return diagnose(question, CHECKED[0], calls[0]["returned"], reference(question, CHECKED[0], scale),
                    scale=scale, extra=extra)


@pytest.mark.parametrize("question,offset,scale", [("he", 0.1, None), ("deep", -0.05, None), ("random", 0.5, 0.01),
                                                   ("random", -2.0, 10.0)])
def test_an_offset_on_unseeded_weights_is_named_beside_the_seed(question, offset, scale):
    """Issue 24's gap: `randn(...) * factor + c` with no seed, over the calls a check makes."""
    found = _unseeded(question, offset, np.random.RandomState(2718), scale)  # not a seed students use
    assert [d.code for d in found] == ["weights-offset", "not-seeded"], found
    value = f"{abs(offset):g}"
    assert f"`{'+' if offset > 0 else '-'} {value}`" in found[0].message
    assert not any(d.partial_credit_eligible for d in found)
    assert "only the seeding is off" not in " ".join(d.message for d in found)


def test_unseeded_weights_without_an_offset_are_never_called_shifted():
    """Correct but unseeded weights, 300 draws of each question: the 6-standard-error rule stays silent."""
    rng = np.random.RandomState(1618)
    for question in ("he", "deep", "random"):
        for _ in range(300):
            codes = [d.code for d in _unseeded(question, 0.0, rng, 10.0 if question == "random" else None)]
            assert "weights-offset" not in codes and "uniform-instead-of-normal" not in codes, (question, codes)


def test_an_offset_after_another_seed_is_regenerated_exactly():
    dims = [6, 5, 4, 3, 1]
    rng = np.random.RandomState(1)
    returned = {f"W{l}": rng.standard_normal((dims[l], dims[l - 1])) / np.sqrt(dims[l - 1]) + 1 for l in range(1, 5)}
    returned.update({f"b{l}": np.zeros((dims[l], 1)) for l in range(1, 5)})
    found = diagnose("deep", dims, returned, reference("deep", dims))
    assert [d.code for d in found] == ["weights-offset", "wrong-seed"]
    assert "np.random.seed(1)" in found[0].message and "`+ 1`" in found[0].message
    assert "only the random stream is off" not in found[1].message and not found[1].partial_credit_eligible


def test_small_draws_shifted_far_from_zero_are_not_called_uniform():
    """`randn * 0.01 + 0.5` is all positive, like `rand`, but bunched far from 0: not uniform."""
    dims = [2, 10, 5, 1]
    rng = np.random.RandomState(31415)  # not a seed students use: no plan regenerates the draws
    returned = _drawn("random", dims, rng, 0.5)
    found = diagnose("random", dims, returned, reference("random", dims))
    assert [d.code for d in found] == ["weights-offset"] and "`+ 0.5`" in found[0].message
