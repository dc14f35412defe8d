"""Timeline: events on a proportional time axis (time runs down the page), each a marker on
the axis in its kind's colour and shape, its label beside it; labels in a dense period are
moved apart and joined to their date by a leader line, so none overlaps another. Periods
(rows with `start` and `end`) are bands across the plot, named in the legend and, where
there is room, inside the band.

Kinds are whatever the data names (`security`, `court ruling`, ...): each gets a colour and
marker from the palette by a hash of its name, so a kind keeps its look when others are added.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Literal

from reportgen.charts import axes, style
from reportgen.charts.formats import Formats
from reportgen.charts.kind import ChartKind, Column
from reportgen.charts.spec import ChartSpec

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from reportgen.project.data import Dataset, Row

LABEL_X = 0.15  # axes fraction where the labels start: the gutter between holds the leader lines
KINK_X = 0.04  # where a leader line leaves its date to slant to its label
LANE_X = 0.025  # the periods' bands span the axis lane only: labels beside them are moved off their dates
BAND_TINTS = ("#C9D3E0", "#E6D5B8")


class TimelineSpec(ChartSpec):
    kind: Literal["timeline"]
    date: str = "date"
    """Column holding each event's date (YYYY-MM-DD, YYYY-MM or YYYY, printed as precisely)."""
    label: str = "label"
    """Column holding each event's (or period's) text."""
    category: str = "kind"
    """Column naming each event's kind; any names, each drawn with its own colour and marker."""
    start: str = "start"
    """Column holding a period's first date (a row with `start` and `end` is a period, not an event)."""
    end: str = "end"
    """Column holding a period's last date."""


class Timeline(ChartKind[TimelineSpec]):
    name = "timeline"
    spec = TimelineSpec
    max_rows = 300

    def columns(self, spec: TimelineSpec) -> list[Column]:
        return [Column(spec.label, "text"), Column(spec.date, "date", required=False),
                Column(spec.category, "text", required=False), Column(spec.start, "date", required=False),
                Column(spec.end, "date", required=False)]

    def check_row(self, spec: TimelineSpec, row: Row) -> str | None:
        has = {c: row.values.get(c) not in (None, "") for c in (spec.date, spec.start, spec.end)}
        if has[spec.start] or has[spec.end]:
            if not (has[spec.start] and has[spec.end]) or has[spec.date]:
                return f"a period needs both '{spec.start}' and '{spec.end}' (and no '{spec.date}')"
            if row.values[spec.start] > row.values[spec.end]:
                return f"period ends before it starts ({spec.end} is before {spec.start})"
        elif not has[spec.date]:
            return f"missing value for column '{spec.date}' (an event) or '{spec.start}' and '{spec.end}' (a period)"
        return None

    def check(self, spec: TimelineSpec, data: Dataset) -> str | None:
        if not _events(spec, data):
            return "a timeline needs at least one event (a row with a date)"
        count = len(kind_styles(spec, data))
        if count > len(style.PALETTE):
            return f"{count} event kinds are too many to tell apart (at most {len(style.PALETTE)})"
        return None

    def draw(self, spec: TimelineSpec, data: Dataset, formats: Formats) -> Figure:
        from matplotlib import dates as mdates

        events, periods = _events(spec, data), _periods(spec, data)
        fig, ax = style.figure(4.0)
        texts = [ax.text(LABEL_X, 0, style.text(f"{_when(spec, r, formats)}\u00a0\u00a0 {r.values[spec.label]}", 80),
                         transform=ax.transAxes, fontsize=8, va="center", ha="left", color="#111111") for r in events]
        boxes = axes.extents(texts)  # sizes only: where each goes is decided below
        heights = [b.height * 72 / fig.dpi + 2.5 for b in boxes]  # points
        for text in texts:  # placed inside the plot once it is laid out: not part of laying it out
            text.set_in_layout(False)
        # Tall enough for every label stacked, and for a proportional axis to show gaps.
        fig.set_size_inches(style.WIDTH_IN, max(3.0, sum(heights) / 72 * 1.15 + 1.4))
        days = [r.values[spec.date] for r in events] + [d for r in periods for d in (r.values[spec.start], r.values[spec.end])]
        low, high = axes.date_limits(days, pad=0.03)
        ax.set_ylim(high, low)  # time runs down
        ax.set_xlim(0, 1)
        axes.date_axis(ax.yaxis, formats, days, [r.precision.get(spec.date, "day") for r in events])
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        ax.xaxis.set_visible(False)
        ax.tick_params(axis="y", labelsize=8)
        handles = _bands(ax, spec, periods, formats)
        handles = _markers(ax, spec, data, events) + handles
        style.title(ax, spec)
        style.legend_below(ax, handles, columns=4)
        style.fit(fig, passes=1)
        _place_labels(ax, texts, [mdates.date2num(r.values[spec.date]) for r in events], heights)
        # The labels were placed inside the plot's height; if they also end inside its width,
        # the layout is final (a label wider than the page widens the figure instead).
        widest = max(b.width for b in boxes)
        for text in texts:
            text.set_in_layout(True)
        if ax.bbox.x0 + LABEL_X * ax.bbox.width + widest <= ax.bbox.x1:
            style.laid_out(fig)
        return fig

    def describe(self, spec: TimelineSpec, data: Dataset, formats: Formats) -> str:
        events = _events(spec, data)
        counts: dict[str, int] = {}
        for r in events:
            counts[_kind(spec, r)] = counts.get(_kind(spec, r), 0) + 1
        kinds = ", ".join(f"{n} {k}" for k, n in counts.items())
        first, last = events[0], events[-1]
        periods = len(_periods(spec, data))
        spans = f"; {periods} period{'s' if periods != 1 else ''} shaded" if periods else ""
        return (f"Timeline of {len(events)} events ({kinds}), {_when(spec, first, formats)} to {_when(spec, last, formats)}"
                f"{spans}; first: {first.values[spec.label]}; last: {last.values[spec.label]}.")

    def appendix(self, spec: TimelineSpec, data: Dataset, formats: Formats) -> list[tuple[Row, str]]:
        out = []
        for row in sorted(data.rows, key=lambda r: r.values.get(spec.date) or r.values[spec.start]):
            if row.values.get(spec.date) in (None, ""):
                start = formats.date(row.values[spec.start], row.precision.get(spec.start, "day"))
                end = formats.date(row.values[spec.end], row.precision.get(spec.end, "day"))
                out.append((row, f"{start}–{end}: {row.values[spec.label]} (period)"))
            else:
                out.append((row, f"{_when(spec, row, formats)}: {row.values[spec.label]} ({_kind(spec, row)})"))
        return out


