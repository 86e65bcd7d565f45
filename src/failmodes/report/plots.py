"""Plot specs (:class:`failmodes.findings.Plot`) drawn as inline SVG with Matplotlib.

The HTML report embeds every figure as SVG text, so the file stays self-contained and prints
sharply. Drawing is generic: the renderer knows the five kinds of the spec, never the probe
that made one. Output is deterministic for the same spec — a fixed ``svg.hashsalt`` (Matplotlib
salts clip-path ids with a fresh random value otherwise), no date or creator metadata, text
drawn as paths in the bundled DejaVu Sans at fixed sizes, Matplotlib's default style under our
settings so a user's ``matplotlibrc`` cannot leak in, no wall-clock state — so the
golden-file tests and a reviewer's ``diff`` of two reports see only real changes.

The figure is built on :class:`matplotlib.figure.Figure` directly rather than through
``pyplot``: no GUI backend is chosen, no global figure list grows, and nothing is shared
between threads. Each SVG's ids get a per-figure prefix, because several figures inlined in
one HTML document would otherwise share ids such as ``patch_1`` and clip each other.

Readers who cannot see the figure get a text alternative: the probe's ``alt`` text when it
wrote one, else a description generated from the spec (kind, axes, series and their ranges).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from cycler import cycler
from markupsafe import Markup, escape
from matplotlib import style
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from failmodes.findings import Plot, Series

#: The Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000")
#: Line styles cycle with the colours, so series differ in more than colour.
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")

RC: dict[Any, Any] = {
    "svg.hashsalt": "failmodes",
    "svg.fonttype": "path",
    "svg.image_inline": True,
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 8.0,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "lines.linewidth": 1.6,
    "lines.markersize": 4.0,
    "image.interpolation": "nearest",
    "figure.dpi": 100.0,
    "savefig.dpi": 100.0,
}
FIGSIZE = (6.4, 3.4)
_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
#: Smallest value shown on a log axis of an ROC curve (a 10⁻⁵ false-positive rate).
ROC_FLOOR = 1e-5

_STRIP = re.compile(
    r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>|<!--.*?-->|<style[^>]*>.*?</style>",
    re.DOTALL,
)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(href="#|url\(#)([^")]+)')
_ROOT = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\b(width|height|viewBox)="([^"]+)"')


def text(value: str) -> str:
    """A user's string as literal text: Matplotlib would read ``$…$`` as TeX (and fail on an
    unbalanced ``$``). Escaping the dollar keeps mathtext on for the log axes' tick labels."""
    return value.replace("$", r"\$")


def _num(value: float) -> str:
    return f"{value:.3g}"


def describe(plot: Plot) -> str:
    """A text alternative for ``plot``: its own ``alt`` text, or one written from the data."""
    if plot.alt:
        return plot.alt
    kinds = {
        "line": "Line chart",
        "roc": "ROC curve on log-log axes",
        "histogram": "Histogram",
        "bar": "Bar chart",
        "images": f"{len(plot.images)} image(s)",
    }
    parts = [f"{kinds[plot.kind]}: {plot.title}."]
    if plot.kind == "images":
        if plot.captions:
            parts.append("Captions: " + "; ".join(plot.captions) + ".")
        return " ".join(parts)
    if plot.xlabel or plot.ylabel:
        parts.append(
            f"X axis: {plot.xlabel or 'unlabelled'}; Y axis: {plot.ylabel or 'unlabelled'}."
        )
    for series in plot.series:
        parts.append(_describe_series(plot, series))
    if plot.reference_line is not None:
        parts.append(f"Threshold line at {_num(plot.reference_line)}.")
    return " ".join(p for p in parts if p)


