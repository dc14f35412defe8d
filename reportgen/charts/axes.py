"""Axes that read right for any data: value ranges, number and date ticks, labels that do not
collide. matplotlib is imported by the callers' drawing functions before these run.

- Values: bars and areas start at zero (`zero_limits`); lines and points get their data
  range, padded (`padded_limits`), unless the spec asks for zero.
- Numbers: the language's separators, as many decimals as tell the ticks apart, and large
  magnitudes shortened the language's way (`3.5M`, `3,5 M`).
- Dates: ticks chosen by the span (days, months, years, decades), never more precise than
  the data (a yearly series gets year ticks), month names in the brief's language.
- Labels: `thin` hides labels that overlap ones placed before them; `spread` moves labels
  along one axis until they no longer touch.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from reportgen.charts.formats import Formats, step_decimals

if TYPE_CHECKING:
    from matplotlib.axis import Axis
    from matplotlib.path import Path
    from matplotlib.text import Annotation, Text
    from matplotlib.ticker import Formatter, Locator
    from matplotlib.transforms import Bbox

COMPACT_FROM = 1e6  # ticks from a million up read "1.5M"
LAST_DAY = dt.date(9999, 12, 31)


def zero_limits(values: Iterable[float], headroom: float = 0.05) -> tuple[float, float]:
    """From zero to the data, with room above for value labels; negative values (a fall, a
    deficit) stay in view below zero."""
    values = list(values)
    low, high = min(0.0, *values), max(0.0, *values)
    pad = (high - low) * headroom or 1.0
    return (low - pad if low < 0 else 0.0), (high + pad if high > 0 else 0.0)


def padded_limits(values: Iterable[float], zero: bool = False, pad: float = 0.08) -> tuple[float, float]:
    """The data's range with a margin either side (or from zero, when asked); a single value
    gets a range around it rather than none."""
    values = list(values)
    if zero:
        return zero_limits(values, pad)
    low, high = min(values), max(values)
    span = high - low or abs(high) * 0.1 or 1.0
    return low - span * pad, high + span * pad


def number_formatter(formats: Formats) -> Formatter:
    """matplotlib formatter: the ticks with the decimals their step needs, in the language."""
    from matplotlib.ticker import Formatter

    class _Numbers(Formatter):
        decimals = 0
        compact = False

        def set_locs(self, locs: Sequence[float]) -> None:
            locs = list(locs)
            super().set_locs(locs)
            step = min((abs(b - a) for a, b in itertools.pairwise(locs) if b != a), default=1.0)
            self.compact = max((abs(v) for v in locs), default=0) >= COMPACT_FROM
            scale = _compact_scale(max(abs(v) for v in locs)) if self.compact and locs else 1.0
            self.decimals = step_decimals(round(step / scale, 9))

        def __call__(self, value: float, pos: int | None = None) -> str:
            if self.compact:
                return formats.compact(value, self.decimals)
            return formats.number(value, self.decimals)

    return _Numbers()


def _compact_scale(value: float) -> float:
    """The power of a thousand the compact form divides by: 1e6 for 3.5M, 1e9 for 2B."""
    return 1000.0 ** max(0, int(math.log10(max(value, 1.0)) // 3))


def number_axis(axis: Axis, formats: Formats) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(number_formatter(formats))


def date_axis(axis: Axis, formats: Formats, dates: Sequence[dt.date], precisions: Iterable[str]) -> None:
    """Ticks by the span of `dates`, never finer than the data's coarsest precision; set the
    axis limits first."""
    from matplotlib import dates as mdates
    from matplotlib.ticker import FixedLocator

    coarsest = max(precisions, key=("day", "month", "year").index, default="day")
    low, high = sorted(axis.get_view_interval())  # the limits, as set: a lone date is shown with months around it
    span = int(high - low)
    if coarsest == "year" or span > 365 * 4:
        years = max(1, round(span / 365.25))
        base = next(b for b in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10000) if years / b <= 7)
        locator: Locator = mdates.YearLocator(base=base)
        skeleton = "y"
    elif coarsest == "month" or span > 75:
        months = max(1, span // 30)
        step = next(b for b in (1, 2, 3, 4, 6, 12) if months / b <= 7)
        locator = mdates.MonthLocator(bymonth=range(1, 13, step) if step < 12 else [1])
        skeleton = "MMM"
    else:
        step = next(b for b in (1, 2, 3, 7, 14) if span / b <= 8)
        locator = mdates.DayLocator(interval=step) if step < 7 else mdates.WeekdayLocator(byweekday=0, interval=step // 7)
        skeleton = "d MMM"
    # The limits are set by now: the ticks are computed once, not by an rrule at every
    # measurement of the layout (a fifth of a timeline's drawing time).
    axis.set_major_locator(locator)
    axis.set_major_locator(FixedLocator(locator()))
    axis.set_major_formatter(date_formatter(formats, skeleton))


def date_formatter(formats: Formats, skeleton: str) -> Formatter:
    """matplotlib formatter for dates: `skeleton` (CLDR) for each tick, and the year added to
    the first tick and to each January when the ticks name months or days."""
    from matplotlib import dates as mdates
    from matplotlib.ticker import Formatter

    class _Dates(Formatter):
        def __call__(self, value: float, pos: int | None = None) -> str:
            day = mdates.num2date(value).date()
            if skeleton != "y" and (pos == 0 or (day.month == 1 and (skeleton == "MMM" or day.day == 1))):
                return formats.skeleton(skeleton.replace(" ", "") + "y", day)
            return formats.skeleton(skeleton.replace(" ", ""), day)

    return _Dates()


def day_numbers(dates: Sequence[dt.date]) -> list[float]:
    """Dates as matplotlib's day numbers, what the axes plot."""
    from matplotlib import dates as mdates

    return [float(mdates.date2num(d)) for d in dates]


