"""Write the realistic corpus: submissions in the style of the well-known MOOC notebooks.

Each case is a notebook (``.ipynb``, cells as students leave them: helper imports,
``%matplotlib inline``, ``rcParams``, training cells) or a module (``.py``), built from
the pieces below, with the text its feedback must contain in ``expectations.yaml``.
``tests/test_realistic.py`` grades them all in one batch. Regenerate with::

    .venv/bin/python examples/realistic/make_cases.py
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

PREAMBLE = """import numpy as np
import matplotlib.pyplot as plt
import sklearn
import sklearn.datasets
from init_utils import sigmoid, relu, compute_loss, forward_propagation, backward_propagation
from init_utils import update_parameters, predict, load_dataset, plot_decision_boundary, predict_dec

%matplotlib inline
plt.rcParams['figure.figsize'] = (7.0, 4.0) # set default size of plots
plt.rcParams['image.interpolation'] = 'nearest'
plt.rcParams['image.cmap'] = 'gray'

# load image dataset: blue/red dots in circles
train_X, train_Y, test_X, test_Y = load_dataset()"""

PREAMBLE_DNN = """import time
import numpy as np
import h5py
import matplotlib.pyplot as plt
import scipy
from PIL import Image
from scipy import ndimage
from dnn_app_utils_v3 import *
from testCases_v4a import *
from public_tests import *
import seaborn as sns
sns.set()
plt.rcParams.update({'figure.figsize': (5.0, 4.0), 'image.cmap': 'gray'})
plt.style.use('seaborn-v0_8')

%matplotlib inline
%load_ext autoreload
%autoreload 2

