"""Draw stage: chart specs + data -> SVG (for the PDF) and PNG (for Word), in one house style.

matplotlib is imported here only, and only when a chart must be drawn: it costs ~0.5 s.
Outputs are deterministic (fixed SVG hash salt, no dates in metadata) so that unchanged
data gives unchanged files.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from reportgen.config import ChartConfig
from reportgen.data import EVENT_KINDS, Dataset
from reportgen.fonts import SANS_DIR

NAVY, GREY, LIGHT = "#1F3A5F", "#6B7280", "#D9DEE6"
# Distinct in grayscale too: each kind has its own marker and shade.
KIND_STYLE = {
    "security": ("s", "#1F3A5F"),
    "diplomatic": ("o", "#5B7DB1"),
    "legal": ("D", "#8C6D3F"),
    "economic": ("^", "#9AA5B1"),
}
WIDTH_IN = 6.3  # the text width of the A4 page, so charts print at 1:1
SAVE = {"bbox_inches": "tight", "pad_inches": 0.05}


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import font_manager, pyplot
    except RuntimeError as exc:
        # Ctrl-C while matplotlib defines its classes surfaces as "RuntimeError: Error calling
        # __set_name__"; let it be the interrupt it is.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            raise exc.__cause__ from None
        raise

    for name in ("Regular", "Semibold", "Bold", "It"):
        font_manager.fontManager.addfont(str(SANS_DIR / f"SourceSansPro-{name}.ttf"))
    pyplot.rcParams.update({
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
        # Labels and titles are data: "US$5 to $8" is money, not TeX math to typeset (or fail on).
        "text.parse_math": False,
        "svg.fonttype": "path",
    })
    return pyplot


def draw_chart(chart: ChartConfig, data: Dataset, out_dir: Path) -> tuple[Path, Path]:
    """Draw one chart; return the SVG and PNG paths."""
    plt = _pyplot()
    draw = {"line": _line, "bar": _bar, "timeline": _timeline}[chart.kind]
    fig = draw(plt, chart, data)
    out_dir.mkdir(parents=True, exist_ok=True)
    svg, png = out_dir / f"{chart.id}.svg", out_dir / f"{chart.id}.png"
    # Both files are drawn before either is replaced, so an interrupted build never leaves a
    # new SVG beside an old PNG, nor a temporary file behind.
    temps = {path: path.with_name(f".{path.name}.{os.getpid()}.tmp") for path in (svg, png)}
    try:
        fig.savefig(temps[svg], format="svg", metadata={"Date": None, "Creator": None}, **SAVE)
        fig.savefig(temps[png], format="png", dpi=220, metadata={"Software": None}, **SAVE)
        for path, tmp in temps.items():
            os.replace(tmp, path)
    finally:
        plt.close(fig)
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return svg, png


def _limits(values: list[float], headroom: float) -> tuple[float, float]:
    """Axis limits from zero to the data, with room for the value labels; negative values
    (a fall, a deficit) stay in view instead of being cut off below zero."""
    low, high = min(0.0, *values), max(0.0, *values)
    pad = (high - low) * headroom or 1.0
    return (low - pad if low < 0 else 0.0), high + pad


def _finish(ax: Any, chart: ChartConfig) -> None:
    if chart.title:
        ax.set_title(chart.title, pad=10, color="#111111")
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(chart.y_label)
    ax.grid(axis="y", color=LIGHT, linewidth=0.6)
    ax.set_axisbelow(True)


def _line(plt: Any, chart: ChartConfig, data: Dataset) -> Any:
    rows = sorted(data.rows, key=lambda r: r.values[chart.x])
    xs = [r.values[chart.x] for r in rows]
    ys = [r.values[chart.y] for r in rows]
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.0))
    ax.plot(xs, ys, color=NAVY, linewidth=1.8, marker="o", markersize=4)
    ax.fill_between(xs, ys, color=NAVY, alpha=0.08, linewidth=0)
    for x, y in zip(xs, ys):
        ax.annotate(f"{y:,.0f}", (x, y), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=7.5, color="#333333")
    ax.set_ylim(*_limits(ys, 0.18))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    from matplotlib import dates as mdates

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


def _bar(plt: Any, chart: ChartConfig, data: Dataset) -> Any:
    labels = [str(r.values[chart.x]) for r in data.rows]
    values = [r.values[chart.y] for r in data.rows]
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.55 * len(labels) + 1.0))
    bars = ax.barh(labels, values, color=NAVY, height=0.55)
    ax.invert_yaxis()
    for bar, value in zip(bars, values):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {value:,.0f}",
                va="center", fontsize=8.5, color="#111111")
    ax.set_xlim(*_limits(values, 0.15))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    _finish(ax, chart)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=LIGHT, linewidth=0.6)
    ax.set_xlabel(chart.y_label or chart.x_label)
    ax.set_ylabel("")
    return fig


def _timeline(plt: Any, chart: ChartConfig, data: Dataset) -> Any:
    """A chronology: one row per event, oldest at the top, a marker and shade per kind.

    Events crowd into the last two years, so a to-scale axis would overprint the labels;
    a vertical list keeps every label legible in print and grayscale.
    """
    from matplotlib.lines import Line2D

    rows = sorted(data.rows, key=lambda r: r.values["date"])
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.9 + 0.24 * len(rows)))
    ys = list(range(len(rows), 0, -1))
    ax.plot([0, 0], [0.5, len(rows) + 0.5], color=LIGHT, linewidth=1.2, zorder=1)
    for y, row in zip(ys, rows):
        marker, colour = KIND_STYLE[row.values["kind"]]
        ax.scatter([0], [y], marker=marker, color=colour, s=30, zorder=3, edgecolor="white", linewidth=0.6)
        ax.text(-0.06, y, row.values["date_text"], ha="right",
                va="center", fontsize=8, color=GREY)
        ax.text(0.06, y, str(row.values["label"]), ha="left", va="center", fontsize=8.5, color="#111111")
    ax.set_xlim(-1.1, 3.2)
    ax.set_ylim(0.3, len(rows) + 0.7)
    ax.axis("off")
    kinds = [k for k in EVENT_KINDS if any(r.values["kind"] == k for r in rows)]
    handles = [Line2D([], [], marker=KIND_STYLE[k][0], color=KIND_STYLE[k][1], linestyle="", markersize=5,
                      label=k.capitalize()) for k in kinds]
    ax.legend(handles=handles, loc="upper right", frameon=False, fontsize=8, bbox_to_anchor=(1.0, 1.0))
    if chart.title:
        ax.set_title(chart.title, pad=10, color="#111111")
    return fig
