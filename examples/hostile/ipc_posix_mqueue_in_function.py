# family: ipc
# expect: graded 40
# tries: initialize_parameters_he opens a POSIX message queue (mq_open), sends to it and leaves it
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
    try:
        rt = ctypes.CDLL(ctypes.util.find_library("rt") or "librt.so.1", use_errno=True)
    except OSError as exc:
        rt = None
        print("no librt", exc)
    if rt is not None:
        mq = rt.mq_open(b"/hostile-was-here-mq", os.O_CREAT | os.O_RDWR, 0o666, None)
        said("mq_open", mq)
        if mq >= 0:
            said("mq_send", rt.mq_send(mq, b"HOSTILE-WAS-HERE", 16, 0))
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
