"""Series from rows, for the kinds that plot values against dates (line, area): from several y
columns (wide data) or from a `series` column (long data); and what such a chart says in words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reportgen.charts.formats import Formats
from reportgen.charts.kind import Column, ColumnType
from reportgen.charts.spec import XYSpec

if TYPE_CHECKING:
    from reportgen.project.data import Dataset, Row

MAX_SERIES = 8  # one palette entry (colour and marker) each


@dataclass
class Series:
    name: str
    xs: list[dt.date] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


def columns(spec: XYSpec, x_type: ColumnType = "date") -> list[Column]:
    cols = [Column(spec.x, x_type), *(Column(y, "number") for y in spec.y_columns())]
    if spec.series:
        cols.append(Column(spec.series, "text"))
    return cols


def series_of(spec: XYSpec, data: Dataset) -> list[Series]:
    """Each series with its points in date order (rows in file order within a date)."""
    found: dict[str, Series] = {}
    for row in sorted(data.rows, key=lambda r: r.values[spec.x]):
        for column in spec.y_columns():
            name = str(row.values[spec.series]) if spec.series else column
            s = found.setdefault(name, Series(name))
            s.xs.append(row.values[spec.x])
            s.ys.append(row.values[column])
            s.rows.append(row)
    return list(found.values())


def check(spec: XYSpec, data: Dataset) -> str | None:
    count = len(series_of(spec, data))
    if count > MAX_SERIES:
        return f"{count} series are too many for one chart (at most {MAX_SERIES}); split it or pick columns with `y`"
    return None


def precisions(spec: XYSpec, data: Dataset) -> list[str]:
    return [r.precision.get(spec.x, "day") for r in data.rows]


def describe(what: str, spec: XYSpec, data: Dataset, formats: Formats) -> str:
    """`Line chart of arrivals, 24 Sep 2023 to 1 Oct 2023: lowest 377 (24 Sep 2023), ...`"""
    decimals = data.decimals(*spec.y_columns())
    precision = max(precisions(spec, data), key=("day", "month", "year").index, default="day")

    def when(day: dt.date) -> str:
        return formats.date(day, precision)

    def num(value: float) -> str:
        return formats.number(value, decimals)

    all_series = series_of(spec, data)
    xs = [x for s in all_series for x in s.xs]
    subject = spec.value_label() or ", ".join(spec.y_columns())
    parts = [f"{what} of {subject}, {when(min(xs))} to {when(max(xs))}"]
    for s in all_series[:4]:
        low = min(range(len(s.ys)), key=s.ys.__getitem__)
        high = max(range(len(s.ys)), key=s.ys.__getitem__)
        name = f"{s.name}: " if len(all_series) > 1 else ""
        parts.append(f"{name}lowest {num(s.ys[low])} ({when(s.xs[low])}), highest {num(s.ys[high])} "
                     f"({when(s.xs[high])}), last {num(s.ys[-1])} ({when(s.xs[-1])})")
    if len(all_series) > 4:
        parts.append(f"and {len(all_series) - 4} more series")
    return "; ".join(parts) + "."


def appendix(spec: XYSpec, data: Dataset, formats: Formats) -> list[tuple[Row, str]]:
    decimals = data.decimals(*spec.y_columns())
    out = []
    for row in data.rows:
        day = formats.date(row.values[spec.x], row.precision.get(spec.x, "day"))
        values = [formats.number(row.values[c], decimals) for c in spec.y_columns()]
        if spec.series:
            values = [f"{row.values[spec.series]} {values[0]}"]
        elif len(values) > 1:
            values = [f"{c} {v}" for c, v in zip(spec.y_columns(), values)]
        out.append((row, f"{day}: {', '.join(values)}"))
    return out
