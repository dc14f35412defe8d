"""Figures and dates in a sentence, and whether a source's text states them.

What counts as a figure (`figures_in`):

- a date: `19 September 2023`, `September 19, 2023`, `19 Sept. 2023`, `2023-09-19`; a day
  and month (`19 September`); a month and year (`September 2023`);
- a percentage: `26%`, `26 per cent`, `26 percent`;
- a number written in digits, with its scale word (`2.8 million`), thousands separated by
  commas, spaces or none (`13,550`, `13 550`, `13550`), a year among them (`in 1995`): a
  year is a claim too;
- a number word joined to a unit (`nine-month`, `five-year`).

Not figures: digits inside a name or code (`Su-30`, `S-300`, `A4`), a number under 10
after a capitalised word (a label: `Reading 1`, `Article 4`), ordinals (`21st`), decades
(`1990s`), times of day (`18:00`), and anything inside quotation marks (the quotation check covers those).

A figure is found in a source when the source states the same value in any of these forms:
a number as digits or (up to twenty, and the tens) as a word; a percentage as a
percentage; a date with the same day and month (and year, when the source's date has one),
a month and year by any date in that month, or by the month named where the year is stated
too (an article of 2023 saying "in June"); a year by the number anywhere. The cited entry's
title and dates in the bibliography count as part of its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MONTHS = {name: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("october", "oct"), ("november", "nov"), ("december", "dec"),
), start=1) for name in names}
WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}

_MONTH = r"(?P<month>" + "|".join(sorted((m.title() for m in MONTHS), key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>1[5-9]\d\d|20\d\d)"
_NUM = r"(?P<num>\d{1,3}(?:(?:,|[ \u00a0\u202f\u2009])\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_PATTERNS = [
    ("date", re.compile(r"\b(?P<iso>(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d))\b")),
    ("date", re.compile(rf"\b{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?\b")),
    ("date", re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?\b")),
    ("month", re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b")),
    ("percent", re.compile(rf"(?<![\w.,])(?<![A-Za-z]-){_NUM}\s*(?:%|per\s*cent\b|percent\b)", re.I)),
    ("time", re.compile(r"\b[0-2]?\d:[0-5]\d\b")),  # 18:00: set aside, never compared
    ("number", re.compile(rf"(?<![\w.,])(?<![A-Za-z]-){_NUM}(?:\s+(?P<scale>thousand|million|billion)\b)?(?![\w%]|\.\d)", re.I)),
    ("word", re.compile(r"\b(?P<word>" + "|".join(WORDS) + r")-(?:day|week|month|year|hour|point|member|nation)s?\b", re.I)),
]


@dataclass(frozen=True)
class Figure:
    kind: str  # date | month | percent | number | year
    value: tuple[Any, ...]  # what is compared, its shape by kind: (month, day, year|None), (year, month), (number,)
    text: str  # as written
    start: int  # offset in the text searched


@dataclass
class Stated:
    """Everything a source's text states that a figure can be compared with."""

    numbers: set[float] = field(default_factory=set)
    percents: set[float] = field(default_factory=set)
    dates: set[tuple[int, int, int | None]] = field(default_factory=set)  # (month, day, year or None)
    months: set[tuple[int, int]] = field(default_factory=set)  # (year, month)
    bare_months: set[int] = field(default_factory=set)  # "in June", with no year beside it


def figures_in(text: str, *, number_words: bool = True) -> list[Figure]:
    """The figures of a sentence (quotations already blanked out), in order."""
    taken = _Spans(len(text))
    out: list[Figure] = []
    for kind, pattern in _PATTERNS:
        if kind == "word" and not number_words:
            continue
        for match in pattern.finditer(text):
            if taken.overlaps(*match.span()):
                continue
            if kind == "time":
                taken.add(*match.span())
                continue
            figure = _figure(kind, match)
            if figure is not None:
                taken.add(*match.span())
                out.append(figure)
    return sorted(out, key=lambda f: f.start)


class _Spans:
    """Characters already read as part of a figure: a byte per character, so testing a
    span stays quick when a source holds hundreds of thousands of numbers."""

    def __init__(self, size: int) -> None:
        self.used = bytearray(size)

    def overlaps(self, start: int, end: int) -> bool:
        return self.used.find(1, start, end) >= 0

    def add(self, start: int, end: int) -> None:
        self.used[start:end] = b"\x01" * (end - start)


def _figure(kind: str, match: re.Match[str]) -> Figure | None:
    text, start = match.group(0).strip(), match.start()
    if kind == "date":
        if match.groupdict().get("iso"):
            return Figure("date", (int(match["m"]), int(match["d"]), int(match["y"])), text, start)
        day = int(match["day"])
        if not 1 <= day <= 31:
            return None
        year = int(match["year"]) if match["year"] else None
        return Figure("date", (MONTHS[match["month"].lower()], day, year), text, start)
    if kind == "month":
        return Figure("month", (int(match["year"]), MONTHS[match["month"].lower()]), text, start)
    if kind == "word":
        return Figure("number", (float(WORDS[match["word"].lower()]),), text, start)
    value = _number(match["num"])
    if value is None:
        return None
    if kind == "percent":
        return Figure("percent", (value,), text, start)
    scale = (match.groupdict().get("scale") or "").lower()
    if scale:
        return Figure("number", (round(value * SCALES[scale], 3),), text, start)
    if value < 10 and re.search(r"\b[A-Z][a-z]+\s$", match.string[max(0, start - 20) : start]):
        return None  # a label: Reading 1, Section 3, Article 4
    if value.is_integer() and 1500 <= value <= 2099 and re.fullmatch(r"\d{4}", match["num"]):
        return Figure("year", (value,), text, start)
    return Figure("number", (value,), text, start)


def _number(text: str) -> float | None:
    try:
        return float(re.sub(r"[,\s\u00a0\u202f\u2009]", "", text))
    except ValueError:
        return None


def stated(text: str) -> Stated:
    """What a source's text states: every number, percentage and date, in any form."""
    found = Stated()
    for figure in figures_in(text, number_words=False):
        if figure.kind == "date":
            month, day, year = figure.value
            found.dates.add(figure.value)
            found.numbers.add(float(day))
            if year:
                found.numbers.add(float(year))
                found.months.add((year, month))
        elif figure.kind == "month":
            found.months.add(figure.value)
            found.numbers.add(float(figure.value[0]))
        elif figure.kind == "percent":
            found.percents.add(figure.value[0])
            found.numbers.add(figure.value[0])
        else:
            found.numbers.add(figure.value[0])
    # Words looked up one by one: an alternation of names is slow on a long text.
    for word in set(re.findall(r"[A-Za-z]+", text)):
        lower = word.lower()
        if lower in WORDS:
            found.numbers.add(float(WORDS[lower]))
        if word[0].isupper() and lower in MONTHS:
            found.bare_months.add(MONTHS[lower])
    return found


def is_stated(figure: Figure, source: Stated) -> bool:
    if figure.kind == "percent":
        return figure.value[0] in source.percents
    if figure.kind in ("number", "year"):
        return figure.value[0] in source.numbers
    if figure.kind == "month":
        year, month = figure.value
        if figure.value in source.months or any(m == month and y == year for m, _, y in source.dates):
            return True
        # "told CNN in June" in a 2023 article states June 2023.
        return month in source.bare_months and float(year) in source.numbers
    month, day, year = figure.value
    return any(m == month and d == day and (year is None or y is None or y == year) for m, d, y in source.dates)
