"""Numbers and dates as the brief's language writes them (Babel's CLDR data): `1,900.62` in
English, `1 900,62` in French; `Sep 2023`, `sept. 2023`.

A number is printed with the decimals its source gave (`1899.95` keeps two), a date at the
precision it was given (`2010`, `Aug 2010`, `12 Aug 2010`).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

# Skeletons (CLDR's, so each language orders and abbreviates them its own way).
DATE_SKELETONS = {"year": "y", "month": "yMMM", "day": "yMMMd"}


class Formats:
    """Formatting for one language tag (`en-GB`, `fr-FR`); unknown tags fall back to English."""

    def __init__(self, language: str) -> None:
        self.language = language
        # Tick labels are formatted again at every measurement of the layout; Babel takes
        # ~0.5 ms a date: each text is made once.
        self._made: dict[tuple[object, ...], str] = {}

    @cached_property
    def locale(self) -> Locale:
        # Babel is imported when a chart is described or drawn, not when data is read.
        from babel import Locale, UnknownLocaleError

        try:
            return Locale.parse(self.language.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            try:
                return Locale.parse(self.language.split("-")[0])
            except (UnknownLocaleError, ValueError):
                return Locale.parse("en")

    def number(self, value: float, decimals: int = 0) -> str:
        """`value` with exactly `decimals` decimals and the language's separators."""
        key = ("n", value, decimals)
        if key not in self._made:
            from babel.numbers import format_decimal

            pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
            self._made[key] = format_decimal(round(value, decimals) + 0.0, format=pattern, locale=self.locale)
        return self._made[key]

    def compact(self, value: float, decimals: int = 0) -> str:
        """Large numbers shortened as the language does: `3.5M`, `3,5 M`; past trillions, `2.5E15`."""
        from babel.numbers import format_compact_decimal, format_scientific

        if abs(value) >= 1e15:  # CLDR names no larger unit
            return format_scientific(value, format="0." + "#" * max(decimals, 2) + "E0", locale=self.locale)
        return format_compact_decimal(value, format_type="short", fraction_digits=decimals, locale=self.locale)

    def date(self, value: dt.date, precision: str = "day") -> str:
        return self.skeleton(DATE_SKELETONS[precision], value)

    def skeleton(self, skeleton: str, value: dt.date) -> str:
        key = ("d", skeleton, value)
        if key not in self._made:
            from babel.dates import format_skeleton

            self._made[key] = format_skeleton(skeleton, value, locale=self.locale)
        return self._made[key]


def decimals_of(text: str) -> int:
    """How many decimals a number was written with: `1899.95` -> 2, `1,900` -> 0, `2e3` -> 0."""
    text = text.strip().lower()
    if "e" in text or "." not in text:
        return 0
    return min(len(text.rsplit(".", 1)[1].strip()), 6)


def step_decimals(step: float) -> int:
    """Decimals that tell ticks `step` apart: 0.25 -> 2, 0.1 -> 1, 5 -> 0."""
    if step <= 0 or not math.isfinite(step):
        return 0
    for decimals in range(7):
        if abs(round(step, decimals) - step) < step * 1e-6:
            return decimals
    return 6
