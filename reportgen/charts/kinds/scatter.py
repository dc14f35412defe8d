"""Scatter: one number against another, each point optionally named; names that would touch
another name or point are left out, the extremes kept first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from reportgen.charts import axes, style
from reportgen.charts.formats import Formats
from reportgen.charts.kind import ChartKind, Column
from reportgen.charts.spec import ChartSpec
from reportgen.charts.style import PNG_DPI

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from reportgen.project.data import Dataset, Row


class ScatterSpec(ChartSpec):
    kind: Literal["scatter"]
    x: str = "x"
    """Column holding the x values (numbers)."""
    y: str = "y"
    """Column holding the y values (numbers)."""
    label: str | None = None
    """A column naming each point, printed beside it where there is room."""
    zero: bool = False
    """Start both axes at zero instead of near the data."""
    x_unit: str = ""
    """Unit of the x values, added to the x label."""


class Scatter(ChartKind[ScatterSpec]):
    name = "scatter"
    spec = ScatterSpec
    max_rows = 1000

    def columns(self, spec: ScatterSpec) -> list[Column]:
        cols = [Column(spec.x, "number"), Column(spec.y, "number")]
        return [*cols, Column(spec.label, "text", required=False)] if spec.label else cols

    def draw(self, spec: ScatterSpec, data: Dataset, formats: Formats) -> Figure:
        fig, ax = style.figure(3.4)
        xs = [r.values[spec.x] for r in data.rows]
        ys = [r.values[spec.y] for r in data.rows]
        ax.scatter(xs, ys, s=22, color=style.NAVY, alpha=0.85, edgecolors="white", linewidths=0.5, zorder=3)
        ax.set_xlim(*axes.padded_limits(xs, spec.zero))
        ax.set_ylim(*axes.padded_limits(ys, spec.zero, 0.1))
        axes.number_axis(ax.xaxis, formats)
        axes.number_axis(ax.yaxis, formats)
        style.finish(ax, spec)
        ax.set_xlabel(style.text(f"{spec.x_label} ({spec.x_unit})" if spec.x_unit and spec.x_label else
                                 spec.x_label or spec.x_unit, 90))
        ax.grid(axis="x", color=style.LIGHT, linewidth=0.6)
        style.fit(fig, passes=1)
        if spec.label:
            _labels(ax, spec, data, xs, ys)
        return fig

    def describe(self, spec: ScatterSpec, data: Dataset, formats: Formats) -> str:
        xs = [r.values[spec.x] for r in data.rows]
        ys = [r.values[spec.y] for r in data.rows]
        dx, dy = data.decimals(spec.x), data.decimals(spec.y)
        top = max(range(len(ys)), key=ys.__getitem__)
        name = f" ({data.rows[top].values.get(spec.label, '')})" if spec.label else ""
        return (f"Scatter plot of {len(xs)} points, {spec.x_label or spec.x} from {formats.number(min(xs), dx)} to "
                f"{formats.number(max(xs), dx)} against {spec.value_label() or spec.y} from {formats.number(min(ys), dy)} "
                f"to {formats.number(max(ys), dy)}; highest{name} at {formats.number(xs[top], dx)}, "
                f"{formats.number(ys[top], dy)}.")

    def appendix(self, spec: ScatterSpec, data: Dataset, formats: Formats) -> list[tuple[Row, str]]:
        dx, dy = data.decimals(spec.x), data.decimals(spec.y)
        out = []
        for row in data.rows:
            name = f"{row.values.get(spec.label) or ''}: " if spec.label else ""
            out.append((row, f"{name}{formats.number(row.values[spec.x], dx)}, {formats.number(row.values[spec.y], dy)}"))
        return out


def _labels(ax: Axes, spec: ScatterSpec, data: Dataset, xs: list[float], ys: list[float]) -> None:
    """Each point's name beside it where a spot is free, the outlying points first."""
    from matplotlib.transforms import Bbox

    def spread_of(values: list[float]) -> float:
        return (max(values) - min(values)) or 1.0

    mx, my, sx, sy = sum(xs) / len(xs), sum(ys) / len(ys), spread_of(xs), spread_of(ys)
    order = sorted(range(len(xs)), key=lambda i: -max(abs(xs[i] - mx) / sx, abs(ys[i] - my) / sy))
    r = 3.0 * PNG_DPI / 72
    points = [Bbox.from_extents(px - r, py - r, px + r, py + r) for px, py in ax.transData.transform(list(zip(xs, ys)))]
    texts = [ax.annotate(style.text(name, 30), (xs[i], ys[i]), xytext=(4, 3), textcoords="offset points", fontsize=7.5,
                         color=style.INK, annotation_clip=False)
             for i in order if (name := data.rows[i].values.get(spec.label or ""))]
    axes.place(texts, ax.bbox, avoid=points)


KIND = Scatter()
