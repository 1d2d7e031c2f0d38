"""Load the assignment's datasets from ``data/`` (HDF5, read with h5py).

The data folder is found next to the package (``<root>/data``) in the repository
and in the student release; set ``INITLAB_DATA`` to point elsewhere.
Arrays come back in the layout the model expects: X of shape (n_features, m),
Y of shape (1, m).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["data_dir", "load_circles", "load_images", "TRAIN_FILES"]

# The training file of each dataset (the grader keys what it remembers about a dataset on it).
TRAIN_FILES = {"circles": "train_circles.h5", "images": "train_images.h5"}


def data_dir() -> Path:
    """The folder holding the .h5 files: ``$INITLAB_DATA`` if set, else ``<repo>/data``."""
    env = os.environ.get("INITLAB_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data"


def _read(path: Path, *keys: str):
    if not path.exists():
        raise FileNotFoundError(
            f"dataset file {path} is missing; run the notebook from the assignment folder "
            "or set INITLAB_DATA to the folder holding the .h5 files"
        )
    import h5py  # here, not at the top: the grader imports this module without needing the data

    with h5py.File(path, "r") as f:
        missing = [k for k in keys if k not in f]
        if missing:
            raise KeyError(
                f"dataset file {path} has no {', '.join(missing)}; "
                "regenerate it with data/make_datasets.py"
            )
        return tuple(f[k][()] for k in keys)


def load_circles(folder: str | os.PathLike | None = None):
    """Two concentric noisy circles: 300 training and 100 test points.

    Returns train_X (2, 300), train_Y (1, 300), test_X (2, 100), test_Y (1, 100).
    Labels are 0 (outer circle) and 1 (inner circle). ``folder`` overrides
    :func:`data_dir`, for tests and tools that keep the files elsewhere.
    """
    folder = Path(folder) if folder is not None else data_dir()
    train_x, train_y = _read(folder / TRAIN_FILES["circles"], "train_set_x", "train_set_y")
    test_x, test_y = _read(folder / "test_circles.h5", "test_set_x", "test_set_y")
    return (
        np.asarray(train_x, dtype=np.float64).T,
        np.asarray(train_y).reshape(1, -1),
        np.asarray(test_x, dtype=np.float64).T,
        np.asarray(test_y).reshape(1, -1),
    )


def load_images(flatten: bool = True, folder: str | os.PathLike | None = None):
    """The image set for the deep network, in the classic cat/non-cat layout.

    Returns train_x, train_y, test_x, test_y, classes. With ``flatten`` (the default)
    the images are flattened and scaled to [0, 1]: x of shape (H*W*3, m); otherwise the
    raw uint8 arrays of shape (m, H, W, 3). y has shape (1, m); ``classes`` is the
    bytes array of class names, indexed by label (``classes[1]`` is the positive
    class). ``folder`` overrides :func:`data_dir`.
    """
    folder = Path(folder) if folder is not None else data_dir()
    train_x, train_y, classes = _read(
        folder / TRAIN_FILES["images"], "train_set_x", "train_set_y", "list_classes"
    )
    test_x, test_y = _read(folder / "test_images.h5", "test_set_x", "test_set_y")
    train_y = np.asarray(train_y).reshape(1, -1)
    test_y = np.asarray(test_y).reshape(1, -1)
    if flatten:
        train_x = train_x.reshape(train_x.shape[0], -1).T / 255.0
        test_x = test_x.reshape(test_x.shape[0], -1).T / 255.0
    return train_x, train_y, test_x, test_y, classes
