"""Is every panel of a matplotlib figure showing something? (A helper for the tests.)

``empty_panels(fig)`` draws the figure and returns one line per panel (Axes) that
a reader would see as empty, or an empty list. A panel counts as showing data
when at least one of its artists is visible on screen:

* a line with a finite point inside the axes' limits;
* a bar or other rectangle of non-zero height, at least half a pixel wide and
  tall on screen, overlapping the limits (a histogram whose bins are far narrower
  than a pixel, or bars of height 0, show nothing);
* a collection (scatter points, filled contours) with a point or a path inside the limits;
* an image with finite values.

Colour bars and panels switched off with no artist (blank slots of a grid) are not
panels of data and are skipped. Self-contained (numpy and matplotlib only), so
tests/test_notebook.py can also run it inside the notebook's kernel.
"""

from __future__ import annotations

import numpy as np

#: Smallest on-screen size (pixels) of a bar that a reader can see.
MIN_PIXELS = 0.5


def _limits(ax):
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)


def _inside(ax, xy: np.ndarray) -> bool:
    """Whether any finite data point of ``xy`` (n, 2) lies inside the axes' limits."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return False
    lo_x, hi_x, lo_y, hi_y = _limits(ax)
    # a point drawn on the frame (a marker on the top edge) counts as inside
    tol_x, tol_y = 1e-9 * (hi_x - lo_x), 1e-9 * (hi_y - lo_y)
    x_ok = (xy[:, 0] >= lo_x - tol_x) & (xy[:, 0] <= hi_x + tol_x)
    y_ok = (xy[:, 1] >= lo_y - tol_y) & (xy[:, 1] <= hi_y + tol_y)
    return bool((x_ok & y_ok).any())


def _line_shows(ax, line) -> bool:
    if not line.get_visible():
        return False
    xy = np.column_stack([line.get_xdata(orig=False), line.get_ydata(orig=False)]).astype(float)
    if line.get_transform() != ax.transData:
        # drawn in axes or blended coordinates (e.g. a marker on the top edge): map to data
        xy = ax.transData.inverted().transform(line.get_transform().transform(xy))
    return _inside(ax, xy)


def _rectangle_shows(ax, patch) -> bool:
    if not patch.get_visible() or patch.get_height() == 0 or patch.get_width() == 0:
        return False
    corners = np.array([[patch.get_x(), patch.get_y()],
                        [patch.get_x() + patch.get_width(), patch.get_y() + patch.get_height()]])
    if not np.isfinite(corners).all():
        return False
    lo_x, hi_x, lo_y, hi_y = _limits(ax)
    (cx0, cy0), (cx1, cy1) = corners.min(axis=0), corners.max(axis=0)
    clipped = np.array([[max(cx0, lo_x), max(cy0, lo_y)], [min(cx1, hi_x), min(cy1, hi_y)]])
    if (clipped[1] < clipped[0]).any():
        return False  # entirely outside the limits
    pixels = np.abs(np.diff(ax.transData.transform(clipped), axis=0))[0]
    return bool((pixels >= MIN_PIXELS).all())


def _collection_shows(ax, collection) -> bool:
    if not collection.get_visible():
        return False
    offsets = np.asarray(collection.get_offsets())
    if offsets.size and _inside(ax, offsets):
        return True
    for path in collection.get_paths():
        if len(path.vertices) and _inside(ax, path.vertices):
            return True
    return False


def _image_shows(image) -> bool:
    array = np.ma.masked_invalid(np.asarray(image.get_array(), dtype=float))
    return image.get_visible() and array.count() > 0


def panel_shows_data(ax) -> bool:
    """Whether ``ax`` has at least one artist with data a reader can see."""
    from matplotlib.patches import Rectangle

    if any(_line_shows(ax, line) for line in ax.get_lines()):
        return True
    if any(isinstance(p, Rectangle) and _rectangle_shows(ax, p) for p in ax.patches):
        return True
    if any(_collection_shows(ax, c) for c in ax.collections):
        return True
    return any(_image_shows(image) for image in ax.get_images())


def _is_colorbar(ax) -> bool:
    return ax.get_label() == "<colorbar>" or getattr(ax, "_colorbar", None) is not None


def _is_blank_slot(ax) -> bool:
    return not ax.axison and not (ax.get_lines() or ax.patches or ax.collections or ax.get_images())


def _describe(ax, index: int) -> str:
    title = " ".join(ax.get_title().split()) or ax.get_ylabel() or "(untitled)"
    return f"panel {index} {title!r}"


def empty_panels(fig) -> list[str]:
    """One line for every panel of ``fig`` that shows no data (empty list if none)."""
    fig.canvas.draw()  # settles limits and layout, so pixel sizes are the final ones
    problems = []
    for index, ax in enumerate(fig.axes):
        if _is_colorbar(ax) or _is_blank_slot(ax):
            continue
        if not panel_shows_data(ax):
            problems.append(f"{_describe(ax, index)} shows no data")
    return problems
