"""Chart data: CSV rows or YAML events, each row carrying the bibliography key of its source."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.bibliography import Bibliography
from reportgen.config import ChartConfig
from reportgen.errors import ReportgenError, did_you_mean, raise_all
from reportgen.model import Location
from reportgen.yamlfile import YamlFile, read_text

EVENT_KINDS = ("security", "diplomatic", "legal", "economic")
# Every row is drawn and labelled: past these, a chart takes many seconds and hundreds of MiB
# (a bar chart grows 0.55 in, a timeline 0.24 in a row, at 220 dpi) and is unreadable anyway.
MAX_ROWS = {"line": 1000, "bar": 200, "timeline": 300}
MAX_MAGNITUDE = 1e100


@dataclass
class Row:
    values: dict[str, Any]
    location: Location


@dataclass
class Dataset:
    path: Path
    rows: list[Row]

    def sources(self, column: str) -> list[str]:
        """Each distinct source key, in order of first use."""
        return list(dict.fromkeys(str(r.values[column]) for r in self.rows))


def load_dataset(chart: ChartConfig, project: Path, bib: Bibliography) -> Dataset:
    path = project / chart.data
    rows = _read_events(path, chart.data) if chart.kind == "timeline" else _read_csv(path, chart.data)
    if not rows:
        raise ReportgenError("data file has no rows", Location(chart.data))
    limit = MAX_ROWS[chart.kind]
    if len(rows) > limit:
        raise ReportgenError(f"{len(rows)} rows are too many for a {chart.kind} chart (at most {limit})", rows[limit].location)
    errors: list[ReportgenError] = []
    for row in rows:
        _check_row(row, chart, bib, errors)
    raise_all(errors)
    return Dataset(chart.data, rows)


def _read_csv(path: Path, display: Path) -> list[Row]:
    text = read_text(path, display)
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        for values in reader:
            rows.append(Row(dict(values), Location(display, reader.line_num)))
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
        raise ReportgenError(f"unreadable CSV: {exc}", Location(display, reader.line_num)) from None
    return rows


def _read_events(path: Path, display: Path) -> list[Row]:
    source = YamlFile.read(path, display)
    events = source.data
    if not isinstance(events, list):
        raise ReportgenError("expected a list of events", source.location())
    rows = []
    for index, event in enumerate(events):
        where = source.location((index,))
        if not isinstance(event, dict):
            raise ReportgenError("each event must be a mapping (date, label, kind, source)", where)
        rows.append(Row(dict(event), Location(display, where.line)))
    return rows


def _check_row(row: Row, chart: ChartConfig, bib: Bibliography, errors: list[ReportgenError]) -> None:
    needed = ["date", "label", "kind", chart.source] if chart.kind == "timeline" else [chart.x, chart.y, chart.source]
    missing = [c for c in needed if row.values.get(c) in (None, "")]
    if missing:
        present = [str(k) for k in row.values if k]  # YAML keys need not be strings
        hint = did_you_mean(missing[0], present)
        errors.append(ReportgenError(f"missing value for column '{missing[0]}'{hint}", row.location))
        return
    key = str(row.values[chart.source])
    if key not in bib:
        errors.append(ReportgenError(f"source '{key}' is not in the bibliography{did_you_mean(key, bib.items)}", row.location))
    try:
        _convert(row, chart)
    except ValueError as exc:
        errors.append(ReportgenError(str(exc), row.location))


def _convert(row: Row, chart: ChartConfig) -> None:
    """Turn a row's text into dates and numbers in place, or raise ValueError with a message."""
    values = row.values
    if chart.kind == "timeline":
        raw = str(values["date"])
        values["date"] = parse_date(values["date"])
        # Print a date only as precisely as the source gave it: "1992", "Sep 2023".
        precision = {4: "%Y", 7: "%b %Y"}.get(len(raw.strip()), "%-d %b %Y")
        values.setdefault("date_text", values["date"].strftime(precision))
        if values["kind"] not in EVENT_KINDS:
            raise ValueError(f"event kind '{values['kind']}' is not one of {', '.join(EVENT_KINDS)}")
        return
    if chart.kind == "line":
        values[chart.x] = parse_date(values[chart.x])
    values[chart.y] = parse_number(values[chart.y], chart.y)


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):  # YAML reads `2023-09-01 10:00` as a datetime
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")


def parse_number(value: Any, column: str) -> float:
    try:
        number = float(value) if isinstance(value, (int, float)) else float(str(value).replace(",", "").strip())
    except (ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number):  # "nan", "inf" and 1e999 parse as floats but cannot be drawn
        raise ValueError(f"'{value}' in column '{column}' is not a number")
    if abs(number) > MAX_MAGNITUDE:  # axis limits past ~1e308 overflow to infinity
        raise ValueError(f"'{value}' in column '{column}' is too large to draw")
    return number
