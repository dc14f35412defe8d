"""Line: one or several dated series. A few series are named at their line ends; more get a
legend under the plot. The value axis spans the data, padded (`zero: true` starts it at 0)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from reportgen.charts import axes, series, style
from reportgen.charts.formats import Formats
from reportgen.charts.kind import ChartKind, Column
from reportgen.charts.spec import ValueLabels, XYSpec
from reportgen.charts.style import PNG_DPI

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    from reportgen.project.data import Dataset, Row

DIRECT_LABELS = 4  # up to this many series are named at their ends; more get a legend


class LineSpec(XYSpec):
    kind: Literal["line"]
    zero: bool = False
    """Start the value axis at zero (a cumulative count, say) instead of near the data."""
    value_labels: ValueLabels = "last"
    """Print values at the points: `none`, `last` (each series' last point) or `all` (those that fit)."""
    markers: bool = True
    """A marker at each point (drawn for up to 60 points a series)."""


class Line(ChartKind[LineSpec]):
    name = "line"
    spec = LineSpec
    max_rows = 2000

    def columns(self, spec: LineSpec) -> list[Column]:
        return series.columns(spec)

    def check(self, spec: LineSpec, data: Dataset) -> str | None:
        return series.check(spec, data)

    def draw(self, spec: LineSpec, data: Dataset, formats: Formats) -> Figure:
        fig, ax = style.figure(3.0)
        all_series = series.series_of(spec, data)
        handles = []
        for (marker, colour), s in zip(style.PALETTE, all_series):
            mark = marker if spec.markers and len(s.xs) <= 60 else None
            (line,) = ax.plot(axes.day_numbers(s.xs), s.ys, color=colour, linewidth=1.8, marker=mark, markersize=4,
                              label=style.text(s.name, 40))
            handles.append(line)
        if spec.zero and len(all_series) == 1:
            ax.fill_between(axes.day_numbers(all_series[0].xs), all_series[0].ys, color=style.NAVY, alpha=0.08, linewidth=0)
        ys = [y for s in all_series for y in s.ys]
        headroom = 0.16 if spec.value_labels != "none" else 0.06
        ax.set_ylim(*axes.padded_limits(ys, spec.zero, headroom))
        dates = [x for s in all_series for x in s.xs]
        ax.set_xlim(*axes.date_limits(dates))
        axes.date_axis(ax.xaxis, formats, dates, series.precisions(spec, data))
        axes.number_axis(ax.yaxis, formats)
        style.finish(ax, spec)
        if len(all_series) > DIRECT_LABELS:
            style.legend_below(ax, handles)
        style.fit(fig, passes=1)  # the scale is final from here: labels can be measured against the data
        named = end_labels(fig, ax, all_series) if 1 < len(all_series) <= DIRECT_LABELS else []
        shown = value_labels(ax, spec, all_series, data.decimals(*spec.y_columns()), formats)
        style.laid_out_if_inside(fig, ax, named + shown)
        return fig

    def describe(self, spec: LineSpec, data: Dataset, formats: Formats) -> str:
        return series.describe("Line chart", spec, data, formats)

    def appendix(self, spec: LineSpec, data: Dataset, formats: Formats) -> list[tuple[Row, str]]:
        return series.appendix(spec, data, formats)


def end_labels(fig: Figure, ax: Axes, all_series: list[series.Series]) -> list[Text]:
    """Each series named right of its last point, moved apart vertically where they would touch."""
    from matplotlib.transforms import offset_copy

    to_display = ax.transData
    ends = sorted(((to_display.transform((axes.day_numbers(s.xs[-1:])[0], s.ys[-1]))[1], i)
                   for i, s in enumerate(all_series)))
    texts = {i: ax.text(0, 0, style.text(all_series[i].name, 30), fontsize=8, va="center", ha="left",
                        color=style.PALETTE[i][1]) for _, i in ends}
    heights = [b.height + 4 for b in axes.extents([texts[i] for _, i in ends])]
    bottom, top = ax.bbox.y0, ax.bbox.y1
    placed = axes.spread([y for y, _ in ends], heights, bottom, top)
    for (_, i), y in zip(ends, placed):
        s = all_series[i]
        # Display coordinates move when `fit` moves the axes: keep x in data, y in axes fraction.
        texts[i].set_transform(offset_copy(ax.get_xaxis_transform(), fig, x=6, y=0, units="points"))
        texts[i].set_position((axes.day_numbers(s.xs[-1:])[0], (y - bottom) / (top - bottom)))
        texts[i].set_clip_on(False)
    return list(texts.values())


def value_labels(ax: Axes, spec: LineSpec, all_series: list[series.Series], decimals: int,
                 formats: Formats) -> list[Text]:
    """Values by the points, the most telling first (last, highest, lowest), each above its
    point or moved around it to clear the lines; a label with no free spot is left out."""
    if spec.value_labels == "none":
        return []
    big = max(abs(y) for s in all_series for y in s.ys) >= axes.COMPACT_FROM
    avoid = _points(ax, all_series) + _named(ax)  # before the value labels join `ax.texts`
    texts = []
    for s in all_series:
        order = [len(s.ys) - 1]
        if spec.value_labels == "all":
            by_value = sorted(range(len(s.ys)), key=s.ys.__getitem__)
            order += [by_value[-1], by_value[0], *reversed(range(len(s.ys)))]
        for i in dict.fromkeys(order):
            label = formats.compact(s.ys[i], 1) if big else formats.number(s.ys[i], decimals)
            at = (axes.day_numbers(s.xs[i:i + 1])[0], s.ys[i])
            texts.append(ax.annotate(label, at, textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7.5,
                                     color=style.INK, annotation_clip=False))
    lines = [line.get_transform().transform_path(line.get_path()) for line in ax.get_lines()]
    return axes.place(texts, ax.bbox, avoid=avoid, lines=lines)


def _points(ax: Axes, all_series: list[series.Series]) -> list[Bbox]:
    """A small box around each drawn point, in display coordinates."""
    from matplotlib.transforms import Bbox

    r = 2.5 * PNG_DPI / 72
    boxes = []
    for s in all_series:
        for x, y in zip(axes.day_numbers(s.xs), s.ys):
            px, py = ax.transData.transform((x, y))
            boxes.append(Bbox.from_extents(px - r, py - r, px + r, py + r))
    return boxes


def _named(ax: Axes) -> list[Bbox]:
    """Boxes of the text already drawn in the plot (series names)."""
    return axes.extents([t for t in ax.texts if t.get_visible()])


KIND = Line()
