"""Explain the most likely mistake behind a failed initialization check.

Pure functions on plain data: nothing here runs student code. The grading engine
calls :func:`diagnose` with what a student's function returned for one call (a dict
of float64 arrays, already checked to be that) and with the reference output for
the same call, grading.yaml's tolerance and its question -> function map; it gets
back a list of :class:`Diagnosis`, most likely first, and an empty list when the
answer is right (``numpy.allclose`` with that tolerance).

Detection and wording are apart: the detectors return :class:`Finding` objects (a
code, the question, the numbers found), and :mod:`~autograder.diagnose.wording` writes
the sentences a student reads for each.

- ``findings``: the codes, their titles and notebook sections; Finding (Diagnosis, the record: base.results)
- ``returned``: a returned dict as float64 arrays, layer shapes, the tolerance comparison
- ``detect_structure``: keys (loop from 0, loop stopping early, key numbers off their layer such as
  ``'b' + str(l + 1)``, names), shapes (and the index a wrong size comes from: ``layers_dims[1]``
  for ``layers_dims[l]``), biases
- ``detect_weights``: zeros vs random, ``rand``, ``randn ** p``, ``randn * a + b``, the factor, the
  seeding, and the factor and seeding of weights drawn in the transposed shape
- ``detect_values``: the fallback, which entries differ and by how much
- ``draws``: the seeding plans and their regenerated draws, exact factor/exponent fits
- ``factors``: the expected factor and the wrong ones students use
- ``spread``: chi-square tests of the weights' spread against each factor
- ``wording`` and ``notation``: the messages, and how numbers and shapes are written
- ``analysis``: :func:`diagnose`, the detectors in order, their findings worded; :func:`repeat_unread`,
  whether a diagnosis would read a second call at all (else the call is left out)

How the evidence works
----------------------
All three random initializations draw ``W_l = randn(n_l, n_{l-1}) * factor_l`` from
the legacy stream seeded with ``np.random.seed(3)``, layer after layer. So when a
student keeps the seed and the order but uses another factor, every ``W_l`` is the
reference draw times a constant: the per-layer ratio is exact evidence of the
factor used, which is then named (0.01, 1, 10, LeCun, He, Glorot, fan-out,
a forgotten square root, an inverted factor...). When the ratio is not constant,
the draws are regenerated under the other ways students get the stream wrong
(seed inside the loop, layers in reverse order, biases drawn too,
``np.random.default_rng``, ``np.random.rand``, other common seeds) and compared
exactly, up to one factor per layer. ``randn ** scale`` is recognised exactly too
(NaN where the draw was negative, ``draw ** p`` elsewhere). Only when nothing
regenerates the values does the module fall back to statistics: the spread of the
weights is compared with each candidate factor by a chi-square interval on the
variance, and a candidate is named only when it is the single one inside.

``extra`` (optional, every key optional)
----------------------------------------
``"repeat"``
    The dict returned by a *second* call of the same function with the same
    arguments (same process or a fresh one). If the two differ, the function is
    not seeded: the ``not-seeded`` diagnosis becomes certain.
``"other_calls"``
    A list of other calls of the *same* function, each a dict
    ``{"layers_dims": [...], "returned": {...}, "scale": float | None}``
    (``scale`` only matters for ``random``; it defaults to the main call's). They
    add samples to the statistical fallback; calls whose keys or shapes are wrong
    are ignored.
``"signature"``
    The names of the student function's positional parameters. For ``random``, fewer
    than two (no ``scale``) turns "multiply by the `scale` argument" into "add `scale`
    to the signature"; the first names the layer list in the index expressions a message quotes.
``"star"``
    ``(the student's def line, the assignment's)`` for a function whose only parameter is
    ``*args``: an empty dictionary is then the star's doing, and the message says so.

The engine should, for each random question, call the student function twice on
one layer list (``repeat``) and once on each of a couple of other layer lists
(``other_calls``), e.g. ``[5, 4, 3]``, ``[7, 6, 5, 3, 1]``, ``[12, 9, 1]``. Avoid a
fan-in of 2, where ``sqrt(2/n)`` equals 1 and two mistakes look alike.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The names below are loaded on first use. Every grading reads a submission's load messages with
# ``diagnose.explain``, which runs this file; the detectors (``analysis`` and the ten modules it
# imports) only run once a check has failed, so a correct submission's command never loads them.
# name -> the module that defines it
_FACE = {
    "diagnose": "autograder.diagnose.analysis",
    "repeat_unread": "autograder.diagnose.analysis",
    **{name: "autograder.diagnose.findings" for name in (
        "CODES", "EXTRA_KEYS", "QUESTIONS", "SECTIONS", "Diagnosis", "Finding", "default_diagnosis", "section_for",
        "signature_diagnosis")},
}

__all__ = [
    "CODES",
    "EXTRA_KEYS",
    "QUESTIONS",
    "SECTIONS",
    "Diagnosis",
    "Finding",
    "default_diagnosis",
    "diagnose",
    "repeat_unread",
    "section_for",
    "signature_diagnosis",
]

if TYPE_CHECKING:
    from autograder.diagnose.analysis import diagnose, repeat_unread
    from autograder.diagnose.findings import (
        CODES,
        EXTRA_KEYS,
        QUESTIONS,
        SECTIONS,
        Diagnosis,
        Finding,
        default_diagnosis,
        section_for,
        signature_diagnosis,
    )


def __getattr__(name: str) -> Any:
    module = _FACE.get(name)
    if module is None:
        raise AttributeError(f"module 'autograder.diagnose' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
