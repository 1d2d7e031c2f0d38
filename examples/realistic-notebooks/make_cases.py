"""Write the notebook corpus: the kit's own notebook, filled in the way a class of students gets it wrong.

Each case is ``assignment/initialization.ipynb`` as a student hands it in: every graded cell
written (three of the four functions right), code cells numbered as if run top to bottom, and one
mistake (or a combination) in the cell of one function: a wrong scale, fan-in and fan-out swapped,
shapes transposed, biases random or of shape (n,), keys misnamed, a loop off by one, ``rand`` for
``randn``, the seed misplaced, per layer or another one, ``default_rng``, zeros for weights, a list or
tuple returned, a global read instead of the argument, ``print`` for ``return``, float32, ints,
integer division, the template's ``raise`` left, a typo, an endless loop, a huge allocation, the
argument modified, extra keys, offsets on unseeded weights.

``expectations.yaml`` says, per case: ``function``, the function whose messages are read (they must
name it); ``must``, the texts its messages contain (the expected and found values, shapes or keys,
the likely mistake); ``must_not``, what would be a wrong diagnosis; ``cell``, whether the failure
is in the student's code, so the message points at their cell and line. ``tests/test_messages.py``
grades the corpus in one batch. Regenerate with::

    .venv/bin/python examples/realistic-notebooks/make_cases.py
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE.parent.parent / "assignment" / "initialization.ipynb"
FUNCTIONS = {"zeros": "initialize_parameters_zeros", "random": "initialize_parameters_random",
             "he": "initialize_parameters_he", "deep": "initialize_parameters_deep"}

# The loop bodies of the right answers, as students write them (the deep one names its argument layer_dims).
RIGHT = {
    "zeros": ["parameters['W' + str(l)] = np.zeros((layers_dims[l], layers_dims[l-1]))",
              "parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))"],
    "random": ["parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l-1]) * scale",
               "parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))"],
    "he": ["parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2 / layers_dims[l-1])",
           "parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))"],
    "deep": ["parameters['W' + str(l)] = np.random.randn(layer_dims[l], layer_dims[l-1]) / np.sqrt(layer_dims[l-1])",
             "parameters['b' + str(l)] = np.zeros((layer_dims[l], 1))"],
}
TEMPLATE_LINE = re.compile(r"        # YOUR CODE HERE \(about \d lines\)\n        raise NotImplementedError\([^\n]*\)\n")
SEED_LINE = "    np.random.seed(3)  # keep this line: the grader compares seeded values\n"


def _graded_cells(nb) -> dict[str, dict]:
    return {c["metadata"]["initgrade"]["graded"]: c for c in nb["cells"]
            if c["cell_type"] == "code" and "graded" in c.get("metadata", {}).get("initgrade", {})}


def build(body: dict[str, list[str]] | None = None, seed: dict[str, str] | None = None,
          cell: dict[str, str] | None = None, after: dict[str, str] | None = None,
          markdown: str | None = None) -> str:
    """The kit's notebook with every graded cell written.

    ``body[q]``: the lines of question q's loop (default: the right ones); ``seed[q]``: what replaces
    the template's seed line ('' removes it); ``cell[q]``: q's whole cell; ``after[q]``: a code cell the
    student added after q's cell; ``markdown``: the student's answer in the first markdown cell.
    """
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    body, seed, cell, after = body or {}, seed or {}, cell or {}, after or {}
    for q, c in _graded_cells(nb).items():
        source = "".join(c["source"])
        if q in cell:
            source = cell[q]
        else:
            lines = "".join(f"        {x}\n" for x in body.get(q, RIGHT[q]))
            source, n = TEMPLATE_LINE.subn(lambda _m, lines=lines: lines, source)
            assert n == 1, q
            if q in seed:
                assert SEED_LINE in source, q
                source = source.replace(SEED_LINE, seed[q] and f"    {seed[q]}\n")
        c["source"] = source.rstrip("\n").splitlines(keepends=True)
    for q, text in after.items():
        at = nb["cells"].index(_graded_cells(nb)[q]) + 1
        nb["cells"].insert(at, {"cell_type": "code", "execution_count": None, "id": f"student-{q}",
                                "metadata": {}, "outputs": [], "source": text.splitlines(keepends=True)})
    if markdown is not None:
        answer = next(c for c in nb["cells"] if c["cell_type"] == "markdown" and "Takeaway" in "".join(c["source"]))
        nb["cells"].insert(nb["cells"].index(answer) + 1, {"cell_type": "markdown", "id": "student-answer",
                                                           "metadata": {}, "source": markdown})
    count = 0
    for c in nb["cells"]:  # run top to bottom, as a student does before handing in
        if c["cell_type"] == "code":
            count += 1
            c["execution_count"] = count
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def cell_text(q: str, body: list[str] | None = None, seed: str | None = None, params: str | None = None,
              loop: str = "for l in range(1, L):", ret: str = "    return parameters", length: str | None = None) -> str:
    """A graded cell rewritten by the student (no docstring: students delete it as often as not)."""
    dims = "layer_dims" if q == "deep" else "layers_dims"
    params = params if params is not None else ("layers_dims, scale=0.01" if q == "random" else dims)
    seed = ("" if q == "zeros" else "np.random.seed(3)") if seed is None else seed
    lines = [f"def {FUNCTIONS[q]}({params}):"]
    if seed:
        lines.append(f"    {seed}")
    lines += ["    parameters = {}", f"    L = {length or f'len({dims})'}", "", f"    {loop}"]
    lines += [f"        {x}" for x in (body or RIGHT[q])]
    lines.append(ret)
    return "\n".join(lines) + "\n"


def draw(q: str, expr: str) -> list[str]:
    """The right loop of q with its weight line's right-hand side replaced."""
    return [RIGHT[q][0].split(" = ", 1)[0] + " = " + expr, RIGHT[q][1]]


