"""Regenerate every dataset file in ``data/`` and its ``SHA256SUMS``.

Usage (from the repository root)::

    .venv/bin/python data/make_datasets.py                  # write .h5 files + SHA256SUMS
    .venv/bin/python data/make_datasets.py --verify         # rebuild in a temp dir, compare
    .venv/bin/python data/make_datasets.py --check-sklearn  # circles == sklearn's?
    .venv/bin/python data/make_datasets.py --report         # deep vs randn*0.01 on the images

Writing runs the scikit-learn check first whenever scikit-learn is installed
(``pip install -e '.[data]'``) and refuses to write circles that differ.

Two datasets, four files:

* ``train_circles.h5`` / ``test_circles.h5``: the classic two noisy concentric
  circles, exactly what ``sklearn.datasets.make_circles`` returns after
  ``np.random.seed(1)`` (300 training points) and ``np.random.seed(2)`` (100 test
  points). scikit-learn is not needed: :func:`make_circles` below redoes its
  algorithm on the legacy global ``np.random`` stream, and ``--check-sklearn``
  confirms bit-for-bit equality whenever scikit-learn is installed.
* ``train_images.h5`` / ``test_images.h5``: "rings", an image set original to this
  project, in the classic cat/non-cat layout. See :func:`make_ring_images`.

The files must be byte-identical from one run to the next, so that
``SHA256SUMS`` means something: every random draw comes from a seeded legacy
stream, datasets are written uncompressed (gzip output depends on the zlib
build), without creation timestamps, in the oldest HDF5 file format (whose
object headers have no time fields) and always in the same order.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

DATA_DIR = Path(__file__).resolve().parent
CHECKSUMS = "SHA256SUMS"

# ---------------------------------------------------------------------------
# Circles
# ---------------------------------------------------------------------------

CIRCLES_TRAIN = {"n_samples": 300, "noise": 0.05, "seed": 1}
CIRCLES_TEST = {"n_samples": 100, "noise": 0.05, "seed": 2}


def make_circles(n_samples: int, noise: float, factor: float = 0.8):
    """Two noisy concentric circles, the same numbers as sklearn's ``make_circles``.

    Draws from the legacy global ``np.random`` stream (seed it first), in the
    order scikit-learn does with ``random_state=None``: one in-place shuffle of
    the sample indices, then the Gaussian noise for all coordinates. The
    arithmetic is done in sklearn's order too, so the result is bit-identical,
    not merely close. Returns X of shape (n_samples, 2) float64, y (n_samples,) int64
    (0 = outer circle, 1 = inner circle).
    """
    n_out = n_samples // 2
    n_in = n_samples - n_out
    angles_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    angles_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack(
        [
            np.append(np.cos(angles_out), np.cos(angles_in) * factor),
            np.append(np.sin(angles_out), np.sin(angles_in) * factor),
        ]
    ).T
    y = np.hstack([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    order = np.arange(n_samples)
    np.random.shuffle(order)
    X, y = X[order], y[order]
    X += np.random.normal(scale=noise, size=X.shape)
    return X, y


def circles_split(spec: dict):
    """One seeded split of the circles (``spec`` is CIRCLES_TRAIN or CIRCLES_TEST)."""
    np.random.seed(spec["seed"])
    return make_circles(spec["n_samples"], spec["noise"])


def sklearn_circles_split(spec: dict):
    """The same split from scikit-learn itself (import fails if it is not installed)."""
    from sklearn.datasets import make_circles as sk_make_circles

    np.random.seed(spec["seed"])
    X, y = sk_make_circles(n_samples=spec["n_samples"], noise=spec["noise"])
    return X, y.astype(np.int64)


# ---------------------------------------------------------------------------
# Rings: the image set
# ---------------------------------------------------------------------------

IMAGE_SIZE = 20
IMAGES_TRAIN = {"m": 260, "n_pos": 91, "seed": 11}  # 35% rings
IMAGES_TEST = {"m": 100, "n_pos": 35, "seed": 12}  # 35% rings
CLASSES = np.array([b"non-ring", b"ring"])

NOISE_SD = 12.0  # per-pixel Gaussian noise, in 0..255 units
BACKGROUND_LEVEL = (15.0, 90.0)  # dark base colour, per channel
BACKGROUND_SLOPE = 25.0  # max colour change across the image, per channel
JITTER = 2.0  # centre of the main object: image centre +- JITTER pixels
RING_RADIUS = (0.2, 0.3)  # as fractions of the image size
RING_HALF_WIDTH = 0.75  # pixels within this distance of the radius are drawn
MAX_SPECKS = 2  # bright single-pixel clutter, in both classes
NEGATIVE_KINDS = ("disc", "square", "frame", "none")


def _grid(size: int):
    """Pixel-centre coordinates (rows, cols), shared by every mask."""
    return np.mgrid[:size, :size].astype(np.float64)


def _background(size: int) -> np.ndarray:
    """A dark, randomly tinted linear gradient: lots of pixel variance unrelated to the label."""
    base = np.random.uniform(*BACKGROUND_LEVEL, size=3)
    slope_x, slope_y = np.random.uniform(-BACKGROUND_SLOPE, BACKGROUND_SLOPE, size=(2, 3))
    t = np.linspace(-0.5, 0.5, size)
    return base + t[None, :, None] * slope_x + t[:, None, None] * slope_y


def _bright_colour() -> np.ndarray:
    """A random light colour with one strong channel, so shapes stand out from the background
    by brightness while their hue carries no information about the class."""
    colour = np.random.uniform(120, 255, size=3)
    colour[np.random.randint(3)] = np.random.uniform(200, 255)
    return colour


def _ring(rows, cols, cy, cx, r):
    return np.abs(np.hypot(rows - cy, cols - cx) - r) < RING_HALF_WIDTH


def _disc(rows, cols, cy, cx, r):
    return np.hypot(rows - cy, cols - cx) <= r


def _square(rows, cols, cy, cx, half):
    return np.maximum(np.abs(rows - cy), np.abs(cols - cx)) <= half


def _frame(rows, cols, cy, cx, half):
    return np.abs(np.maximum(np.abs(rows - cy), np.abs(cols - cx)) - half) < RING_HALF_WIDTH


def _object_mask(label: int, rows, cols, size: int):
    """The main object: a ring for class 1; for class 0 a disc, a filled square, a square
    frame (ring-sized, the hard look-alike) or nothing. Returns None for nothing.

    Position and size are drawn for every image, whatever the class, so that both
    classes consume the random stream the same way up to the choice of shape.
    """
    cy, cx = (size - 1) / 2 + np.random.uniform(-JITTER, JITTER, size=2)
    r = np.random.uniform(*RING_RADIUS) * size
    if label == 1:
        return _ring(rows, cols, cy, cx, r)
    kind = NEGATIVE_KINDS[np.random.randint(len(NEGATIVE_KINDS))]
    if kind == "disc":
        return _disc(rows, cols, cy, cx, 0.55 * r)
    if kind == "square":
        return _square(rows, cols, cy, cx, 0.5 * r)
    if kind == "frame":
        return _frame(rows, cols, cy, cx, 0.9 * r)
    return None


def _draw_image(label: int, rows, cols, size: int) -> np.ndarray:
    """One (size, size, 3) uint8 image: background, specks, main object, noise."""
    img = _background(size)
    for _ in range(np.random.randint(MAX_SPECKS + 1)):
        y, x = np.random.randint(1, size - 1, size=2)
        img[y, x] = _bright_colour()
    mask = _object_mask(label, rows, cols, size)
    colour = _bright_colour()  # drawn even for "nothing", to keep the stream in step
    if mask is not None:
        img[mask] = colour
    img += np.random.normal(0.0, NOISE_SD, size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def make_ring_images(m: int, n_pos: int, size: int = IMAGE_SIZE):
    """``m`` images, exactly ``n_pos`` of them containing a ring (class 1), in random order.

    Class 1 has a bright ring near the centre; class 0 has, in the same place, a
    filled disc, a filled square, a square frame or nothing. Both classes get a
    random dark gradient background, up to two bright specks and pixel noise, and
    every shape gets a random bright colour, a random size and a position jittered
    around the centre, so colour, brightness and place do not give the class away;
    the shape does. A deep net learns it quickly from a fan-in scaled start, while a
    0.01-scaled start leaves the signal too faint to move anything but the output
    bias. Draws from the legacy global
    ``np.random`` stream (seed it first). Returns X (m, size, size, 3) uint8 and
    y (m,) int64.
    """
    y = np.zeros(m, dtype=np.int64)
    y[:n_pos] = 1
    y = y[np.random.permutation(m)]
    rows, cols = _grid(size)
    X = np.stack([_draw_image(int(label), rows, cols, size) for label in y])
    return X, y


def images_split(spec: dict):
    """One seeded split of the ring images (``spec`` is IMAGES_TRAIN or IMAGES_TEST)."""
    np.random.seed(spec["seed"])
    return make_ring_images(spec["m"], spec["n_pos"])


# ---------------------------------------------------------------------------
# Writing the files
# ---------------------------------------------------------------------------


def dataset_contents() -> dict[str, dict[str, np.ndarray]]:
    """Every file name mapped to its arrays, in writing order."""
    train_x, train_y = circles_split(CIRCLES_TRAIN)
    test_x, test_y = circles_split(CIRCLES_TEST)
    img_train_x, img_train_y = images_split(IMAGES_TRAIN)
    img_test_x, img_test_y = images_split(IMAGES_TEST)
    return {
        "train_circles.h5": {"train_set_x": train_x, "train_set_y": train_y},
        "test_circles.h5": {"test_set_x": test_x, "test_set_y": test_y},
        "train_images.h5": {
            "list_classes": CLASSES,
            "train_set_x": img_train_x,
            "train_set_y": img_train_y,
        },
        "test_images.h5": {
            "list_classes": CLASSES,
            "test_set_x": img_test_x,
            "test_set_y": img_test_y,
        },
    }


def write_h5(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` so that the same arrays always give the same bytes.

    ``libver="earliest"`` keeps version-1 object headers, which have no
    timestamp fields; ``track_times=False`` says the same for each dataset in
    case a newer format is ever chosen; no compression, no chunking.
    """
    with h5py.File(path, "w", libver="earliest", track_order=False) as f:
        for name, value in arrays.items():
            f.create_dataset(name, data=value, track_times=False)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_checksums(folder: Path) -> dict[str, str]:
    """Parse ``SHA256SUMS`` (``sha256sum`` format: hash, two spaces, file name)."""
    sums = {}
    for line in (folder / CHECKSUMS).read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    return sums


