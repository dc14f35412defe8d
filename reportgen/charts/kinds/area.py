"""Area: dated series filled down to a zero baseline, overlapping or stacked (shares of a total)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from reportgen.charts import axes, series, style
from reportgen.charts.formats import Formats
from reportgen.charts.kind import ChartKind, Column
from reportgen.charts.spec import XYSpec

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

    from reportgen.project.data import Dataset, Row


class AreaSpec(XYSpec):
    kind: Literal["area"]
    stacked: bool = False
    """Stack the series on each other (their sum is the top edge) instead of overlapping them."""


class Area(ChartKind[AreaSpec]):
    name = "area"
    spec = AreaSpec
    max_rows = 2000

    def columns(self, spec: AreaSpec) -> list[Column]:
        return series.columns(spec)

    def check(self, spec: AreaSpec, data: Dataset) -> str | None:
        problem = series.check(spec, data)
        if problem or not spec.stacked:
            return problem
        all_series = series.series_of(spec, data)
        if any(s.xs != all_series[0].xs for s in all_series):
            return "stacked series must share their dates (each date once in every series)"
        return None

    def draw(self, spec: AreaSpec, data: Dataset, formats: Formats) -> Figure:
        fig, ax = style.figure(3.0)
        all_series = series.series_of(spec, data)
        handles: list[Artist] = []
        if spec.stacked:
            colours = [style.PALETTE[i][1] for i in range(len(all_series))]
            handles += ax.stackplot(axes.day_numbers(all_series[0].xs), *[s.ys for s in all_series], colors=colours, alpha=0.85,
                                   labels=[style.text(s.name, 40) for s in all_series], linewidth=0)
            tops = [sum(v) for v in zip(*[s.ys for s in all_series])]
            lows = [sum(min(v, 0) for v in column) for column in zip(*[s.ys for s in all_series])]
            ax.set_ylim(*axes.zero_limits(tops + lows))
        else:
            for (_, colour), s in zip(style.PALETTE, all_series):
                alpha = 0.25 if len(all_series) > 1 else 0.15
                ax.fill_between(axes.day_numbers(s.xs), s.ys, color=colour, alpha=alpha, linewidth=0)
                (line,) = ax.plot(axes.day_numbers(s.xs), s.ys, color=colour, linewidth=1.4, label=style.text(s.name, 40))
                handles.append(line)
            ax.set_ylim(*axes.zero_limits([y for s in all_series for y in s.ys]))
        dates = [x for s in all_series for x in s.xs]
        ax.set_xlim(*axes.date_limits(dates, pad=0.0))
        axes.date_axis(ax.xaxis, formats, dates, series.precisions(spec, data))
        axes.number_axis(ax.yaxis, formats)
        style.finish(ax, spec)
        if len(all_series) > 1:
            style.legend_below(ax, handles)
        return fig

    def describe(self, spec: AreaSpec, data: Dataset, formats: Formats) -> str:
        return series.describe("Stacked area chart" if spec.stacked else "Area chart", spec, data, formats)

    def appendix(self, spec: AreaSpec, data: Dataset, formats: Formats) -> list[tuple[Row, str]]:
        return series.appendix(spec, data, formats)


KIND = Area()
