"""Table: a data file as a formatted table (numbers right-aligned, in the language's separators
and at their written precision; dates at theirs), with its sources in the caption note like
every chart.

`cells` is the table as text (header, alignments, body): what a document table block takes.
`draw` sets the same cells as a figure, booktabs-style (rules above and below the header and
at the end), so that both documents carry it like any chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from reportgen.charts import axes, style
from reportgen.charts.formats import Formats
from reportgen.charts.kind import ChartKind, Column
from reportgen.charts.spec import MAX_TEXT, ChartSpec

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from reportgen.project.data import Dataset, Row

MAX_COLUMNS = 8
Name = Annotated[str, Field(max_length=MAX_TEXT)]
ROW_PT = 14.0  # one line of table text, with its leading
GAP_PT = 12.0  # between columns


class TableSpec(ChartSpec):
    kind: Literal["table"]
    columns: list[Name] = Field(min_length=1, max_length=MAX_COLUMNS)
    """The columns to show, in order."""
    headers: dict[str, Name] = Field(default_factory=dict, max_length=MAX_COLUMNS)
    """Column headings, by column name (default: the column name)."""
    numbers: list[Name] = Field(default_factory=list, max_length=MAX_COLUMNS)
    """Columns holding numbers: right-aligned, with the language's separators."""
    dates: list[Name] = Field(default_factory=list, max_length=MAX_COLUMNS)
    """Columns holding dates (YYYY-MM-DD, YYYY-MM or YYYY), printed as precisely as written."""


class Table(ChartKind[TableSpec]):
    name = "table"
    spec = TableSpec
    max_rows = 60

    def columns(self, spec: TableSpec) -> list[Column]:
        def kind(c: str) -> Literal["date", "number", "text"]:
            return "number" if c in spec.numbers else "date" if c in spec.dates else "text"

        return [Column(c, kind(c), required=False) for c in spec.columns]

    def draw(self, spec: TableSpec, data: Dataset, formats: Formats) -> Figure:
        from matplotlib.transforms import offset_copy

        head, aligns, body = cells(spec, data, formats)
        lines = [max(c.count("\n") + 1 for c in row) for row in body]
        height_pt = ROW_PT * (1.6 + sum(lines)) + 8
        fig, ax = style.figure(height_pt / 72 + (0.35 if spec.title else 0.1))
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        measure = [[ax.text(0, 0, c, fontsize=8.5) for c in row] for row in [head, *body]]
        widths = [max(b.width for b in axes.extents(column)) * 72 / fig.dpi for column in zip(*measure)]
        for texts in measure:
            for t in texts:
                t.remove()
        width_pt = ax.bbox.width * 72 / fig.dpi
        spare = max(0.0, (width_pt - sum(widths) - GAP_PT * (len(widths) - 1)) / len(widths))
        starts = [sum(widths[:i]) + (GAP_PT + spare) * i for i in range(len(widths))]

        def put(row: list[str], top_pt: float, weight: str) -> None:
            for text, x, w, align in zip(row, starts, widths, aligns):
                at = x + w if align == "right" else x
                ax.text(0, 1, text, fontsize=8.5, fontweight=weight, ha=align, va="top", color="#111111",
                        transform=offset_copy(ax.transAxes, fig, x=at, y=-top_pt, units="points"))

        def rule(top_pt: float, width: float) -> None:
            ax.plot([0, 1], [0, 0], color=style.INK, linewidth=width,
                    transform=offset_copy(ax.transAxes, fig, x=0, y=-top_pt, units="points"))

        rule(0, 0.9)
        put(head, 4, "semibold")
        top = ROW_PT * max(c.count("\n") + 1 for c in head) + 6
        rule(top, 0.5)
        top += 4
        for row, n in zip(body, lines):
            put(row, top, "normal")
            top += ROW_PT * n
        rule(top + 2, 0.9)
        style.title(ax, spec)
        return fig

    def describe(self, spec: TableSpec, data: Dataset, formats: Formats) -> str:
        head, _, body = cells(spec, data, formats)
        first = "; ".join(f"{h}: {c}" for h, c in zip(head, body[0]))
        return f"Table of {len(body)} rows and {len(head)} columns ({', '.join(head)}); first row: {first}."

    def appendix(self, spec: TableSpec, data: Dataset, formats: Formats) -> list[tuple[Row, str]]:
        head, _, body = cells(spec, data, formats)
        return [(row, "; ".join(f"{h}: {c}" for h, c in zip(head, texts))) for row, texts in zip(data.rows, body)]


def cells(spec: TableSpec, data: Dataset, formats: Formats) -> tuple[list[str], list[str], list[list[str]]]:
    """The header, each column's alignment (`left` | `right`) and the body, as text."""
    head = [style.text(spec.headers.get(c, c), 24) for c in spec.columns]
    aligns = ["right" if c in spec.numbers else "left" for c in spec.columns]
    decimals = {c: data.decimals(c) for c in spec.numbers}
    body = []
    for row in data.rows:
        texts = []
        for c in spec.columns:
            value = row.values.get(c)
            if value is None or value == "":
                texts.append("–")
            elif c in spec.numbers:
                texts.append(formats.number(value, decimals[c]))
            elif c in spec.dates:
                texts.append(formats.date(value, row.precision.get(c, "day")))
            else:
                texts.append(style.text(value, 40))
        body.append(texts)
    return head, aligns, body


KIND = Table()
