# family: secrets
# expect: graded 40
# tries: initialize_parameters_he opens solutions/, rubric, grading.yaml and .git by absolute path
import numpy as np
import glob
import os


def report(where, text):
    """Print what was found, tagged so the test can see that it leaked."""
    text = str(text)
    # Markers of this course's solutions and the rubric, built from pieces so that
    # this file itself never matches (other projects' solution markers do not count).
    found = [m for m in ("SEEDED" + "_CASES", "INITGRADE" + "_CANARY", "def test_" + "he_") if m in text]
    if "BEGIN " + "SOLUTION" in text and "initialize_parameters_" in text:
        found.append("solution code")
    for m in found:
        print("SECRET-LEAK", where, m, repr(text[:300]))


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
    print("SEARCHED absolute paths")
    paths = ["/work/main/solutions/init_functions.py", "/work/main/solutions/initialization_solved.ipynb",
             "/work/main/grading.yaml", "/work/main/.git/config", "/work/main/.git/HEAD", "/etc/shadow"]
    paths += glob.glob("/work/main/autograder/rubric/*.py") + glob.glob("/work/main/autograder/*.py")
    paths += glob.glob("/work/main/tests/*.py") + glob.glob("/root/.cache/initgrade/**/*", recursive=True)[:50]
    for path in paths:
        try:
            with open(path, errors="replace") as f:
                report(path, f.read())
        except OSError as exc:
            print("refused", path, type(exc).__name__)
    try:
        print("listing", os.listdir("/work/main"), os.listdir("/work/main/solutions"))
    except OSError as exc:
        print("refused listing", exc)
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
