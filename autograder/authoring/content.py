"""The content of the initialization notebook, cell by cell.

This is the one source for BOTH generated notebooks. It is a plain list of cells,
:data:`CELLS`, built with four helpers:

* ``md(text)`` -- a markdown cell (the text is dedented and stripped);
* ``code(text, tags=...)`` -- an ordinary code cell;
* ``graded(question)`` -- the graded cell for one question. It holds no text here:
  :mod:`autograder.authoring.notebook` fills it with the stub (student notebook)
  or the reference function (solved notebook) rendered from
  ``solutions/init_functions.py``;
* ``check(question)`` -- the public-check cell that follows every graded cell. It
  prints the function's result on the example shown in the notebook, then calls
  ``check_<question>(<function>)`` from ``public_tests/checks.py``.

The expected outputs shown in the markdown come from ``public_tests/checks.py``
(:data:`EXAMPLES` there), so the notebook and the checks can never disagree.

Edit this file, then run ``python -m autograder.authoring`` to regenerate the
notebooks. Never write solution code in a markdown or code cell here: the tests
check that no line of a solution region appears in the student notebook.

The notebook keeps its results in two variables that the repository's tests read
back after executing it: ``results`` (circles experiments) and ``deep_results``
(image experiment), both ``{name: {"train_accuracy", "test_accuracy", "costs", "final_cost"}}``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from functools import cache

from autograder.rubric.reference import load_module_file

from . import question_functions, repo_root

__all__ = ["Cell", "CELLS", "md", "code", "graded", "check", "expected_output", "load_checks"]


@dataclass(frozen=True)
class Cell:
    """One notebook cell of the content source.

    ``role`` is ``"graded"``, ``"check"`` or ``None``; ``question`` is set for the
    first two. ``source`` is empty for graded cells (filled in at build time).
    """

    kind: str  # "markdown" or "code"
    source: str = ""
    role: str | None = None
    question: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n").rstrip()


def md(text: str) -> Cell:
    return Cell("markdown", _clean(text))


def code(text: str, tags: tuple[str, ...] = ()) -> Cell:
    return Cell("code", _clean(text), tags=tuple(tags))


def graded(question: str) -> Cell:
    if question not in question_functions():
        raise KeyError(f"unknown question id {question!r}")
    return Cell("code", "", role="graded", question=question)


@cache
def load_checks():
    """``public_tests/checks.py``, loaded from the repository by path."""
    path = repo_root() / "public_tests" / "checks.py"
    return load_module_file("_initgrade_public_checks", path)


def _example_call(question: str) -> str:
    checks = load_checks()
    example = checks.EXAMPLES[question]
    parts = [repr(a) for a in example["args"]] + [f"{k}={v!r}" for k, v in example["kwargs"].items()]
    return f"{example['function']}({', '.join(parts)})"


def check(question: str) -> Cell:
    function = question_functions()[question]
    source = (
        "# Run this cell to test your function on the example above.\n"
        f"show_parameters({_example_call(question)})\n"
        f"check_{question}({function})"
    )
    return Cell("code", source, role="check", question=question)


def expected_output(question: str) -> str:
    """Markdown block: the example call and what it must print."""
    checks = load_checks()
    example = checks.EXAMPLES[question]
    return (
        f"**Expected output** of the check cell below, which runs `{_example_call(question)}`:\n\n"
        "```\n"
        f"{checks.format_parameters(example['expected'])}\n"
        f"All checks passed for {example['function']}.\n"
        "```"
    )


CELLS: list[Cell] = [
    # ------------------------------------------------------------------ intro
    md(
        """
        # Weight initialization: where training starts matters

        Before a neural network learns anything, every weight needs a first value.
        It is tempting to think this choice hardly matters, since gradient descent
        will move the weights anyway. In this notebook you will see that it matters
        a lot: a bad starting point can stop a network from learning at all, make it
        learn painfully slowly, or make its very first cost infinite.

        You will write four small functions, each returning the starting
        parameters of a network, and then train the same network from each of them:

        | function | idea |
        |---|---|
        | `initialize_parameters_zeros` | every weight and bias is 0 |
        | `initialize_parameters_random` | weights are random normal numbers times a `scale` you choose |
        | `initialize_parameters_he` | random weights scaled to the size of the previous layer (for ReLU) |
        | `initialize_parameters_deep` | the same fan-in idea, applied to a deeper network on images |

        **How this notebook is graded.** Only the four cells whose first line starts
        with `def initialize_parameters_...` are graded. In each of them, replace the
        line `raise NotImplementedError(...)` (under `# YOUR CODE HERE`) with your
        code. Do not rename the functions, do not change their arguments and keep
        the `np.random.seed(3)` lines: the grader compares the exact numbers a
        seeded random generator produces. The cell after each graded cell tests your
        function on a small example; the grader uses other examples, so make your
        code work for any list of layer sizes.

        The grader does not run your notebook: it keeps only its imports, function
        and class definitions, and names set to plain values (`GAIN = 2.0`), and
        calls your functions itself. So compute everything else inside your
        functions (not `TWO = float(np.log(np.e) * 2)` above them), and define each
        function once. The check cells test your function the way the grader loads
        it (from the saved notebook), and name anything it depends on that the
        grader would not have.
        """
    ),
    # ------------------------------------------------------------------ setup
    md(
        """
        ## 1. Setup

        The network, the data loaders and the plotting helpers are provided in the
        `initlab` package next to this notebook. The public checks live in the
        `public_tests` folder, one level up.
        """
    ),
    code(
        """
        import sys
        from pathlib import Path

        import numpy as np
        import matplotlib.pyplot as plt
        from IPython.display import Markdown, display

        from initlab.model import train, forward, predict, accuracy, cost_of
        from initlab.data import load_circles, load_images
        from initlab.plots import (
            plot_circles,
            plot_decision_boundary,
            plot_costs,
            plot_activation_histograms,
            compare_activation_histograms,
            plot_weight_rows,
            show_images,
        )

        # public_tests/ sits next to the folder that holds this notebook
        sys.path.insert(0, str(Path.cwd().resolve().parent))
        from public_tests.checks import check_zeros, check_random, check_he, check_deep, show_parameters

        %matplotlib inline
        """
    ),
    # ------------------------------------------------------------------ data
    md(
        """
        ## 2. The data: two circles

        Each example is a point in the plane, x = (x₁, x₂). Its label is 1 (blue)
        if it lies on the inner circle and 0 (red) if it lies on the outer one. No
        straight line separates the two classes, so the network has to learn a
        curved boundary.

        The loader returns the points as columns: `train_X` has shape (2, 300), one
        column per example, and `train_Y` has shape (1, 300).
        """
    ),
    code(
        """
        train_X, train_Y, test_X, test_Y = load_circles()
        print("train_X:", train_X.shape, " train_Y:", train_Y.shape)
        print("test_X: ", test_X.shape, " test_Y: ", test_Y.shape)

        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        plot_circles(train_X, train_Y, ax=axes[0], title="training set (300 points)")
        plot_circles(test_X, test_Y, ax=axes[1], title="test set (100 points)")
        plt.show()
        """
    ),
    md(
        """
        ### The network

        We use a small network with three layers of weights:
        LINEAR → ReLU → LINEAR → ReLU → LINEAR → sigmoid, with layer sizes
        `[2, 10, 5, 1]` (2 inputs, 10 and 5 hidden units, 1 output). The output is
        the predicted probability that a point belongs to class 1.

        `train(X, Y, parameters, learning_rate, num_iterations)` runs plain gradient
        descent from the `parameters` you give it and returns the trained
        parameters together with the cost recorded every 1000 iterations. The only
        thing that changes between the experiments below is the starting point.

        The helper below trains the network from given starting parameters, stores
        the accuracies and costs in `results` and prints a short summary;
        `show_run` draws the cost curve and the decision boundary of one run.
        """
    ),
    code(
        """
        layers_dims = [2, 10, 5, 1]
        results = {}          # name -> train/test accuracy and recorded costs
        trained_params = {}   # name -> parameters after training


        def run_experiment(name, parameters, learning_rate=0.01, num_iterations=15000):
            \"\"\"Train the circles network from `parameters`; record and print how it did.\"\"\"
            trained, costs = train(train_X, train_Y, parameters,
                                   learning_rate=learning_rate, num_iterations=num_iterations)
            results[name] = {
                "train_accuracy": accuracy(train_X, train_Y, trained),
                "test_accuracy": accuracy(test_X, test_Y, trained),
                "costs": costs,
                "final_cost": cost_of(train_X, train_Y, trained),  # after the last iteration
            }
            trained_params[name] = trained
            print(f"{name}: cost {costs[0]:.6f} at the start, {results[name]['final_cost']:.6f} "
                  f"after {num_iterations} iterations")
            print(f"{name}: train accuracy {results[name]['train_accuracy']:.4f}, "
                  f"test accuracy {results[name]['test_accuracy']:.4f}")
            return trained


        def show_run(name):
            \"\"\"Cost curve and decision boundary of one experiment, side by side.\"\"\"
            fig, (ax_cost, ax_boundary) = plt.subplots(1, 2, figsize=(11, 4))
            plot_costs({name: results[name]["costs"]}, record_every=1000, ax=ax_cost,
                       title=f"cost ({name})")
            plot_decision_boundary(trained_params[name], train_X, train_Y, ax=ax_boundary,
                                   title=f"decision boundary ({name})")
            plt.show()
        """
    ),
    # ------------------------------------------------------------------ zeros
    md(
        """
        ## 3. Zero initialization

        The parameters of a network with L layers of weights are stored in a dictionary:

        * `"W1"`, ..., `"WL"`: weight matrices; W[l] (the entry `"W" + str(l)`) has one
          row per unit of layer l and one column per unit of layer l − 1, so its shape is
          `(layers_dims[l], layers_dims[l-1])`;
        * `"b1"`, ..., `"bL"`: bias column vectors; b[l] has shape
          `(layers_dims[l], 1)`.

        In the text, W[l] and b[l] are the weights and biases of layer l, and n[l] is the
        number of units of layer l, that is `layers_dims[l]` (the grader's feedback
        writes it n_l, and n_{l-1} for n[l−1]). `layers_dims[0]` is the
        number of input features, so a list of length L + 1 describes L layers of weights. For example `[4, 2, 1]` means 4 inputs,
        a hidden layer with 2 units and 1 output: `W1` is 2×4 and `W2` is 1×2.

        **Exercise 1.** Implement `initialize_parameters_zeros`: every weight matrix
        and every bias vector filled with zeros (floats). `np.zeros` takes the whole
        shape as ONE tuple, e.g. `np.zeros((3, 2))`; the keys are built with
        `"W" + str(l)` and `"b" + str(l)`.
        """  # noqa: E501 - notebook prose, kept as the notebook holds it (re-wrapping would change the release)
    ),
    md(expected_output("zeros")),
    graded("zeros"),
    check("zeros"),
    md(
        """
        Now train the circles network starting from all zeros.
        """
    ),
    code(
        """
        run_experiment("zeros", initialize_parameters_zeros(layers_dims))
        print("costs recorded every 1000 iterations:")
        print(results["zeros"]["costs"])
        show_run("zeros")
        """
    ),
    md(
        """
        The cost never moves from 0.693147… = ln 2, and the network labels every
        point the same way, so it gets exactly half of them right. Why?

        * **Forward pass.** With zero weights and biases every hidden unit computes
          ReLU(0) = 0, and the output is σ(0) = 0.5 for every
          example. A prediction of 0.5 for everything costs exactly ln 2.
        * **Backward pass.** The gradient that reaches a hidden unit is multiplied
          by the weights leading out of it, which are all zero, and the gradient of
          an outgoing weight is multiplied by that unit's activation, which is also
          zero. So every weight gets a zero gradient and never changes. Even the
          last bias stays put: its gradient is the average of (prediction − label),
          and with 0.5 predicted everywhere and as many points of each class, that
          average is exactly zero (the provided model adds up bias gradients in
          extra precision, so rounding cannot nudge it), and the cost stays at
          ln 2 to the last digit.

        There is a deeper problem that does not depend on the value 0 at all:
        **symmetry**. If all units of a layer start with the same incoming and
        outgoing weights, they compute the same output, receive the same gradient
        and therefore get the same update, step after step. They stay copies of
        each other forever, and a layer of 10 identical units is no better than a
        layer with one unit. Let us look at the rows of `W1` (one row per hidden unit):
        """
    ),
    code(
        """
        W1 = trained_params["zeros"]["W1"]
        print("W1 after 15000 iterations from zeros:")
        print(W1)
        print("largest difference between a row of W1 and its first row:", np.max(np.abs(W1 - W1[0])))
        """
    ),
    md(
        """
        Here `W1` simply stayed at zero. To see the symmetry itself, start instead
        from a *constant but non-zero* value: every weight equal to 0.5. Now the
        weights do change during training, but all rows of `W1` change in exactly
        the same way, so the 10 hidden units remain clones of one another.
        """
    ),
    code(
        """
        constant_start = {key: np.full_like(value, 0.5) if key.startswith("W") else value
                          for key, value in initialize_parameters_zeros(layers_dims).items()}
        constant_trained, _ = train(train_X, train_Y, constant_start, num_iterations=3000)
        W1_constant = constant_trained["W1"]

        print("largest difference between a row of W1 and its first row:",
              np.max(np.abs(W1_constant - W1_constant[0])))
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        plot_weight_rows(constant_start["W1"], ax=axes[0], title="W1 at the start (all 0.5)")
        plot_weight_rows(W1_constant, ax=axes[1], title="W1 after 3000 iterations")
        plt.show()
        """
    ),
    md(
        """
        The weights moved away from 0.5, yet every row is identical to the first
        one. **Takeaway:** the weights must start with *different* values to break
        the symmetry. (Biases may start at zero: once the weights differ, the units
        already behave differently.)
        """
    ),
    # ------------------------------------------------------------------ random
    md(
        """
        ## 4. Random initialization

        To break the symmetry, draw every weight at random. The standard choice is
        a normal distribution with mean 0 and standard deviation 1
        (`np.random.randn(rows, cols)` gives a matrix of such numbers), multiplied
        by a factor `scale` that sets how large the weights are. Biases still start
        at zero.

        **Exercise 2.** Implement `initialize_parameters_random(layers_dims, scale=0.01)`:
        for l = 1, …, L, in this order, draw W[l] with `np.random.randn` (shape
        `(layers_dims[l], layers_dims[l-1])`), multiply it by `scale`, and set b[l]
        to zeros. Keep the `np.random.seed(3)` line at the top and do not draw any
        other random numbers, otherwise your weights will differ from the expected ones.
        """
    ),
    md(expected_output("random")),
    graded("random"),
    check("random"),
    md(
        """
        ### Weights that are too large: `scale = 10`

        With weights around ±10 each layer multiplies the size of the signal by
        roughly 10 × √(number of inputs): a sum of n terms of random sign grows like
        √n, not like n. With 10 inputs that is about 30 per layer. By the output layer the pre-activations are
        in the thousands, and the sigmoid of such a number is, in floating point,
        exactly 1.0 (or exactly 0.0 for large negative numbers). The network is then
        not just wrong but *certain* and wrong, and the cross-entropy cost contains
        −log(1 − 1) = −log 0 = ∞. The cell below checks this before any
        training:
        """
    ),
    code(
        """
        start_10 = initialize_parameters_random(layers_dims, scale=10)
        output = forward(train_X, start_10)[-1]
        print("share of outputs that are exactly 0.0 or exactly 1.0:", np.mean((output == 0) | (output == 1)))

        run_experiment("random_10", start_10)
        show_run("random_10")
        """
    ),
    md(
        """
        The first recorded cost is `inf` (drawn as a triangle on the top edge of the plot). The
        network does recover and learns something, but a saturated sigmoid passes
        back only weak gradients, so it gets stuck at a mediocre boundary: about 83%
        on the training set after 15000 iterations.

        ### Weights that are too small: `scale = 0.01`

        Small weights avoid saturation and work well for a network with a single
        layer, where they simply mean "start close to a neutral prediction". In a
        deep network, however, every layer multiplies the signal by its weights, so
        with weights of size 0.01 the signal shrinks by a large factor at each
        layer. The gradients travel back through the same small weights and shrink
        in the same way, so the first layers barely learn. Look at the typical
        size of the activations of each layer at the start:
        """
    ),
    code(
        """
        start_001 = initialize_parameters_random(layers_dims, scale=0.01)
        activations = forward(train_X, start_001)
        for l, A in enumerate(activations):
            name = "input" if l == 0 else f"layer {l}"
            print(f"{name:8s} mean |a| = {np.mean(np.abs(A)):.2e}")

        run_experiment("random_0.01", start_001)
        show_run("random_0.01")
        """
    ),
    md(
        """
        Layer 2 is already several thousand times weaker than the input, and the
        output sits at 0.5 for every point because σ(0) = 0.5. Even with only two hidden layers,
        15000 iterations are not enough: the cost is still about ln 2 and the
        accuracy is at chance level. The cost plot shows it as a flat line (its axis
        starts at 0, and the legend gives the first and the last cost: 0.6931 both
        times). With more layers it only gets worse.

        **Takeaway:** random weights break the symmetry, but their *size* matters.
        Too large saturates the output; too small makes the signal and the gradients
        fade layer after layer. We need a size chosen for each layer.
        """
    ),
    # ------------------------------------------------------------------ He
    md(
        """
        ## 5. Scaling by the fan-in: He initialization

        Take one unit of layer l. Its pre-activation z is a sum over its
        n = n[l−1] inputs a₁, …, aₙ (n is the *fan-in*), each multiplied by its weight:

        > z = w₁·a₁ + w₂·a₂ + … + wₙ·aₙ

        If the weights are independent of each other and of the inputs, with mean 0 and
        variance Var(w), the variances of the n terms add up:

        > Var(z) = n · Var(w) · E[a²]

        where E[a²] is the average of the squared inputs (the power of the signal
        coming in). The signal keeps its size from one layer to the next when
        n · Var(w) makes up for what the activation function does:

        * **Linear or tanh units** (tanh behaves like the identity near 0): the
          activations keep the variance of z, so we want n · Var(w) = 1, that is
          Var(w) = 1/n: draw standard-normal numbers and multiply them by √(1/n).
          This is **LeCun initialization**.
        * **ReLU units** set every negative z to zero. For a z symmetric around 0
          that is half of the values, so E[a²] = Var(z)/2: ReLU halves the signal's
          power. To compensate, double the variance: Var(w) = 2/n, a factor √(2/n).
          This is **He initialization**.
        * **Glorot initialization** also looks at the backward pass, where the
          gradient reaching a unit is a sum over the n_out units of the next layer.
          It takes a compromise between the fan-in n_in and the fan-out n_out:
          Var(w) = 2/(n_in + n_out). Many libraries and courses call this rule
          "Xavier" (after Xavier Glorot), and some use that name for the 1/n rule
          as well; this notebook says LeCun for 1/n and Glorot for 2/(n_in + n_out).

        A quick experiment shows the difference. We push 1000 random inputs through
        10 layers of 100 units and print the average of a² (the signal's power)
        after each layer:
        """
    ),
    code(
        """
        rng = np.random.default_rng(0)   # a separate generator: it does not touch np.random.seed
        width, depth = 100, 10
        inputs = rng.standard_normal((width, 1000))

        def identity(z):
            return z

        def relu(z):
            return np.maximum(z, 0)

        rules = [
            ("linear units, std sqrt(1/n)", np.sqrt(1 / width), identity),
            ("ReLU units,   std sqrt(1/n)", np.sqrt(1 / width), relu),
            ("ReLU units,   std sqrt(2/n)", np.sqrt(2 / width), relu),
            ("ReLU units,   std 0.01     ", 0.01, relu),
        ]
        print("average a^2 after layers 1..10")
        for label, std, activation in rules:
            a = inputs
            powers = []
            for _ in range(depth):
                a = activation((rng.standard_normal((width, width)) * std) @ a)
                powers.append(np.mean(a ** 2))
            print(label, " ".join(f"{p:8.2g}" for p in powers))
        """
    ),
    md(
        """
        With 1/n the linear network keeps its signal, but ReLU halves it at every
        layer (after 10 layers about a thousand times weaker); with 2/n the ReLU
        network keeps it; with 0.01 it vanishes almost at once.

        **Exercise 3.** Implement `initialize_parameters_he`: for l = 1, …, L, draw
        W[l] with `np.random.randn` (shape `(layers_dims[l], layers_dims[l-1])`)
        and multiply it by √(2 / n[l−1]), where n[l−1] = `layers_dims[l-1]`
        is the fan-in of layer l. Biases are zeros. Keep the seed line.
        """
    ),
    md(expected_output("he")),
    graded("he"),
    check("he"),
    code(
        """
        run_experiment("he", initialize_parameters_he(layers_dims))
        show_run("he")
        """
    ),
    md(
        """
        The cost starts at a reasonable value, falls quickly, and the network draws
        a clean circle around the inner class.
        """
    ),
    # ------------------------------------------------------------------ comparison
    md(
        """
        ## 6. Comparing the four starting points

        Same network, same data, same learning rate, same number of iterations:
        only the first values of the weights differ.
        """
    ),
    code(
        """
        plot_costs({name: r["costs"] for name, r in results.items()}, record_every=1000,
                   title="cost on the circles, by initialization")
        plt.show()

        fig, axes = plt.subplots(1, len(trained_params), figsize=(4 * len(trained_params), 4))
        for ax, (name, params) in zip(axes, trained_params.items()):
            plot_decision_boundary(params, train_X, train_Y, ax=ax, title=name)
        plt.show()
        """
    ),
    code(
        """
        def results_table(runs):
            \"\"\"A markdown table of train/test accuracy, the first cost and the final one.\"\"\"
            rows = ["| initialization | train accuracy | test accuracy | first cost | final cost |",
                    "|---|---|---|---|---|"]
            for name, r in runs.items():
                rows.append(f"| {name} | {r['train_accuracy']:.4f} | {r['test_accuracy']:.4f} "
                            f"| {r['costs'][0]:.4f} | {r['final_cost']:.4f} |")
            return Markdown("\\n".join(rows))

        display(results_table(results))
        """,
        tags=("results",),
    ),
    md(
        """
        * **zeros**: no learning at all (symmetry, and zero gradients for the weights).
        * **random, scale 10**: an infinite first cost and a mediocre result.
        * **random, scale 0.01**: the signal fades; after 15000 iterations the
          network is still guessing.
        * **He**: fast, stable training and about 99% training accuracy.
        """
    ),
    # ------------------------------------------------------------------ deep
    md(
        """
        ## 7. A deeper network on images

        The effect of the scale grows with depth. We now train a network with four
        layers of weights, `[n_x, 20, 7, 5, 1]`, on small colour images: label 1
        means the picture contains a ring, label 0 means it does not (it shows
        another shape, or nothing). The names of the two classes are in `classes`.
        For the network each image is flattened into one column of n_x pixel
        values (height × width × 3 colour channels), scaled to the range 0 to 1.

        **Exercise 4.** Implement `initialize_parameters_deep`: the same fan-in idea,
        in the variant that divides the standard-normal draws by √(n[l−1])
        (variance 1/n, the LeCun rule from section 5). For l = 1, …, L,
        draw W[l] with `np.random.randn` (shape `(layer_dims[l], layer_dims[l-1])`),
        divide it by the square root of `layer_dims[l-1]`, and set b[l] to zeros.
        Note that this function's argument is called `layer_dims`. Keep the seed line.

        Why 1/n on a ReLU network, when section 5 showed that it halves a ReLU signal at
        every layer? This network has only three ReLU layers, so the signal reaching the
        output is about 2³ = 8 times weaker in power (about 2.8 times in size), not a
        thousand times: small enough for gradient descent to recover from, and the
        cost still falls to nearly zero. What it loses is speed at the start (smaller
        gradients in the first layers); on a network ten or twenty layers deep the
        halving compounds and He's 2/n is the safe choice.
        """
    ),
    md(expected_output("deep")),
    graded("deep"),
    check("deep"),
    code(
        """
        train_x, train_y, test_x, test_y, classes = load_images()
        raw_images = load_images(flatten=False)[0]
        print("train_x:", train_x.shape, " train_y:", train_y.shape)
        print("test_x: ", test_x.shape, " test_y: ", test_y.shape)
        print("classes:", [name.decode() for name in classes])
        print("share of label 1 in the training set:", round(float(train_y.mean()), 3))
        show_images(raw_images, train_y, classes, n=6)
        plt.show()
        """
    ),
    md(
        """
        We train the network twice for 2500 iterations with a learning rate of
        0.0075: once from `initialize_parameters_deep` and once from small random
        weights (`scale = 0.01`). The results are stored in `deep_results`.
        """
    ),
    code(
        """
        deep_dims = [train_x.shape[0], 20, 7, 5, 1]
        deep_starts = {
            "deep": initialize_parameters_deep(deep_dims),
            "random_0.01": initialize_parameters_random(deep_dims, scale=0.01),
        }
        deep_results = {}
        for name, start in deep_starts.items():
            trained, costs = train(train_x, train_y, start, learning_rate=0.0075,
                                   num_iterations=2500, record_every=100)
            deep_results[name] = {
                "train_accuracy": accuracy(train_x, train_y, trained),
                "test_accuracy": accuracy(test_x, test_y, trained),
                "costs": costs,
                "final_cost": cost_of(train_x, train_y, trained),  # after the last iteration
            }
        print("share of the majority class:", round(float(max(train_y.mean(), 1 - train_y.mean())), 4))

        plot_costs({name: r["costs"] for name, r in deep_results.items()}, record_every=100,
                   title="cost on the images, by initialization")
        plt.show()
        display(results_table(deep_results))
        """,
        tags=("results",),
    ),
    md(
        """
        With fan-in scaling the cost falls steadily and the network fits the
        training set. With `scale = 0.01` the cost only drops from 0.693 to about
        0.647, which is exactly the cost of predicting "35% chance of label 1" for
        every image: the network has learned the output bias and nothing else. It
        puts every image in the majority class, so its accuracy is just the share
        of that class.

        The histograms below show the activations of each layer for the training
        images, at the start of training (top row: fan-in scaling, bottom row:
        `scale = 0.01`). The two panels of a column use the same bins, so their
        bars can be compared. With fan-in scaling every layer keeps a spread of
        values. With `scale = 0.01` the hidden activations are squeezed towards
        zero a little more at every layer, until from layer 2 on they all fall
        into the first bar, and every output falls into the one bar at 0.5. The
        panel titles give each layer's mean and standard deviation, which show how
        far the squeeze goes: at the output the standard deviation is below one
        millionth.
        """
    ),
    code(
        """
        compare_activation_histograms(train_x, deep_starts,
                                      title="activations of each layer at the start of training")
        plt.show()
        """
    ),
    # ------------------------------------------------------------------ summary
    md(
        """
        ## 8. Summary

        * Weights must start **different** from each other: identical weights keep
          the units of a layer identical forever (zeros are the extreme case).
        * Their **size** matters: too large saturates the sigmoid (infinite cost,
          weak gradients); too small makes the signal and the gradients fade layer
          by layer, which gets worse the deeper the network is.
        * Scaling each layer by its **fan-in** keeps the signal's size roughly
          constant through the network: variance 1/n for linear or tanh units
          (LeCun), 2/n for ReLU units (He), 2/(n_in + n_out) as the Glorot
          compromise between the forward and the backward pass.

        Before you submit: run every cell from the top (Kernel → Restart & Run All)
        and make sure all four check cells print "All checks passed".
        """
    ),
]
