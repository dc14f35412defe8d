"""The house style every kind draws in: fonts, colours, the figure at the text width, and the
layout that fits the axes and everything around them into it.

Each figure is WIDTH_IN wide, the text width, so that charts print at 1:1 and alike in both
documents. Its axes are fitted to the labels before saving (`fit`, usually two
measurements), and each file is then one drawing pass: `bbox_inches="tight"` measured the
figure again for every file, and gave every chart its own width.

Text is in Source Sans Pro; characters it lacks (Armenian, say) fall back to the fonts that
ship with matplotlib (DejaVu Sans), through matplotlib's font fallback list, in the PNG and,
as the same `font-family` list, in the SVG the PDF draws.
"""

from __future__ import annotations

import textwrap
import weakref
from typing import TYPE_CHECKING, Any, Literal

from reportgen.charts.spec import ChartSpec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

NAVY, GREY, LIGHT, INK = "#1F3A5F", "#6B7280", "#D9DEE6", "#333333"
# Series and event kinds: colours that differ in lightness too, each with its own marker,
# so that they stay apart in grayscale print.
PALETTE = (
    ("o", "#1F3A5F"), ("s", "#8C6D3F"), ("D", "#7FA7D9"), ("^", "#3F3F3F"),
    ("v", "#C9A66B"), ("P", "#5B7DB1"), ("X", "#8A8A8A"), ("*", "#6B4E9B"),
)
FALLBACK_FONTS = ("DejaVu Sans",)  # shipped with matplotlib
WIDTH_IN = 6.3  # the text width of the A4 page and the DOCX's figure width, so charts print at 1:1
PAD_IN = 0.05  # between the outermost label and the figure's edge
MIN_PLOT = 0.25  # of the set size: labels that leave the plot less widen the figure instead
PNG_DPI = 220
FONT_FAMILY = ["Source Sans Pro", *FALLBACK_FONTS]
STYLE = {
    "font.family": FONT_FAMILY,
    "font.size": 9,
    "axes.edgecolor": GREY,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10.5,
    "axes.titleweight": "semibold",
    "axes.titlelocation": "left",
    "xtick.color": INK,
    "ytick.color": INK,
    "svg.hashsalt": "reportgen",
    "svg.fonttype": "none",
    # Labels and titles are data: "US$5 to $8" is money, not TeX math to typeset (or fail on).
    "text.parse_math": False,
}
def text(value: object, width: int = 0) -> str:
    """Data as chart text (XML-safe as read: `xml_text.py`), wrapped at `width` characters when given."""
    clean = str(value)
    return "\n".join(textwrap.wrap(clean, width, break_on_hyphens=False)) if width and len(clean) > width else clean


def figure(height_in: float) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # At the PNG's resolution, the text measured to lay the chart out is measured for the PNG.
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=PNG_DPI)
    FigureCanvasAgg(fig)  # gives `fit` and the kinds a renderer to measure text with
    # The whole figure less the padding, until `fit` makes room for what is drawn around it.
    x, y = PAD_IN / WIDTH_IN, PAD_IN / height_in
    return fig, fig.add_axes((x, y, 1 - 2 * x, 1 - 2 * y))


# Figures a kind has laid out for good: what it drew after its own `fit` stays inside.
_LAID_OUT: weakref.WeakSet[Figure] = weakref.WeakSet()


def laid_out(fig: Figure) -> None:
    """Mark `fig` as laid out: `draw.py` then saves it without measuring it again."""
    _LAID_OUT.add(fig)


def laid_out_if_inside(fig: Figure, ax: Axes, added: Sequence[Text]) -> None:
    """After `fit`, mark `fig` laid out if what was `added` since lies inside the plot."""
    from reportgen.charts.axes import extents

    box = ax.bbox
    if all(box.x0 <= b.x0 and b.x1 <= box.x1 and box.y0 <= b.y0 and b.y1 <= box.y1 for b in extents(added)):
        laid_out(fig)


def is_laid_out(fig: Figure) -> bool:
    return fig in _LAID_OUT