# name -> notebook text, function, must, must_not, cell, score (None: not fixed by the case)
CASES: dict[str, tuple[str, str, list[str], list[str], bool, float | None]] = {}


def case(name: str, q: str, text: str, must, must_not=(), cell: bool = False, score: float | None = None) -> None:
    assert name not in CASES, name
    CASES[name] = (text, FUNCTIONS[q], list(must), list(must_not), cell, score)


RANDN = "np.random.randn(layers_dims[l], layers_dims[l-1])"
RANDN_DEEP = "np.random.randn(layer_dims[l], layer_dims[l-1])"
HE = f"{RANDN} * np.sqrt(2 / layers_dims[l-1])"

# ---- the scale
case("random_hardcoded_001", "random", build(body={"random": draw("random", f"{RANDN} * 0.01")}),
     ["`* 0.01`", "x0.01 (expected x10)", "ignores its `scale`"])
case("he_scale_001", "he", build(body={"he": draw("he", f"{RANDN} * 0.01")}),
     ["`* 0.01`", "x0.6325", "np.sqrt(2 / layers_dims[l-1])"])
case("he_lecun_factor", "he", build(body={"he": draw("he", f"{RANDN} * np.sqrt(1 / layers_dims[l-1])")}),
     ["LeCun factor sqrt(1/n_{l-1})", "x0.4472 (expected x0.6325)", "np.sqrt(2 / layers_dims[l-1])"])
case("he_factor_10", "he", build(body={"he": draw("he", f"{RANDN} * 10")}), ["`* 10`", "x10 (expected x0.6325)"])
case("deep_he_factor", "deep", build(body={"deep": draw("deep", f"{RANDN_DEEP} * np.sqrt(2 / layer_dims[l-1])")}),
     ["He's factor sqrt(2/n_{l-1})", "x0.6325 (expected x0.4472)", "np.sqrt(layer_dims[l-1])"])
