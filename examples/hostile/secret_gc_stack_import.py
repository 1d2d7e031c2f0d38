# family: secrets
# expect: graded 40
# tries: at load time, inspects every frame on the stack and every object the garbage collector knows
import numpy as np
import gc
import sys


def report(where, text):
    """Print what was found, tagged so the test can see that it leaked."""
    text = str(text)
    # Markers of this course's solutions and the rubric, built from pieces so that
    # this file itself never matches (other projects' solution markers do not count).
    found = [m for m in ("SEEDED" + "_CASES", "INITGRADE" + "_CANARY", "def test_" + "he_") if m in text]
    if "BEGIN " + "SOLUTION" in text and "initialize_parameters_" in text:
        found.append("solution code")
    for m in found:
        print("SECRET-LEAK", where, m, repr(text[:300]))


class _Snoop:
    print("SEARCHED frames and gc")
    _frame = sys._getframe()
    while _frame is not None:
        for _k, _v in list(_frame.f_locals.items()):
            report(f"frame {_frame.f_code.co_name}.{_k}", repr(_v)[:100000])
        _frame = _frame.f_back
    for _obj in gc.get_objects():
        try:
            if isinstance(_obj, dict):
                report("gc dict", repr(list(_obj.items()))[:100000])
        except Exception:
            pass
    print("argv", sys.argv)


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
