"""The provided L-layer network: LINEAR->RELU x (L-1) -> LINEAR->SIGMOID.

Students use it in the notebook to see what each initialization does; the grader
trains it (in its own process, on plain arrays) from the parameters a student's
function returned. The order of floating-point operations follows the classic
course model so that the published circles results (He: train 0.99333..., test
0.96) are reproduced to the printed digits.

Huge weights (``randn * 10`` and worse) must never crash training: overflow in
``exp`` saturates the sigmoid to exactly 0 or 1, the cost becomes ``inf`` (or is
computed with ``nansum``), and training carries on, as it would in a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "relu",
    "sigmoid",
    "forward",
    "compute_cost",
    "backward",
    "update_parameters",
    "train",
    "TrainingResult",
    "predict",
    "accuracy",
    "num_layers",
]


def num_layers(parameters: dict) -> int:
    """Number of weight layers L in a parameters dict with keys W1, b1, ..., WL, bL."""
    L = 0
    while f"W{L + 1}" in parameters:
        L += 1
    return L


def relu(Z: np.ndarray) -> np.ndarray:
    return np.maximum(0, Z)


def sigmoid(Z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-Z))


def forward(X: np.ndarray, parameters: dict) -> list[np.ndarray]:
    """Forward pass. Returns the activations [A0 = X, A1, ..., AL]; AL is the sigmoid output."""
    L = num_layers(parameters)
    activations = [X]
    A = X
    for l in range(1, L + 1):
        Z = np.dot(parameters[f"W{l}"], A) + parameters[f"b{l}"]
        A = sigmoid(Z) if l == L else relu(Z)
        activations.append(A)
    return activations


def compute_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """Binary cross-entropy, averaged over the m examples.

    ``nansum`` drops the 0 * log(0) terms a saturated sigmoid produces; a confidently
    wrong prediction gives ``inf``, which is the honest value and does not stop training.
    """
    m = Y.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        logprobs = np.multiply(-np.log(AL), Y) + np.multiply(-np.log(1 - AL), 1 - Y)
    return float(1.0 / m * np.nansum(logprobs))


def backward(activations: list[np.ndarray], Y: np.ndarray, parameters: dict) -> dict:
    """Gradients of the cost with respect to every W_l and b_l."""
    L = num_layers(parameters)
    m = Y.shape[1]
    grads = {}
    dZ = 1.0 / m * (activations[L] - Y)
    for l in range(L, 0, -1):
        A_prev = activations[l - 1]
        grads[f"dW{l}"] = np.dot(dZ, A_prev.T)
        # Summed in extended precision: under zero initialization every term is exactly
        # +c or -c and the true sum is 0, but float64 partial sums (k * c) can round, and
        # the bias would drift by 1e-16 per step and break the symmetry the notebook shows.
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True, dtype=np.longdouble).astype(np.float64)
        if l > 1:
            dA_prev = np.dot(parameters[f"W{l}"].T, dZ)
            dZ = np.multiply(dA_prev, np.int64(A_prev > 0))
    return grads


def update_parameters(parameters: dict, grads: dict, learning_rate: float) -> dict:
    """One gradient-descent step, in place on ``parameters`` (a private copy inside ``train``)."""
    for l in range(1, num_layers(parameters) + 1):
        parameters[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
        parameters[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return parameters


@dataclass
class TrainingResult:
    """What ``train`` hands back: the trained parameters and the cost every ``record_every`` steps."""

    parameters: dict
    costs: list[float] = field(default_factory=list)
    record_every: int = 1000

    def __iter__(self):  # allows ``parameters, costs = train(...)``
        yield self.parameters
        yield self.costs


def train(
    X: np.ndarray,
    Y: np.ndarray,
    parameters: dict,
    learning_rate: float = 0.01,
    num_iterations: int = 15000,
    record_every: int = 1000,
) -> TrainingResult:
    """Full-batch gradient descent from the given initial parameters.

    The caller's dict and arrays are never modified. The cost is recorded at
    iteration 0 and every ``record_every`` iterations after it.
    """
    params = {k: np.array(v, dtype=np.float64, copy=True) for k, v in parameters.items()}
    costs: list[float] = []
    for i in range(num_iterations):
        activations = forward(X, params)
        if record_every and i % record_every == 0:
            costs.append(compute_cost(activations[-1], Y))
        grads = backward(activations, Y, params)
        params = update_parameters(params, grads, learning_rate)
    return TrainingResult(parameters=params, costs=costs, record_every=record_every)


def cost_of(X: np.ndarray, Y: np.ndarray, parameters: dict) -> float:
    """The cost of ``parameters`` on (X, Y): after training, the final cost (``train`` records the
    cost before its updates, so its last recorded value is from an earlier iteration)."""
    return compute_cost(forward(X, parameters)[-1], Y)


def predict(X: np.ndarray, parameters: dict) -> np.ndarray:
    """0/1 predictions of shape (1, m): 1 where the sigmoid output exceeds 0.5."""
    return (forward(X, parameters)[-1] > 0.5).astype(np.int64)


def accuracy(X: np.ndarray, Y: np.ndarray, parameters: dict) -> float:
    """Fraction of the m examples predicted correctly."""
    return float(np.mean(predict(X, parameters) == Y))
