"""Plotting helpers for the initialization notebook (matplotlib only).

Every function draws on a new figure (or on the ``ax`` you pass) and returns the
Axes or Figure, so it works the same inline in a notebook and with the
non-interactive ``Agg`` backend; nothing here calls ``plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .model import forward, predict

__all__ = [
    "plot_circles",
    "plot_decision_boundary",
    "plot_costs",
    "plot_activation_histograms",
    "compare_activation_histograms",
    "plot_weight_rows",
    "show_images",
]

_POINT_COLORS = np.array(["tab:red", "tab:blue"])


def _new_ax(ax=None, figsize=(5, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_circles(X: np.ndarray, Y: np.ndarray, ax=None, title: str | None = None):
    """Scatter plot of 2-D points X (2, m) coloured by their 0/1 labels Y (1, m)."""
    ax = _new_ax(ax)
    labels = np.asarray(Y).reshape(-1).astype(int)
    ax.scatter(X[0], X[1], c=_POINT_COLORS[labels], s=14, edgecolors="k", linewidths=0.3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="box")
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(
    model: Callable[[np.ndarray], np.ndarray] | Mapping[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    ax=None,
    title: str | None = None,
    resolution: int = 200,
    margin: float = 0.5,
):
    """Shade the region a classifier assigns to each class, with the points on top.

    ``model`` is a parameters dict for :func:`initlab.model.predict`, the result of
    :func:`initlab.model.train`, or any function mapping an array of shape (2, k) to
    predictions of shape (1, k) (or (k,)).
    """
    if not isinstance(model, Mapping) and isinstance(getattr(model, "parameters", None), Mapping):
        model = model.parameters  # a TrainingResult
    if isinstance(model, Mapping):
        params = model

        def predict_fn(points):
            return predict(points, params)
    else:
        predict_fn = model
    x_min, x_max = X[0].min() - margin, X[0].max() + margin
    y_min, y_max = X[1].min() - margin, X[1].max() + margin
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.vstack([xx.ravel(), yy.ravel()])
    zz = np.asarray(predict_fn(grid)).reshape(xx.shape)
    ax = _new_ax(ax)
    ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], colors=["#f4b6b6", "#b6c9f4"], alpha=0.8)
    plot_circles(X, Y, ax=ax, title=title)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    return ax


def plot_costs(
    costs: Mapping[str, Sequence[float]],
    record_every: int = 1000,
    ax=None,
    title: str | None = "Cost during training",
    log: bool = False,
):
    """One line per run: ``costs`` maps a label to the costs recorded every ``record_every`` steps.

    The legend gives each run's first and last cost. On a linear scale the vertical
    axis starts at 0 and its ticks are plain numbers (no offset such as
    ``1e-8 + 6.93e-1``): a cost that does not move then looks flat, as it is, instead
    of a tiny wiggle magnified to fill the plot. On a log scale the axis spans at
    least a factor of 10 for the same reason.

    Infinite costs (a saturated sigmoid that is confidently wrong) cannot be drawn;
    they are left out of the line and marked with a triangle on the top edge of the plot.
    """
    ax = _new_ax(ax, figsize=(6, 4))
    drawn = []
    for label, values in costs.items():
        values = np.asarray(values, dtype=np.float64)
        steps = np.arange(len(values)) * record_every
        finite = np.isfinite(values)
        drawn.append(values[finite])
        summary = f"{label} ({_cost_text(values[0])} → {_cost_text(values[-1])})" if len(values) else label
        (line,) = ax.plot(steps[finite], values[finite], marker="o", markersize=3, label=summary)
        if (~finite).any():
            ax.plot(
                steps[~finite],
                np.ones((~finite).sum()),
                linestyle="none",
                marker="^",
                color=line.get_color(),
                transform=ax.get_xaxis_transform(),
                clip_on=False,
                label=f"{label}: cost = inf",
            )
    finite_values = np.concatenate(drawn) if drawn else np.empty(0)
    if log:
        ax.set_yscale("log")
        _span_a_decade(ax, finite_values[finite_values > 0])
    else:
        ax.ticklabel_format(axis="y", style="plain", useOffset=False)
        if finite_values.size:
            low, high = min(0.0, finite_values.min()), max(0.0, finite_values.max())
            span = (high - low) or 1.0
            ax.set_ylim(low - 0.04 * span, high + 0.08 * span)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def _cost_text(value: float) -> str:
    return "inf" if np.isinf(value) else f"{value:.4g}"


def _span_a_decade(ax, positive: np.ndarray) -> None:
    """Widen a log axis around ``positive`` values to at least one decade."""
    if not positive.size:
        return
    low, high = positive.min(), positive.max()
    if high / low < 10:
        centre = math.sqrt(low * high)
        ax.set_ylim(centre / math.sqrt(10), centre * math.sqrt(10))


def plot_activation_histograms(
    X: np.ndarray,
    parameters: Mapping[str, np.ndarray],
    bins: int = 40,
    title: str | None = None,
    axes=None,
    ranges: Sequence[tuple[float, float]] | None = None,
):
    """Histogram of the activations of every layer for the inputs X (forward pass only).

    One panel per layer (hidden ReLU layers, then the sigmoid output), each titled
    with the layer's mean and standard deviation. ``ranges`` gives each layer's
    histogram range (by default the range of its own values); pass the same ranges
    to panels you want to compare. Returns the Figure.
    """
    activations = _layer_activations(X, parameters)
    if axes is None:
        fig, axes = plt.subplots(1, len(activations), figsize=(3 * len(activations), 2.8))
    else:
        fig = np.ravel(axes)[0].figure
    _draw_histograms(activations, np.ravel(axes), bins, ranges)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _layer_activations(X: np.ndarray, parameters: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(A).ravel() for A in forward(X, dict(parameters))[1:]]


def _draw_histograms(activations: list[np.ndarray], axes, bins: int, ranges=None) -> None:
    L = len(activations)
    if ranges is None:
        ranges = [_histogram_range(values) for values in activations]
    for l, (values, ax, value_range) in enumerate(zip(activations, axes, ranges), start=1):
        ax.hist(values, bins=bins, range=value_range, color="tab:blue" if l < L else "tab:orange")
        margin = 0.02 * (value_range[1] - value_range[0])  # keeps a bar at either end off the frame
        ax.set_xlim(value_range[0] - margin, value_range[1] + margin)
        kind = "sigmoid" if l == L else "ReLU"
        ax.set_title(f"layer {l} ({kind})\nmean {values.mean():.2g}, std {values.std():.2g}", fontsize=9)
        ax.tick_params(labelsize=8)


def compare_activation_histograms(
    X: np.ndarray,
    starts: Mapping[str, Mapping[str, np.ndarray]],
    bins: int = 40,
    title: str | None = "activations of each layer at the start of training",
):
    """One row of :func:`plot_activation_histograms` per set of parameters in ``starts``.

    The panels of a column (one layer) share their bins and horizontal range, the
    union of that layer's values over all rows. Values squeezed towards one number
    then pile up in one bar of the common width: the bar stays visible, where bins
    fitted to a tiny range alone would be far thinner than a pixel on a shared axis.
    Returns the Figure.
    """
    per_start = {name: _layer_activations(X, params) for name, params in starts.items()}
    n_layers = len(next(iter(per_start.values())))
    ranges = [_histogram_range(np.concatenate([layers[l] for layers in per_start.values()]))
              for l in range(n_layers)]
    fig, axes = plt.subplots(len(starts), n_layers, figsize=(3 * n_layers, 2.75 * len(starts)),
                             squeeze=False)
    for row, (name, activations) in zip(axes, per_start.items()):
        _draw_histograms(activations, row, bins, ranges)
        row[0].set_ylabel(name)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _histogram_range(values: np.ndarray) -> tuple[float, float]:
    """The range of ``values``, widened around a single repeated value so its bar has a width."""
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-12 * max(1.0, abs(low), abs(high)):
        low, high = low - 0.5, high + 0.5
    return low, high


def plot_weight_rows(W: np.ndarray, ax=None, title: str | None = None):
    """Heatmap of a weight matrix, one row per unit: identical rows show up as identical stripes.

    The colour scale spans the matrix's own range, so even small differences between
    entries are visible (a matrix with a single value is drawn in one colour).
    """
    W = np.asarray(W)
    ax = _new_ax(ax, figsize=(max(3, 0.6 * W.shape[1] + 2), max(2.5, 0.35 * W.shape[0] + 1)))
    image = ax.imshow(W, cmap="viridis", aspect="auto")
    ax.figure.colorbar(image, ax=ax)
    ax.set_xlabel("input (column)")
    ax.set_ylabel("unit (row)")
    ax.set_yticks(range(W.shape[0]))
    ax.set_xticks(range(W.shape[1]))
    if title:
        ax.set_title(title)
    return ax


def _class_name(classes, label: int) -> str:
    if classes is None:
        return str(label)
    name = classes[label]
    return name.decode("utf-8") if isinstance(name, bytes | np.bytes_) else str(name)


def show_images(x_raw: np.ndarray, y: np.ndarray, classes=None, n: int = 6, ncols: int = 6):
    """Show the first ``n`` images with their labels.

    ``x_raw`` is either the raw image array (m, H, W, 3) or the flattened layout
    (H*W*3, m) with values in [0, 1] (square RGB images). Returns the Figure.
    """
    x_raw = np.asarray(x_raw)
    if x_raw.ndim == 2:
        side = int(round(math.sqrt(x_raw.shape[0] / 3)))
        images = x_raw.T.reshape(-1, side, side, 3)
    else:
        images = x_raw
    labels = np.asarray(y).reshape(-1)
    n = min(n, len(images))
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2 * ncols, 2.2 * nrows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i])
            ax.set_title(f"y = {int(labels[i])} ({_class_name(classes, int(labels[i]))})", fontsize=9)
    fig.tight_layout()
    return fig
