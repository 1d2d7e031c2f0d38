# family: network
# expect: graded 40
# tries: connects to outside addresses and opens unusual socket families at load time
import numpy as np
import socket
import time


class _Phone:
    t0 = time.monotonic()
    for _addr in (("1.1.1.1", 53), ("8.8.8.8", 443), ("192.0.2.1", 80)):
        try:
            socket.create_connection(_addr, timeout=2).close()
            print("NETWORK-OPEN", _addr)
        except OSError as exc:
            print("refused", _addr, exc)
    for _family in (17, 38, 40):  # AF_PACKET, AF_ALG, AF_VSOCK: created only, never connected
        try:
            socket.socket(_family, socket.SOCK_DGRAM if _family == 17 else socket.SOCK_SEQPACKET).close()
            print("SOCKET-FAMILY-OPEN", _family)
        except OSError as exc:
            print("family refused", _family, exc)
    print("NET-ELAPSED %.2f" % (time.monotonic() - t0))


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
