"""Train many initializations of the same model at once: one stacked numpy computation.

A cold batch trains every distinct wrong initialization of its submissions (15000 steps
each on the circles). Alone, a training is mostly numpy's per-call overhead on arrays of a
few thousand numbers; stacked along a leading axis, K trainings pay that overhead once per
step instead of K times.

Each member gets bit for bit the outcome it gets alone (``initlab.model.train``): every
operation below is the one ``train`` applies, in the same order, on the member's slice.
``np.matmul`` on a stack calls the same BLAS routine per slice as ``np.dot`` does on one
matrix, elementwise operations do not depend on their neighbours, and the reductions (the
cost's ``nansum``, the biases' extended-precision sums) run along the last axis of each
member's own rows. The one rewrite: the ReLU mask multiplies by a boolean array instead of
an int64 copy of it; both are cast to exactly 1.0 or 0.0 before the multiplication.
tests/test_training_stack.py holds stacked outcomes to the ones of single trainings bitwise.

This module only computes; the grader's bounds around it (a killable child with a CPU
limit, falling back to single trainings) are in autograder.training.trainer.
"""

from __future__ import annotations

import numpy as np

from initlab.model import num_layers


def stack_parameters(members: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One float64 array per key, members along axis 0 (all members must have the same shapes)."""
    return {k: np.stack([np.asarray(m[k], dtype=np.float64) for m in members]) for k in members[0]}


def _forward(X: np.ndarray, P: dict, L: int) -> list[np.ndarray]:
    activations = [X]
    A = X
    for l in range(1, L + 1):
        # In place: the same operations on the same numbers as ``train`` (additions and
        # multiplications commute exactly), without a fresh array per operation.
        A = np.matmul(P[f"W{l}"], A)
        A += P[f"b{l}"]
        if l == L:  # sigmoid: 1 / (1 + exp(-Z))
            np.negative(A, out=A)
            with np.errstate(over="ignore"):
                np.exp(A, out=A)
            A += 1
            np.divide(1, A, out=A)
        else:
            np.maximum(0, A, out=A)
        activations.append(A)
    return activations


def _costs(AL: np.ndarray, Y: np.ndarray) -> list[float]:
    """``initlab.model.compute_cost`` of every member."""
    m = Y.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        logprobs = np.multiply(-np.log(AL), Y) + np.multiply(-np.log(1 - AL), 1 - Y)
    return [float(1.0 / m * np.nansum(logprobs[k])) for k in range(AL.shape[0])]


def _step(activations: list[np.ndarray], Y: np.ndarray, P: dict, L: int, learning_rate: float) -> None:
    """One backward pass and update of every member, in place on ``P`` (fresh arrays per key)."""
    m = Y.shape[1]
    dZ = activations[L] - Y
    dZ *= 1.0 / m
    grads = {}
    for l in range(L, 0, -1):
        A_prev = activations[l - 1]
        A_prev_T = A_prev.T if A_prev.ndim == 2 else np.swapaxes(A_prev, -1, -2)
        grads[l] = (np.matmul(dZ, A_prev_T),
                    np.sum(dZ, axis=-1, keepdims=True, dtype=np.longdouble).astype(np.float64))
        if l > 1:
            dA_prev = np.matmul(np.swapaxes(P[f"W{l}"], -1, -2), dZ)
            dZ = np.multiply(dA_prev, A_prev > 0, out=dA_prev)
    for l in range(1, L + 1):
        dW, db = grads[l]
        dW *= learning_rate
        db *= learning_rate
        P[f"W{l}"] -= dW
        P[f"b{l}"] -= db


def train_stacked(X: np.ndarray, Y: np.ndarray, members: list[dict[str, np.ndarray]], learning_rate: float,
                  num_iterations: int, record_every: int) -> list[tuple[dict[str, np.ndarray], list[float]]]:
    """``initlab.model.train`` of every member at once: per member, (trained parameters, costs)."""
    P = stack_parameters(members)
    L = num_layers(members[0])
    costs: list[list[float]] = [[] for _ in members]
    for i in range(num_iterations):
        activations = _forward(X, P, L)
        if record_every and i % record_every == 0:
            for k, c in enumerate(_costs(activations[-1], Y)):
                costs[k].append(c)
        _step(activations, Y, P, L, learning_rate)
    return [({key: P[key][k] for key in P}, costs[k]) for k in range(len(members))]


def predict_stacked(X: np.ndarray, P: dict, L: int) -> np.ndarray:
    """``initlab.model.predict`` of every member: shape (K, 1, m)."""
    return (_forward(X, P, L)[-1] > 0.5).astype(np.int64)


def _finite(c: float) -> float:
    """A cost as JSON can hold it (as training/trainer.py does): inf for a saturated sigmoid, nan for nothing."""
    return float(c) if np.isfinite(c) else (float("inf") if c > 0 else float("nan"))


def stacked_outcomes(t, data, members: list[dict[str, np.ndarray]]) -> list[dict]:
    """The fields of autograder.training.trainer.Outcome for every member, as
    ``Trainer.train_in_this_process`` computes them for one."""
    from threadpoolctl import threadpool_limits  # in the stack's child, as Trainer.train_in_this_process

    train_x, train_y, test_x, test_y = data
    record_every = max(t.num_iterations // 100, 1)
    with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        trained = train_stacked(train_x, train_y, members, t.learning_rate, t.num_iterations, record_every)
        P = stack_parameters([p for p, _ in trained])
        L = num_layers(members[0])
        train_out = _forward(train_x, P, L)[-1]
        final_costs = _costs(train_out, train_y)  # initlab.model.cost_of of each trained member
        train_pred = (train_out > 0.5).astype(np.int64)
        test_pred = predict_stacked(test_x, P, L)
        out = []
        for k, (params, costs) in enumerate(trained):
            identical = [bool(np.all(params[f"W{l}"] == params[f"W{l}"][0:1, :])) for l in range(1, L)]
            out.append({
                "train_accuracy": float(np.mean(train_pred[k] == train_y)),
                "test_accuracy": float(np.mean(test_pred[k] == test_y)),
                "costs": [_finite(c) for c in costs],
                "record_every": record_every,
                "hidden_rows_identical": identical,
                "final_cost": _finite(final_costs[k]),
            })
        return out
