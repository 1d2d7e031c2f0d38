"""Hostile: each function tries to load the reference solutions from the grader's folders and call them.

The sandbox hides solutions/ and autograder/ under empty mounts, so every attempt finds nothing
(expected: 0 points, with 'not found' messages).
"""

import glob


def _steal(name):
    for pattern in ("/work/*/solutions/init_functions.py", "/*/*/solutions/init_functions.py",
                    "/root/**/solutions/init_functions.py"):
        for path in glob.glob(pattern, recursive=True):
            try:
                namespace = {}
                exec(open(path).read(), namespace)
                return namespace[name]
            except OSError:
                continue
    raise FileNotFoundError("solutions not found")


def initialize_parameters_zeros(layers_dims):
    return _steal("initialize_parameters_zeros")(layers_dims)


def initialize_parameters_random(layers_dims, scale=0.01):
    return _steal("initialize_parameters_random")(layers_dims, scale)


def initialize_parameters_he(layers_dims):
    return _steal("initialize_parameters_he")(layers_dims)


def initialize_parameters_deep(layer_dims):
    return _steal("initialize_parameters_deep")(layer_dims)
