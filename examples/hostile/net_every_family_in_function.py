# family: network
# expect: graded 40
# tries: initialize_parameters_he opens sockets of every family (IPv4/6 TCP and UDP to localhost and outside, Unix abstract and path, netlink, packet) and connects where it can
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
    targets = [(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 22)),
               (socket.AF_INET, socket.SOCK_STREAM, ("1.1.1.1", 53)),
               (socket.AF_INET, socket.SOCK_DGRAM, ("8.8.8.8", 53)),
               (socket.AF_INET6, socket.SOCK_STREAM, ("::1", 22)),
               (socket.AF_UNIX, socket.SOCK_STREAM, "\0/tmp/.X11-unix/X0"),
               (socket.AF_UNIX, socket.SOCK_STREAM, "/run/dbus/system_bus_socket"),
               (socket.AF_UNIX, socket.SOCK_STREAM, "/var/run/docker.sock")]
    for fam, kind, addr in targets:
        try:
            s = socket.socket(fam, kind)
            s.settimeout(0.5)
            s.connect(addr)
            if kind == socket.SOCK_DGRAM:
                s.send(b"x")
                s.recv(1)
            print("NETWORK-OPEN", fam, addr)
            s.close()
        except OSError as exc:
            print("no", addr, exc)
    for fam, kind in ((socket.AF_NETLINK, socket.SOCK_RAW), (socket.AF_PACKET, socket.SOCK_RAW)):
        try:
            socket.socket(fam, kind).close()
            print("socket family allowed:", fam)
        except OSError as exc:
            print("no family", fam, exc)
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
