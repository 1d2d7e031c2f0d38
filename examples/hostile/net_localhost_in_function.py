# family: network
# expect: graded 40
# tries: initialize_parameters_he connects to 127.0.0.1 on common ports
import numpy as np
import socket
import time


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
    t0 = time.monotonic()
    for port in (22, 53, 80, 443, 631, 2024, 5432, 6379, 8000, 8080, 8888):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            print("NETWORK-OPEN 127.0.0.1", port)
        except OSError as exc:
            pass
    print("NET-ELAPSED %.2f" % (time.monotonic() - t0))
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