case("deep_scale_001", "deep", build(body={"deep": draw("deep", f"{RANDN_DEEP} * 0.01")}), ["`* 0.01`", "x0.01 (expected x0.4472)"])
case("he_sqrt_of_2_over_n_misplaced", "he",
     build(body={"he": draw("he", f"{RANDN} * np.sqrt(2) / layers_dims[l-1]")}),
     ["np.sqrt(2) / layers_dims[l-1]", "x0.2828 (expected x0.6325)", "np.sqrt(2 / layers_dims[l-1])"])
case("he_integer_division", "he", build(body={"he": draw("he", f"{RANDN} * np.sqrt(2 // layers_dims[l-1])")}),
     ["`//`", "integer division", "W1, W2 are all zeros", "expected -1.1785763"], ["Zero weights where random ones were asked"])

# ---- fan-in and fan-out, shapes
case("he_sqrt2_over_fan_out", "he", build(body={"he": draw("he", f"{RANDN} * np.sqrt(2 / layers_dims[l])")}),
     ["fan-out", "x0.7071 (expected x0.6325)"])
case("deep_fan_out", "deep", build(body={"deep": draw("deep", f"{RANDN_DEEP} / np.sqrt(layer_dims[l])")}),
     ["fan-out", "x0.5 (expected x0.4472)"])
case("zeros_transposed", "zeros", build(body={"zeros": ["parameters['W' + str(l)] = np.zeros((layers_dims[l-1], layers_dims[l]))",
                                                        RIGHT["zeros"][1]]}),
     ["(4, 5)", "(5, 4)", "swapped"])
case("he_transposed", "he", build(body={"he": draw("he", "np.random.randn(layers_dims[l-1], layers_dims[l]) * np.sqrt(2 / layers_dims[l-1])")}),
     ["(4, 5)", "(5, 4)", "swapped"])
case("he_square_weights", "he", build(body={"he": draw("he", "np.random.randn(layers_dims[l-1], layers_dims[l-1]) * np.sqrt(2 / layers_dims[l-1])")}),
     ["(5, 5)", "(4, 5)"])

# ---- biases
case("random_bias_random", "random", build(body={"random": [RIGHT["random"][0],
                                                            "parameters['b' + str(l)] = np.random.randn(layers_dims[l], 1) * scale"]}),
     ["not all zeros", "largest |value|", "np.zeros((4, 1))", "drawn at random"])
case("deep_bias_1d", "deep", build(body={"deep": [RIGHT["deep"][0], "parameters['b' + str(l)] = np.zeros(layer_dims[l])"]}),
     ["(4,)", "(4, 1)"])
case("zeros_bias_1d_tuple", "zeros", build(body={"zeros": [RIGHT["zeros"][0], "parameters['b' + str(l)] = np.zeros((layers_dims[l],))"]}),
     ["(4,)", "(4, 1)"])
case("he_bias_ones", "he", build(body={"he": [RIGHT["he"][0], "parameters['b' + str(l)] = np.ones((layers_dims[l], 1))"]}),
     ["not all zeros", "np.zeros((4, 1))"])

# ---- keys
case("he_keys_lowercase", "he", build(body={"he": [x.replace("'W'", "'w'") for x in RIGHT["he"]]}),
     ["'w1'", "'W1'"])
case("random_keys_underscore", "random", build(body={"random": [x.replace("'W'", "'W_'").replace("'b'", "'b_'")
                                                                for x in RIGHT["random"]]}),
     ["'W_1'", "'W1'"])
case("deep_key_int_concat", "deep", build(body={"deep": [x.replace("str(l)", "l") for x in RIGHT["deep"]]}),
     ["TypeError", "`parameters['W' + l] =", "'W' + str(l)"], cell=True)
case("random_extra_keys", "random", build(body={"random": RIGHT["random"] + ["parameters['n' + str(l)] = layers_dims[l]"]}),
     ["'n1'", "Unexpected", "remove the other keys"], ["Build it with"])

# ---- the loop
case("zeros_range_from_zero", "zeros", build(cell={"zeros": cell_text("zeros", loop="for l in range(L):")}),
     ["W0", "range(1, "])
