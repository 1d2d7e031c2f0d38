"""What a diagnosis is: the codes the package can return, their titles, and the notebook
section each points to."""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.base.results import Diagnosis  # the record, on the ground floor: every reader imports it

# The questions this package has expectations for (the factor each draws with); grading.yaml
# names their functions.
QUESTIONS = ("zeros", "random", "he", "deep")
SECTIONS = ("zeros-symmetry", "random-scale", "he-variance", "deep-scaling", "shapes", "seeding")
EXTRA_KEYS = ("repeat", "other_calls", "signature", "star")

_QUESTION_SECTION = {
    "zeros": "zeros-symmetry",
    "random": "random-scale",
    "he": "he-variance",
    "deep": "deep-scaling",
}


#: Every code this package can return, with its short title (for class summaries).
CODES: dict[str, str] = {
    # keys and shapes
    "loop-starts-at-zero": "Layer loop starts at 0 (W0/b0 or shifted keys)",
    "loop-stops-early": "Layer loop stops early (last layer missing)",
    "wrong-keys": "Wrong dictionary keys",
    "key-offset": "Key numbered off its layer ('b' + str(l + 1))",
    "index-typo": "Wrong index in a layer size (layers_dims[1] for layers_dims[l])",
    "transposed-weights": "Weight matrices transposed",
    "wrong-shapes": "Wrong weight shapes",
    "bias-shape": "Biases of the wrong shape",
    # biases
    "random-biases": "Biases drawn at random",
    "nonzero-biases": "Biases not zero",
    # zeros vs random
    "random-instead-of-zeros": "Random weights where zeros were asked",
    "zeros-instead-of-random": "Zero weights where random ones were asked",
    # distribution
    "power-instead-of-multiply": "randn ** scale instead of randn * scale",
    "uniform-instead-of-normal": "np.random.rand (uniform) instead of randn",
    "weights-offset": "A constant added to the weights (randn * factor + offset)",
    # scale
    "wrong-scale-0.01": "Weights scaled by 0.01",
    "wrong-scale-1": "Weights not scaled (factor 1)",
    "wrong-scale-10": "Weights scaled by 10",
    "random-scale-ignored": "Fixed factor instead of the scale argument",
    "wrong-scale-constant": "A fixed number as the factor",
    "wrong-scale-lecun": "LeCun factor sqrt(1/n_{l-1})",
    "wrong-scale-he": "He factor sqrt(2/n_{l-1})",
    "wrong-scale-glorot": "Glorot factor sqrt(2/(n_{l-1}+n_l))",
    "wrong-scale-fan-out": "Factor uses n_l (fan-out) instead of n_{l-1}",
    "wrong-scale-missing-sqrt": "Factor without the square root",
    "wrong-scale-sqrt-part": "Square root over part of the factor",
    "wrong-scale-inverted": "Divided where it should multiply (or vice versa)",
    "wrong-scale-other": "Right draws, wrong factor",
    "zero-factor": "A factor that is 0 (integer division `//`)",
    # seeding and order
    "wrong-seed": "Different seed",
    "not-seeded": "Not seeded (or seed not reproducible)",
    "seed-in-loop": "Seed set inside the loop",
    "reversed-layer-order": "Layers drawn in reverse order",
    "default-rng": "np.random.default_rng instead of np.random.seed/randn",
    # calling the function
    "wrong-signature": "Signature differs from the assignment's",
    "wrong-default": "Wrong default value of a parameter",
    # fallback
    "values-differ": "Values differ from the reference",
}


_SEEDING_CODES = frozenset(
    {"wrong-seed", "not-seeded", "seed-in-loop", "reversed-layer-order", "default-rng"}
)
_SHAPE_CODES = frozenset(
    {"loop-starts-at-zero", "loop-stops-early", "wrong-keys", "key-offset", "index-typo", "transposed-weights",
     "wrong-shapes", "bias-shape"}
)
_ZEROS_CODES = frozenset({"random-instead-of-zeros", "zeros-instead-of-random"})


def section_for(code: str, question: str) -> str:
    """The notebook section a diagnosis points to."""
    if code in _SEEDING_CODES:
        return "seeding"
    if code in _SHAPE_CODES:
        return "shapes"
    if code in _ZEROS_CODES:
        return "zeros-symmetry"
    return _QUESTION_SECTION.get(question, "random-scale")


@dataclass(frozen=True)
class Finding:
    """What a detector found, as data: the wording (autograder.diagnose.wording) turns it into
    the sentences a student reads.

    code -- stable id (a key of :data:`CODES`)
    question -- the question whose function returned the values
    kind -- which message describes it (several codes are found in more than one way: a
            factor from exact draws or from the spread of the weights, ...)
    facts -- the numbers found, named per kind (layers, shapes, factors, counts, the plan)
    confidence -- "high" (exact evidence) or "medium" (statistical or partial)
    partial -- the right distribution drawn with the wrong seeding or order
    """

    code: str
    question: str
    kind: str
    facts: dict = field(default_factory=dict)
    confidence: str = "high"
    partial: bool = False


def as_diagnosis(finding: Finding, message: str) -> Diagnosis:
    """The Diagnosis a check carries: the finding, its title and section, and its message."""
    return Diagnosis(code=finding.code, title=CODES[finding.code], message=message,
                     notebook_section=section_for(finding.code, finding.question),
                     confidence=finding.confidence, partial_credit_eligible=finding.partial)


def default_diagnosis(question: str, message: str) -> Diagnosis:
    """Right whenever the argument is passed, wrong without it: the ``def`` line's default value."""
    return as_diagnosis(Finding("wrong-default", question, "default"), message)


def signature_diagnosis(question: str, message: str) -> Diagnosis:
    """The function's parameters differ from the assignment's (autograder.diagnose.explain says how).

    ``question`` may be one this package does not know: the diagnosis then points to the
    random-initialization section, where the notebook shows a signature with arguments."""
    return as_diagnosis(Finding("wrong-signature", question, "signature"), message)
