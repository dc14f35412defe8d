"""Bar: values by category, horizontal (room for long labels) or vertical, one series or
several side by side (grouped) or on top of each other (stacked), in data order or sorted.
The value axis always starts at zero: a bar's length is its value."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from reportgen.charts import axes, series, style
from reportgen.charts.formats import Formats
from reportgen.charts.kind import ChartKind, Column
from reportgen.charts.spec import XYSpec

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.container import BarContainer
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from reportgen.project.data import Dataset, Row


class BarSpec(XYSpec):
    kind: Literal["bar"]
    x: str = "label"
    """Column holding the category labels."""
    orientation: Literal["horizontal", "vertical"] = "horizontal"
    """`horizontal` bars (long labels read well) or `vertical` columns."""
    mode: Literal["grouped", "stacked"] = "grouped"
    """With several series: bars side by side (`grouped`) or on top of each other (`stacked`)."""
    order: Literal["data", "ascending", "descending"] = "data"
    """Categories in the data's order, or sorted by their (total) value."""
    value_labels: bool = True
    """Print each bar's value (each stack's total) at its end."""


@dataclass
class Table:
    """Categories (in drawing order) by series: `values[s][c]`."""

    categories: list[str]
    names: list[str]
    values: list[list[float]]

    def totals(self) -> list[float]:
        return [sum(v[c] for v in self.values) for c in range(len(self.categories))]


class Bar(ChartKind[BarSpec]):
    name = "bar"
    spec = BarSpec
    max_rows = 200

    def columns(self, spec: BarSpec) -> list[Column]:
        return series.columns(spec, "text")

    def check(self, spec: BarSpec, data: Dataset) -> str | None:
        count = len(table(spec, data).names)
        if count > series.MAX_SERIES:
            return f"{count} series are too many for one chart (at most {series.MAX_SERIES})"
        return None

    def draw(self, spec: BarSpec, data: Dataset, formats: Formats) -> Figure:
        from matplotlib.patches import Patch

        t = table(spec, data)
        horizontal = spec.orientation == "horizontal"
        grouped = spec.mode == "grouped" and len(t.names) > 1
        per = 0.55 if len(t.names) == 1 or not grouped else 0.3 + 0.22 * len(t.names)
        fig, ax = style.figure(1.0 + per * len(t.categories) if horizontal else 3.2)
        bars = _bars(ax, t, horizontal, grouped)
        positions = range(len(t.categories))
        width = 36 if horizontal else max(8, int(style.WIDTH_IN * 12 / max(1, len(t.categories))))
        labels = [style.text(c, width) for c in t.categories]
        ends = [v for row in t.values for v in row] if grouped else t.totals()
        if len(t.names) > 1 and not grouped:  # a stack reaches the sum of its positive parts, and of its negative ones
            ends += [sum(v[c] for v in t.values if v[c] > 0) for c in positions]
            ends += [sum(v[c] for v in t.values if v[c] < 0) for c in positions]
        if horizontal:
            ax.set_yticks(positions, labels)
            ax.invert_yaxis()
            ax.set_xlim(*axes.zero_limits(ends, 0.14 if spec.value_labels else 0.04))
            axes.number_axis(ax.xaxis, formats)
        else:
            ax.set_xticks(positions, labels)
            ax.set_ylim(*axes.zero_limits(ends, 0.1 if spec.value_labels else 0.04))
            axes.number_axis(ax.yaxis, formats)
        ax.tick_params(length=0, axis="y" if horizontal else "x")
        style.finish(ax, spec, value_axis="x" if horizontal else "y")
        if not horizontal:
            ax.set_ylabel(style.text(spec.value_label(), 60))
            ax.set_xlabel(style.text(spec.x_label, 90))
        style.fit(fig)
        rotated = not horizontal and _touching(ax.get_xticklabels())
        if rotated:
            for label in ax.get_xticklabels():
                label.set(rotation=35, ha="right", rotation_mode="anchor")
        if len(t.names) > 1:  # under the tick labels as they end up
            style.legend_below(ax, [Patch(facecolor=style.PALETTE[s][1], label=style.text(name, 40))
                                    for s, name in enumerate(t.names)])
        shown = _value_labels(ax, t, bars, horizontal, grouped, data.decimals(*spec.y_columns()), formats) \
            if spec.value_labels else []
        if not rotated and len(t.names) == 1:
            style.laid_out_if_inside(fig, ax, shown)
        return fig

    def describe(self, spec: BarSpec, data: Dataset, formats: Formats) -> str:
        t = table(spec, data)
        decimals = data.decimals(*spec.y_columns())
        totals = t.totals()
        high = max(range(len(totals)), key=totals.__getitem__)
        low = min(range(len(totals)), key=totals.__getitem__)
        what = "Stacked bar chart" if spec.mode == "stacked" and len(t.names) > 1 else "Bar chart"
        subject = spec.value_label() or ", ".join(spec.y_columns())
        parts = [f"{what} of {subject} for {len(t.categories)} categories"]
        if len(t.names) > 1:
            parts.append(f"series {', '.join(t.names[:6])}")
        parts.append(f"highest {t.categories[high]} ({formats.number(totals[high], decimals)}), "
                     f"lowest {t.categories[low]} ({formats.number(totals[low], decimals)}), "
                     f"last {t.categories[-1]} ({formats.number(totals[-1], decimals)})")
        return "; ".join(parts) + "."

    def appendix(self, spec: BarSpec, data: Dataset, formats: Formats) -> list[tuple[Row, str]]:
        decimals = data.decimals(*spec.y_columns())
        out = []
        for row in data.rows:
            values = [formats.number(row.values[c], decimals) for c in spec.y_columns()]
            name = f" ({row.values[spec.series]})" if spec.series else ""
            out.append((row, f"{row.values[spec.x]}{name}: {', '.join(values)}"))
        return out


