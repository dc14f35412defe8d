"""Draw stage: chart specs + data -> SVG (for the PDF) and PNG (for Word), in one house style.

matplotlib is imported here only, and only when a chart must be drawn: it costs ~0.45 s, most
of a small chart stage, and a process sets it up once (`_setup`). Charts are bare `Figure`s,
without pyplot: no figure registry to close, no global state; the house style applies per
chart through `rc_context`.

Each figure is WIDTH_IN wide, the text width, so that charts print at 1:1 and alike in both
documents. Its axes are fitted to the labels before saving (`_fit`, usually two measurements),
and each file is then one drawing pass: `bbox_inches="tight"` measured the figure again for
every file, and gave every chart its own width, which the documents then scaled to the text
width.

The SVG keeps text as text (`svg.fonttype: none`) in the house font, which the PDF template's
@font-face rules supply: WeasyPrint draws SVG node by node, and glyph outlines cost it 0.1-0.6 s
a chart, several times what text costs. So every string from the data is stripped of the
characters XML cannot carry. Outputs are deterministic (fixed SVG hash salt, no dates in
metadata) so that unchanged data gives unchanged files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from reportgen.config import ChartConfig
from reportgen.data import EVENT_KINDS, Dataset
from reportgen.fonts import SANS_DIR

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure
    from matplotlib.transforms import Transform

NAVY, GREY, LIGHT = "#1F3A5F", "#6B7280", "#D9DEE6"
# Distinct in grayscale too: each kind has its own marker and shade.
KIND_STYLE = {
    "security": ("s", "#1F3A5F"),
    "diplomatic": ("o", "#5B7DB1"),
    "legal": ("D", "#8C6D3F"),
    "economic": ("^", "#9AA5B1"),
}
WIDTH_IN = 6.3  # the text width of the A4 page and the DOCX's figure width, so charts print at 1:1
PAD_IN = 0.05  # between the outermost label and the figure's edge
MIN_PLOT = 0.25  # of the set size: labels that leave the plot less widen the figure instead
PNG_DPI = 220
STYLE = {
    "font.family": "Source Sans Pro",
    "font.size": 9,
    "axes.edgecolor": GREY,
    "axes.labelcolor": "#333333",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10.5,
    "axes.titleweight": "semibold",
    "axes.titlelocation": "left",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "svg.hashsalt": "reportgen",
    "svg.fonttype": "none",
    # Labels and titles are data: "US$5 to $8" is money, not TeX math to typeset (or fail on).
    "text.parse_math": False,
}
# Control characters, lone surrogates and non-characters: not allowed in XML, so not in the SVG.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@cache
def _setup() -> ModuleType:
    """Import what drawing needs (the SVG backend is otherwise imported at the first SVG) and
    register the house fonts, once per process."""
    try:
        import matplotlib
        import matplotlib.backends.backend_agg
        import matplotlib.backends.backend_svg
        import matplotlib.figure
        from matplotlib import font_manager
    except RuntimeError as exc:
        # Ctrl-C while matplotlib defines its classes surfaces as "RuntimeError: Error calling
        # __set_name__"; let it be the interrupt it is.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            raise exc.__cause__ from None
        raise
    for name in ("Regular", "Semibold", "Bold", "It"):
        font_manager.fontManager.addfont(str(SANS_DIR / f"SourceSansPro-{name}.ttf"))
    return matplotlib


def draw_chart(chart: ChartConfig, data: Dataset, out_dir: Path) -> tuple[Path, Path]:
    """Draw one chart; return the SVG and PNG paths."""
    matplotlib = _setup()
    draw: Callable[[ChartConfig, Dataset], Figure] = {"line": _line, "bar": _bar, "timeline": _timeline}[chart.kind]
    out_dir.mkdir(parents=True, exist_ok=True)
    svg, png = out_dir / f"{chart.id}.svg", out_dir / f"{chart.id}.png"
    # Both files are drawn before either is replaced, so an interrupted build never leaves a
    # new SVG beside an old PNG, nor a temporary file behind.
    temps = {path: path.with_name(f".{path.name}.{os.getpid()}.tmp") for path in (svg, png)}
    try:
        with matplotlib.rc_context(STYLE):
            fig = draw(chart, data)
            _fit(fig)
            fig.savefig(temps[svg], format="svg", metadata={"Date": None, "Creator": None})
            # zlib level 3: for these flat colours no larger than the default 6, and faster.
            fig.savefig(temps[png], format="png", dpi=PNG_DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 3})
        for path, tmp in temps.items():
            os.replace(tmp, path)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return svg, png


def _figure(height_in: float) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # At the PNG's resolution, the text measured to lay the chart out is measured for the PNG.
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=PNG_DPI)
    FigureCanvasAgg(fig)  # gives `_fit` and `_timeline` a renderer to measure text with
    # The whole figure less the padding, until `_fit` makes room for what is drawn around it.
    x, y = PAD_IN / WIDTH_IN, PAD_IN / height_in
    return fig, fig.add_axes((x, y, 1 - 2 * x, 1 - 2 * y))


def _fit(fig: Figure) -> None:
    """Place the axes so that it and all around it (ticks, labels, title, legend) fill the
    figure to PAD_IN from each edge. Labels too long to leave the plot MIN_PLOT of the set
    size make the figure larger instead, so that nothing is cut off (it then prints scaled down)."""
    (ax,) = fig.axes
    min_w, min_h = MIN_PLOT * fig.get_size_inches()
    # Tick and data labels move with the axes (and ticks may change): measure until it fits.
    for _ in range(3):
        inner, outer = ax.bbox, ax.get_tightbbox(fig.canvas.get_renderer())  # pixels at fig.dpi
        width, height = fig.get_size_inches()
        # Inches that the labels stick out of the axes on each side.
        left, right = (inner.x0 - outer.x0) / fig.dpi, (outer.x1 - inner.x1) / fig.dpi
        bottom, top = (inner.y0 - outer.y0) / fig.dpi, (outer.y1 - inner.y1) / fig.dpi
        off = (outer.x0 / fig.dpi - PAD_IN, width - PAD_IN - outer.x1 / fig.dpi,
               outer.y0 / fig.dpi - PAD_IN, height - PAD_IN - outer.y1 / fig.dpi)
        if max(map(abs, off)) < 0.01:
            return
        plot_w, plot_h = width - left - right - 2 * PAD_IN, height - bottom - top - 2 * PAD_IN
        if plot_w < min_w or plot_h < min_h:
            plot_w, plot_h = max(plot_w, min_w), max(plot_h, min_h)
            width, height = plot_w + left + right + 2 * PAD_IN, plot_h + bottom + top + 2 * PAD_IN
            fig.set_size_inches(width, height)  # only then: a new size means a new renderer, measuring afresh
        ax.set_position(((left + PAD_IN) / width, (bottom + PAD_IN) / height, plot_w / width, plot_h / height))


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _thousands(axis: Axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _limits(values: list[float], headroom: float) -> tuple[float, float]:
    """Axis limits from zero to the data, with room for the value labels; negative values
    (a fall, a deficit) stay in view instead of being cut off below zero."""
    low, high = min(0.0, *values), max(0.0, *values)
    pad = (high - low) * headroom or 1.0
    return (low - pad if low < 0 else 0.0), high + pad


def _title(ax: Axes, chart: ChartConfig) -> None:
    if chart.title:
        # Placed where matplotlib would place it (no tick labels on top), which spares every
        # drawing pass its search for what might be above the axes.
        ax.set_title(_text(chart.title), pad=10, y=1.0, color="#111111")


def _finish(ax: Axes, chart: ChartConfig) -> None:
    _title(ax, chart)
    ax.set_xlabel(_text(chart.x_label))
    ax.set_ylabel(_text(chart.y_label))
    ax.grid(axis="y", color=LIGHT, linewidth=0.6)
    ax.set_axisbelow(True)


def _line(chart: ChartConfig, data: Dataset) -> Figure:
    from matplotlib import dates as mdates

    rows = sorted(data.rows, key=lambda r: r.values[chart.x])
    xs = [r.values[chart.x] for r in rows]
    ys = [r.values[chart.y] for r in rows]
    fig, ax = _figure(3.0)
    ax.plot(xs, ys, color=NAVY, linewidth=1.8, marker="o", markersize=4)
    ax.fill_between(xs, ys, color=NAVY, alpha=0.08, linewidth=0)
    for x, y in zip(xs, ys):
        ax.annotate(f"{y:,.0f}", (x, y), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=7.5, color="#333333")
    ax.set_ylim(*_limits(ys, 0.18))
    _thousands(ax.yaxis)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
    # matplotlib's dates stop at years 1 and 9999: its 5 % margin (two years either side of a
    # lone date) must not cross them.
    low, high = mdates.date2num(xs[0]), mdates.date2num(xs[-1])
    first, last = mdates.date2num(dt.date(1, 1, 1)), mdates.date2num(dt.date(9999, 12, 31))
    margin = (high - low) * 0.05 or 2 * 365.25
    if low - margin < first or high + margin > last:
        ax.set_xlim(max(low - margin, first), min(high + margin, last))
    _finish(ax, chart)
    return fig


def _bar(chart: ChartConfig, data: Dataset) -> Figure:
    values = [r.values[chart.y] for r in data.rows]
    fig, ax = _figure(0.55 * len(values) + 1.0)
    # Bars at positions, not categories: rows with the same label stay apart.
    rows = range(len(values))
    bars = ax.barh(rows, values, color=NAVY, height=0.55)
    ax.set_yticks(rows, [_text(r.values[chart.x]) for r in data.rows])
    ax.invert_yaxis()
    for bar, value in zip(bars, values):
        # An offset, not a leading space: SVG text drops leading spaces.
        ax.annotate(f"{value:,.0f}", (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(2, 0),
                    textcoords="offset points", va="center", fontsize=8.5, color="#111111", annotation_clip=False)
    ax.set_xlim(*_limits(values, 0.15))
    _thousands(ax.xaxis)
    _finish(ax, chart)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=LIGHT, linewidth=0.6)
    ax.set_xlabel(_text(chart.y_label or chart.x_label))
    ax.set_ylabel("")
    return fig


def _timeline(chart: ChartConfig, data: Dataset) -> Figure:
    """A chronology: one row per event, oldest at the top, a marker and shade per kind.

    Events crowd into the last two years, so a to-scale axis would overprint the labels;
    a vertical list keeps every label legible in print and grayscale.
    """
    from matplotlib.lines import Line2D
    from matplotlib.transforms import offset_copy

    rows = sorted(data.rows, key=lambda r: r.values["date"])
    fig, ax = _figure(0.9 + 0.24 * len(rows))
    ys = range(len(rows), 0, -1)

    def column(points: float) -> Transform:
        """x that many points from the axes' left edge, y in rows."""
        return offset_copy(ax.get_yaxis_transform(), fig, x=points, units="points")

    # Columns from the left edge: the dates, right-aligned to the widest; the line with the
    # markers; the labels. The legend takes the top right corner.
    dates = [ax.text(0, y, _text(row.values["date_text"]), ha="right", va="center", fontsize=8, color=GREY)
             for y, row in zip(ys, rows)]
    renderer = fig.canvas.get_renderer()
    line = max(d.get_window_extent(renderer).width for d in dates) * 72 / fig.dpi + 7
    for d in dates:
        d.set_transform(column(line - 7))
    labels = [ax.text(0, y, _text(row.values["label"]), ha="left", va="center", fontsize=8.5, color="#111111",
                      transform=column(line + 7)) for y, row in zip(ys, rows)]
    # Labels too long for the text width widen the figure (it then prints scaled down)
    # instead of running off it.
    width = (line + 7 + max(t.get_window_extent(renderer).width for t in labels) * 72 / fig.dpi) / 72 + 2 * PAD_IN
    if width > WIDTH_IN:
        fig.set_size_inches(width, fig.get_figheight())
    ax.plot([0, 0], [0.5, len(rows) + 0.5], color=LIGHT, linewidth=1.2, zorder=1, transform=column(line))
    kinds = [k for k in EVENT_KINDS if any(r.values["kind"] == k for r in rows)]
    for kind in kinds:  # one artist per kind, not one per event
        marker, colour = KIND_STYLE[kind]
        at = [y for y, row in zip(ys, rows) if row.values["kind"] == kind]
        ax.plot([0] * len(at), at, linestyle="", marker=marker, color=colour, markersize=30 ** 0.5,
                markeredgecolor="white", markeredgewidth=0.6, zorder=3, transform=column(line))
    ax.set_xlim(0, 1)
    ax.set_ylim(0.3, len(rows) + 0.7)
    ax.axis("off")
    handles = [Line2D([], [], marker=KIND_STYLE[k][0], color=KIND_STYLE[k][1], linestyle="", markersize=5,
                      label=k.capitalize()) for k in kinds]
    ax.legend(handles=handles, loc="upper right", frameon=False, fontsize=8, bbox_to_anchor=(1.0, 1.0))
    _title(ax, chart)
    return fig
