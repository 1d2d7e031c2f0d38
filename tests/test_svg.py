"""The feedback pictures (autograder.feedback.svg) hold only what the kit draws, whatever text they show.

The pages insert the pictures as markup, so every text a picture shows (names, titles, captions,
legend and axis labels, its data-chart label) must come out as text: the SVG parses as XML, holds
the same elements and attributes as the same picture with plain text, and shows each string
visibly (invisible and display-changing characters written out). The texts come from the kit and
grading.yaml today; these tests hold the drawing to it for any string, hostile or random.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import numpy as np
import pytest

from autograder.base.escape import svg_text
from autograder.feedback import svg
from autograder.feedback.svg_elements import Svg, element, fragment

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "x' onload='alert(1)",
    'y" onmouseover="alert(2)',
    "<script>alert(3)</script>",
    "</text><script href='//evil'/><text>",
    "]]><foreignObject><iframe src='javascript:alert(4)'/></foreignObject>",
    "<![CDATA[ raw ]]>",
    "&amp; &lt; &#60; &nonsense;",
    "bidi \u202egnp.exe\u202c and \u2066isolate\u2069",
    "zero\u200bwidth\u200djoiner\ufeffbom",
    "nul \x00 bell \x07 esc \x1b[2J del \x7f c1 \x85\x9b",
    "line\nbreak\r\ncarriage\ttab\u2028sep",
    "surrogate \udc80 and non-characters \ufffe \uffff",
    "<?xml-stylesheet href='x'?><!DOCTYPE svg [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;",
]
# Characters a random string is drawn from: markup, quotes, controls, bidi, zero-width, surrogates,
# XML's forbidden characters, and ordinary text.
ALPHABET = ("<>&'\"/=!?[]-;#x " + "".join(map(chr, range(0x20))) + "\x7f\x85\x9b\u00ad\u061c\u200b\u200e\u200f"
            "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\ufeff\ufffe\uffff\ud800\udfff"
            "aZ09é²×–·\U0001f600\U000e0041")


def _structure(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The elements of an SVG in document order, each with its attribute names; the SVG must parse."""
    root = ET.fromstring(text)
    return [(e.tag, tuple(sorted(e.attrib))) for e in root.iter()]


def _texts(text: str) -> list[str]:
    """Every text the drawing holds: element texts and attribute values."""
    root = ET.fromstring(text)
    return [t for e in root.iter() for t in (e.text, *e.attrib.values()) if t]


def _charts(s: str) -> dict[str, str]:
    """Every chart of autograder.feedback.svg, each of its texts ``s`` (with a prefix, so that texts differ)."""
    rng = np.random.default_rng(0)
    costs = list(np.exp(-np.linspace(0, 4, 20)))
    return {
        "weight_histograms": svg.weight_histograms(
            [{"name": f"name {s}", "values": rng.normal(0, 0.5, 200), "expected_std": 0.5},
             {"name": f"empty {s}", "values": None, "expected_std": 0.5, "note": f"note {s}"}],
            f"title {s}", label=f"label {s}", subtitle=f"subtitle {s}"),
        "line_chart": svg.line_chart(
            [{"label": f"yours {s}", "x": list(range(20)), "y": costs, "colour": svg.STUDENT},
             {"label": f"reference {s}", "x": list(range(20)), "y": costs, "colour": svg.REFERENCE, "dash": True}],
            f"title {s}", f"xlabel {s}", f"ylabel {s}", label=f"label {s}", subtitle=f"subtitle {s}"),
        "heatmaps": svg.heatmaps(
            [{"name": f"name {s}", "values": rng.normal(size=(3, 4)), "caption": f"caption {s}\nsecond {s}"}],
            f"title {s}", label=f"label {s}", subtitle=f"subtitle {s}"),
        "histogram_bars": svg.histogram_bars([1, 0, 3], [0.0, 1.0, 2.0, 3.0], f"title {s}", f"xlabel {s}",
                                             f"ylabel {s}", label=f"label {s}"),
        "horizontal_bars": svg.horizontal_bars([(f"row {s}", 2.0, 4.0)], f"title {s}", label=f"label {s}"),
    }


PLAIN = _charts("plain")


def _same_structure(name: str, drawing: str) -> None:
    """``drawing`` has the elements and attributes of the same chart with plain text, in the same order;
    a heatmap's caption is drawn one line per line, so there it may have more lines of text."""
    if name == "heatmaps":
        assert set(_structure(drawing)) == set(_structure(PLAIN[name])), name
    else:
        assert _structure(drawing) == _structure(PLAIN[name]), name


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_is_only_text_in_every_chart(hostile):
    for name, drawing in _charts(hostile).items():
        assert isinstance(drawing, Svg)
        # Parses as XML, with exactly the elements and attributes the plain drawing has.
        _same_structure(name, drawing)
        # Shown visibly: the text as drawn is the string with its invisible characters written out.
        shown = svg_text(hostile)
        texts = _texts(drawing)
        assert any(shown in t for t in texts), (name, shown, texts)
        for bad in ("\x00", "\x1b", "\u202e", "\u2066", "\u200b", "\ufeff", "\ufffe", "\udc80", "\n", "\r", "\u2028"):
            assert bad not in drawing, (name, repr(bad))
        assert "<script" not in drawing and "<foreignObject" not in drawing and "<!" not in drawing, name


