# family: ipc
# expect: graded 40
# tries: initialize_parameters_he creates a semaphore set, takes it and leaves it taken; also semctl on ids 0..1023
import numpy as np
import ctypes
import ctypes.util
import os

IPC_PRIVATE, IPC_CREAT, IPC_EXCL, IPC_STAT = 0, 0o1000, 0o2000, 2


def open_libc():
    lib = ctypes.CDLL("libc.so.6", use_errno=True)
    lib.shmat.restype = ctypes.c_void_p
    return lib


def said(what, rc):
    """A System V or POSIX IPC call that worked is a breach: the tag tells the test."""
    if rc is not None and rc != -1 and rc != ctypes.c_void_p(-1).value:
        print("IPC-OPEN", what, rc)
    else:
        print("ipc refused:", what, os.strerror(ctypes.get_errno()))


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
    libc = open_libc()
    ident = libc.semget(IPC_PRIVATE, 4, IPC_CREAT | 0o666)
    said("semget", ident)
    sembuf = (ctypes.c_ushort * 3)(0, 1, 0)
    said("semop", libc.semop(max(ident, 0), sembuf, 1))
    for other in range(1024):
        if libc.semctl(other, 0, 12, 0) >= 0:  # GETALL-like probe of someone else's set
            print("IPC-OPEN semaphore set", other)
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
