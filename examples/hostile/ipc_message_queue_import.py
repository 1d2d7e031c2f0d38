# family: ipc
# expect: graded 40
# tries: at load time, a System V message queue by a fixed key, filled with messages for a later submission to read
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
    qid = libc.msgget(0x1C0DE100, IPC_CREAT | 0o666)
    said("msgget", qid)
    if qid >= 0:
        class Msg(ctypes.Structure):
            _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 64)]
        m = Msg(1, b"HOSTILE-WAS-HERE message")
        said("msgsnd", libc.msgsnd(qid, ctypes.byref(m), 64, 0o4000))
        got = Msg()
        if libc.msgrcv(qid, ctypes.byref(got), 64, 0, 0o4000) >= 0:
            print("IPC-OPEN read", got.mtext)


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