def table(spec: BarSpec, data: Dataset) -> Table:
    """The categories by series. One y column and no series column: a bar per row, so that
    rows with the same label stay apart."""
    ys = spec.y_columns()
    if not spec.series and len(ys) == 1:
        t = Table([str(r.values[spec.x]) for r in data.rows], [ys[0]], [[r.values[ys[0]] for r in data.rows]])
    else:
        categories = list(dict.fromkeys(str(r.values[spec.x]) for r in data.rows))
        names = list(dict.fromkeys(str(r.values[spec.series]) for r in data.rows)) if spec.series else ys
        values = [[0.0] * len(categories) for _ in names]
        for r in data.rows:
            c = categories.index(str(r.values[spec.x]))
            for column in ys:
                s = names.index(str(r.values[spec.series])) if spec.series else names.index(column)
                values[s][c] += r.values[column]
        t = Table(categories, names, values)
    if spec.order != "data":
        totals = t.totals()
        order = sorted(range(len(totals)), key=totals.__getitem__, reverse=spec.order == "descending")
        t = Table([t.categories[i] for i in order], t.names, [[v[i] for i in order] for v in t.values])
    return t


def _bars(ax: Axes, t: Table, horizontal: bool, grouped: bool) -> list[BarContainer]:
    """One container of bars per series."""
    count = len(t.names)
    size = 0.7 / count if grouped else (0.55 if count == 1 else 0.6)
    base_pos, base_neg = [0.0] * len(t.categories), [0.0] * len(t.categories)
    out: list[BarContainer] = []
    for s, (name, values) in enumerate(zip(t.names, t.values)):
        colour = style.NAVY if count == 1 else style.PALETTE[s][1]
        shift = (s - (count - 1) / 2) * size if grouped else 0.0
        at = [c + shift for c in range(len(t.categories))]
        base = [0.0] * len(values) if grouped else [base_pos[i] if v >= 0 else base_neg[i] for i, v in enumerate(values)]
        label = style.text(name, 40)
        if horizontal:
            out.append(ax.barh(at, values, left=base, height=size, color=colour, label=label))
        else:
            out.append(ax.bar(at, values, bottom=base, width=size, color=colour, label=label))
        if not grouped:
            for i, v in enumerate(values):
                if v >= 0:
                    base_pos[i] += v
                else:
                    base_neg[i] += v
    return out


def _value_labels(ax: Axes, t: Table, bars: list[BarContainer], horizontal: bool, grouped: bool, decimals: int,
                  formats: Formats) -> list[Text]:
    """Each bar's value (a stack's total) just past its end, on the side it grows to."""
    big = max((abs(v) for row in t.values for v in row), default=0) >= axes.COMPACT_FROM
    items: list[tuple[float, float]] = []  # (position, value)
    if grouped:
        for container in bars:
            for patch in container.patches:
                value = patch.get_width() if horizontal else patch.get_height()
                centre = patch.get_y() + patch.get_height() / 2 if horizontal else patch.get_x() + patch.get_width() / 2
                items.append((centre, value))
    else:
        # A stack's net total, printed past the end of its positive (or negative) part.
        ups = [sum(v[c] for v in t.values if v[c] > 0) for c in range(len(t.categories))]
        downs = [sum(v[c] for v in t.values if v[c] < 0) for c in range(len(t.categories))]
        items = [(float(c), total) for c, total in enumerate(t.totals())]
        ends = {int(c): (ups[int(c)] if total >= 0 else downs[int(c)]) for c, total in items}
    texts = []
    for position, value in items:
        label = formats.compact(value, 1) if big else formats.number(value, decimals)
        sign = -1 if value < 0 else 1
        at = value if grouped else ends[int(position)]
        if horizontal:
            # An offset, not a leading space: SVG text drops leading spaces.
            texts.append(ax.annotate(label, (at, position), xytext=(3 * sign, 0), textcoords="offset points",
                                     va="center", ha="left" if sign > 0 else "right", fontsize=8.5, color="#111111",
                                     annotation_clip=False))
        else:
            texts.append(ax.annotate(label, (position, at), xytext=(0, 3 * sign), textcoords="offset points",
                                     ha="center", va="bottom" if sign > 0 else "top", fontsize=8, color="#111111",
                                     annotation_clip=False))
    return axes.thin(texts)


def _touching(labels: list[Text]) -> bool:
    boxes = axes.extents(labels)
    return any(a.x1 + 2 > b.x0 for a, b in itertools.pairwise(boxes))


KIND = Bar()
