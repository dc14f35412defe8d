"""Chart data: CSV rows or a YAML list of mappings, each row carrying the bibliography key of
its source.

Which columns a chart needs, of which type, and how many rows it may have are the chart
kind's to say (`reportgen/charts/kinds/`); this module reads the file, checks every row
against them and converts dates and numbers, keeping how precisely each was written (a
date's `2010`, `2010-08` or `2010-08-12`; a number's decimals) so that charts print them so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.charts.formats import decimals_of
from reportgen.charts.kind import Column
from reportgen.charts.registry import kind_of
from reportgen.charts.spec import ChartSpec
from reportgen.document.model import Location
from reportgen.errors import ReportgenError, did_you_mean, raise_all
from reportgen.project.bibliography import Bibliography
from reportgen.project.yamlfile import YamlFile, read_text
from reportgen.xml_text import xml_safe

MAX_MAGNITUDE = 1e100
# A label in a chart is a few words; a longer cell would take the page (and, drawn, GiBs).
MAX_CELL_CHARS = 200
DATE_FORMATS = (("%Y-%m-%d", "day"), ("%Y-%m", "month"), ("%Y", "year"))


@dataclass
class Row:
    values: dict[str, Any]
    location: Location
    precision: dict[str, str] = field(default_factory=dict)  # date column -> "year" | "month" | "day"
    decimals: dict[str, int] = field(default_factory=dict)  # number column -> decimals as written


@dataclass
class Dataset:
    path: Path
    rows: list[Row]

    def sources(self, column: str) -> list[str]:
        """Each distinct source key, in order of first use."""
        return list(dict.fromkeys(str(r.values[column]) for r in self.rows))

    def decimals(self, *columns: str) -> int:
        """The most decimals any value of these columns was written with."""
        return max((r.decimals.get(c, 0) for r in self.rows for c in columns), default=0)


def load_dataset(chart: ChartSpec, project: Path, bib: Bibliography) -> Dataset:
    path = project / chart.data
    kind = kind_of(chart)
    rows = _read_yaml(path, chart.data) if chart.data.suffix.lower() in (".yaml", ".yml") else _read_csv(path, chart.data)
    if not rows:
        raise ReportgenError("data file has no rows", Location(chart.data))
    if len(rows) > kind.max_rows:
        raise ReportgenError(f"{len(rows)} rows are too many for a {chart.kind} chart (at most {kind.max_rows})",
                             rows[kind.max_rows].location)
    errors: list[ReportgenError] = []
    columns = [*kind.columns(chart), Column(chart.source, "text")]
    for row in rows:
        _check_row(row, chart, columns, bib, errors)
    raise_all(errors)
    data = Dataset(chart.data, rows)
    problem = kind.check(chart, data)
    if problem:
        raise ReportgenError(problem, Location(chart.data))
    return data


def _read_csv(path: Path, display: Path) -> list[Row]:
    text = read_text(path, display)
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        for values in reader:
            cells = {name: xml_safe(cell) if isinstance(cell, str) else cell for name, cell in values.items()}
            rows.append(Row(cells, Location(display, reader.line_num)))
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
        raise ReportgenError(f"unreadable CSV: {exc}", Location(display, reader.line_num)) from None
    return rows


def _read_yaml(path: Path, display: Path) -> list[Row]:
    source = YamlFile.read(path, display)
    items = source.data
    if not isinstance(items, list):
        raise ReportgenError("expected a list of rows (mappings)", source.location())
    rows = []
    for index, item in enumerate(items):
        where = source.location((index,))
        if not isinstance(item, dict):
            raise ReportgenError("each row must be a mapping of column names to values", where)
        rows.append(Row(dict(item), Location(display, where.line)))
    return rows


def _check_row(row: Row, chart: ChartSpec, columns: list[Column], bib: Bibliography,
               errors: list[ReportgenError]) -> None:
    missing = [c.name for c in columns if c.required and row.values.get(c.name) in (None, "")]
    if missing:
        present = [str(k) for k in row.values if k]  # YAML keys need not be strings
        hint = did_you_mean(missing[0], present)
        errors.append(ReportgenError(f"missing value for column '{missing[0]}'{hint}", row.location))
        return
    key = str(row.values[chart.source])
    if key not in bib:
        errors.append(ReportgenError(f"source '{key}' is not in the bibliography{did_you_mean(key, bib.items)}", row.location))
    try:
        for column in columns:
            if row.values.get(column.name) not in (None, ""):
                _convert(row, column)
        problem = kind_of(chart).check_row(chart, row)
        if problem:
            raise ValueError(problem)
    except ValueError as exc:
        errors.append(ReportgenError(str(exc), row.location))


def _convert(row: Row, column: Column) -> None:
    """Turn one cell's text into a date, a number or clean text in place, or raise ValueError."""
    raw = row.values[column.name]
    if column.type == "date":
        row.values[column.name], row.precision[column.name] = parse_partial_date(raw)
    elif column.type == "number":
        row.values[column.name] = parse_number(raw, column.name)
        row.decimals[column.name] = decimals_of(str(raw)) if not isinstance(raw, int) else 0
    else:
        text = str(raw)
        if len(text) > MAX_CELL_CHARS:
            raise ValueError(f"column '{column.name}' holds {len(text)} characters; a chart label takes at most "
                             f"{MAX_CELL_CHARS}")
        row.values[column.name] = text


def parse_partial_date(value: Any) -> tuple[dt.date, str]:
    """A date and how precisely it was given: `2010` -> (2010-01-01, "year")."""
    if isinstance(value, dt.datetime):  # YAML reads `2023-09-01 10:00` as a datetime
        return value.date(), "day"
    if isinstance(value, dt.date):
        return value, "day"
    text = str(value).strip()
    for fmt, precision in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date(), precision
        except ValueError:
            continue
    raise ValueError(f"'{text[:40]}' is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")


def parse_date(value: Any) -> dt.date:
    return parse_partial_date(value)[0]


def parse_number(value: Any, column: str) -> float:
    try:
        number = float(value) if isinstance(value, (int, float)) else float(str(value).replace(",", "").strip())
    except (ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number):  # "nan", "inf" and 1e999 parse as floats but cannot be drawn
        raise ValueError(f"'{str(value)[:40]}' in column '{column}' is not a number")
    if abs(number) > MAX_MAGNITUDE:  # axis limits past ~1e308 overflow to infinity
        raise ValueError(f"'{str(value)[:40]}' in column '{column}' is too large to draw")
    return number
