"""Typical mistake: He uses sqrt(1/n) (LeCun) instead of sqrt(2/n)."""

import numpy as np


def initialize_parameters_zeros(layers_dims):
    """Initialize every weight matrix and bias vector to zeros.

    Arguments:
    layers_dims -- list (or tuple) of layer sizes [n_0, n_1, ..., n_L];
                   n_0 is the number of input features.

    Returns:
    parameters -- dict with keys "W1", "b1", ..., "WL", "bL":
                  W_l has shape (n_l, n_{l-1}) and b_l has shape (n_l, 1),
                  all float64 zeros.
    """
    parameters = {}
    L = len(layers_dims)  # number of entries, input layer included

    for l in range(1, L):
        parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_random(layers_dims, scale=0.01):
    """Initialize weights with standard-normal draws multiplied by `scale`.

    Call np.random.seed(3) once, then, for l = 1..L in order, draw
    W_l = np.random.randn(n_l, n_{l-1}) * scale. Biases are zeros.

    Arguments:
    layers_dims -- list (or tuple) of layer sizes [n_0, n_1, ..., n_L]
    scale -- the factor applied to every standard-normal draw (default 0.01)

    Returns:
    parameters -- dict "W1", "b1", ..., "WL", "bL" (see initialize_parameters_zeros)
    """
    np.random.seed(3)  # keep this line: the grader compares seeded values
    parameters = {}
    L = len(layers_dims)

    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * scale
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_he(layers_dims):
    """He initialization: standard-normal draws scaled by sqrt(2 / fan_in).

    Call np.random.seed(3) once, then, for l = 1..L in order, draw
    W_l = np.random.randn(n_l, n_{l-1}) * np.sqrt(2 / n_{l-1}). Biases are zeros.
    The factor 2 compensates for ReLU zeroing about half of its inputs.

    Arguments:
    layers_dims -- list (or tuple) of layer sizes [n_0, n_1, ..., n_L]

    Returns:
    parameters -- dict "W1", "b1", ..., "WL", "bL" (see initialize_parameters_zeros)
    """
    np.random.seed(3)  # keep this line: the grader compares seeded values
    parameters = {}
    L = len(layers_dims)

    for l in range(1, L):
        fan_in = layers_dims[l - 1]
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], fan_in) * np.sqrt(1 / fan_in)
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_deep(layer_dims):
    """Fan-in scaled initialization for a deep network: randn / sqrt(fan_in).

    Call np.random.seed(3) once, then, for l = 1..L in order, draw
    W_l = np.random.randn(n_l, n_{l-1}) / np.sqrt(n_{l-1}). Biases are zeros.

    Arguments:
    layer_dims -- list (or tuple) of layer sizes [n_0, n_1, ..., n_L]

    Returns:
    parameters -- dict "W1", "b1", ..., "WL", "bL" (see initialize_parameters_zeros)
    """
    np.random.seed(3)  # keep this line: the grader compares seeded values
    parameters = {}
    L = len(layer_dims)

    for l in range(1, L):
        fan_in = layer_dims[l - 1]
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], fan_in) / np.sqrt(fan_in)
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
