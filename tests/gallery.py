"""A gallery project: every chart kind on awkward data, for tests/test_gallery.py.

Yearly values with decimals (1899.95..1900.62 m), negative values, a sparse and a dense date
range, 40 timeline events over 30 years with 10 in one month, long category labels, an
Armenian label, French separators in a second copy.
"""

from __future__ import annotations

import datetime as dt
import random

KEYS = ("lake2020", "survey2021", "census2022")

REFS = "references:\n" + "".join(
    f"- id: {key}\n  type: report\n  title: \"Source {i}\"\n  publisher: Agency {i}\n  author: [{{literal: Agency {i}}}]\n"
    f"  issued: {{date-parts: [[{2020 + i}]]}}\n" for i, key in enumerate(KEYS))

CHARTS = """\
charts:
  - {id: fig-lake, kind: line, data: content/data/lake.csv, x: year, y: level, title: Lake level, y_label: Level, unit: m,
     value_labels: all}
  - {id: fig-balance, kind: line, data: content/data/balance.csv, y: [exports, imports, balance],
     title: Trade, y_label: Value, unit: US$ m}
  - {id: fig-daily, kind: area, data: content/data/daily.csv, y: [north, south], stacked: true, title: Daily arrivals}
  - {id: fig-regions, kind: bar, data: content/data/regions.csv, x: region, y: change, order: descending,
     title: Change by region, y_label: Change, unit: "%"}
  - {id: fig-groups, kind: bar, data: content/data/groups.csv, x: year, y: value, series: group,
     orientation: vertical, mode: stacked, title: Spending by group}
  - {id: fig-points, kind: scatter, data: content/data/points.csv, x: gdp, y: score, label: name,
     title: Score against GDP, x_label: GDP per head, y_label: Score}
  - {id: fig-estimates, kind: range, data: content/data/estimates.csv, low: low, high: high,
     title: Estimates of the force, y_label: Personnel}
  - {id: fig-events, kind: timeline, data: content/data/events.yaml, title: Thirty years}
  - {id: fig-many, kind: line, data: content/data/many.csv, x: year, y: share, series: country, value_labels: none,
     title: Six series, y_label: Share, unit: "%"}
  - {id: fig-columns, kind: bar, data: content/data/columns.csv, x: name, y: [before, after], orientation: vertical,
     title: Before and after, y_label: Count}
  - {id: fig-table, kind: table, data: content/data/lake.csv, columns: [year, level, source], numbers: [level],
     dates: [year], headers: {year: Year, level: Level (m), source: Source}, title: Lake level by year}
"""


def lake() -> str:
    levels = [1899.95, 1900.12, 1900.31, 1900.08, 1900.62, 1900.44, 1900.57, 1900.21, 1900.6, 1900.01]
    return "year,level,source\n" + "".join(f"{2001 + i},{v},{KEYS[0]}\n" for i, v in enumerate(levels))


def balance() -> str:
    rows = [(2024, m, 410.5 + 12 * m, 520.25 + 9 * m) for m in range(1, 13)] + [(2025, 1, 700.0, 640.5)]
    return "date,exports,imports,balance,source\n" + "".join(
        f"{y}-{m:02d},{e},{i},{e - i:.2f},{KEYS[1]}\n" for y, m, e, i in rows)


def daily() -> str:
    start = dt.date(2023, 9, 24)
    return "date,north,south,source\n" + "".join(
        f"{start + dt.timedelta(days=d)},{100 * d + 7},{50 * d % 333},{KEYS[2]}\n" for d in range(10))


def regions() -> str:
    names = ["Northern highlands and the adjoining river valleys of the upper basin", "Capital region",
             "Southern border districts (including the disputed municipalities)", "Coast", "Islands and lagoons",
             "Հայաստան (Armenia)"]
    values = [12.5, -3.25, 7.0, -11.75, 0.5, 4.0]
    return "region,change,source\n" + "".join(f"\"{n}\",{v},{KEYS[i % 3]}\n" for i, (n, v) in enumerate(zip(names, values)))


