"""Every chart kind on awkward data, drawn into both outputs; ticks, baselines and label
overlap checked on the drawn figures' geometry (matplotlib artists' window extents)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from docx import Document as DocxDocument
from pypdf import PdfReader

from reportgen.charts.draw import figure_for
from reportgen.cli import main
from reportgen.project.load import load_project
from tests.conftest import write_project
from tests.gallery import files

IDS = ["fig-lake", "fig-balance", "fig-daily", "fig-regions", "fig-groups", "fig-points", "fig-estimates",
       "fig-events", "fig-many", "fig-columns", "fig-table"]


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("gallery") / "proj", files())
    assert main(["--quiet", "build", "--project", str(root)]) == 0
    return root


@pytest.fixture(scope="module")
def drawn() -> dict[str, dict[str, Any]]:
    """Each chart laid out, per language, without saving: the figures the files are drawn from."""
    out: dict[str, dict[str, Any]] = {}
    for language in ("en-GB", "fr-FR"):
        root = write_project(Path(__import__("tempfile").mkdtemp()) / "proj", files(language))
        project = load_project(root)
        out[language] = {c.id: figure_for(c, project.datasets[c.id], language) for c in project.config.charts}
    return out


def ticks(axis: Any) -> list[str]:
    """The tick labels drawn: those inside the axis' limits."""
    lo, hi = sorted(axis.get_view_interval())
    return [t.get_text() for tick, t in zip(axis.get_major_locator()(), axis.get_ticklabels())
            if t.get_text() and lo - 1e-9 <= tick <= hi + 1e-9]


def visible_texts(fig: Any) -> list[Any]:
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_visible() and t.get_text()]
    if ax.get_legend() is not None:
        texts += ax.get_legend().get_texts()
    texts += [t for t in (ax.title, ax.xaxis.label, ax.yaxis.label) if t.get_text()]
    for axis in (a for a in (ax.xaxis, ax.yaxis) if a.get_visible()):
        lo, hi = sorted(axis.get_view_interval())
        texts += [t for tick, t in zip(axis.get_major_locator()(), axis.get_ticklabels())
                  if t.get_visible() and t.get_text() and lo - 1e-9 <= tick <= hi + 1e-9]
    return texts


def test_the_gallery_is_in_both_outputs_with_alt_text_from_the_data(gallery: Path) -> None:
    text = "".join(page.extract_text() for page in PdfReader(gallery / "build/gallery.pdf").pages)
    assert "Data appendix" in text and "1,900.62" in text, "the appendix lists the values at their precision"
    docx = DocxDocument(str(gallery / "build/gallery.docx"))
    alts = [el.get("descr") for el in docx.element.body.iter() if el.tag.endswith("}docPr")]
    assert len(alts) == len(IDS)
    assert alts[0].startswith("Line chart of Level (m), 2001 to 2010")
    assert "highest 1,900.62 (2005)" in alts[0] and "last 1,900.01 (2010)" in alts[0]
    assert alts[7].startswith("Timeline of 40 events")
    assert alts[9].startswith("Bar chart of Count for 5 categories; series before, after")
    appendix = [p.text for p in docx.paragraphs]
    assert "2005: 1,900.62" in appendix
    for name in IDS:
        assert (gallery / "figures" / f"{name}.svg").is_file() and (gallery / "figures" / f"{name}.png").is_file()
    # Armenian is set in the fallback font; charts in the house font's scripts do without it.
    assert "'Source Sans Pro', 'DejaVu Sans'" in (gallery / "figures/fig-regions.svg").read_text(encoding="utf-8")
    assert "DejaVu" not in (gallery / "figures/fig-lake.svg").read_text(encoding="utf-8")


def test_the_pdf_html_carries_each_charts_description(gallery: Path) -> None:
    from reportgen.outputs.pdf.html import HtmlRenderer
    from reportgen.stages import resolved_document

    project = load_project(gallery)
    doc = resolved_document(project)
    html = str(HtmlRenderer(doc, gallery).blocks(doc.blocks))
    assert 'alt="Dot plot of 4 estimates of Personnel: lowest 1,900 (A magazine (2023))' in html


def test_yearly_decimals_read_as_years_and_decimals_on_a_padded_axis(drawn: dict[str, dict[str, Any]]) -> None:
    fig = drawn["en-GB"]["fig-lake"]
    ax = fig.axes[0]
    assert ticks(ax.xaxis)[:3] == ["2002", "2004", "2006"], "years, not '1 Jan'"
    assert ticks(ax.yaxis) == ["1,900.0", "1,900.2", "1,900.4", "1,900.6"]
    low, high = ax.get_ylim()
    assert 1899.8 < low < 1899.95 and 1900.62 < high < 1900.8, "padded around the data, not from zero"
    shown = [t.get_text() for t in ax.texts if t.get_visible()]
    assert shown[:3] == ["1,900.01", "1,900.62", "1,899.95"], "last, highest, lowest first, at their precision"
    assert ax.get_ylabel() == "Level (m)"
    fr = drawn["fr-FR"]["fig-lake"].axes[0]
    assert ticks(fr.yaxis) == ["1\u202f900,0", "1\u202f900,2", "1\u202f900,4", "1\u202f900,6"]


