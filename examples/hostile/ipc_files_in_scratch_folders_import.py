# family: ipc
# expect: graded 40
# tries: at load time, files and folders in /run/lock, /var/lock, /var/tmp, /dev/shm, /tmp and /dev/mqueue meant to outlive the submission
import numpy as np
import os


class AtLoad:
    for folder in ("/run/lock", "/var/lock", "/var/tmp", "/dev/shm", "/tmp", "/dev/mqueue", "/run/shm"):
        try:
            with open(os.path.join(folder, "hostile-was-here-%d" % os.getpid()), "w") as f:
                f.write("HOSTILE-WAS-HERE\n")
            os.makedirs(os.path.join(folder, "hostile-was-here-dir", "deeper"), exist_ok=True)
            print("made a file in", folder)
        except OSError as exc:
            print("could not write in", folder, exc.strerror)


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