def _events(spec: TimelineSpec, data: Dataset) -> list[Row]:
    return sorted((r for r in data.rows if r.values.get(spec.date) not in (None, "")), key=lambda r: r.values[spec.date])


def _periods(spec: TimelineSpec, data: Dataset) -> list[Row]:
    return sorted((r for r in data.rows if r.values.get(spec.date) in (None, "")), key=lambda r: r.values[spec.start])


def _kind(spec: TimelineSpec, row: Row) -> str:
    return str(row.values.get(spec.category) or "event")


def _when(spec: TimelineSpec, row: Row, formats: Formats) -> str:
    return formats.date(row.values[spec.date], row.precision.get(spec.date, "day"))


def kind_styles(spec: TimelineSpec, data: Dataset) -> dict[str, tuple[str, str]]:
    """Each kind's (marker, colour): the palette slot its name hashes to, or the next free one."""
    taken: dict[int, str] = {}
    for kind in sorted({_kind(spec, r) for r in _events(spec, data)}):
        slot = int.from_bytes(hashlib.blake2b(kind.encode(), digest_size=2).digest(), "big") % len(style.PALETTE)
        for step in range(len(style.PALETTE)):
            if (slot + step) % len(style.PALETTE) not in taken:
                taken[(slot + step) % len(style.PALETTE)] = kind
                break
        else:
            taken[len(taken) + len(style.PALETTE)] = kind  # more kinds than styles: `check` refuses this
    return {kind: style.PALETTE[slot % len(style.PALETTE)] for slot, kind in taken.items()}


def _markers(ax: Axes, spec: TimelineSpec, data: Dataset, events: list[Row]) -> list[Artist]:
    """One artist per kind, in order of first appearance; returns the legend handles."""
    from matplotlib.lines import Line2D

    styles = kind_styles(spec, data)
    handles: list[Artist] = []
    for kind in dict.fromkeys(_kind(spec, r) for r in events):
        marker, colour = styles[kind]
        at = [r.values[spec.date] for r in events if _kind(spec, r) == kind]
        ax.plot([0] * len(at), at, linestyle="", marker=marker, color=colour, markersize=5.5, markeredgecolor="white",
                markeredgewidth=0.6, zorder=4, clip_on=False)
        handles.append(Line2D([], [], marker=marker, color=colour, linestyle="", markersize=5,
                              label=style.text(kind.capitalize(), 30)))
    return handles


def _bands(ax: Axes, spec: TimelineSpec, periods: list[Row], formats: Formats) -> list[Artist]:
    """Each period a tinted band (with a hatch, for grayscale) and a legend entry."""
    from matplotlib.patches import Patch

    handles: list[Artist] = []
    for i, row in enumerate(periods):
        tint, hatch = BAND_TINTS[i % 2], ("", "///")[i % 2]
        ax.axhspan(row.values[spec.start], row.values[spec.end], xmin=-LANE_X, xmax=LANE_X, facecolor=tint, hatch=hatch,
                   linewidth=0, zorder=1, edgecolor="#8C9BB0", clip_on=False)
        span = f"{formats.date(row.values[spec.start], row.precision.get(spec.start, 'day'))}–" \
               f"{formats.date(row.values[spec.end], row.precision.get(spec.end, 'day'))}"
        handles.append(Patch(facecolor=tint, hatch=hatch, edgecolor="#8C9BB0",
                             label=style.text(f"{row.values[spec.label]} ({span})", 60)))
    return handles


def _place_labels(ax: Axes, texts: list[Text], dates: list[float], heights: list[float]) -> None:
    """Labels as near their dates as they can be without overlapping, with leader lines."""
    to_points = 72 / ax.figure.dpi
    box = ax.bbox
    # Points from the top of the axes, growing downwards with time.
    wanted = [(box.y1 - ax.transData.transform((0, d))[1]) * to_points for d in dates]
    span = box.height * to_points
    from matplotlib.collections import LineCollection

    placed = axes.spread(wanted, heights, 0.0, span)
    leaders = []
    for text, want, got in zip(texts, wanted, placed):
        y_frac = 1 - got / span
        text.set_y(y_frac)
        leaders.append([(0.0, 1 - want / span), (KINK_X, 1 - want / span), (LABEL_X - 0.008, y_frac)])
    ax.add_collection(LineCollection(leaders, transform=ax.transAxes, colors="#B8C0CC", linewidths=0.5, zorder=2,
                                     clip_on=False))


KIND = Timeline()