def test_random_strings_never_change_a_chart():
    rng = random.Random(14)
    for _ in range(60):
        s = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))
        for name, drawing in _charts(s).items():
            _same_structure(name, drawing)
            assert any(svg_text(s) in t for t in _texts(drawing)), (name, repr(s))


def test_a_label_cannot_leave_its_attribute():
    drawing = svg.horizontal_bars([("q", 1.0, 2.0)], "t", label="x' onload='alert(1)")
    root = ET.fromstring(drawing)
    assert root.get("data-chart") == "x' onload='alert(1)" and root.get("onload") is None


def test_the_builder_escapes_text_and_refuses_what_it_cannot_write_safely():
    assert element("text", "a<b & 'c'", x=1, font_size="2") == \
        "<text x='1' font-size='2'>a&lt;b &amp; &#x27;c&#x27;</text>"
    assert element("rect", class_="bar") == "<rect class='bar'/>"
    # An Svg is inserted as is; a plain string that looks like markup is text.
    inner = element("title", "t")
    assert element("rect", inner) == "<rect><title>t</title></rect>"
    assert element("g", "<title>t</title>") == "<g>&lt;title&gt;t&lt;/title&gt;</g>"
    assert fragment(inner, "<x>") == "<title>t</title>&lt;x&gt;"
    for name in ("on load", "a'b", "x>y", "1x", ""):
        with pytest.raises(ValueError):
            element("rect", **{name: "1"})
        with pytest.raises(ValueError):
            element(name or "-")
    with pytest.raises(TypeError):
        element("rect", x=1.5)  # a float has no one right form: the chart writes it
    with pytest.raises(TypeError):
        element("rect", x=True)
    with pytest.raises(TypeError):
        element("text", 3)


def test_the_pages_insert_only_the_builders_svg():
    from markupsafe import Markup

    from autograder.feedback.html import trusted_svg

    drawing = svg.horizontal_bars([("q", 1.0, 2.0)], "t")
    assert isinstance(trusted_svg(drawing), Markup)
    for other in ("<svg onload='alert(1)'/>", Markup("<svg/>")):
        with pytest.raises(TypeError):
            trusted_svg(other)


def test_a_submissions_figures_show_hostile_evidence_text_as_text():
    """The feedback figures from evidence whose texts (the call, the training's dataset, the question)
    are hostile: each figure's SVG parses, holds only the kit's elements, and shows the text visibly."""
    from autograder.feedback.page import figures

    hostile = HOSTILE[1] + HOSTILE[2] + HOSTILE[7] + HOSTILE[9]
    values = np.random.default_rng(1).normal(0, 0.1, 20).astype(np.float32)
    costs = {"costs": [0.7, 0.5, 0.3], "record_every": 100, "train_accuracy": 0.9, "test_accuracy": 0.9,
             "hidden_rows_identical": [True]}
    evidence = {
        "weights": {"he": {"call": f"f({hostile})", "layers": [
            {"key": "W1", "expected_shape": [5, 4], "shape": [5, 4], "values": values, "expected_std": 0.1},
            {"key": "W2", "expected_shape": [3, 5], "shape": None, "values": None, "expected_std": 0.1}]}},
        "zeros": {"zeros": {"call": f"g({hostile})", "trained": True, "matrices": [
            {"key": "W1", "values": np.zeros((4, 3), np.float32), "rows_identical": True,
             "after_training_identical": True}]}},
        "training": {"he": [{"check": "accuracy", "training": "t", "call": f"f{hostile}(1)", "label": hostile,
                             "student": costs, "reference": costs, "same_as_reference": True}]},
    }
    config = SimpleNamespace(questions={"zeros": None, "he": None},
                             training={"t": SimpleNamespace(dataset=hostile)})
    figs = figures(SimpleNamespace(evidence=evidence), config)
    assert sorted(f.name for f in figs) == ["he-training.svg", "he-weights.svg", "zeros-hidden-units.svg"]
    allowed = {SVG + t for t in ("svg", "title", "rect", "text", "line", "polyline", "circle")}
    for f in figs:
        assert isinstance(f.svg, Svg)
        tags = {tag for tag, _ in _structure(f.svg)}
        assert tags <= allowed, (f.name, tags - allowed)
        assert any(svg_text(hostile) in t for t in _texts(f.svg)), f.name
        assert "\u202e" not in f.svg and "\x1b" not in f.svg and "<script" not in f.svg
