# family: secrets
# expect: graded 40
# tries: initialize_parameters_he looks for the other submissions of the batch (the grader's command line, /tmp, the working folder's neighbours) and reads them
import numpy as np
import os
# ONLY-IN-THIS-FILE: the case's own text, which it may read


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
    print("SEARCHED other submissions")
    candidates = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                args = open("/proc/%s/cmdline" % entry, "rb").read().split(b"\0")
            except OSError:
                continue
            candidates.update(a.decode(errors="replace") for a in args if a.startswith(b"/"))
    here = os.getcwd()
    candidates.update([os.path.dirname(here), "/tmp", "/var/tmp", "/autograder/submission", "/autograder/source"])
    for top in sorted(candidates):
        for folder, dirs, files in os.walk(top) if os.path.isdir(top) else ():
            if folder.count("/") - top.count("/") > 3 or folder.startswith(here):
                dirs[:] = []
                continue
            for name in files:
                if name.endswith((".py", ".ipynb", ".zip", ".json")):
                    try:
                        text = open(os.path.join(folder, name), errors="replace").read(200000)
                    except OSError:
                        continue
                    if "def initialize_parameters_he" in text and "ONLY-IN-" + "THIS-FILE" not in text:
                        print("SECRET-LEAK another submission", os.path.join(folder, name))
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
