"""Range (dot plot): several estimates of one quantity, one row each, a dot at the value and
a bar over a stated range (`low`..`high`), on a value axis that spans the estimates, so that
1,900 and 2,000 read as the disagreement they are rather than as two equal bars."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from reportgen.charts import axes, style
from reportgen.charts.formats import Formats
from reportgen.charts.kind import ChartKind, Column
from reportgen.charts.spec import ChartSpec

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from reportgen.project.data import Dataset, Row


class RangeSpec(ChartSpec):
    kind: Literal["range"]
    label: str = "label"
    """Column naming who gives each estimate (and when): one row each."""
    value: str = "value"
    """Column holding each estimate."""
    low: str | None = None
    """Column holding the low end of an estimate stated as a range (rows may leave it empty)."""
    high: str | None = None
    """Column holding the high end of such a range."""
    zero: bool = False
    """Start the value axis at zero instead of near the estimates."""


class Range(ChartKind[RangeSpec]):
    name = "range"
    spec = RangeSpec
    max_rows = 60

    def columns(self, spec: RangeSpec) -> list[Column]:
        cols = [Column(spec.label, "text"), Column(spec.value, "number")]
        return cols + [Column(c, "number", required=False) for c in (spec.low, spec.high) if c]

    def check_row(self, spec: RangeSpec, row: Row) -> str | None:
        low, high = _span(spec, row)
        if not low <= row.values[spec.value] <= high:
            return f"value {row.values[spec.value]:g} is outside its range {low:g} to {high:g}"
        return None

    def draw(self, spec: RangeSpec, data: Dataset, formats: Formats) -> Figure:
        rows = data.rows
        fig, ax = style.figure(0.9 + 0.38 * len(rows))
        ys = list(range(len(rows)))
        values = [r.values[spec.value] for r in rows]
        spans = [_span(spec, r) for r in rows]
        everything = [v for span in spans for v in span]
        ax.hlines(ys, [s[0] for s in spans], [s[1] for s in spans], color=style.LIGHT, linewidth=6, zorder=2)
        ax.scatter(values, ys, s=36, color=style.NAVY, zorder=3, edgecolors="white", linewidths=0.6)
        ax.axvspan(min(values), max(values), color=style.NAVY, alpha=0.05, linewidth=0, zorder=1)
        ax.set_yticks(ys, [style.text(r.values[spec.label], 40) for r in rows])
        ax.invert_yaxis()
        ax.set_ylim(len(rows) - 0.4, -0.6)
        ax.set_xlim(*axes.padded_limits(everything, spec.zero, 0.12))
        axes.number_axis(ax.xaxis, formats)
        ax.tick_params(axis="y", length=0)
        style.finish(ax, spec, value_axis="x")
        decimals = data.decimals(spec.value)
        texts = [ax.annotate(_stated(v, s, decimals, formats), (s[1], y), xytext=(6, 0), textcoords="offset points",
                             va="center", fontsize=8.5, color="#111111", annotation_clip=False)
                 for v, s, y in zip(values, spans, ys)]
        style.fit(fig)
        axes.thin(texts)
        return fig

    def describe(self, spec: RangeSpec, data: Dataset, formats: Formats) -> str:
        decimals = data.decimals(spec.value)
        values = [r.values[spec.value] for r in data.rows]
        low = min(range(len(values)), key=values.__getitem__)
        high = max(range(len(values)), key=values.__getitem__)
        subject = spec.value_label() or spec.value

        def estimate(i: int) -> str:
            return f"{formats.number(values[i], decimals)} ({data.rows[i].values[spec.label]})"

        return (f"Dot plot of {len(values)} estimates of {subject}: lowest {estimate(low)}, highest {estimate(high)}, "
                f"last listed {estimate(len(values) - 1)}.")

    def appendix(self, spec: RangeSpec, data: Dataset, formats: Formats) -> list[tuple[Row, str]]:
        decimals = data.decimals(spec.value, *(c for c in (spec.low, spec.high) if c))
        out = []
        for row in data.rows:
            low, high = _span(spec, row)
            stated = f" (range {formats.number(low, decimals)}–{formats.number(high, decimals)})" if low != high else ""
            out.append((row, f"{row.values[spec.label]}: {formats.number(row.values[spec.value], decimals)}{stated}"))
        return out


def _stated(value: float, span: tuple[float, float], decimals: int, formats: Formats) -> str:
    """`2,000`, or `2,000 (1,800–2,200)` for an estimate given as a range."""
    text = formats.number(value, decimals)
    if span[0] != span[1]:
        text += f" ({formats.number(span[0], decimals)}–{formats.number(span[1], decimals)})"
    return text


def _span(spec: RangeSpec, row: Row) -> tuple[float, float]:
    value = row.values[spec.value]
    low = row.values.get(spec.low) if spec.low else None
    high = row.values.get(spec.high) if spec.high else None
    return (value if low is None or low == "" else low), (value if high is None or high == "" else high)


KIND = Range()
