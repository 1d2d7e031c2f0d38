# family: leaving-early
# expect: graded 40
# expect-fallback: graded 30
# tries: initialize_parameters_he sends SIGKILL to every process it may signal (kill -1), then returns
import numpy as np
import os
import signal


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
    # Only where the sandbox confines kill(-1): pid 1 of our namespace is the sandbox, or we run
    # as a sandbox uid. Anywhere else this example would kill every process of the user.
    try:
        confined = "autograder.sandbox.jail" in open("/proc/1/cmdline").read() or os.getuid() >= 2_000_000
    except OSError:
        confined = os.getuid() >= 2_000_000
    if confined:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:  # nobody else to kill
            pass
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