def renderer(fig: Figure) -> Any:
    """The Agg renderer `figure` attached, to measure text with."""
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]  # FigureCanvasAgg's, not the base class's


def fit(fig: Figure, passes: int = 3) -> None:
    """Place the axes so that it and all around it (ticks, labels, title, legend) fill the
    figure to PAD_IN from each edge. Labels too long to leave the plot MIN_PLOT of the set
    size make the figure larger instead, so that nothing is cut off (it then prints scaled down).

    Tick labels are fixed by the kinds before this (fixed date ticks, a fixed number of
    number bins), so one measurement usually places the axes for good; `passes` measures
    again to make sure. A kind that fits mid-way (to place labels on the final scale) takes
    one pass, and `draw.py` checks the result unless the kind vouches for it (`laid_out`)."""
    ax = fig.axes[0]
    min_w, min_h = MIN_PLOT * fig.get_size_inches()
    left_to_do = passes
    while left_to_do > 0:
        left_to_do -= 1
        inner, outer = ax.bbox, fig.get_tightbbox(renderer(fig))  # inches
        inner_in = inner.transformed(fig.dpi_scale_trans.inverted())
        width, height = fig.get_size_inches()
        # Inches that the labels stick out of the axes on each side.
        left, right = inner_in.x0 - outer.x0, outer.x1 - inner_in.x1
        bottom, top = inner_in.y0 - outer.y0, outer.y1 - inner_in.y1
        off = (outer.x0 - PAD_IN, width - PAD_IN - outer.x1, outer.y0 - PAD_IN, height - PAD_IN - outer.y1)
        if max(map(abs, off)) < 0.01:
            return
        plot_w, plot_h = width - left - right - 2 * PAD_IN, height - bottom - top - 2 * PAD_IN
        if plot_w < min_w or plot_h < min_h:
            plot_w, plot_h = max(plot_w, min_w), max(plot_h, min_h)
            width, height = plot_w + left + right + 2 * PAD_IN, plot_h + bottom + top + 2 * PAD_IN
            fig.set_size_inches(width, height)  # only then: a new size means a new renderer, measuring afresh
            left_to_do = max(left_to_do, 1)  # text measures differently at the new size: once more
        ax.set_position(((left + PAD_IN) / width, (bottom + PAD_IN) / height, plot_w / width, plot_h / height))


def title(ax: Axes, spec: ChartSpec) -> None:
    if spec.title:
        # Placed where matplotlib would place it (no tick labels on top), which spares every
        # drawing pass its search for what might be above the axes.
        ax.set_title(text(spec.title, 110), pad=10, y=1.0, color="#111111")


def finish(ax: Axes, spec: ChartSpec, *, value_axis: Literal["x", "y"] = "y") -> None:
    """Title, axis labels (the value axis with its unit), a light grid along the value axis."""
    title(ax, spec)
    x_label, y_label = text(spec.x_label, 90), text(spec.value_label(), 60)
    if value_axis == "x":
        x_label, y_label = text(spec.value_label() or spec.x_label, 90), ""
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.grid(axis=value_axis, color=LIGHT, linewidth=0.6)
    ax.set_axisbelow(True)


def legend_below(ax: Axes, handles: Sequence[Artist], columns: int = 4) -> None:
    """A legend under the plot and its x tick labels and label, so that it covers neither
    data nor text. Call it once the tick labels are final (rotated or not): it is placed
    that many points below the axes, which stays right when `fit` moves the axes."""
    from matplotlib.transforms import offset_copy

    if not handles:
        return
    fig = ax.get_figure(root=True)
    assert fig is not None
    below = ax.xaxis.get_tightbbox(renderer(fig)) if ax.xaxis.get_visible() else None
    drop = (ax.bbox.y0 - below.y0) * 72 / fig.dpi + 6 if below is not None else 6
    ax.legend(handles=list(handles), loc="upper center", bbox_to_anchor=(0.5, 0), frameon=False, fontsize=8,
              bbox_transform=offset_copy(ax.transAxes, fig, x=0, y=-drop, units="points"),
              ncols=min(columns, len(handles)), handletextpad=0.4, columnspacing=1.2)