def _describe_series(plot: Plot, series: Series) -> str:
    if not series.y:
        return f"{series.label}: no data."
    if plot.kind == "bar":
        pairs = list(zip(plot.categories, series.y, strict=False))
        shown = ", ".join(f"{c} {_num(v)}" for c, v in pairs[:10])
        more = f" and {len(pairs) - 10} more" if len(pairs) > 10 else ""
        return f"{series.label}: {shown}{more}."
    if plot.kind == "histogram":
        span = f" over {_num(min(series.x))} to {_num(max(series.x))}" if series.x else ""
        return f"{series.label}: {len(series.y)} bins{span}, highest bin {_num(max(series.y))}."
    if series.x and len(series.x) == len(series.y):
        return (
            f"{series.label}: {len(series.y)} points, from {_num(series.y[0])} at "
            f"{_num(series.x[0])} to {_num(series.y[-1])} at {_num(series.x[-1])}."
        )
    low, high = _num(min(series.y)), _num(max(series.y))
    return f"{series.label}: {len(series.y)} values from {low} to {high}."


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_label(value: float, _position: float) -> str:
    """``10⁻³`` for a power of ten: plain text, because Matplotlib's default log labels are
    TeX, whose parser costs more than drawing the rest of the figure."""
    if value <= 0:
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) < 1e-9:
        return "10" + str(round(exponent)).translate(_SUPERSCRIPT)
    return f"{value:g}"


def _log_axes(ax: Axes) -> None:
    """Plain labels and no minor ticks on the log axes of ``ax``."""
    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        if scale == "log":
            axis.set_major_formatter(FuncFormatter(_power_label))
            axis.minorticks_off()


def _style(index: int) -> dict[str, Any]:
    return {
        "color": PALETTE[index % len(PALETTE)],
        "linestyle": LINESTYLES[index % len(LINESTYLES)],
    }


def _xy(series: Series) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(series.y, dtype=float)
    x = np.asarray(series.x, dtype=float) if series.x else np.arange(len(y), dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"series {series.label!r}: {len(x)} x values for {len(y)} y values")
    return x, y


def _reference(ax: Axes, value: float | None, *, vertical: bool = False) -> None:
    if value is None:
        return
    line = ax.axvline if vertical else ax.axhline
    line(value, color="#6b6b6b", linestyle="--", linewidth=1.0, label=f"threshold {_num(value)}")


def _draw_line(ax: Axes, plot: Plot) -> None:
    for i, series in enumerate(plot.series):
        x, y = _xy(series)
        marker = MARKERS[i % len(MARKERS)] if len(x) <= 25 else None
        ax.plot(x, y, label=text(series.label), marker=marker, **_style(i))
    ax.set_xscale(plot.xscale)
    ax.set_yscale(plot.yscale)
    _reference(ax, plot.reference_line)


def _draw_roc(ax: Axes, plot: Plot) -> None:
    """ROC curves on log-log axes, as Carlini et al. (2022) argue membership attacks should be
    read: what matters is the true-positive rate at very low false-positive rates, which linear
    axes squash into a corner. Points at zero cannot sit on a log axis and are left out."""
    for i, series in enumerate(plot.series):
        x, y = _xy(series)
        keep = (x > 0) & (y > 0)
        ax.plot(x[keep], y[keep], label=text(series.label), **_style(i))
    chance = np.array([ROC_FLOOR, 1.0])
    ax.plot(chance, chance, color="#6b6b6b", linestyle=":", linewidth=1.0, label="chance")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(ROC_FLOOR, 1.0)
    ax.set_ylim(ROC_FLOOR, 1.05)
    ax.set_aspect("equal", adjustable="box")
    _reference(ax, plot.reference_line, vertical=True)


def _draw_histogram(ax: Axes, plot: Plot) -> None:
    for i, series in enumerate(plot.series):
        edges = np.asarray(series.x, dtype=float)
        counts = np.asarray(series.y, dtype=float)
        if edges.shape != (counts.size + 1,):
            raise ValueError(
                f"series {series.label!r}: a histogram needs {counts.size + 1} bin edges, "
                f"got {edges.size}"
            )
        color = PALETTE[i % len(PALETTE)]
        ax.stairs(counts, edges, fill=True, alpha=0.25, color=color)
        ax.stairs(counts, edges, label=text(series.label), color=color, linewidth=1.4)
    ax.set_xscale(plot.xscale)
    ax.set_yscale(plot.yscale)
    _reference(ax, plot.reference_line, vertical=True)


