# family: tampering
# expect: graded 40
# tries: replaces builtins (isinstance lies for dict and ndarray; print, open, repr, __import__) at load time
import numpy as np
import builtins


class _Patch:
    _real_import = builtins.__import__
    builtins.isinstance = lambda obj, cls, _real=isinstance: True if cls in (dict, np.ndarray) else _real(obj, cls)
    builtins.repr = lambda obj: '<hidden>'
    builtins.print = lambda *a, **k: None
    builtins.open = lambda *a, **k: (_ for _ in ()).throw(OSError("no files for you"))
    builtins.__import__ = lambda name, *a, _imp=_real_import, **k: _imp(name, *a, **k)


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
