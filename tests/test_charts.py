"""Charts: the text width at 1:1, nothing cut off, byte-identical files, SVG text WeasyPrint can read."""

from __future__ import annotations

import datetime as dt
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from reportgen.charts import style
from reportgen.charts.draw import _setup, draw_chart, figure_for
from reportgen.charts.registry import spec_class
from reportgen.charts.style import PNG_DPI, WIDTH_IN
from reportgen.cli import main
from reportgen.document.model import Location
from reportgen.project.data import Dataset, Row


def spec(**keys: Any) -> Any:
    model = spec_class(keys["kind"])
    assert model is not None
    return model.model_validate(keys)


LINE = spec(id="fig-line", kind="line", data=Path("line.csv"), x="date", y="count", title="Arrivals",
            x_label="Date", y_label="People", value_labels="all")
BAR = spec(id="fig-bar", kind="bar", data=Path("bar.csv"), x="label", y="value", title="Stated size",
           y_label="Personnel")
TIMELINE = spec(id="fig-events", kind="timeline", data=Path("events.yaml"), title="Events")
SVG = "{http://www.w3.org/2000/svg}"


def dataset(*values: dict[str, Any]) -> Dataset:
    return Dataset(Path("data"), [Row(dict(v), Location(Path("data"), n)) for n, v in enumerate(values, start=1)])


def line_data(count: float = 100_490) -> Dataset:
    return dataset(*({"date": dt.date(2023, 9, 24) + dt.timedelta(days=i), "count": count * i / 7} for i in range(8)))


def bar_data(*labels: str) -> Dataset:
    return dataset(*({"label": label, "value": 1900 + 20 * i} for i, label in enumerate(labels or ("Treaty", "Newsweek"))))


def timeline_data(*labels: str) -> Dataset:
    kinds = ["security", "diplomatic", "legal", "economic"]
    return dataset(*({"date": dt.date(1992 + i, 5, 15), "label": label,
                      "kind": kinds[i % 4]} for i, label in enumerate(labels or ("Treaty signed", "Ambassador summoned"))))


CASES = {"line": (LINE, line_data), "bar": (BAR, bar_data), "timeline": (TIMELINE, timeline_data)}


def svg_size(path: Path) -> tuple[str, str]:
    root = ET.parse(path).getroot()
    return root.get("width", ""), root.get("height", "")


def png_width(path: Path) -> int:
    return struct.unpack(">I", path.read_bytes()[16:20])[0]  # IHDR's first field


@pytest.mark.parametrize("kind", CASES)
def test_charts_are_the_text_width_and_drawn_again_byte_identical(tmp_path: Path, kind: str) -> None:
    chart, data = CASES[kind]
    svg, png = draw_chart(chart, data(), tmp_path / "one")
    again = draw_chart(chart, data(), tmp_path / "two")
    assert [svg.read_bytes(), png.read_bytes()] == [path.read_bytes() for path in again]
    # The documents set figures at the text width: at that width a chart prints at 1:1.
    assert svg_size(svg)[0] == f"{WIDTH_IN * 72:g}pt"
    assert png_width(png) == round(WIDTH_IN * PNG_DPI)
    assert sorted(p.name for p in svg.parent.iterdir()) == [png.name, svg.name], "no temporary file left behind"


def test_svg_text_is_text_without_the_characters_xml_forbids(project: Path) -> None:
    """Characters XML forbids, from YAML escapes and raw CSV bytes, are dropped as the files are
    read: the SVGs are well-formed, their text is text, and the DOCX is written."""
    config = project / "reportgen.yml"
    text = config.read_text(encoding="utf-8").replace("title: Events", 'title: "Ti\\0tle \\a$5 & <b>"')
    config.write_text(text.replace("output_name:", "  - {id: fig-bar, kind: bar, data: content/data/bar.csv, x: label, "
                                   "y: value}\noutput_name:"), encoding="utf-8")
    (project / "content/data/bar.csv").write_text("label,value,source\nA\x0blabel,1,tass2023\nB\ufffelabel,2,tass2023\n",
                                                  encoding="utf-8")
    events = project / "content/data/events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("label: Rome Statute in force", 'label: "A\\elabel"')
                      .replace("label: Summons of the ambassador", 'label: "B\\blabel"'), encoding="utf-8")
    two = project / "content/two.md"
    two.write_text(two.read_text(encoding="utf-8") + "\n![Bars.](chart:fig-bar)\n", encoding="utf-8")
    assert main(["--quiet", "build", "--project", str(project)]) == 0
    texts = {name: [t.text or "" for t in ET.parse(project / f"figures/{name}.svg").getroot().iter(f"{SVG}text")]
             for name in ("fig-events", "fig-bar")}  # well-formed XML, or this raises
    assert "Title $5 & <b>" in texts["fig-events"]
    assert all(any(t.endswith(x) for t in texts["fig-events"]) for x in ("Alabel", "Blabel"))  # after the date
    assert {"Alabel", "Blabel"} <= set(texts["fig-bar"])
    styles = [t.get("style", "") for t in ET.parse(project / "figures/fig-bar.svg").getroot().iter(f"{SVG}text")]
    assert all("font-family: 'Source Sans Pro'" in style for style in styles), "in the font the PDF's @font-face provides"


def fitted(kind: str, data: Dataset) -> Any:
    fig: Any = figure_for(CASES[kind][0], data)
    return fig, fig.get_tightbbox(fig.canvas.get_renderer())


@pytest.mark.parametrize(("kind", "data"), [
    ("line", line_data()),
    ("line", line_data(-3e9)),
    ("bar", bar_data()),
    ("bar", bar_data("A label " * 40, "B")),  # longer than the page is wide
    ("timeline", timeline_data()),
    ("timeline", timeline_data("A label " * 40, "B")),
])
def test_everything_drawn_fits_in_the_figure(kind: str, data: Dataset) -> None:
    fig, drawn = fitted(kind, data)
    width, height = fig.get_size_inches()
    inside = style.PAD_IN - 0.01  # as closely as `fit` places it
    assert inside <= drawn.x0 and drawn.x1 <= width - inside, (drawn, width)
    assert inside <= drawn.y0 and drawn.y1 <= height - inside, (drawn, height)
    assert width == WIDTH_IN or "A label" in str(data.rows[0].values), "only labels too long widen the figure"


def test_rows_with_the_same_label_get_a_bar_each() -> None:
    fig, _ = fitted("bar", bar_data("Same", "Same", "Other"))
    (ax,) = fig.axes
    assert len(ax.patches) == 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Same", "Same", "Other"]


def test_drawing_leaves_matplotlib_settings_alone(tmp_path: Path) -> None:
    import matplotlib

    _setup()
    before = dict(matplotlib.rcParams)
    draw_chart(LINE, line_data(), tmp_path)
    assert dict(matplotlib.rcParams) == before


def test_a_lone_date_gets_a_few_month_ticks_not_one_a_day() -> None:
    data = dataset({"date": dt.date(2023, 9, 24), "count": 1.5})
    fig: Any = figure_for(LINE, data)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert 3 <= len(labels) <= 8 and labels[0].endswith("2023"), labels