def generate(folder: Path) -> dict[str, str]:
    """Write every .h5 file and ``SHA256SUMS`` into ``folder``; return the hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    sums = {}
    for name, arrays in dataset_contents().items():
        write_h5(folder / name, arrays)
        sums[name] = sha256(folder / name)
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    (folder / CHECKSUMS).write_text(lines)
    return sums


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def verify(folder: Path) -> bool:
    """Regenerate into a temporary folder and compare with ``folder/SHA256SUMS``."""
    committed = read_checksums(folder)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
    ok = fresh == committed
    for name in sorted(set(fresh) | set(committed)):
        same = fresh.get(name) == committed.get(name)
        print(f"{'same' if same else 'DIFFERENT'}  {name}")
    return ok


def check_sklearn() -> bool:
    """Bit-for-bit comparison of :func:`make_circles` with scikit-learn's, both splits."""
    ok = True
    for label, spec in (("train", CIRCLES_TRAIN), ("test", CIRCLES_TEST)):
        X, y = circles_split(spec)
        X_sk, y_sk = sklearn_circles_split(spec)
        same = np.array_equal(X, X_sk) and np.array_equal(y, y_sk)
        ok &= same
        print(f"circles {label}: {'identical to' if same else 'DIFFERENT from'} sklearn")
    return ok