def date_limits(dates: Sequence[dt.date], pad: float = 0.04) -> tuple[float, float]:
    """Date axis limits with a margin, inside matplotlib's years 1 to 9999."""
    from matplotlib import dates as mdates

    low, high = mdates.date2num(min(dates)), mdates.date2num(max(dates))
    margin = (high - low) * pad if high > low else 180.0  # a lone date: half a year either side
    first, last = mdates.date2num(dt.date(1, 1, 1)), mdates.date2num(LAST_DAY)
    return max(low - margin, first), min(high + margin, last)


def extents(texts: Iterable[Text]) -> list[Bbox]:
    """Each text's box in display coordinates, as drawn."""
    from reportgen.charts.style import renderer

    texts = list(texts)
    if not texts:
        return []
    measure = renderer(texts[0].figure)  # type: ignore[arg-type]  # a Text's figure is its Figure here
    return [t.get_window_extent(measure) for t in texts]


def thin(texts: Sequence[Text], avoid: Sequence[Bbox] = (), pad: float = 2.0) -> list[Text]:
    """Hide each label that overlaps one kept before it (or a box in `avoid`); return those kept.
    Order `texts` by priority: the first ones always stay."""
    kept: list[Text] = []
    boxes = list(avoid)
    for t, box in zip(texts, extents(texts)):
        grown = box.expanded(1, 1).padded(pad)
        if any(grown.overlaps(other) for other in boxes):
            t.set_visible(False)
            continue
        kept.append(t)
        boxes.append(box)
    return kept


# Where a point's label may go, in points from the point, in order of preference.
AROUND = ((0, 6, "center", "bottom"), (-4, 4, "right", "bottom"), (4, 4, "left", "bottom"),
          (0, -6, "center", "top"), (-4, -4, "right", "top"), (4, -4, "left", "top"))


def place(texts: Sequence[Annotation], inside: Bbox, avoid: Sequence[Bbox] = (), lines: Sequence[Path] = (),
          pad: float = 2.0) -> list[Text]:
    """Each label at the first spot `AROUND` its point, within `inside`, where it touches no
    label kept before it, no box in `avoid` and no line of `lines` (display coordinates);
    hidden where none is free. Order `texts` by priority. Returns those kept."""
    kept: list[Text] = []
    boxes = list(avoid)
    for t in texts:
        for dx, dy, ha, va in AROUND:
            t.set(ha=ha, va=va)
            t.xyann = (dx, dy)
            (box,) = extents([t])
            grown = box.expanded(1, 1).padded(pad)
            within = inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
            if within and not any(grown.overlaps(b) for b in boxes) \
                    and not any(p.intersects_bbox(grown, filled=False) for p in lines):
                kept.append(t)
                boxes.append(box)
                break
        else:
            t.set_visible(False)
    return kept


def spread(wanted: Sequence[float], sizes: Sequence[float], low: float, high: float) -> list[float]:
    """Positions along one axis for labels of `sizes` that want to be centred at `wanted`
    (sorted): as close to it as they can be without overlapping, inside [low, high] if there
    is room."""
    placed: list[float] = []
    for centre, size in zip(wanted, sizes):
        floor = placed[-1] + (sizes[len(placed) - 1] + size) / 2 if placed else low + size / 2
        placed.append(max(centre, floor))
    # Pushed past the end: pull back from the top, keeping the gaps.
    ceiling = high
    for i in range(len(placed) - 1, -1, -1):
        placed[i] = min(placed[i], ceiling - sizes[i] / 2)
        ceiling = placed[i] - sizes[i] / 2
    return placed