case("he_stops_early", "he", build(cell={"he": cell_text("he", loop="for l in range(1, L - 1):")}),
     ["W2", "range(1, len(layers_dims))"])
case("deep_len_minus_one", "deep", build(cell={"deep": cell_text("deep", length="len(layer_dims) - 1")}),
     ["W4", "stops one layer early"])
case("random_one_past_the_end", "random", build(cell={"random": cell_text("random", loop="for l in range(1, L + 1):")}),
     ["IndexError", "Line 7 reads", "for l in range(1, L)"], cell=True)
case("he_return_in_loop", "he", build(cell={"he": cell_text("he", ret="        return parameters")}),
     ["Missing: ['W2', 'b2']", "inside the loop", "return parameters"])

# ---- the draws and the seed
case("random_rand_uniform", "random", build(body={"random": draw("random", "np.random.rand(layers_dims[l], layers_dims[l-1]) * scale")}),
     ["np.random.rand", "np.random.randn"])
case("he_rand_uniform", "he", build(body={"he": draw("he", HE.replace("randn", "rand"))}),
     ["np.random.rand", "np.random.randn"])
case("he_seed_in_loop", "he", build(seed={"he": ""}, body={"he": ["np.random.seed(3)"] + RIGHT["he"]}),
     ["inside the loop"])
case("deep_seed_per_layer", "deep", build(seed={"deep": ""}, body={"deep": ["np.random.seed(l)"] + RIGHT["deep"]}),
     ["`np.random.seed(l)` called inside the loop", "np.random.seed(3)"], ["Not seeded"])
case("he_seed_1", "he", build(seed={"he": "np.random.seed(1)"}), ["seed 1", "np.random.seed(3)"])
case("random_seed_42", "random", build(seed={"random": "np.random.seed(42)"}), ["seed 42", "np.random.seed(3)"])
case("random_seed_after_loop", "random", build(cell={"random": cell_text("random", seed="", ret="    np.random.seed(3)\n    return parameters")}),
     ["np.random.seed(3)"])
case("he_seed_in_setup_cell", "he", build(seed={"he": ""}, after={"zeros": "np.random.seed(3)"}), ["np.random.seed(3)"])
case("he_default_rng", "he", build(seed={"he": "rng = np.random.default_rng(3)"},
                                   body={"he": draw("he", "rng.standard_normal((layers_dims[l], layers_dims[l-1])) * np.sqrt(2 / layers_dims[l-1])")}),
     ["default_rng", "np.random.seed(3)"])
case("random_zeros_weights", "random", build(body={"random": draw("random", "np.zeros((layers_dims[l], layers_dims[l-1]))")}),
     ["W1, W2) are zero", "expected -18.634927, found 0", "np.random.randn"])

# ---- what comes back
case("zeros_returns_list", "zeros", build(cell={"zeros": cell_text("zeros", ret="    return list(parameters.values())")}),
     ["returned a list", "return parameters"], ["array([["], cell=True)
case("he_returns_tuple", "he", build(cell={"he": cell_text("he", ret="    return parameters, L")}),
     ["returned a tuple", "return parameters, L", "`return parameters`"], ["array([["], cell=True)
case("random_prints", "random", build(cell={"random": cell_text("random", ret="    print(parameters)")}),
     ["`None`", "prints instead of returning", "`print(parameters)`", "Write `return parameters` in place of that line"],
     ["a bare `return`"], cell=True)
case("deep_prints_then_bare_return", "deep", build(cell={"deep": cell_text("deep", ret="    print(parameters['W1'])\n    return")}),
     ["`None`", "`print(parameters['W1'])`", "End the function with `return parameters` (the print may stay)"], cell=True)
case("he_no_return", "he", build(cell={"he": cell_text("he", ret="")}),
     ["`None`", "has no `return` statement", "End it with `return parameters`"], ["prints instead of returning"], cell=True)