np.random.seed(1)"""

LOOP_W = "parameters['W' + str(l)] = {draw}"
LOOP_B = "parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))"


def fn(name: str, params: str, draw: str, seed: str = "np.random.seed(3)", loop: str = "range(1, L)",
       bias: str = LOOP_B, dims: str = "layers_dims", pre: str = "") -> str:
    body = [f"def {name}({params}):", '    """', f"    Arguments:", f"    {dims} -- python array (list) containing the size of each layer.", '    """']
    if seed:
        body.append(f"    {seed}")
    if pre:
        body.append(f"    {pre}")
    body += ["    parameters = {}", f"    L = len({dims})            # number of layers in the network", "",
             f"    for l in {loop}:", "        ### START CODE HERE ### (≈ 2 lines of code)",
             "        " + LOOP_W.format(draw=draw).replace("layers_dims", dims),
             "        " + bias.replace("layers_dims", dims), "        ### END CODE HERE ###", "    return parameters"]
    return "\n".join(body)


ZEROS_OK = fn("initialize_parameters_zeros", "layers_dims", "np.zeros((layers_dims[l], layers_dims[l-1]))", seed="")
RANDOM_OK = fn("initialize_parameters_random", "layers_dims, scale=0.01",
               "np.random.randn(layers_dims[l], layers_dims[l-1]) * scale")
HE_OK = fn("initialize_parameters_he", "layers_dims",
           "np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2./layers_dims[l-1])")
DEEP_OK = fn("initialize_parameters_deep", "layer_dims",
             "np.random.randn(layer_dims[l], layer_dims[l-1]) / np.sqrt(layer_dims[l-1])", dims="layer_dims")
RANDOM_MOOC = fn("initialize_parameters_random", "layers_dims",
                 "np.random.randn(layers_dims[l], layers_dims[l-1]) * 10")


def random_with(draw: str, params: str = "layers_dims, scale=0.01", **kw) -> str:
    return fn("initialize_parameters_random", params, draw, **kw)


def he_with(draw: str, **kw) -> str:
    return fn("initialize_parameters_he", "layers_dims", draw, **kw)


def deep_with(draw: str, **kw) -> str:
    return fn("initialize_parameters_deep", "layer_dims", draw.replace("layers_dims", "layer_dims"),
              dims="layer_dims", **kw)


TRAIN_CELL = """parameters = model(train_X, train_Y, initialization = "he")
print ("On the train set:")
predictions_train = predict(train_X, train_Y, parameters)
plt.title("Model with He initialization")
axes = plt.gca()
axes.set_xlim([-1.5,1.5])
plot_decision_boundary(lambda x: predict_dec(parameters, x.T), train_X, train_Y)"""

TEST_CELL = """parameters = initialize_parameters_he([2, 4, 1])
print("W1 = " + str(parameters["W1"]))
initialize_parameters_he_test(initialize_parameters_he)"""


def functions(zeros=ZEROS_OK, random=RANDOM_OK, he=HE_OK, deep=DEEP_OK) -> list[str]:
    return [zeros, random, he, deep]


# name -> (cells, messages the feedback must contain, total score or None)
CASES: dict[str, tuple[list[str], list[str], float | None]] = {}


def case(name, cells, messages, score=None):
    CASES[name] = (cells, messages, score)


NOT_USED = "Not used for grading: the imports of"

# ---- the most common mismatch: no `scale` parameter, a fixed 10
case("mooc_random_no_scale", [PREAMBLE] + functions(random=RANDOM_MOOC) + [TRAIN_CELL],
     ["write `def initialize_parameters_random(layers_dims, scale=0.01):`", "has no parameter `scale`",
      "Not run: the function failed as described in", NOT_USED])
case("mooc_random_no_scale_seed1", [PREAMBLE] + functions(random=fn(
    "initialize_parameters_random", "layers_dims", "np.random.randn(layers_dims[l], layers_dims[l-1]) * 10",
    seed="np.random.seed(1)")), ["write `def initialize_parameters_random(layers_dims, scale=0.01):`"])
case("mooc_random_scale_no_default", [PREAMBLE] + functions(random=random_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) * scale", params="layers_dims, scale")),
    ["has no default value", "def initialize_parameters_random(layers_dims, scale=0.01):"])
case("mooc_random_extra_param", [PREAMBLE] + functions(random=random_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) * scale", params="layers_dims, scale, seed")),
    ["does not pass: `seed`", "def initialize_parameters_random(layers_dims, scale=0.01):"])
case("mooc_he_two_params", [PREAMBLE] + functions(he=fn(
    "initialize_parameters_he", "layers_dims, seed", "np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2/layers_dims[l-1])",
    seed="np.random.seed(seed)")), ["def initialize_parameters_he(layers_dims):"])
case("mooc_zeros_no_params", [PREAMBLE] + functions(zeros="def initialize_parameters_zeros():\n    layers_dims = [2, 10, 5, 1]\n"
                                                        "    return {'W1': np.zeros((10, 2))}"),
     ["has no parameter `layers_dims`", "def initialize_parameters_zeros(layers_dims):"])

# ---- fixed factors, named as the number
case("random_times_100", [PREAMBLE] + functions(random=random_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) * 100")), ["exactly `* 100`"])
case("random_times_100_unseeded", [PREAMBLE] + functions(random=random_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) * 100", seed="")), ["`* 100`"])
case("random_fixed_001", [PREAMBLE] + functions(random=random_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) * 0.01")), ["exactly `* 0.01`", "ignores its `scale`"])
case("he_times_001", [PREAMBLE] + functions(he=he_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * 0.01")),
     ["exactly `* 0.01`"])
case("he_times_10", [PREAMBLE] + functions(he=he_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * 10")),
     ["exactly `* 10`"])
case("deep_times_001", [PREAMBLE_DNN] + functions(deep=deep_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * 0.01")),
     ["exactly `* 0.01`"])
case("deep_times_100", [PREAMBLE_DNN] + functions(deep=deep_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * 100")),
     ["exactly `* 100`"])
case("he_sqrt_one_over_n", [PREAMBLE] + functions(he=he_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(1/layers_dims[l-1])")),
     ["LeCun factor"])
case("deep_sqrt_two_over_n", [PREAMBLE_DNN] + functions(deep=deep_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2/layers_dims[l-1])")),
     ["He factor"])
case("he_fan_out", [PREAMBLE] + functions(he=he_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2./layers_dims[l])")),
     ["fan-out"])

# ---- seeds and loops
case("he_seed_42", [PREAMBLE] + functions(he=he_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2./layers_dims[l-1])",
                                                     seed="np.random.seed(42)")), ["seed 42"])
case("random_seed_1", [PREAMBLE] + functions(random=random_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * scale",
                                                                seed="np.random.seed(1)")), ["seed 1"])
case("deep_loop_stops_early", [PREAMBLE_DNN] + functions(deep=deep_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) / np.sqrt(layers_dims[l-1])", loop="range(1, L - 1)")),
    ["your loop stopped after layer"])
case("zeros_loop_from_zero", [PREAMBLE] + functions(zeros=fn("initialize_parameters_zeros", "layers_dims",
                                                             "np.zeros((layers_dims[l], layers_dims[l-1]))", seed="", loop="range(L)")),
     ["layers are numbered from 1"])

# ---- what notebooks leave at the top level
case("module_level_randomstate", [PREAMBLE, "rs = np.random.RandomState(3)"] + functions(he=he_with(
    "rs.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2./layers_dims[l-1])", seed="")),
    ["`rs` is defined by `rs = np.random.RandomState(3)`", "Create `rs` inside the function"])
case("module_level_helper_value", [PREAMBLE, "factor = np.sqrt(2)"] + functions(he=he_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) * factor / np.sqrt(layers_dims[l-1])")),
    ["`factor` is defined by `factor = np.sqrt(2)`"])
case("helper_from_init_utils", [PREAMBLE] + functions(deep=deep_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) / np.sqrt(layers_dims[l-1])", pre="assert sigmoid is not None")),
    ["`sigmoid` is defined by `import init_utils`", NOT_USED])
case("module_level_def_helper", [PREAMBLE, "def he_factor(n):\n    return np.sqrt(2. / n)"] + functions(he=he_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) * he_factor(layers_dims[l-1])")), [NOT_USED], 40)
case("np_float_dtype", [PREAMBLE] + functions(zeros=fn("initialize_parameters_zeros", "layers_dims",
                                                       "np.zeros((layers_dims[l], layers_dims[l-1]), dtype=np.float)", seed="")),
     ["`np.float` was removed in NumPy 1.24", "written for an older NumPy",
      "cell [2] (the cell starting `def initialize_parameters_zeros(layers_dims):`), line"])
case("np_int_cast", [PREAMBLE] + functions(he=he_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(2./np.int(layers_dims[l-1]))")),
    ["`np.int` was removed in NumPy 1.24"])
case("np_float_underscore", [PREAMBLE] + functions(random=random_with(
    "np.random.randn(layers_dims[l], layers_dims[l-1]).astype(np.float_) * scale")),
    ["`np.float_` was removed in NumPy 2.0"])

# ---- Jupyter's semantics: blocks and redefinitions
case("redefined_in_if_true", [PREAMBLE] + functions(he=he_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * 0.01"))
     + ["if True:\n" + "\n".join("    " + line for line in HE_OK.splitlines())], ["defined 2 times"], 40)
case("redefined_later_cell", [PREAMBLE] + functions(deep=deep_with("np.random.randn(layers_dims[l], layers_dims[l-1]) * 0.01"))
     + [TRAIN_CELL, DEEP_OK], ["`initialize_parameters_deep` is defined 2 times", "the last one"], 40)
case("defs_in_try", [PREAMBLE, "try:\n" + "\n".join("    " + line for line in ZEROS_OK.splitlines())
                     + "\nexcept Exception as e:\n    print(e)"] + functions()[1:], [], 40)
case("import_fallback_try", ["try:\n    import cupy as np\nexcept ImportError:\n    import numpy as np"] + functions(), [], 40)

# ---- correct, with everything a real notebook holds around it
case("correct_full_notebook", [PREAMBLE] + functions() + [TEST_CELL, TRAIN_CELL], [NOT_USED], 40)
case("correct_dnn_style", [PREAMBLE_DNN] + functions() + ["fig, axes = plt.subplots(2, 2)\nfor ax in axes.flat:\n    ax.hist([1, 2])"],
     [NOT_USED, "`dnn_app_utils_v3`"], 40)
case("correct_plot_settings_in_defs", [PREAMBLE, "import matplotlib.cm as cm\nfrom mpl_toolkits.mplot3d import Axes3D\n"
                                       "with plt.style.context('ggplot'):\n    def show(p):\n        plt.figure(figsize=(5, 4))\n"
                                       "        plt.imshow(p['W1'])"] + functions(), [], 40)

# Modules (.py): the same code as a student's init_functions.py
MODULES = {
    "module_random_no_scale": ("\n\n".join(["import numpy as np"] + functions(random=RANDOM_MOOC)),
                               ["write `def initialize_parameters_random(layers_dims, scale=0.01):`"], None),
    "module_np_float": ("\n\n".join(["import numpy as np\nimport matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (7.0, 4.0)"]
                                    + functions(deep=deep_with("(np.random.randn(layers_dims[l], layers_dims[l-1]) / np.sqrt(layers_dims[l-1])).astype(np.float)"))),
                        ["`np.float` was removed in NumPy 1.24", "module_np_float.py, line"], None),
}


def notebook(cells: list[str]) -> str:
    nb_cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Initialization\n\nWelcome to the first assignment."}]
    for i, src in enumerate(cells):
        nb_cells.append({"cell_type": "code", "execution_count": i + 1, "metadata": {}, "outputs": [],
                         "source": src.splitlines(keepends=True)})
    nb = {"cells": nb_cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                         "name": "python3"}}, "nbformat": 4, "nbformat_minor": 4}
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    expectations = {}
    for name, (cells, messages, score) in CASES.items():
        (HERE / f"{name}.ipynb").write_text(notebook(cells), encoding="utf-8")
        expectations[f"{name}.ipynb"] = {"messages": messages, "score": score}
    for name, (code, messages, score) in MODULES.items():
        (HERE / f"{name}.py").write_text(code + "\n", encoding="utf-8")
        expectations[f"{name}.py"] = {"messages": messages, "score": score}
    header = "# Written by make_cases.py: the text each submission's feedback must contain, and its score if fixed.\n"
    (HERE / "expectations.yaml").write_text(header + yaml.safe_dump(expectations, sort_keys=True, allow_unicode=True),
                                            encoding="utf-8")


if __name__ == "__main__":
    main()