def _draw_bar(ax: Axes, plot: Plot) -> None:
    """Horizontal bars, so long category names (slices, feature names) stay readable."""
    categories = plot.categories or [str(i) for i in range(max(len(s.y) for s in plot.series))]
    positions = np.arange(len(categories), dtype=float)
    count = max(len(plot.series), 1)
    height = 0.8 / count
    for i, series in enumerate(plot.series):
        if len(series.y) != len(categories):
            raise ValueError(
                f"series {series.label!r}: {len(series.y)} values for {len(categories)} categories"
            )
        offset = (i - (count - 1) / 2) * height
        ax.barh(
            positions + offset,
            series.y,
            height=height,
            label=text(series.label),
            color=PALETTE[i % len(PALETTE)],
            hatch=("", "//", "..", "xx")[i % 4],
            edgecolor="white",
        )
    ax.set_yticks(positions, labels=[text(c) for c in categories])
    ax.invert_yaxis()
    ax.set_xscale(plot.xscale)
    ax.grid(axis="y", visible=False)
    _reference(ax, plot.reference_line, vertical=True)


def _image(values: Any) -> np.ndarray:
    array: np.ndarray = np.clip(np.asarray(values, dtype=float), 0.0, 1.0)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"an image is H × W or H × W × 3/4, got shape {array.shape}")
    return array


def _images_figure(plot: Plot) -> Figure:
    images = [_image(values) for values in plot.images]
    if not images:
        raise ValueError("an images plot without images")
    columns = min(len(images), 6)
    rows = math.ceil(len(images) / columns)
    fig = Figure(figsize=(1.45 * columns, 1.7 * rows + 0.35), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(images):
            continue
        image = images[index]
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0.0, vmax=1.0)
        if index < len(plot.captions):
            ax.set_title(text(plot.captions[index]), fontsize=8)
    fig.suptitle(text(plot.title), fontsize=10)
    return fig


_DRAW = {"line": _draw_line, "roc": _draw_roc, "histogram": _draw_histogram, "bar": _draw_bar}


def figure(plot: Plot) -> Figure:
    """The Matplotlib figure for ``plot``; ``ValueError`` when its data do not fit its kind."""
    if plot.kind == "images":
        return _images_figure(plot)
    if not plot.series:
        raise ValueError(f"a {plot.kind} plot without series")
    height = FIGSIZE[1]
    if plot.kind == "bar":
        height = max(2.2, 0.9 + 0.32 * max(len(plot.categories), 1) * max(len(plot.series), 1))
    elif plot.kind == "roc":
        height = 4.2
    fig = Figure(figsize=(FIGSIZE[0], height), layout="constrained")
    ax = fig.add_subplot()
    _DRAW[plot.kind](ax, plot)
    _log_axes(ax)
    ax.set_title(text(plot.title))
    ax.set_xlabel(text(plot.xlabel))
    ax.set_ylabel(text(plot.ylabel))
    if len(plot.series) > 1 or plot.reference_line is not None or plot.kind == "roc":
        if plot.kind == "bar":  # bars fill the axes, so their legend goes outside
            ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        else:
            ax.legend(frameon=False, loc="best")
    return fig


def _prefix_ids(svg: str, prefix: str) -> str:
    ids = set(_ID.findall(svg))
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return _REF.sub(
        lambda m: m.group(1) + (f"{prefix}-{m.group(2)}" if m.group(2) in ids else m.group(2)),
        svg,
    )


def svg_markup(plot: Plot, figure_id: str) -> Markup:
    """``plot`` as inline SVG for an HTML page: ids prefixed with ``figure_id``, exposed to
    assistive technology as one image whose accessible name is its text alternative."""
    with style.context(["default", RC]):
        fig = figure(plot)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata=_METADATA)
    svg = _prefix_ids(_STRIP.sub("", buffer.getvalue()), figure_id).strip()
    root = _ROOT.search(svg)
    if root is None:  # pragma: no cover - Matplotlib always writes one
        raise ValueError("Matplotlib wrote SVG without a root element")
    size = " ".join(f'{k}="{v}"' for k, v in _SIZE.findall(root.group(0)))
    title_id = f"{figure_id}-title"
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'{size} role="img" aria-labelledby="{title_id}" class="plot-svg" focusable="false">'
        f'<title id="{title_id}">{escape(describe(plot))}</title>'
    )
    # Markup is safe here: Matplotlib draws every string as glyph outlines, comments holding the
    # strings were stripped above, and the one text node, the title, is escaped.
    return Markup(opening + svg[root.end() :])  # noqa: S704


def plots_of(evidence: dict[str, Any]) -> Sequence[Any]:
    """The raw plot specs a finding's evidence holds (a list of dicts, maybe malformed)."""
    raw = evidence.get("plots", [])
    return raw if isinstance(raw, list) else [raw]
