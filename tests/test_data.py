"""The committed datasets in data/, their generator and the loader contract.

The .h5 files are the ground truth students and the grader read; these tests pin
them (checksums, published values, layouts), check that data/make_datasets.py
still produces exactly their arrays, and check the property the image set exists
for: a fan-in scaled start trains the deep net, a randn*0.01 start does not.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from initlab.data import load_circles, load_images
from initlab.model import accuracy, train

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def _load_by_path(name: str, path: Path):
    """Import a file that is not part of a package (data/ and solutions/ are not)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


make_datasets = _load_by_path("_make_datasets", DATA / "make_datasets.py")

CIRCLE_SPLITS = {"train": make_datasets.CIRCLES_TRAIN, "test": make_datasets.CIRCLES_TEST}
IMAGE_SPLITS = {"train": make_datasets.IMAGES_TRAIN, "test": make_datasets.IMAGES_TEST}


def _read(name: str) -> dict[str, np.ndarray]:
    with h5py.File(DATA / name, "r") as f:
        return {key: f[key][()] for key in f}


def _committed_circles(split: str):
    arrays = _read(f"{split}_circles.h5")
    return arrays[f"{split}_set_x"], arrays[f"{split}_set_y"]


# --- integrity -------------------------------------------------------------


def test_checksums_list_every_h5_file():
    listed = set(make_datasets.read_checksums(DATA))
    on_disk = {p.name for p in DATA.glob("*.h5")}
    assert listed == on_disk


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.h5")))
def test_file_matches_sha256sums(name):
    expected = make_datasets.read_checksums(DATA)[name]
    assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == expected


def test_regeneration_is_byte_stable(tmp_path):
    """Two runs give identical bytes. (Equality with the committed hashes is checked by
    ``make_datasets.py --verify``; it also depends on the HDF5 library version.)"""
    first = make_datasets.generate(tmp_path / "a")
    second = make_datasets.generate(tmp_path / "b")
    assert first == second
    sums = [(tmp_path / run / "SHA256SUMS").read_bytes() for run in ("a", "b")]
    assert sums[0] == sums[1]


# --- circles ---------------------------------------------------------------


def test_first_training_circle_is_the_published_one():
    train_x, train_y = _committed_circles("train")
    np.testing.assert_allclose(train_x[0], [-0.07741354, 0.85260226], rtol=0, atol=1e-8)
    assert train_y[0] == 1


@pytest.mark.parametrize("split, m", [("train", 300), ("test", 100)])
def test_circles_file_layout(split, m):
    x, y = _committed_circles(split)
    assert x.shape == (m, 2) and x.dtype == np.float64
    assert y.shape == (m,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}


def test_load_circles_layout():
    train_X, train_Y, test_X, test_Y = load_circles()
    assert train_X.shape == (2, 300) and train_X.dtype == np.float64
    assert train_Y.shape == (1, 300) and train_Y.dtype == np.int64
    assert test_X.shape == (2, 100) and test_X.dtype == np.float64
    assert test_Y.shape == (1, 100) and test_Y.dtype == np.int64


def _sklearn_or_committed_circles(split: str):
    """scikit-learn's output when it is installed; otherwise the committed file, which
    ``make_datasets.py --check-sklearn`` compared with scikit-learn when it was generated.
    (Not a skip: without scikit-learn the generator is still checked against that record.)"""
    try:
        return make_datasets.sklearn_circles_split(CIRCLE_SPLITS[split])
    except ImportError:
        return _committed_circles(split)


@pytest.mark.parametrize("split", ["train", "test"])
def test_circles_generator_equals_sklearn(split):
    X, y = make_datasets.circles_split(CIRCLE_SPLITS[split])
    X_ref, y_ref = _sklearn_or_committed_circles(split)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


@pytest.mark.parametrize("split", ["train", "test"])
def test_circles_generator_equals_committed_files(split):
    X, y = make_datasets.circles_split(CIRCLE_SPLITS[split])
    X_file, y_file = _committed_circles(split)
    np.testing.assert_array_equal(X, X_file)
    np.testing.assert_array_equal(y, y_file)


# --- images ----------------------------------------------------------------