def test_bars_and_areas_start_at_zero_and_keep_negative_values_in_view(drawn: dict[str, dict[str, Any]]) -> None:
    bars = drawn["en-GB"]["fig-regions"].axes[0]
    low, high = bars.get_xlim()
    assert low < -11.75 and high > 12.5
    assert "0" in ticks(bars.xaxis)
    assert [t.get_text() for t in bars.texts][:2] == ["12.50", "7.00"], "sorted descending, at the data's precision"
    area = drawn["en-GB"]["fig-daily"].axes[0]
    assert area.get_ylim()[0] == 0
    groups = drawn["en-GB"]["fig-groups"].axes[0]
    assert groups.get_ylim()[0] < 0, "a stacked negative part stays in view"


def test_date_ticks_follow_the_span(drawn: dict[str, dict[str, Any]]) -> None:
    days = ticks(drawn["en-GB"]["fig-daily"].axes[0].xaxis)
    assert days[0].endswith(" Sept 2023") and days[1].endswith(" Sept") and days[-1].endswith(" Oct"), days
    months = ticks(drawn["en-GB"]["fig-balance"].axes[0].xaxis)
    assert months[0] == "Jan 2024" and "Mar" in months and months[-1] == "Jan 2025", months
    assert ticks(drawn["fr-FR"]["fig-balance"].axes[0].xaxis)[0] == "janv. 2024"


@pytest.mark.parametrize("language", ["en-GB", "fr-FR"])
@pytest.mark.parametrize("name", IDS)
def test_no_label_overlaps_another_and_all_fits_in_the_figure(drawn: dict[str, dict[str, Any]], name: str,
                                                              language: str) -> None:
    fig = drawn[language][name]
    renderer = fig.canvas.get_renderer()
    texts = visible_texts(fig)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r}"
    outer = fig.get_tightbbox(renderer)
    width, height = fig.get_size_inches()
    assert outer.x0 >= 0.03 and outer.y0 >= 0.03 and outer.x1 <= width - 0.03 and outer.y1 <= height - 0.03


@pytest.mark.parametrize("name", ["fig-lake", "fig-balance"])
def test_value_labels_keep_off_the_lines(drawn: dict[str, dict[str, Any]], name: str) -> None:
    fig = drawn["en-GB"][name]
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    lines = [line.get_transform().transform_path(line.get_path()) for line in ax.get_lines()]
    labels = [t for t in ax.texts if t.get_visible()]
    assert labels
    for label in labels:
        box = label.get_window_extent(renderer)
        assert not any(path.intersects_bbox(box, filled=False) for path in lines), label.get_text()


def test_a_dense_timeline_keeps_every_label_on_a_proportional_axis(drawn: dict[str, dict[str, Any]]) -> None:
    from matplotlib import dates as mdates

    ax = drawn["en-GB"]["fig-events"].axes[0]
    labels = [t for t in ax.texts if t.get_visible()]
    assert len(labels) == 40, "every event labelled, none thinned out"
    # The axis is time: a year is as long in 1995 as in 2020.
    to_y = ax.transData.transform
    year = [to_y((0, mdates.date2num(__import__("datetime").date(y, 1, 1))))[1] for y in (1995, 1996, 2021, 2022)]
    assert abs((year[0] - year[1]) - (year[2] - year[3])) < 0.01
    kinds = [h.get_label() for h in ax.get_legend().legend_handles]
    assert {"Security", "Court ruling"} <= set(kinds) and "A period of reform (Mar 2008–Jun 2012)" in kinds


def test_the_french_gallery_has_french_numbers_and_dates_in_both_outputs(tmp_path: Path) -> None:
    root = write_project(tmp_path / "fr", files("fr-FR"))
    assert main(["--quiet", "build", "--project", str(root)]) == 0
    docx = DocxDocument(str(root / "build/gallery.docx"))
    alts = [el.get("descr") for el in docx.element.body.iter() if el.tag.endswith("}docPr")]
    assert "highest 1\u202f900,62 (2005)" in alts[0]
    assert "janv. 2024: exports 422,50, imports 529,25, balance -106,75" in [p.text for p in docx.paragraphs]
    text = "".join(page.extract_text() for page in PdfReader(root / "build/gallery.pdf").pages)
    assert "2005: 1\u202f900,62" in text or "2005: 1 900,62" in text
