"""The notebook's figures, drawn in this process from the reference solutions.

Every figure the notebook makes with the ``initlab.plots`` helpers is rebuilt
here the same way (shorter trainings), with the Agg backend, and every panel must
show data (tests/figure_checks.py says what counts). The reference solutions are
trusted code, so importing them here is fine. The cost plot must also show a flat
cost as flat. tests/test_notebook.py runs the same panel check on the figures of
the executed solved notebook itself.
"""

from __future__ import annotations

import importlib.util

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from figure_checks import empty_panels

from autograder.authoring import SOLUTIONS_MODULE, repo_root
from initlab.data import load_circles, load_images
from initlab.model import forward, train
from initlab.plots import (
    compare_activation_histograms,
    plot_activation_histograms,
    plot_circles,
    plot_costs,
    plot_decision_boundary,
    plot_weight_rows,
    show_images,
)

LN2 = float(np.log(2.0))
CIRCLE_DIMS = [2, 10, 5, 1]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def solutions():
    path = repo_root() / SOLUTIONS_MODULE
    spec = importlib.util.spec_from_file_location("initgrade_figure_solutions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def circles():
    return load_circles()


@pytest.fixture(scope="module")
def circle_runs(solutions, circles):
    """The four circles experiments of the notebook, 2000 iterations each: name -> (trained, costs)."""
    train_X, train_Y, _, _ = circles
    starts = {
        "zeros": solutions.initialize_parameters_zeros(CIRCLE_DIMS),
        "random_10": solutions.initialize_parameters_random(CIRCLE_DIMS, scale=10),
        "random_0.01": solutions.initialize_parameters_random(CIRCLE_DIMS, scale=0.01),
        "he": solutions.initialize_parameters_he(CIRCLE_DIMS),
    }
    return {name: tuple(train(train_X, train_Y, start, learning_rate=0.01, num_iterations=2000,
                              record_every=500))
            for name, start in starts.items()}


@pytest.fixture(scope="module")
def images():
    return load_images()


@pytest.fixture(scope="module")
def deep_starts(solutions, images):
    train_x = images[0]
    dims = [train_x.shape[0], 20, 7, 5, 1]
    return {
        "deep": solutions.initialize_parameters_deep(dims),
        "random_0.01": solutions.initialize_parameters_random(dims, scale=0.01),
    }


def _assert_every_panel_shows_data(fig):
    problems = empty_panels(fig)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the notebook's figures

def test_circles_figure(circles):
    train_X, train_Y, test_X, test_Y = circles
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    plot_circles(train_X, train_Y, ax=axes[0], title="training set")
    plot_circles(test_X, test_Y, ax=axes[1], title="test set")
    _assert_every_panel_shows_data(fig)


@pytest.mark.parametrize("name", ["zeros", "random_10", "random_0.01", "he"])
def test_show_run_figure(name, circle_runs, circles):
    train_X, train_Y, _, _ = circles
    trained, costs = circle_runs[name]
    fig, (ax_cost, ax_boundary) = plt.subplots(1, 2, figsize=(11, 4))
    plot_costs({name: costs}, record_every=500, ax=ax_cost, title=f"cost ({name})")
    plot_decision_boundary(trained, train_X, train_Y, ax=ax_boundary, title=f"boundary ({name})")
    _assert_every_panel_shows_data(fig)


def test_weight_rows_figure(solutions, circles):
    train_X, train_Y, _, _ = circles
    start = {key: np.full_like(value, 0.5) if key.startswith("W") else value
             for key, value in solutions.initialize_parameters_zeros(CIRCLE_DIMS).items()}
    trained, _ = train(train_X, train_Y, start, num_iterations=300)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    plot_weight_rows(start["W1"], ax=axes[0], title="W1 at the start (all 0.5)")
    plot_weight_rows(trained["W1"], ax=axes[1], title="W1 after training")
    _assert_every_panel_shows_data(fig)


def test_comparison_figures(circle_runs, circles):
    train_X, train_Y, _, _ = circles
    ax = plot_costs({name: costs for name, (_, costs) in circle_runs.items()}, record_every=500)
    _assert_every_panel_shows_data(ax.figure)
    fig, axes = plt.subplots(1, len(circle_runs), figsize=(16, 4))
    for ax, (name, (trained, _)) in zip(axes, circle_runs.items()):
        plot_decision_boundary(trained, train_X, train_Y, ax=ax, title=name)
    _assert_every_panel_shows_data(fig)


def test_image_figures(images, deep_starts):
    train_x, train_y, _, _, classes = images
    raw = load_images(flatten=False)[0]
    _assert_every_panel_shows_data(show_images(raw, train_y, classes, n=6))
    runs = {name: train(train_x, train_y, start, learning_rate=0.0075, num_iterations=200, record_every=100).costs
            for name, start in deep_starts.items()}
    _assert_every_panel_shows_data(plot_costs(runs, record_every=100).figure)


def test_activation_comparison_shows_every_layer_of_both_starts(images, deep_starts):
    fig = compare_activation_histograms(images[0], deep_starts)
    assert len(fig.axes) == 2 * 4
    _assert_every_panel_shows_data(fig)


def test_single_activation_histograms(images, deep_starts):
    for start in deep_starts.values():
        _assert_every_panel_shows_data(plot_activation_histograms(images[0], start))


def test_the_old_shared_axis_layout_is_caught(images, deep_starts):
    """How the solved notebook lost two panels: bins fitted to each panel's own values on
    column-shared axes. The tiny activations of the scale-0.01 start become slivers far
    thinner than a pixel; the check must see those panels as empty."""
    fig, axes = plt.subplots(2, 4, figsize=(12, 5.5), sharex="col")
    for row, start in zip(axes, deep_starts.values()):
        for ax, activations in zip(row, forward(images[0], start)[1:]):
            ax.hist(activations.ravel(), bins=40)
    flagged = {int(p.split()[1]) for p in empty_panels(fig)}
    assert {6, 7} <= flagged <= {5, 6, 7}  # the bottom row's layers 3 and 4 (and 2 at this size)


# --------------------------------------------------------------------------- the check itself

def test_check_flags_panels_without_visible_data():
    fig, axes = plt.subplots(1, 6, figsize=(18, 3))
    axes[0].set_title("nothing")
    axes[1].plot([0, 1], [np.nan, np.nan])
    axes[1].set_title("only NaN")
    axes[2].bar([0, 1], [0, 0])
    axes[2].set_title("bars of height 0")
    axes[3].plot([5, 6], [5, 6])
    axes[3].set_xlim(0, 1)
    axes[3].set_ylim(0, 1)
    axes[3].set_title("outside the limits")
    axes[4].hist(np.full(50, 3.0), bins=10, range=(3.0, 3.0 + 1e-9))
    axes[4].set_xlim(0, 10)
    axes[4].set_title("sub-pixel bars")
    image = axes[5].imshow(np.arange(6.0).reshape(2, 3))
    fig.colorbar(image, ax=axes[5])
    axes[5].set_title("an image")
    problems = empty_panels(fig)
    flagged = {p.split("'")[1] for p in problems}
    assert flagged == {"nothing", "only NaN", "bars of height 0", "outside the limits", "sub-pixel bars"}


def test_check_skips_blank_grid_slots_but_not_blank_panels_with_axes():
    fig, axes = plt.subplots(1, 3)
    axes[0].plot([0, 1], [0, 1])
    axes[1].axis("off")  # an unused slot of a grid, as show_images leaves them
    problems = empty_panels(fig)
    assert len(problems) == 1 and problems[0].startswith("panel 2")


# --------------------------------------------------------------------------- a flat cost looks flat

def _line_pixel_height(ax, line) -> float:
    y = line.get_ydata()
    top, bottom = ax.transData.transform([(0, np.max(y)), (0, np.min(y))])[:, 1]
    return abs(top - bottom)


def test_a_flat_cost_is_drawn_flat_with_plain_ticks(circle_runs):
    costs = circle_runs["random_0.01"][1]
    assert np.ptp(costs) < 1e-5 and abs(costs[0] - LN2) < 1e-5  # the premise: it does not learn
    ax = plot_costs({"random_0.01": costs}, record_every=500)
    ax.figure.canvas.draw()
    assert ax.yaxis.get_offset_text().get_text() == ""  # no "1e-8 + 6.931473e-1"
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and not any("e" in t.lower() for t in labels), labels
    low, high = ax.get_ylim()
    assert low <= 0 < LN2 < high
    assert _line_pixel_height(ax, ax.get_lines()[0]) < 1.0
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["random_0.01 (0.6931 → 0.6931)"]


def test_a_falling_cost_keeps_its_real_proportions():
    costs = [0.69, 0.45, 0.3, 0.2, 0.12]
    ax = plot_costs({"falling": costs})
    ax.figure.canvas.draw()
    low, high = ax.get_ylim()
    expected = (max(costs) - min(costs)) / (high - low) * ax.bbox.height
    assert _line_pixel_height(ax, ax.get_lines()[0]) == pytest.approx(expected, rel=1e-6)
    assert expected > 0.6 * ax.bbox.height


def test_infinite_first_cost_is_marked_and_named(circle_runs):
    costs = circle_runs["random_10"][1]
    assert np.isinf(costs[0])
    ax = plot_costs({"random_10": costs}, record_every=500)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("random_10 (inf → ") and legend[1] == "random_10: cost = inf"
    _assert_every_panel_shows_data(ax.figure)


def test_log_scale_spans_a_decade_for_a_flat_cost():
    ax = plot_costs({"flat": [0.6931473, 0.6931472, 0.6931471]}, log=True)
    low, high = ax.get_ylim()
    assert high / low >= 10 - 1e-9