@pytest.mark.parametrize("split", ["train", "test"])
def test_images_file_layout(split):
    spec, size = IMAGE_SPLITS[split], make_datasets.IMAGE_SIZE
    arrays = _read(f"{split}_images.h5")
    assert set(arrays) == {f"{split}_set_x", f"{split}_set_y", "list_classes"}
    x, y, classes = arrays[f"{split}_set_x"], arrays[f"{split}_set_y"], arrays["list_classes"]
    assert x.shape == (spec["m"], size, size, 3) and x.dtype == np.uint8
    assert y.shape == (spec["m"],) and y.dtype == np.int64
    assert classes.shape == (2,) and classes.dtype.kind == "S"
    assert list(classes) == [b"non-ring", b"ring"]
    assert set(np.unique(y)) == {0, 1}
    assert int(y.sum()) == spec["n_pos"]  # not 50/50, so the majority-class rate shows


def test_load_images_layout():
    spec_tr, spec_te = IMAGE_SPLITS["train"], IMAGE_SPLITS["test"]
    n_x = make_datasets.IMAGE_SIZE**2 * 3
    train_x, train_y, test_x, test_y, classes = load_images()
    assert train_x.shape == (n_x, spec_tr["m"]) and train_x.dtype == np.float64
    assert test_x.shape == (n_x, spec_te["m"]) and test_x.dtype == np.float64
    assert 0.0 <= train_x.min() and train_x.max() <= 1.0
    assert train_y.shape == (1, spec_tr["m"]) and test_y.shape == (1, spec_te["m"])
    assert list(classes) == [b"non-ring", b"ring"]

    raw_x, raw_y, raw_test_x, _, _ = load_images(flatten=False)
    assert raw_x.shape == (spec_tr["m"],) + (make_datasets.IMAGE_SIZE,) * 2 + (3,)
    assert raw_x.dtype == np.uint8 and raw_test_x.dtype == np.uint8
    np.testing.assert_array_equal(raw_x.reshape(spec_tr["m"], -1).T / 255.0, train_x)
    np.testing.assert_array_equal(raw_y, train_y)


@pytest.mark.parametrize("split", ["train", "test"])
def test_image_generator_equals_committed_files(split):
    X, y = make_datasets.images_split(IMAGE_SPLITS[split])
    arrays = _read(f"{split}_images.h5")
    np.testing.assert_array_equal(X, arrays[f"{split}_set_x"])
    np.testing.assert_array_equal(y, arrays[f"{split}_set_y"])


# --- the point of the image set ---------------------------------------------


def _single_threaded_blas():
    """These matrices are too small to gain from BLAS threads, and on a busy machine
    OpenBLAS's spinning threads made this training over ten times slower; so limit
    them to one when threadpoolctl is installed (it comes with scikit-learn)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


@pytest.fixture(scope="module")
def trained_from_both_inits():
    """Train [n_x, 20, 7, 5, 1] for 2500 iterations at lr 0.0075 from the reference deep
    and randn*0.01 initializations (about two seconds each)."""
    ref = _load_by_path("_reference_init_functions", ROOT / "solutions" / "init_functions.py")
    train_x, train_y, test_x, test_y, _ = load_images()
    dims = [train_x.shape[0], 20, 7, 5, 1]
    results = {}
    for name, params in (
        ("deep", ref.initialize_parameters_deep(dims)),
        ("small", ref.initialize_parameters_random(dims, 0.01)),
    ):
        with _single_threaded_blas():
            result = train(
                train_x, train_y, params, learning_rate=0.0075, num_iterations=2500, record_every=500
            )
        results[name] = {
            "costs": result.costs,
            "train_acc": accuracy(train_x, train_y, result.parameters),
            "test_acc": accuracy(test_x, test_y, result.parameters),
        }
    p_train, p_test = train_y.mean(), test_y.mean()
    results["majority_train"] = max(p_train, 1 - p_train)
    results["majority_test"] = max(p_test, 1 - p_test)
    results["prior_entropy"] = -(p_train * np.log(p_train) + (1 - p_train) * np.log(1 - p_train))
    return results


def test_deep_init_learns_the_image_set(trained_from_both_inits):
    r = trained_from_both_inits
    assert r["deep"]["train_acc"] >= 0.95
    assert r["deep"]["test_acc"] >= r["majority_test"] + 0.15  # clearly better than chance
    assert r["deep"]["costs"][-1] < 0.1


def test_small_init_stalls_at_the_majority_class(trained_from_both_inits):
    r = trained_from_both_inits
    assert abs(r["small"]["train_acc"] - r["majority_train"]) <= 0.03
    # Only the output bias learns: the cost falls from log 2 to the entropy of the
    # class prior, the best a constant prediction can do, and no further.
    assert r["small"]["costs"][0] == pytest.approx(np.log(2), abs=1e-3)
    assert r["small"]["costs"][-1] >= r["prior_entropy"] - 0.005
