"""CSL dates that a citation processor would print as nonsense: checked before it sees them.

A CSL date is `{date-parts: [[year, month, day]]}` (a second part for a range). Pandoc's
citeproc prints whatever numbers it is given: `[[99999999999999999999, 13, 45]]` becomes
"45 Spring". Each part is checked here: a whole year of at most four digits, a month 1-12
(or a season, 13-16 or 21-24, as CSL and Pandoc read them), a day that month has.
"""

from __future__ import annotations

import calendar
from typing import Any

# The CSL date variables (CSL 1.0.2, "Date Variables").
DATE_FIELDS = ("accessed", "available-date", "event-date", "issued", "original-date", "submitted")
SEASONS = frozenset({13, 14, 15, 16, 21, 22, 23, 24})


def date_problems(item: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, problem) for each date field of a CSL item that is not a date."""
    problems = []
    for name in DATE_FIELDS:
        value = item.get(name)
        if isinstance(value, dict) and "date-parts" in value:
            problem = _parts_problem(value["date-parts"])
            if problem:
                problems.append((name, f"{name} date-parts {_show(value['date-parts'])}: {problem}"))
    return problems


def _parts_problem(parts: object) -> str | None:
    if not isinstance(parts, list) or not 1 <= len(parts) <= 2:
        return "expected one [year, month, day] list, or two for a range"
    for part in parts:
        if not isinstance(part, list) or not 1 <= len(part) <= 3:
            return "expected [year], [year, month] or [year, month, day]"
        numbers = [_number(x) for x in part]
        if None in numbers:
            return f"'{part[numbers.index(None)]}' is not a whole number"
        problem = _date_problem(*(n for n in numbers if n is not None))
        if problem:
            return problem
    return None


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) <= 10:
        return int(value)  # CSL-JSON allows numbers written as strings
    return None


def _date_problem(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if not -9999 <= year <= 9999:
        return f"year {year} is out of range"
    if month is None:
        return None
    if not 1 <= month <= 12 and month not in SEASONS:
        return f"month {month} is not a month (1-12) or a season (13-16, 21-24)"
    if day is None:
        return None
    if month in SEASONS:
        return "a season has no day"
    last = calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 31
    if not 1 <= day <= last:
        return f"day {day} is not a day of month {month}"
    return None


def _show(value: object) -> str:
    text = repr(value).replace("'", "")
    return text if len(text) <= 60 else text[:57] + "..."