def groups() -> str:
    parts = (("Health", 3.1), ("Defence", 2.2), ("Other", -0.8))
    return "year,group,value,source\n" + "".join(
        f"{y},{g},{v + (y % 3 if g == 'Health' else 0)},{KEYS[0]}\n" for y in range(2018, 2025) for g, v in parts)


def points() -> str:
    rng = random.Random(7)
    return "name,gdp,score,source\n" + "".join(
        f"Country {i},{rng.uniform(500, 60000):.0f},{rng.uniform(-2, 2):.2f},{KEYS[1]}\n" for i in range(30))


def many() -> str:
    countries = ["Armenia", "Azerbaijan", "Georgia", "Türkiye", "Iran", "Russia"]
    return "year,country,share,source\n" + "".join(
        f"{y},{c},{(7 * i + y % 5) * 1.5:.1f},{KEYS[i % 3]}\n" for y in range(1995, 2025) for i, c in enumerate(countries))


def columns() -> str:
    names = ["A ministry with a long official name", "The second agency of the same kind", "Third", "Fourth office",
             "The fifth and last body, also named at length"]
    return "name,before,after,source\n" + "".join(
        f"\"{n}\",{100 + 37 * i},{90 + 41 * i},{KEYS[i % 3]}\n" for i, n in enumerate(names))


def estimates() -> str:
    return ("label,value,low,high,source\n"
            f"Signed statement (2020),1960,,,{KEYS[0]}\n"
            f"A magazine (2023),1900,,,{KEYS[1]}\n"
            f"An analyst (2023),2000,1800,2200,{KEYS[2]}\n"
            f"Unattributed analysis of the same period by a long-named research centre,2000,,,{KEYS[2]}\n")


def events() -> str:
    rng = random.Random(11)
    kinds = ["security", "diplomatic", "legal", "economic", "court ruling"]
    days = [dt.date(1994, 1, 1) + dt.timedelta(days=rng.randrange(0, 30 * 365)) for _ in range(30)]
    days += [dt.date(2023, 9, 1 + 3 * i) for i in range(10)]  # ten in one month
    lines = []
    for i, day in enumerate(sorted(days)):
        text = day.isoformat() if i % 7 else day.strftime("%Y-%m") if i % 2 else str(day.year)
        lines.append(f"- {{date: '{text}', label: 'Event number {i} with a label of some length', "
                     f"kind: {kinds[i % 5]}, source: {KEYS[i % 3]}}}\n")
    lines.append(f"- {{start: 2008-03, end: 2012-06, label: A period of reform, source: {KEYS[0]}}}\n")
    lines.append(f"- {{start: 2020, end: 2021, label: A second period, source: {KEYS[1]}}}\n")
    return "".join(lines)


SECTION = """\
# Gallery {#sec-gallery}

Every kind of chart [@lake2020].

""" + "".join(f"![The {name} chart.](chart:{name})\n\n" for name in (
    "fig-lake", "fig-balance", "fig-daily", "fig-regions", "fig-groups", "fig-points", "fig-estimates",
    "fig-events", "fig-many", "fig-columns", "fig-table"))


def files(language: str = "en-GB", appendix: bool = True) -> dict[str, str]:
    config = (f"title: Gallery\ndate: 2026-11-22\nlanguage: {language}\nsections: [content/gallery.md]\n"
              f"bibliography: content/refs.yaml\ndata_appendix: {str(appendix).lower()}\noutput_name: gallery\n"
              "checks: {uncited_facts: false}\n" + CHARTS)
    return {
        "reportgen.yml": config,
        "content/refs.yaml": REFS,
        "content/gallery.md": SECTION,
        "content/data/lake.csv": lake(),
        "content/data/balance.csv": balance(),
        "content/data/daily.csv": daily(),
        "content/data/regions.csv": regions(),
        "content/data/groups.csv": groups(),
        "content/data/points.csv": points(),
        "content/data/estimates.csv": estimates(),
        "content/data/many.csv": many(),
        "content/data/columns.csv": columns(),
        "content/data/events.yaml": events(),
    }
