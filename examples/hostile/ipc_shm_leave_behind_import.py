# family: ipc
# expect: graded 40
# tries: at load time, four 64 MB System V shared-memory segments (private and by key) meant to outlive the grader
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


class AtLoad:
    libc = open_libc()
    for i in range(4):
        key = IPC_PRIVATE if i % 2 else 0x1C0DE000 + i
        ident = libc.shmget(key, 64 << 20, IPC_CREAT | 0o666)
        said("shmget %d" % i, ident)
        if ident >= 0:
            addr = libc.shmat(ident, None, 0)
            said("shmat %d" % i, addr)
            if addr not in (None, ctypes.c_void_p(-1).value):
                ctypes.memset(addr, 0x41, 1 << 20)


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