case("deep_uses_global", "deep", build(body={"deep": [x.replace("layer_dims", "layers_dims") for x in RIGHT["deep"]]}),
     ["(10, 2)", "expected (4, 5)", "[2, 10, 5]", "parameter `layer_dims`"], ["double parentheses"], cell=True)
case("he_float32", "he", build(body={"he": draw("he", f"({HE}).astype(np.float32)")}),
     ["W1, W2 have dtype float32", "expected float64", "`.astype(np.float32)`"], ["Diagnosis"], score=39)
case("zeros_float32_dtype", "zeros", build(body={"zeros": [
    "parameters['W' + str(l)] = np.zeros((layers_dims[l], layers_dims[l-1]), dtype=np.float32)", RIGHT["zeros"][1]]}),
     ["W1, W2 have dtype float32", "expected float64", "`dtype=np.float32`"], score=39)
case("deep_float16", "deep", build(body={"deep": draw("deep", f"({RANDN_DEEP} / np.sqrt(layer_dims[l-1])).astype(np.float16)")}),
     ["W1, W2 have dtype float16", "expected values rounded to float16", "`.astype(np.float16)`"], ["Not seeded"])
case("zeros_int_dtype", "zeros", build(body={"zeros": ["parameters['W' + str(l)] = np.zeros((layers_dims[l], layers_dims[l-1]), dtype=int)",
                                                       "parameters['b' + str(l)] = np.zeros((layers_dims[l], 1), dtype=int)"]}),
     ["dtype int64", "float64", "dtype=int"])

# ---- code that does not run
case("deep_not_implemented", "deep", build(cell={"deep": "".join(c for c in _graded_cells(json.loads(NOTEBOOK.read_text(encoding="utf-8")))["deep"]["source"])}),
     ["NotImplementedError", "not implemented yet", "write your code in its place"], ["Traceback"], cell=True)
case("he_name_typo", "he", build(body={"he": [x.replace("layers_dims[l-1]", "layer_dims[l-1]") for x in RIGHT["he"][:1]] + RIGHT["he"][1:]}),
     ["NameError", "'layer_dims'", "Likely a typo: `layers_dims` is your function's parameter"], cell=True)
case("random_endless_while", "random", build(cell={"random": cell_text("random", loop="l = 1\n    while l < L:")}),
     ["did not return within 10 s", "`while l < L:`"], cell=True)
case("deep_huge_allocation", "deep", build(body={"deep": draw("deep", "np.random.randn(layer_dims[l], layer_dims[l-1] * 10**10) / np.sqrt(layer_dims[l-1])")}),
     ["MemoryError", "(4, 50000000000)", "Line 18 reads"], ["_ArrayMemoryError"], cell=True)
case("zeros_single_parentheses", "zeros", build(body={"zeros": ["parameters['W' + str(l)] = np.zeros(layers_dims[l], layers_dims[l-1])",
                                                                RIGHT["zeros"][1]]}),
     ["TypeError", "Cannot interpret '5' as a data type", "np.zeros((layers_dims[l], layers_dims[l-1]))", "double parentheses"], cell=True)
case("he_randn_tuple", "he", build(body={"he": draw("he", "np.random.randn((layers_dims[l], layers_dims[l-1])) * np.sqrt(2 / layers_dims[l-1])")}),
     ["TypeError", "np.random.randn(layers_dims[l], layers_dims[l-1])", "without the inner parentheses"], cell=True)
case("deep_pops_argument", "deep", build(cell={"deep": (
    "def initialize_parameters_deep(layer_dims):\n    np.random.seed(3)\n    parameters = {}\n"
    "    n_prev = layer_dims.pop(0)\n    for l, n in enumerate(layer_dims, start=1):\n"
    "        parameters['W' + str(l)] = np.random.randn(n, n_prev) / np.sqrt(n_prev)\n"
    "        parameters['b' + str(l)] = np.zeros((n, 1))\n        n_prev = n\n    return parameters\n")}),
     ["changed the list", "`layer_dims`", "list(layer_dims)"])

