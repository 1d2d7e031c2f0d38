"""Write the round-3 corpus: one class of mistake per case, in the shapes students write them.

Issue 24's classes (key and index typos, signatures of every shape, several mistakes at once,
offsets and constant factors, the student's own ``assert``, unfinished templates, ``None`` or an
``int`` returned, the same unseeded function alone or in a module), each case a module (``.py``)
or a notebook (``.ipynb``) holding all four functions, three of them right. ``expectations.yaml``
gives what its feedback must say (``must``), what it must not (``must_not``), and its score where
the case fixes one. ``tests/test_realistic_round3.py`` grades them all in one batch. Regenerate with::

    .venv/bin/python examples/realistic-round3/make_cases.py
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

ZEROS = ("W", "np.zeros((layers_dims[l], layers_dims[l-1]))")
RIGHT = {
    "zeros": ("layers_dims", "", "np.zeros((layers_dims[l], layers_dims[l-1]))"),
    "random": ("layers_dims, scale=0.01", "np.random.seed(3)", "np.random.randn(layers_dims[l], layers_dims[l-1]) * scale"),
    "he": ("layers_dims", "np.random.seed(3)",
           "np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2 / layers_dims[l-1])"),
    "deep": ("layers_dims", "np.random.seed(3)",
             "np.random.randn(layers_dims[l], layers_dims[l-1]) / np.sqrt(layers_dims[l-1])"),
}
BIAS = "np.zeros((layers_dims[l], 1))"


def fn(question: str, params: str | None = None, seed: str | None = None, draw: str | None = None,
       bias: str = BIAS, wkey: str = "'W' + str(l)", bkey: str = "'b' + str(l)", loop: str = "range(1, L)",
       body: str | None = None, ret: str = "parameters", extra: str = "") -> str:
    """One function of the assignment, as a student writes it (the right one by default)."""
    p, s, d = RIGHT[question]
    params = p if params is None else params
    seed = s if seed is None else seed
    draw = d if draw is None else draw
    name = f"initialize_parameters_{question}"
    lines = [f"def {name}({params}):", f'    """{question} initialization."""']
    if seed:
        lines.append(f"    {seed}")
    if body is not None:
        lines += ["    " + x for x in body.splitlines()]
        return "\n".join(lines)
    lines += ["    parameters = {}", "    L = len(layers_dims)", f"    for l in {loop}:",
              f"        parameters[{wkey}] = {draw}", f"        parameters[{bkey}] = {bias}"]
    if extra:
        lines += ["        " + x for x in extra.splitlines()]
    lines.append(f"    return {ret}")
    return "\n".join(lines)


def module(**over: str) -> str:
    parts = ["import numpy as np"]
    for q in ("zeros", "random", "he", "deep"):
        parts.append(over.get(q) or fn(q))
    return "\n\n\n".join(parts) + "\n"


def notebook(cells: list[str], counts: list | None = None) -> str:
    nb_cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Initialization"}]
    for i, src in enumerate(cells):
        nb_cells.append({"cell_type": "markdown", "metadata": {}, "source": f"## Part {i + 1}"})
        nb_cells.append({"cell_type": "code", "execution_count": None if counts is None else counts[i],
                         "metadata": {}, "outputs": [], "source": src.splitlines(keepends=True)})
    nb = {"cells": nb_cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                         "name": "python3"}}, "nbformat": 4, "nbformat_minor": 4}
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def nb_functions(**over: str) -> list[str]:
    return ["import numpy as np"] + [over.get(q) or fn(q) for q in ("zeros", "random", "he", "deep")]


# name -> (file text, suffix, must, must_not, score or None)
CASES: dict[str, tuple[str, str, list[str], list[str], float | None]] = {}
DOUBLE_PARENS = "note the double parentheses"  # the advice for np.zeros(n), wrong for a typo in the index


def case(name, text, must, must_not=(), score=None, suffix=".py"):
    CASES[name] = (text, suffix, list(must), list(must_not), score)


# ---- key and index typos: found from which keys and shapes are off
case("he_bias_key_plus_one", module(he=fn("he", bkey="'b' + str(l + 1)")),
     ["`'b' + str(l + 1)`", "b1"], [DOUBLE_PARENS, "Build them as"])
case("deep_both_keys_plus_one", module(deep=fn("deep", wkey="'W' + str(l + 1)", bkey="'b' + str(l + 1)")),
     ["one too high", "str(l + 1)"], ["Build them as"])
case("zeros_bias_key_plus_one", module(zeros=fn("zeros", bkey="'b' + str(l+1)")),
     ["str(l + 1)", "one too high"], [DOUBLE_PARENS])
case("random_weight_key_minus_one", module(random=fn("random", wkey="'W' + str(l - 1)")),
     ["str(l - 1)", "one too low"], [DOUBLE_PARENS, "loop starts at 0", "range(1, L)`:"])
case("deep_bias_digit_one", module(deep=fn("deep", bias="np.zeros((layers_dims[1], 1))")),
     ["layers_dims[1]", "the digit 1", "layers_dims[l]"], [DOUBLE_PARENS])
case("he_weight_digit_one", module(he=fn("he", draw="np.random.randn(layers_dims[1], layers_dims[l-1]) * np.sqrt(2 / layers_dims[l-1])")),
     ["layers_dims[1]", "the digit 1"], ["transposed"])
case("zeros_bias_previous_layer", module(zeros=fn("zeros", bias="np.zeros((layers_dims[l-1], 1))")),
     ["layers_dims[l-1]", "previous layer"], [DOUBLE_PARENS])
case("random_bias_1d", module(random=fn("random", bias="np.zeros(layers_dims[l])")),
     ["shape (n,)", DOUBLE_PARENS], [])

# ---- signatures of every shape
case("deep_star_args", module(deep=fn("deep", params="*layers_dims")),
     ["`def initialize_parameters_deep(*layers_dims):`", "def initialize_parameters_deep(layer_dims):"],
     ["Build them as", "Your dictionary is empty"])
case("random_init_const", module(random=fn("random", params="layers_dims, init_const=0.01",
                                           draw="np.random.randn(layers_dims[l], layers_dims[l-1]) * init_const")),
     ["`init_const`", "scale=10"], [], 39)
case("he_extra_required_param", module(he=fn("he", params="layers_dims, seed", seed="np.random.seed(seed)")),
     ["does not pass: `seed`", "def initialize_parameters_he(layers_dims):"], ["builtins"])
case("zeros_no_param", module(zeros=fn("zeros", params="", body="layers_dims = [2, 4, 1]\nparameters = {}\n"
                                                                "for l in range(1, len(layers_dims)):\n"
                                                                "    parameters['W' + str(l)] = np.zeros((layers_dims[l], layers_dims[l-1]))\n"
                                                                "    parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))\n"
                                                                "return parameters")),
     ["has no parameter `layers_dims`", "def initialize_parameters_zeros(layers_dims):"], [])
case("random_default_scale_10", module(random=fn("random", params="layers_dims, scale=10")),
     ["`scale=0.01`", "default value", "scale=10"], ["ignores its `scale`"], 36)
case("random_params_swapped", module(random=fn("random", params="scale, layers_dims")),
     ["another order", "def initialize_parameters_random(layers_dims, scale=0.01):"], ["has no default value"])
case("he_ellipsis_left", module(he=fn("he", draw="...")),
     ["the template's placeholder"], ["builtins", "ellipsis;"])
case("he_self_param", module(he=fn("he", params="self, layers_dims")),
     ["does not pass: `self`", "def initialize_parameters_he(layers_dims):"], ["does not pass: `layers_dims`"])
case("random_kwargs_only", module(random=fn("random", params="layers_dims, *, scale=0.01")),
     ["`def initialize_parameters_random(layers_dims, *, scale=...):`", "def initialize_parameters_random(layers_dims, scale=0.01):"], [])

# ---- every mistake told, not only the first
case("random_no_scale_no_seed", module(random=fn("random", params="layers_dims", seed="",
                                                 draw="np.random.randn(layers_dims[l], layers_dims[l-1]) * 10")),
     ["has no parameter `scale`", "np.random.seed(3)"], [])
case("he_transposed_no_seed", module(he=fn("he", seed="", draw="np.random.randn(layers_dims[l-1], layers_dims[l]) * np.sqrt(2 / layers_dims[l-1])")),
     ["transposed", "np.random.seed(3)"], [])
case("deep_times_001_no_seed", module(deep=fn("deep", seed="", draw="np.random.randn(layers_dims[l], layers_dims[l-1]) * 0.01")),
     ["`* 0.01`", "np.random.seed(3)"], [])
case("random_no_scale_hardcoded_0001", module(random=fn("random", params="layers_dims",
                                                        draw="np.random.randn(layers_dims[l], layers_dims[l-1]) * 0.001")),
     ["has no parameter `scale`", "`* 0.001`"], [])

# ---- offsets and constant factors
case("he_times10_plus10", module(he=fn("he", draw="np.random.randn(layers_dims[l], layers_dims[l-1]) * 10 + 10")),
     ["`* 10`", "`+ 10`"], ["No common mistake reproduces"])
case("random_plus_offset", module(random=fn("random", draw="np.random.randn(layers_dims[l], layers_dims[l-1]) * scale + 0.5")),
     ["`+ 0.5`"], ["No common mistake reproduces"])
case("deep_minus_mean", module(deep=fn("deep", draw="np.random.randn(layers_dims[l], layers_dims[l-1]) / np.sqrt(layers_dims[l-1]) - 1")),
     ["`- 1`"], ["No common mistake reproduces"])
case("random_hardcoded_0001", module(random=fn("random", draw="np.random.randn(layers_dims[l], layers_dims[l-1]) * 0.001")),
     ["`* 0.001`", "ignores its `scale`"], [])
case("he_fan_out_transposed", module(he=fn("he", draw="np.random.randn(layers_dims[l-1], layers_dims[l]) * np.sqrt(2 / layers_dims[l])")),
     ["transposed", "fan-out"], [])
case("he_times_sqrt2", module(he=fn("he", draw="np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2)")),
     ["`* 1.414`"], [])

# ---- the student's own assert
case("he_own_assert_bias_1d", module(he=fn("he", bias="np.zeros(layers_dims[l])",
                                            extra="assert parameters['b' + str(l)].shape == (layers_dims[l], 1)")),
     ["own `assert`", "assert parameters['b' + str(l)].shape == (layers_dims[l], 1)", "(4,)"],
     [])
case("zeros_own_assert_weight_shape", module(zeros=fn("zeros", draw="np.zeros((layers_dims[l-1], layers_dims[l]))",
                                                      extra="assert parameters['W' + str(l)].shape == (layers_dims[l], layers_dims[l-1])")),
     ["own `assert`", "transposed"], [])

# ---- unfinished templates
case("random_none_left", module(random=fn("random", draw="None  # START CODE HERE")),
     ["`None`", "W1"], ["rather than a list", "builtins"])
case("he_returns_none", module(he=fn("he", ret="None")),
     ["returned `None`"], ["rather than a list", "builtins.NoneType", "dict of numpy arrays, but returned a NoneType"])
case("deep_no_return", module(deep=fn("deep", ret="").replace("    return \n", "")),
     ["returned `None`", "return parameters"], ["builtins.NoneType"])
case("zeros_returns_int", module(zeros=fn("zeros", ret="L")),
     ["an `int`"], ["builtins"])
case("deep_empty_block", "import numpy as np\n\n\n" + "\n\n\n".join(fn(q) for q in ("zeros", "random", "he"))
     + "\n\n\ndef initialize_parameters_deep(layer_dims):\n    np.random.seed(3)\n    parameters = {}\n"
       "    L = len(layer_dims)\n    for l in range(1, L):\n        ### START CODE HERE ###\n\n"
       "        ### END CODE HERE ###\n    return parameters\n",
     ["does not compile", "IndentationError"], ["is not defined in your submission"])
case("nb_cell_does_not_compile",
     notebook(nb_functions(he="def initialize_parameters_he(layers_dims):\n    np.random.seed(3)\n    parameters = {}\n"
                              "    L = len(layers_dims)\n    for l in range(1, L):\n"
                              "        parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l-1] * np.sqrt(2 / layers_dims[l-1])\n"
                              "        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))\n    return parameters"),
              counts=[1, 2, 3, 4, 5]),
     ["does not compile", "cell [4] (the cell starting `def initialize_parameters_he(layers_dims):`)"],
     ["cell 4,", "is not defined in your submission"], suffix=".ipynb")

# ---- the same unseeded function scores the same alone and in a module around it
UNSEEDED_HE = fn("he", seed="")
case("he_unseeded_alone", module(he=UNSEEDED_HE), ["np.random.seed(3)"], [], 38.5)
case("he_unseeded_seed1_module", "import numpy as np\nnp.random.seed(1)\n\n\n"
     + "\n\n\n".join(fn(q) if q != "he" else UNSEEDED_HE for q in ("zeros", "random", "he", "deep")) + "\n",
     ["np.random.seed(3)"], [], 38.5)
case("he_unseeded_after_random_unseeded", module(random=fn("random", seed=""), he=UNSEEDED_HE),
     ["np.random.seed(3)"], [], 37)
case("he_unseeded_in_notebook", notebook(["import numpy as np\nimport matplotlib.pyplot as plt\nnp.random.seed(1)\n"
                                          "layers_dims = [2, 10, 5, 1]"] + nb_functions(he=UNSEEDED_HE)[1:]
                                         + ["params = initialize_parameters_he(layers_dims)\nprint(params['W1'])"]),
     ["np.random.seed(3)"], [], 38.5, suffix=".ipynb")

# ---- pages as a student reads them
case("nb_correct_with_experiments", notebook(nb_functions() + ["train_X = load()\nparams = initialize_parameters_he([2, 4, 1])\nplt.plot([1, 2])"]),
     [], ["While loading your code", "cell 2, line 1"], 40, suffix=".ipynb")
case("nb_correct_broken_experiment", notebook(nb_functions() + ["for name in ['he', 'deep']\n    print(name)"]),
     ["1 statement that failed to run"], ["While loading your code", "SyntaxError"], 40, suffix=".ipynb")
case("py_constants", module(he=fn("he", draw="np.random.randn(layers_dims[l], layers_dims[l-1]) * factor")).replace(
    "import numpy as np\n", "import numpy as np\nfactor = compute_factor()\n"),
     ["`factor` is defined by `factor = compute_factor()`", "your file"], ["from your notebook"])


def main() -> None:
    expectations = {}
    for old in HERE.glob("*"):
        if old.suffix in (".py", ".ipynb") and old.name != "make_cases.py":
            old.unlink()
    for name, (text, suffix, must, must_not, score) in CASES.items():
        (HERE / f"{name}{suffix}").write_text(text, encoding="utf-8")
        expectations[f"{name}{suffix}"] = {"must": must, "must_not": must_not, "score": score}
    header = ("# Written by make_cases.py: what each submission's feedback must say, must not say, "
              "and its score if fixed.\n")
    (HERE / "expectations.yaml").write_text(header + yaml.safe_dump(expectations, sort_keys=True, allow_unicode=True),
                                            encoding="utf-8")


if __name__ == "__main__":
    main()
