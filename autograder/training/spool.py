"""The trainings a batch's workers wait for, posted in the shared cache folder so any idle worker trains them.

A worker of a cold batch trains its chunk's queue (autograder.training.queue). Without a shared
list, a worker that had finished its own trainings but needed one another worker had claimed sat
idle until that worker got to it, and a training only one chunk needed could only ever be trained
by that chunk's worker. So each worker posts its queued trainings here before it trains any: the
training setting and the exact initial parameters, as one entry signed with the cache's key
(autograder.training.cache_signing) under the name ``wanted-<cache key>``. A worker with nothing
of its own left to train takes posted entries whose lock is free, trains them (stacked where it
pays), and writes their outcomes to the cache, where the posting worker finds them as it would
find any outcome another worker computed.

Only the training travels, never the submission: the waiting submission, its answers and its
budget stay in the worker that graded it. What is posted is data the grader made (float64 arrays
copied out of a reply and checked for shape), written as the bytes of the arrays (base64 of
little-endian float64), read back with ``numpy.frombuffer``: nothing is unpickled or run. An
entry is used only if its signature verifies, its arrays have the shapes of the setting's
model, and the cache key of what was read is its name (so an entry of another grading.yaml, or
one altered, is never trained under a wrong key).

The bounds: a worker posts only trainings whose submission has at least ``training_seconds``
of its ``training_submission_seconds`` left and whose weights are not extreme (the rule of a
stack, autograder.training.queue), so a training trained for it elsewhere gets no more than it
would get alone. A posted training stopped at its bound (alone or with its stack) is taken off
the list and not trained by another helper: its own worker trains it alone within its
submission's budget, as a member of a stopped stack is. A worker takes its entries off when its
queue is trained; an entry left by a worker that died is at worst trained once by a later
helper, into the cache, where it belongs anyway.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from autograder.training.cache_signing import SignedCache

PREFIX = "wanted-"


def _encode(params: dict[str, np.ndarray]) -> dict:
    return {k: {"shape": list(np.shape(v)),
                "f8": base64.b64encode(np.ascontiguousarray(v, dtype="<f8").tobytes()).decode()}
            for k, v in params.items()}


def _decode(data: object, shapes: dict[str, tuple]) -> dict[str, np.ndarray] | None:
    """The arrays of an entry, if they are exactly the arrays of ``shapes`` (else None)."""
    if not isinstance(data, dict) or set(data) != set(shapes):
        return None
    out = {}
    for k, shape in shapes.items():
        item = data[k]
        if not isinstance(item, dict) or item.get("shape") != list(shape) or not isinstance(item.get("f8"), str):
            return None
        try:
            raw = base64.b64decode(item["f8"], validate=True)
        except ValueError:
            return None
        if len(raw) != 8 * int(np.prod(shape, dtype=np.int64)):
            return None
        out[k] = np.frombuffer(raw, dtype="<f8").astype(np.float64).reshape(shape)
    return out


class Spool:
    """The posted trainings of one cache folder (a signed store: there is no spool without one)."""

    def __init__(self, store: SignedCache):
        self.store = store

    def _path(self, key: str) -> Path:
        return self.store.folder / f"{PREFIX}{key}.json"

    def post(self, key: str, training: str, params: dict[str, np.ndarray]) -> bool:
        return self.store.write(f"{PREFIX}{key}", {"training": training, "params": _encode(params)})

    def take_off(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._path(key).unlink()

    def keys(self) -> Iterator[str]:
        """Keys of the posted trainings, oldest first (the order they were posted in, roughly)."""
        try:
            entries = sorted(self.store.folder.glob(f"{PREFIX}*.json"), key=_mtime)
        except OSError:
            return
        for path in entries:
            key = path.name[len(PREFIX):-len(".json")]
            if len(key) == 64 and all(c in "0123456789abcdef" for c in key):
                yield key

    def read(self, key: str, trainer) -> tuple[str, dict[str, np.ndarray]] | None:
        """(training setting, initial parameters) of a posted training, if the entry verifies (module
        docstring); an entry that does not is taken off."""
        data = self.store.read(f"{PREFIX}{key}")
        found = self._check(data, key, trainer) if data is not None else None
        if found is None:
            self.take_off(key)
        return found

    @staticmethod
    def _check(data: dict, key: str, trainer) -> tuple[str, dict[str, np.ndarray]] | None:
        training = data.get("training")
        if not isinstance(training, str) or training not in trainer.config.training:
            return None
        dims = trainer.layers(training)
        shapes = {}
        for l in range(1, len(dims)):
            shapes[f"W{l}"], shapes[f"b{l}"] = (dims[l], dims[l - 1]), (dims[l], 1)
        params = _decode(data.get("params"), shapes)
        if params is None or trainer.cache_key(training, params) != key:
            return None
        return training, params


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
