"""Where in the student notebook (grading.yaml's ``notebook``) each diagnosis points.

``autograder.diagnose`` names a ``notebook_section`` id; this maps it to the
notebook's own numbered heading (generated from autograder/authoring/content.py;
tests/test_feedback.py proves the headings still exist), so feedback can say
"re-read section 5, Scaling by the fan-in: He initialization".
"""

from __future__ import annotations

#: section id -> (number, heading as in the notebook, what to re-read there)
SECTIONS: dict[str, tuple[str, str, str]] = {
    "zeros-symmetry": ("3", "Zero initialization",
                       "why zero weights keep every hidden unit identical (symmetry)"),
    "random-scale": ("4", "Random initialization",
                     "drawing W with np.random.randn and multiplying by `scale`"),
    "he-variance": ("5", "Scaling by the fan-in: He initialization",
                    "the factor sqrt(2 / n_{l-1}) and why it uses the fan-in"),
    "deep-scaling": ("7", "A deeper network on images",
                     "dividing the draws by sqrt(n_{l-1}) in a deeper network"),
    "shapes": ("3", "Zero initialization",
               "the parameter dictionary: keys W1, b1, ..., shapes (n_l, n_{l-1}) and (n_l, 1)"),
    "seeding": ("4", "Random initialization",
                "keeping np.random.seed(3) once at the top and drawing only the W_l, in order"),
}


def section_heading(section: str) -> str:
    """``5. Scaling by the fan-in: He initialization`` (the id itself if unknown)."""
    if section not in SECTIONS:
        return section
    number, heading, _ = SECTIONS[section]
    return f"{number}. {heading}"


def section_pointer(section: str, notebook: str) -> str:
    """One sentence for a student: which section of ``notebook`` to re-read, and for what."""
    if section not in SECTIONS:
        return f"See the notebook ({notebook})."
    number, heading, what = SECTIONS[section]
    return f"Re-read section {number}, \"{heading}\", of the notebook: {what}."
