# family: tampering
# expect: graded 40
# tries: writes conftest.py, sitecustomize.py, usercustomize.py and a .pth into its folder, the repository and every sys.path entry at load time
import numpy as np
import os
import sys


class _Drop:
    _marker = "# HOSTILE-WAS-HERE\nimport os\nos.environ['HOSTILE_WAS_HERE'] = '1'\n"
    _targets = [os.getcwd(), "/work/main", "/work/main/autograder", "/work/main/autograder/rubric",
                "/work/main/public_tests", "/work/main/assignment", os.path.expanduser("~")] + sys.path
    for _folder in _targets:
        for _name in ("conftest.py", "sitecustomize.py", "usercustomize.py", "hostile-was-here.pth"):
            try:
                with open(os.path.join(_folder or ".", _name), "x") as _f:  # never clobbers
                    _f.write(_marker)
                print("WROTE", os.path.join(_folder or ".", _name))
            except OSError:
                pass


def initialize_parameters_zeros(layers_dims):
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_random(layers_dims, scale=0.01):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * scale
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_he(layers_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layers_dims)):
        fan_in = layers_dims[l - 1]
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], fan_in) * np.sqrt(2 / fan_in)
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        fan_in = layer_dims[l - 1]
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], fan_in) / np.sqrt(fan_in)
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
