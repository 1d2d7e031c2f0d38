"""Small, dependency-free SVG charts for the feedback pages.

Hand-written SVG instead of matplotlib: a page needs a handful of simple charts,
and building them as text takes about a millisecond each (matplotlib's figure +
PNG encoding costs tens of milliseconds per chart, plus a second to import).
Every element is written by autograder.feedback.svg_elements, which escapes each
attribute and text (names, captions, labels) and writes out its invisible
characters, so a drawing holds only the elements and attributes written here.
Every function returns one self-contained ``<svg>`` element (with its ``xmlns``,
so the same text is also a valid ``.svg`` file), with a ``<title>`` for screen
readers. Nothing here loads fonts, scripts or anything over the network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from autograder.base.order_stats import quantiles
from autograder.feedback.svg_elements import Svg, element, fragment

STUDENT = "#e4572e"    # the student's data
REFERENCE = "#2e6fba"  # the expected / reference data
ALT_STUDENT = "#f29e4c"
ALT_REFERENCE = "#17a398"
GRID = "#e3e6ea"
AXIS = "#5b6470"
TEXT = "#1f2328"
FONT = "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if math.isfinite(x) else "0"


def fmt(x: float) -> str:
    """A tick label: short, no float noise."""
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e4 or a < 1e-3:
        m, e = f"{x:.0e}".split("e")
        return f"{m}e{int(e)}"
    return f"{x:.4g}"


def tick_label(t: float, step: float) -> str:
    """A tick label with as many decimals as the step needs (no '0.6931, 0.6931')."""
    if t == 0:
        return "0"
    if abs(t) >= 1e4 or abs(t) < 1e-3 or step <= 0:
        return fmt(t)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if round(step * 10 ** decimals, 6) % 1:
        decimals += 1
    return f"{t:.{decimals}f}"


def _title(title: str) -> Svg:
    return element("text", title, x=10, y=18, font_size=13, font_weight=600)


def _header(title: str, subtitle: str = "") -> tuple[Svg, int]:
    """Title (and an optional grey subtitle) at the top; returns (svg, y below them)."""
    if subtitle:
        return fragment(_title(title), element("text", subtitle, x=10, y=34, fill=AXIS)), 40
    return _title(title), 24


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    span = hi - lo
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = mag
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if span / step <= n:
            break
    start = math.ceil(lo / step - 1e-9) * step
    ticks, t = [], start
    while t <= hi + step * 1e-9:
        ticks.append(0.0 if abs(t) < step * 1e-9 else round(t, 12))
        t += step
    return ticks


def log_ticks(lo: float, hi: float) -> list[float]:
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    ticks = [10.0 ** k for k in range(a, b + 1)]
    if b - a <= 2:
        ticks = sorted(t * m for t in ticks for m in (1, 2, 5))
    return [t for t in ticks if lo * 0.999 <= t <= hi * 1.001]


class Axes:
    """A plotting rectangle (pixels) with data limits; y may be logarithmic."""

    def __init__(self, x: float, y: float, w: float, h: float, xlim, ylim, ylog: bool = False):
        self.x, self.y, self.w, self.h = x, y, w, h
        self.x0, self.x1 = xlim
        self.y0, self.y1 = ylim
        self.ylog = ylog
        if self.x1 == self.x0:
            self.x1 = self.x0 + 1.0
        if self.y1 == self.y0:
            self.y1 = self.y0 + 1.0

    def X(self, v: float) -> float:
        return self.x + (v - self.x0) / (self.x1 - self.x0) * self.w

    def Y(self, v: float) -> float:
        if self.ylog:
            lv, l0, l1 = math.log10(max(v, 1e-300)), math.log10(self.y0), math.log10(self.y1)
            return self.y + self.h - (lv - l0) / (l1 - l0) * self.h
        return self.y + self.h - (v - self.y0) / (self.y1 - self.y0) * self.h

    def frame(self, xlabel: str = "", ylabel: str = "", xticks=None, yticks=None) -> Svg:
        out = []
        xticks = nice_ticks(self.x0, self.x1) if xticks is None else xticks
        if yticks is None:
            yticks = log_ticks(self.y0, self.y1) if self.ylog else nice_ticks(self.y0, self.y1, 4)
        ystep = yticks[1] - yticks[0] if len(yticks) > 1 and not self.ylog else 0.0
        xstep = xticks[1] - xticks[0] if len(xticks) > 1 else 0.0
        for t in yticks:
            yy = self.Y(t)
            out.append(element("line", x1=_num(self.x), y1=_num(yy), x2=_num(self.x + self.w), y2=_num(yy),
                               stroke=GRID))
            text = fmt(t) if self.ylog else tick_label(t, ystep)
            out.append(element("text", text, x=_num(self.x - 5), y=_num(yy + 3.5), text_anchor="end"))
        for t in xticks:
            xx = self.X(t)
            out.append(element("line", x1=_num(xx), y1=_num(self.y + self.h), x2=_num(xx),
                               y2=_num(self.y + self.h + 4), stroke=AXIS))
            out.append(element("text", tick_label(t, xstep), x=_num(xx), y=_num(self.y + self.h + 15),
                               text_anchor="middle"))
        out.append(element("line", x1=_num(self.x), y1=_num(self.y + self.h), x2=_num(self.x + self.w),
                           y2=_num(self.y + self.h), stroke=AXIS))
        out.append(element("line", x1=_num(self.x), y1=_num(self.y), x2=_num(self.x), y2=_num(self.y + self.h),
                           stroke=AXIS))
        if xlabel:
            out.append(element("text", xlabel, x=_num(self.x + self.w / 2), y=_num(self.y + self.h + 30),
                               text_anchor="middle", fill=AXIS))
        if ylabel:
            cx, cy = self.x - 42, self.y + self.h / 2
            out.append(element("text", ylabel, x=_num(cx), y=_num(cy), text_anchor="middle", fill=AXIS,
                               transform=f"rotate(-90 {_num(cx)} {_num(cy)})"))
        return fragment(*out)


def _svg(width: int, height: int, title: str, body: Sequence[Svg], label: str = "") -> Svg:
    chart = {"data_chart": label} if label else {}
    return element("svg", element("title", title), element("rect", width=width, height=height, fill="white"), *body,
                   xmlns="http://www.w3.org/2000/svg", class_="chart", role="img", width=width, height=height,
                   viewBox=f"0 0 {width} {height}", font_family=FONT, font_size=11, fill=TEXT, **chart)


def _legend(items: Sequence[tuple[str, str, str]], x: float, y: float, max_width: float = 540) -> tuple[Svg, int]:
    """items: (label, colour, kind) with kind 'bar', 'line' or 'dash'; left to right, wrapped
    into rows of at most ``max_width`` pixels. Returns (svg, number of rows)."""
    out, cx, cy, rows = [], x, y, 1
    for label, colour, kind in items:
        w = 28 + 6.3 * len(label)
        if cx > x and cx + w > x + max_width:
            cx, cy, rows = x, cy + 16, rows + 1
        if kind == "bar":
            out.append(element("rect", x=_num(cx), y=_num(cy - 8), width=12, height=9, fill=colour,
                               fill_opacity="0.75"))
        else:
            dash = {"stroke_dasharray": "5 3"} if kind == "dash" else {}
            out.append(element("line", x1=_num(cx), y1=_num(cy - 4), x2=_num(cx + 16), y2=_num(cy - 4), stroke=colour,
                               stroke_width="2.2", **dash))
        out.append(element("text", label, x=_num(cx + 20), y=_num(cy)))
        cx += w
    return fragment(*out), rows


def _normal_pdf(x: np.ndarray, std: float) -> np.ndarray:
    return np.exp(-0.5 * (x / std) ** 2) / (std * math.sqrt(2 * math.pi))


def weight_histograms(panels: Sequence[dict], title: str, label: str = "weights", subtitle: str = "") -> Svg:
    """One panel per weight matrix: the student's values (bars, as a density) over the
    expected N(0, std^2) (curve). A panel: ``{"name", "values", "expected_std", "note"}``;
    ``values`` None draws an empty panel with the note."""
    head, y0 = _header(title, subtitle)
    pw, ph = 340, y0 + 268
    width = pw * max(len(panels), 1)
    legend, _ = _legend([("your weights", STUDENT, "bar"), ("expected N(0, std²)", REFERENCE, "line")], 12, y0 + 14)
    body = [head, legend]
    for i, p in enumerate(panels):
        ox = i * pw
        ax_x, ax_y, ax_w, ax_h = ox + 60, y0 + 48, pw - 80, ph - y0 - 48 - 64
        name, std = p["name"], float(p["expected_std"])
        vals = p.get("values")
        body.append(element("text", name, x=_num(ax_x), y=y0 + 38, font_weight=600))
        if vals is None or len(vals) == 0:
            body.append(element("text", p.get("note") or "no values", x=_num(ax_x), y=_num(ax_y + 40), fill=AXIS))
            continue
        v = np.asarray(vals, dtype=float)
        finite = v[np.isfinite(v)]
        hidden = v.size - finite.size
        lo, hi = -4 * std, 4 * std
        if finite.size:
            qlo, qhi = quantiles(finite, [0.005, 0.995])
            lo, hi = min(lo, float(qlo)), max(hi, float(qhi))
            if hi - lo <= 0:
                lo, hi = lo - 1, hi + 1
        bins = 32
        edges = np.linspace(lo, hi, bins + 1)
        inside = finite[(finite >= lo) & (finite <= hi)]
        outside = finite.size - inside.size
        counts, _ = np.histogram(inside, bins=edges)
        bw = edges[1] - edges[0]
        dens = counts / (max(v.size, 1) * bw)
        xs = np.linspace(lo, hi, 121)
        pdf = _normal_pdf(xs, std)
        ymax = float(max(dens.max() if dens.size else 0.0, pdf.max())) * 1.08 or 1.0
        ax = Axes(ax_x, ax_y, ax_w, ax_h, (lo, hi), (0.0, ymax))
        body.append(ax.frame(xlabel="weight value", ylabel="density"))
        for c, d, e0 in zip(counts, dens, edges[:-1]):
            if c == 0:
                continue
            x0, x1 = ax.X(e0), ax.X(e0 + bw)
            y = ax.Y(d)
            body.append(element("rect", class_="bar", x=_num(x0), y=_num(y), width=_num(max(x1 - x0 - 0.6, 0.6)),
                                height=_num(ax_y + ax_h - y), fill=STUDENT, fill_opacity="0.75"))
        pts = " ".join(f"{_num(ax.X(x))},{_num(ax.Y(y))}" for x, y in zip(xs, pdf))
        body.append(element("polyline", points=pts, fill="none", stroke=REFERENCE, stroke_width=2))
        sd = float(np.std(finite)) if finite.size else float("nan")
        line = f"your std {fmt(sd)} · expected {fmt(std)}"
        notes = []
        if hidden:
            notes.append(f"{hidden} NaN/inf not shown")
        if outside:
            notes.append(f"{outside} beyond the axis")
        if notes:
            line += f"; {', '.join(notes)}"
        body.append(element("text", line, x=_num(ax_x), y=_num(ph - 8), fill=AXIS))
    return _svg(width, ph, title, body, label)


def line_chart(series: Sequence[dict], title: str, xlabel: str, ylabel: str, label: str = "",
               width: int = 560, height: int = 290, subtitle: str = "") -> Svg:
    """Lines ``{"label", "x", "y", "colour", "dash": bool}``; NaN/inf points break a line and
    are marked with a cross at the top edge. Log y when the finite values span > 30x."""
    finite_y = [y for s in series for y in s["y"] if math.isfinite(y)]
    all_x = [x for s in series for x in s["x"]]
    left, right, bottom = 64, 16, 44
    legend_items = [(s["label"] + (" (some NaN/inf)" if any(not math.isfinite(y) for y in s["y"]) else ""),
                     s["colour"], "dash" if s.get("dash") else "line") for s in series]
    head, y0 = _header(title, subtitle)
    legend, rows = _legend(legend_items, left, y0 + 14, width - left - right)
    top = y0 + 14 + 16 * rows + 4
    height += 16 * (rows - 1) + (y0 - 24)
    body = [head, legend]
    if not finite_y or not all_x:
        body.append(element("text", "no finite values to plot", x=left, y=top + 40, fill=AXIS))
        return _svg(width, height, title, body, label)
    ylo, yhi = min(finite_y), max(finite_y)
    ylog = ylo > 0 and yhi / ylo > 30
    if ylog:
        ylim = (10 ** math.floor(math.log10(ylo)), 10 ** math.ceil(math.log10(yhi)))
    else:
        mid, half = (ylo + yhi) / 2, max((yhi - ylo) / 2, 0.05 * abs(yhi), 1e-12)  # flat stays flat
        ylo, yhi = mid - half, mid + half
        pad = half * 0.12
        ylim = (min(0.0, ylo) if ylo >= 0 and ylo < (yhi - ylo) else ylo - pad, yhi + pad)
    ax = Axes(left, top, width - left - right, height - top - bottom, (min(all_x), max(all_x)), ylim, ylog=ylog)
    body.append(ax.frame(xlabel=xlabel, ylabel=ylabel + (" (log scale)" if ylog else "")))
    for s in series:
        dash = {"stroke_dasharray": "6 4"} if s.get("dash") else {}
        seg: list[str] = []
        segs: list[list[str]] = []
        bad = []
        for x, y in zip(s["x"], s["y"]):
            if math.isfinite(y):
                seg.append(f"{_num(ax.X(x))},{_num(ax.Y(y))}")
            else:
                bad.append(x)
                if seg:
                    segs.append(seg)
                seg = []
        if seg:
            segs.append(seg)
        for pts in segs:
            if len(pts) == 1:
                xx, yy = pts[0].split(",")
                body.append(element("circle", cx=xx, cy=yy, r="2.5", fill=s["colour"]))
            else:
                body.append(element("polyline", class_="series", points=" ".join(pts), fill="none", stroke=s["colour"],
                                    stroke_width=2, **dash, stroke_linejoin="round"))
        for x in (bad[:1] + bad[-1:]) if len(bad) > 1 else bad:
            mark_x = ax.X(x)
            body.append(element("text", "×", x=_num(mark_x), y=_num(top + 4), text_anchor="middle", fill=s["colour"],
                                font_weight=700))
    return _svg(width, height, title, body, label)


def heatmaps(matrices: Sequence[dict], title: str, label: str = "", subtitle: str = "") -> Svg:
    """Weight matrices as coloured cells, one row per hidden unit (red > 0, blue < 0, white 0).
    ``{"name", "values" (2-D), "caption"}``; rows and columns beyond 24 are cut."""
    cell = 16
    vmax = 0.0
    for m in matrices:
        a = np.abs(np.asarray(m["values"], dtype=float))
        a = a[np.isfinite(a)]
        if a.size:
            vmax = max(vmax, float(a.max()))
    head, y0 = _header(title, subtitle)
    scale = (f"colour: red > 0, blue < 0, white = 0 (largest |w| {fmt(vmax)})"
             if vmax > 0 else "every weight is exactly 0 (all white)")
    x, blocks, height = 14, [], y0 + 60
    for m in matrices:
        a = np.asarray(m["values"], dtype=float)
        if a.ndim != 2:
            a = a.reshape(a.shape[0], -1) if a.ndim else a.reshape(1, 1)
        a = a[:24, :24]
        rows, cols = a.shape
        captions = str(m.get("caption", "")).split("\n")
        w = max(cols * cell, 7 * len(m["name"]), *(6.3 * len(c) for c in captions))
        top = y0 + 36
        blocks.append(element("text", m["name"], x=x, y=top - 8, font_weight=600))
        for i in range(rows):
            for j in range(cols):
                v = a[i, j]
                blocks.append(element("rect", element("title", f"{v:.3g}"), class_="cell", x=x + j * cell,
                                      y=top + i * cell, width=cell - 1, height=cell - 1, fill=_diverging(v, vmax),
                                      stroke="#d0d4da", stroke_width="0.5"))
        cy = top + rows * cell + 16
        for k, line in enumerate(captions):
            blocks.append(element("text", line, x=x, y=cy + 14 * k, fill=AXIS))
        height = max(height, cy + 14 * len(captions) + 6)
        x += int(w) + 36
    body = [head, element("text", scale, x=10, y=y0 + 12, fill=AXIS), *blocks]
    return _svg(int(max(x, 7 * len(title) + 20, 6.2 * len(subtitle) + 20, 420)), height, title, body, label)


def _diverging(v: float, vmax: float) -> str:
    if not math.isfinite(v):
        return "#222222"
    if vmax <= 0 or v == 0:
        return "#ffffff"
    t = min(abs(v) / vmax, 1.0)
    base = (228, 87, 46) if v > 0 else (46, 111, 186)
    r, g, b = (round(255 + (c - 255) * t) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


def histogram_bars(counts: Sequence[int], edges: Sequence[float], title: str, xlabel: str, ylabel: str,
                   label: str = "", width: int = 560, height: int = 260, colour: str = REFERENCE) -> Svg:
    """A plain histogram from precomputed counts (the class's score distribution)."""
    left, top, right, bottom = 56, 34, 16, 44
    ymax = max(max(counts, default=0), 1)
    ax = Axes(left, top, width - left - right, height - top - bottom, (edges[0], edges[-1]), (0, ymax * 1.1))
    yticks = [t for t in nice_ticks(0, ymax * 1.1, 4) if float(t).is_integer()]
    body = [_title(title), ax.frame(xlabel=xlabel, ylabel=ylabel, yticks=yticks)]
    for c, e0, e1 in zip(counts, edges[:-1], edges[1:]):
        if c:
            x0, x1, y = ax.X(e0), ax.X(e1), ax.Y(c)
            body.append(element("rect", element("title", f"{fmt(e0)}–{fmt(e1)}: {c}"), class_="bar", x=_num(x0 + 0.5),
                                y=_num(y), width=_num(max(x1 - x0 - 1, 1)), height=_num(top + ax.h - y), fill=colour,
                                fill_opacity="0.85"))
    return _svg(width, height, title, body, label)


def horizontal_bars(rows: Sequence[tuple[str, float, float]], title: str, label: str = "",
                    width: int = 560) -> Svg:
    """``(name, value, maximum)`` per row: a bar per row, filled to value / maximum."""
    top, rh, left = 34, 26, 150
    height = top + rh * len(rows) + 14
    bw = width - left - 90
    body = [_title(title)]
    for i, (name, value, maximum) in enumerate(rows):
        y = top + i * rh
        frac = 0.0 if maximum <= 0 else min(max(value / maximum, 0.0), 1.0)
        body.append(element("text", name, x=left - 8, y=y + 14, text_anchor="end"))
        body.append(element("rect", x=left, y=y + 3, width=bw, height=16, fill=GRID))
        body.append(element("rect", class_="bar", x=left, y=y + 3, width=_num(bw * frac), height=16, fill=REFERENCE))
        body.append(element("text", f"{value:.3g} / {maximum:g}", x=left + bw + 8, y=y + 15))
    return _svg(width, height, title, body, label)