def _load_by_path(name: str, path: Path):
    """Import a module from a file path (``solutions/`` is not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REPORT_DIMS = [20, 7, 5, 1]  # hidden and output sizes of the assignment's deep net
REPORT_TRAINING = {"learning_rate": 0.0075, "num_iterations": 2500}


def compare_inits(folder: Path, record_every: int = 500) -> dict:
    """Train the assignment's deep net on the image set from the deep (randn/sqrt(fan_in))
    and the randn*0.01 initializations, with the reference init functions and the provided
    model. Returns the numbers ``--report`` prints; tests/test_data.py asserts on them."""
    root = DATA_DIR.parent
    if importlib.util.find_spec("initlab") is None:  # not installed: use the repository copy
        sys.path.insert(0, str(root / "assignment"))
    from initlab import data, model

    ref = _load_by_path("_reference_init_functions", root / "solutions" / "init_functions.py")
    train_x, train_y, test_x, test_y, classes = data.load_images(folder=folder)
    dims = [train_x.shape[0], *REPORT_DIMS]
    out = {
        "classes": classes,
        "m_train": train_x.shape[1],
        "m_test": test_x.shape[1],
        "n_x": dims[0],
        "majority_train": float(max(train_y.mean(), 1 - train_y.mean())),
        "majority_test": float(max(test_y.mean(), 1 - test_y.mean())),
    }
    inits = {
        "deep": ref.initialize_parameters_deep(dims),
        "random_0.01": ref.initialize_parameters_random(dims, 0.01),
    }
    for name, params in inits.items():
        start = time.perf_counter()
        result = model.train(train_x, train_y, params, record_every=record_every, **REPORT_TRAINING)
        out[name] = {
            "seconds": time.perf_counter() - start,
            "costs": result.costs,
            "train_acc": model.accuracy(train_x, train_y, result.parameters),
            "test_acc": model.accuracy(test_x, test_y, result.parameters),
        }
    return out


def report(folder: Path) -> None:
    """Print what students will see on the image set from both initializations."""
    r = compare_inits(folder)
    print(
        f"images: {r['m_train']} train, {r['m_test']} test, {r['n_x']} features, "
        f"classes {r['classes']}; net [n_x, {', '.join(map(str, REPORT_DIMS))}], "
        f"lr {REPORT_TRAINING['learning_rate']}, {REPORT_TRAINING['num_iterations']} iterations"
    )
    print(f"majority-class rate: train {r['majority_train']:.4f}, test {r['majority_test']:.4f}")
    labels = {"deep": "deep (randn/sqrt(fan_in))", "random_0.01": "random (randn*0.01)"}
    for name, label in labels.items():
        s = r[name]
        costs = ", ".join(f"{c:.4f}" for c in s["costs"])
        print(
            f"{label:26s} train acc {s['train_acc']:.4f}  test acc {s['test_acc']:.4f}  "
            f"cost every 500 it [{costs}]  {s['seconds']:.1f} s"
        )


def _sklearn_available() -> bool:
    return importlib.util.find_spec("sklearn") is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Regenerate data/*.h5 and SHA256SUMS (default), or check or report on them."
    )
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="data folder (default: data/)")
    parser.add_argument(
        "--verify", action="store_true", help="regenerate in a temp dir, compare with SHA256SUMS"
    )
    parser.add_argument(
        "--check-sklearn", action="store_true", help="compare the circles with scikit-learn's"
    )
    parser.add_argument(
        "--report", action="store_true", help="train deep vs randn*0.01 on the image set"
    )
    args = parser.parse_args(argv)

    if args.check_sklearn and not _sklearn_available():
        print("--check-sklearn needs scikit-learn: pip install -e '.[data]'", file=sys.stderr)
        return 2
    if not (args.check_sklearn or args.verify or args.report):
        # Writing: never commit circles that scikit-learn would not have produced.
        if _sklearn_available() and not check_sklearn():
            return 1
        if not _sklearn_available():
            print("scikit-learn not installed: circles written without the sklearn check")
        for name, digest in generate(args.out).items():
            print(f"{digest}  {name}")
        return 0
    ok = True
    if args.check_sklearn:
        ok &= check_sklearn()
    if args.verify:
        ok &= verify(args.out)
    if args.report:
        report(args.out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
