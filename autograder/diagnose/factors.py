"""The factor each question expects and the wrong factors students use, and which of them a
set of per-layer factors is."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.base.close import allclose
from autograder.diagnose.notation import num


@dataclass(frozen=True)
class Candidate:
    code: str            # diagnosis code ("target" for the expected factor)
    label: str           # the factor as the student would have written it
    values: np.ndarray   # one factor per layer
    exact_only: bool = False  # named from exact draws only: too close to other factors for the spread test


def target_factor(question: str, layers: list[tuple[int, int]], scale: float) -> Candidate:
    fin = np.array([n_in for _, n_in in layers], dtype=float)
    if question == "random":
        return Candidate("target", f"* scale (here {num(scale)})", np.full(len(layers), float(scale)))
    if question == "he":
        return Candidate("target", "* np.sqrt(2 / layers_dims[l-1])", np.sqrt(2.0 / fin))
    return Candidate("target", "/ np.sqrt(layer_dims[l-1])", 1.0 / np.sqrt(fin))


_CONSTANTS = (100.0, 1000.0, 0.1, 0.001, 0.0001, 0.5, 2.0, 5.0, 0.05, 0.02, 0.2, 20.0, 50.0)


_DECADES = (100.0, 1000.0, 0.1, 0.001)  # far enough apart to be told by the spread of unseeded weights


def candidates(question: str, layers: list[tuple[int, int]], scale: float) -> list[Candidate]:
    """The wrong factors students use, in order of preference when several fit."""
    fin = np.array([n_in for _, n_in in layers], dtype=float)
    fout = np.array([n_out for n_out, _ in layers], dtype=float)
    ones = np.ones(len(layers))
    target = target_factor(question, layers, scale)
    cands: list[Candidate] = []
    if question == "random":
        cands.append(Candidate("random-scale-ignored", "* 0.01", 0.01 * ones))
        cands.append(Candidate("random-scale-ignored", "* 10", 10.0 * ones))
    else:
        cands.append(Candidate("wrong-scale-0.01", "* 0.01", 0.01 * ones))
        cands.append(Candidate("wrong-scale-10", "* 10", 10.0 * ones))
    cands.append(Candidate("wrong-scale-1", "no factor at all (plain randn)", ones))
    cands.append(Candidate("wrong-scale-lecun", "* np.sqrt(1 / layers_dims[l-1])  (LeCun)",
                       np.sqrt(1.0 / fin)))
    cands.append(Candidate("wrong-scale-he", "* np.sqrt(2 / layers_dims[l-1])  (He)", np.sqrt(2.0 / fin)))
    cands.append(Candidate("wrong-scale-glorot",
                       "* np.sqrt(2 / (layers_dims[l-1] + layers_dims[l]))  (Glorot)",
                       np.sqrt(2.0 / (fin + fout))))
    if question in ("he", "deep"):
        first, second = ((2.0, 1.0) if question == "he" else (1.0, 2.0))
        for k in (first, second):
            lab = ("* np.sqrt(2 / layers_dims[l])" if k == 2.0 else "/ np.sqrt(layers_dims[l])")
            cands.append(Candidate("wrong-scale-fan-out", lab + "  (n_l, the fan-out)",
                               np.sqrt(k / fout)))
        if question == "he":
            cands.append(Candidate("wrong-scale-missing-sqrt", "* 2 / layers_dims[l-1]  (no np.sqrt)",
                               2.0 / fin))
            cands.append(Candidate("wrong-scale-sqrt-part",
                                   "* np.sqrt(2) / layers_dims[l-1]  (np.sqrt over the 2 only)",
                                   np.sqrt(2.0) / fin, exact_only=True))
        else:
            cands.append(Candidate("wrong-scale-missing-sqrt", "/ layer_dims[l-1]  (no np.sqrt)",
                               1.0 / fin))
    # Other plain numbers students hard-code: named as the number, before any formula that
    # happens to equal it here (100 is also 1 / 0.01, "divided by scale").
    for c in _CONSTANTS:
        code = "random-scale-ignored" if question == "random" else "wrong-scale-constant"
        cands.append(Candidate(code, f"* {c:g}", c * ones, exact_only=c not in _DECADES))
    inv_label = {
        "random": "/ scale (divided instead of multiplied)",
        "he": "/ np.sqrt(2 / layers_dims[l-1]) (divided instead of multiplied)",
        "deep": "* np.sqrt(layer_dims[l-1]) (multiplied instead of divided)",
    }[question]
    cands.append(Candidate("wrong-scale-inverted", inv_label, 1.0 / target.values))
    return cands


def same_factors(a: np.ndarray, b: np.ndarray, rtol: float = 1e-6) -> bool:
    return bool(allclose(a, b, rtol=rtol, atol=0.0))


def identify(values: np.ndarray, target: Candidate, cands: list[Candidate]
              ) -> tuple[str, Candidate | None, list[Candidate]]:
    """("ok"|"named"|"other", the candidate, other candidates that fit equally)."""
    if same_factors(values, target.values):
        return "ok", None, []
    hits = [c for c in cands if not same_factors(c.values, target.values) and same_factors(values, c.values)]
    if hits:
        return "named", hits[0], hits[1:]
    return "other", None, []