# ---- combinations, and offsets on unseeded weights (issue 24's gap)
case("random_offset_unseeded", "random", build(seed={"random": ""}, body={"random": draw("random", f"{RANDN} * scale + 0.5")}),
     ["`+ 0.5`", "np.random.seed(3)"], ["only the seeding"])
case("he_offset_unseeded", "he", build(seed={"he": ""}, body={"he": draw("he", f"{HE} + 0.1")}),
     ["`+ 0.1`", "np.random.seed(3)"], ["only the seeding"])
case("deep_offset_after_wrong_seed", "deep", build(seed={"deep": "np.random.seed(1)"},
                                                   body={"deep": draw("deep", f"{RANDN_DEEP} / np.sqrt(layer_dims[l-1]) + 1")}),
     ["`+ 1`", "np.random.seed(3)"], ["only the seeding"])
case("random_scale_and_offset_unseeded", "random", build(seed={"random": ""}, body={"random": draw("random", f"{RANDN} * 0.01 + 0.5")}),
     ["`+ 0.5`", "(expected 10)", "`scale`", "np.random.seed(3)"], ["only the seeding", "np.random.rand (uniform)"])
case("he_seed_1_and_001", "he", build(seed={"he": "np.random.seed(1)"}, body={"he": draw("he", f"{RANDN} * 0.01")}),
     ["`* 0.01`", "np.random.seed(3)"], ["only the seeding"])
case("he_fan_out_unseeded", "he", build(seed={"he": ""}, body={"he": draw("he", f"{RANDN} * np.sqrt(2 / layers_dims[l])")}),
     ["fan-out", "np.random.seed(3)"], ["only the seeding"])
case("random_rand_unseeded", "random", build(seed={"random": ""}, body={"random": draw("random", "np.random.rand(layers_dims[l], layers_dims[l-1]) * scale")}),
     ["np.random.rand", "np.random.seed(3)"], ["only the seeding", "A constant added"])

# ---- more of what a class gets wrong
case("deep_no_seed", "deep", build(seed={"deep": ""}), ["np.random.seed(3)"])
case("random_scale_left_out", "random", build(body={"random": draw("random", RANDN)}), ["`scale`", "x1 (expected x10)", "np.random.randn(layers_dims[l], layers_dims[l-1]) * scale"],
     ["no factor at all"])
case("he_bias_under_w_key", "he", build(body={"he": [RIGHT["he"][0], "parameters['W' + str(l)] = np.zeros((layers_dims[l], 1))"]}),
     ["Missing: ['b1', 'b2']", "W1 has shape (4, 1), the shape of b1", "`parameters['b' + str(l)] ="], ["Wrong index"])
case("random_next_layer_index", "random", build(body={"random": draw("random", "np.random.randn(layers_dims[l], layers_dims[l+1]) * scale")}),
     ["IndexError"], cell=True)

# ---- hostile text in a markdown answer (the nbgrader feedback page renders it; the grade ignores it)
case("markdown_with_script", "he", build(body={"he": draw("he", f"{RANDN} * 0.01")},
                                         markdown="My answer: <script>alert('hi')</script> <img src=x onerror=alert(1)>"),
     ["`* 0.01`"])


def main() -> None:
    for old in HERE.glob("*.ipynb"):
        old.unlink()
    expectations = {}
    for name, (text, function, must, must_not, cell, score) in CASES.items():
        (HERE / f"{name}.ipynb").write_text(text, encoding="utf-8")
        expectations[f"{name}.ipynb"] = {"function": function, "must": must, "must_not": must_not, "cell": cell,
                                         "score": score}
    header = ("# Written by make_cases.py: per notebook, the function whose messages are read, what they must and "
              "must not say, and whether they point at the student's cell.\n")
    (HERE / "expectations.yaml").write_text(header + yaml.safe_dump(expectations, sort_keys=True, allow_unicode=True),
                                            encoding="utf-8")


if __name__ == "__main__":
    main()
