"""The four initialization functions you write for this assignment.

GENERATED FILE: produced by ``python -m autograder.authoring`` from the reference
solutions; in the course repository, do not edit it by hand.

What to do: in every function below, delete the line
``raise NotImplementedError(...)`` under ``# YOUR CODE HERE`` and write your own
code in its place. Leave everything else as it is: the signatures, the docstrings
and, above all, the ``np.random.seed(3)`` lines (the checks compare the exact
numbers a seeded generator produces).

The same four functions are the graded cells of ``initialization.ipynb``; keep the
two copies identical. Check this file with ``pytest public_tests`` (run from the
folder that holds ``public_tests/``), or call the checks from the notebook.
"""

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
        # YOUR CODE HERE (about 2 lines)
        raise NotImplementedError("initialize_parameters_zeros is not implemented yet")
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
        # YOUR CODE HERE (about 2 lines)
        raise NotImplementedError("initialize_parameters_random is not implemented yet")
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
        # YOUR CODE HERE (about 3 lines)
        raise NotImplementedError("initialize_parameters_he is not implemented yet")
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
        # YOUR CODE HERE (about 3 lines)
        raise NotImplementedError("initialize_parameters_deep is not implemented yet")
    return parameters
