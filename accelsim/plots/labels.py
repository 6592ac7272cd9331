"""Labels of scatter points that do not collide (layer 7): each label goes to the first spot around its
point that stays inside the axes and overlaps no other label, marker or line; points closer than a marker
share one label."""
from __future__ import annotations

import numpy as np
from matplotlib.transforms import Bbox

from accelsim.plots.common import ANNOTATION_SIZE

#: Offsets (points) and alignments tried around a point, nearest first: (dx, dy, ha, va).
LABEL_SPOTS = ((9, 0, "left", "center"), (-9, 0, "right", "center"), (7, 7, "left", "bottom"),
               (7, -7, "left", "top"), (-7, 7, "right", "bottom"), (-7, -7, "right", "top"),
               (0, 10, "center", "bottom"), (0, -10, "center", "top"), (12, 12, "left", "bottom"),
               (12, -12, "left", "top"), (-12, 12, "right", "bottom"), (-12, -12, "right", "top"),
               (16, 18, "left", "bottom"), (16, -18, "left", "top"), (-16, 18, "right", "bottom"),
               (-16, -18, "right", "top"))
#: The gap (pixels across, up and down) kept free between two labels.
LABEL_GAP_PX = (10, 4)


def place_labels(ax, x: np.ndarray, y: np.ndarray, texts: list[str], avoid: np.ndarray | None = None) -> None:
    """Label each point at the spot around it (tried in the order of ``LABEL_SPOTS``) that stays inside
    the axes and overlaps nothing: no other label (nor the gap ``LABEL_GAP_PX`` around it), marker or the polyline ``avoid`` (data coordinates), and
    is nearer its own point than any other; where every spot fails, the one that fails least. Points
    closer than a marker's width share one label (``large @ 80%, 85%``). Needs a drawn figure, so that
    positions are those of the final layout."""
    renderer = ax.figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    centres = ax.transData.transform(np.column_stack([x, y]))
    radius = 6 * ax.figure.dpi / 72
    line = _sample_polyline(ax.transData.transform(avoid)) if avoid is not None and len(avoid) > 1 \
        else np.empty((0, 2))
    placed = []
    for members in _clusters(centres, np.argsort(-np.asarray(x, float), kind="stable"), radius * 1.2):
        k = members[0]
        text = _merge_labels([texts[m] for m in members])
        others = [c for n, c in enumerate(centres) if n not in members]
        best = None
        for spot in LABEL_SPOTS:
            label = _annotate(ax, text, x[k], y[k], spot)
            box = label.get_window_extent(renderer)
            fits = inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
            area = max(box.width * box.height, 1.0)
            overlaps = [_overlap_area(_with_gap(box), other) for other in placed]
            label_overlap = sum(o > 0 for o in overlaps) + sum(overlaps) / area
            markers = sum(box.x0 - radius < cx < box.x1 + radius and box.y0 - radius < cy < box.y1 + radius
                          for cx, cy in others)
            crossings = int(((line[:, 0] > box.x0 - 1) & (line[:, 0] < box.x1 + 1) & (line[:, 1] > box.y0 - 1)
                             & (line[:, 1] < box.y1 + 1)).sum())
            own = _distance_to_box(centres[k], box)
            ambiguous = sum(_distance_to_box(c, box) < own - 1 for c in others)
            score = 1000 * (not fits) + 100 * label_overlap + 20 * ambiguous + 10 * markers + min(crossings, 9)
            label.remove()
            if best is None or score < best[0]:
                best = (score, spot)
            if score == 0:
                break
        chosen = _annotate(ax, text, x[k], y[k], best[1])
        placed.append(chosen.get_window_extent(renderer))


def _clusters(centres: np.ndarray, order, distance: float) -> list[list[int]]:
    """Points (display coordinates) within ``distance`` of a cluster's first point join that cluster."""
    left = [int(i) for i in order if np.isfinite(centres[i]).all()]
    out = []
    while left:
        seed = left[0]
        members = [i for i in left if np.hypot(*(centres[i] - centres[seed])) <= distance]
        out.append(members)
        left = [i for i in left if i not in members]
    return out


def _merge_labels(labels: list[str]) -> str:
    """``["large @ 80%", "large @ 85%"]`` -> ``"large @ 80%, 85%"``; different models joined by `` / ``."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        head, sep, tail = label.partition(" @ ")
        groups.setdefault(head if sep else label, []).append(tail if sep else "")
    parts = []
    for head, tails in groups.items():
        tails = [t for t in tails if t]
        parts.append(f"{head} @ {', '.join(tails)}" if tails else head)
    return " / ".join(parts)


def _distance_to_box(point, box) -> float:
    """Pixels from a point to the nearest edge of a box (0 inside)."""
    dx = max(box.x0 - point[0], 0.0, point[0] - box.x1)
    dy = max(box.y0 - point[1], 0.0, point[1] - box.y1)
    return float(np.hypot(dx, dy))


def _with_gap(box):
    """``box`` grown by the gap kept between two labels: a word space across, a few pixels up and down, so
    that two labels side by side never read as one."""
    return Bbox.from_extents(box.x0 - LABEL_GAP_PX[0], box.y0 - LABEL_GAP_PX[1], box.x1 + LABEL_GAP_PX[0],
                             box.y1 + LABEL_GAP_PX[1])


def _overlap_area(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _sample_polyline(points: np.ndarray, step: float = 2.0) -> np.ndarray:
    """Points every ``step`` pixels along a polyline given in display coordinates."""
    out = [points[:1]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(2, int(np.hypot(*(b - a)) / step) + 1)
        out.append(np.linspace(a, b, n))
    return np.concatenate(out)


def _annotate(ax, text: str, x: float, y: float, spot: tuple):
    dx, dy, ha, va = spot
    leader = {"arrowstyle": "-", "color": "0.55", "linewidth": 0.6, "shrinkA": 1, "shrinkB": 4} \
        if max(abs(dx), abs(dy)) >= 12 else None         # a far label gets a line to its point
    label = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                        fontsize=ANNOTATION_SIZE, color="0.15", zorder=5, annotation_clip=False,
                        arrowprops=leader)
    label.set_in_layout(False)
    return label
