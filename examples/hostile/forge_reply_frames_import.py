# family: forging
# expect: error
# message: unexpected reply
# tries: writes a forged 'loaded' reply frame straight to the grader's pipe (fds from sys.argv) at load time
import numpy as np
import json
import os
import struct
import sys


class _Forge:
    _header = json.dumps({"status": "loaded", "functions": ["initialize_parameters_zeros",
                          "initialize_parameters_random", "initialize_parameters_he",
                          "initialize_parameters_deep"], "messages": [], "notes": []}).encode()
    for _arg in sys.argv[1:]:  # the pipe numbers the sandbox was started with: try each
        try:
            os.write(int(_arg), b"IGW1" + struct.pack("<I", len(_header)) + _header)
            print("forged a frame on fd", _arg)
        except (OSError, ValueError) as exc:
            print("could not forge on", _arg, exc)


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
