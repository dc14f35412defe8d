"""Chart specs validated by their kind, `chart:` placement, caps on chart text, glyph warnings,
and a kind added from outside the package."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pypdf import PdfReader

from reportgen.charts import registry
from reportgen.charts.kind import ChartKind, Column
from reportgen.charts.spec import ChartSpec

Run = Callable[..., tuple[int, str, str]]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_unknown_kind_and_a_key_of_another_kind_are_located(project: Path, run: Run) -> None:
    edit(project / "reportgen.yml", "kind: line", "kind: lines")
    edit(project / "reportgen.yml", "    title: Events", "    title: Events\n    stacked: true")
    status, out, err = run("check", "--project", str(project))
    err += out
    assert status == 1
    assert "reportgen.yml:18:11: error: config key charts.0.kind: unknown chart kind 'lines' (did you mean 'line'?)" in err
    assert "reportgen.yml:29:5: error: config key charts.1.stacked: unknown key" in err


def test_a_chart_is_placed_by_its_id(project: Path, run: Run) -> None:
    edit(project / "content/two.md", "(figures/fig-arrivals.svg){#fig-arrivals}", "(chart:fig-arrivals)")
    status, _, err = run("--quiet", "build", "--project", str(project))
    assert status == 0, err
    assert (project / "figures/fig-arrivals.png").is_file()


def test_an_unknown_chart_id_is_one_error_with_a_hint(project: Path, run: Run) -> None:
    edit(project / "content/two.md", "(figures/fig-arrivals.svg){#fig-arrivals}", "(chart:fig-arivals)")
    status, out, err = run("check", "--project", str(project))
    err += out
    assert status == 1
    assert "content/two.md:5:1: error: unknown chart 'fig-arivals' (did you mean 'fig-arrivals'?)" in err
    assert "remote images" not in err and "Word document" not in err


def test_a_huge_label_is_an_error_at_its_row(project: Path, run: Run) -> None:
    edit(project / "content/data/events.yaml", "label: Rome Statute in force", "label: " + "x" * 10_000)
    status, out, err = run("check", "--project", str(project))
    err += out
    assert status == 1
    assert "content/data/events.yaml:3: error: column 'label' holds 10000 characters" in err


def test_a_character_no_font_has_is_a_warning_naming_it(project: Path, run: Run) -> None:
    edit(project / "content/data/events.yaml", "label: Rome Statute in force", "label: Rome Statute \U00013000 Հայաստան")
    status, out, err = run("check", "--project", str(project))
    err += out
    assert status == 0
    assert ("content/data/events.yaml:3: warning: chart text: no font draws '\U00013000' (U+13000 EGYPTIAN HIEROGLYPH "
            "A001); it will show as a box") in err
    assert "Հ" not in err, "Armenian is drawn with the fallback font"


class DotsSpec(ChartSpec):
    kind: Literal["dots"]
    value: str = "value"


class Dots(ChartKind):
    """A toy kind, defined outside the package."""

    name = "dots"
    spec = DotsSpec
    max_rows = 5

    def columns(self, spec: Any) -> list[Column]:
        return [Column(spec.value, "number")]

    def draw(self, spec: Any, data: Any, formats: Any) -> Any:
        from reportgen.charts import style

        fig, ax = style.figure(2.0)
        ax.plot([r.values[spec.value] for r in data.rows], "o")
        ax.set_title(spec.title)
        return fig

    def describe(self, spec: Any, data: Any, formats: Any) -> str:
        return f"{len(data.rows)} dots"

    def appendix(self, spec: Any, data: Any, formats: Any) -> list[Any]:
        return [(r, formats.number(r.values[spec.value])) for r in data.rows]


def test_a_kind_registered_from_outside_is_validated_read_and_drawn(project: Path, run: Run) -> None:
    """The kind above, registered here, reaches both outputs: nothing in the package names it."""
    registry.register(Dots())
    try:
        (project / "content/data/dots.csv").write_text("value,source\n1,tass2023\n2,reuters2023\n", encoding="utf-8")
        edit(project / "reportgen.yml", "output_name:", "  - {id: fig-dots, kind: dots, data: content/data/dots.csv, "
             "title: Dots drawn by a toy kind}\noutput_name:")
        edit(project / "content/two.md", "![Selected", "![Dots in a row.](chart:fig-dots)\n\n![Selected")
        status, _, err = run("--quiet", "build", "--project", str(project))
        assert status == 0, err
    finally:
        registry.unregister("dots")
    # The PDF embeds the SVG, whose text stays text: the chart's title is on the caption's page.
    pages = [page.extract_text() for page in PdfReader(project / "build/test-brief.pdf").pages]
    [page] = [text for text in pages if "Dots in a row." in text]
    assert "Dots drawn by a toy kind" in page
    # The DOCX embeds the PNG drawn into figures/.
    png = (project / "figures/fig-dots.png").read_bytes()
    with zipfile.ZipFile(project / "build/test-brief.docx") as docx:
        assert png in [docx.read(n) for n in docx.namelist() if n.startswith("word/media/")]


def test_a_period_that_ends_before_it_starts_is_located(project: Path, run: Run) -> None:
    events = project / "content/data/events.yaml"
    events.write_text(events.read_text(encoding="utf-8") + "- {start: 2020, end: 2019, label: Backwards, source: tass2023}\n"
                      "- {start: 2020, label: Open-ended, source: tass2023}\n", encoding="utf-8")
    status, out, err = run("check", "--project", str(project))
    err += out
    assert status == 1
    assert "content/data/events.yaml:4: error: period ends before it starts (end is before start)" in err
    assert "content/data/events.yaml:5: error: a period needs both 'start' and 'end' (and no 'date')" in err


def test_a_chart_that_is_not_a_mapping_is_located_and_the_rest_still_checked(project: Path, run: Run) -> None:
    edit(project / "reportgen.yml", "output_name:", "  - just a string\noutput_name:")
    edit(project / "reportgen.yml", "keywords:", "keywrods:")
    status, out, err = run("check", "--project", str(project))
    err += out
    assert status == 1
    assert "reportgen.yml:29:5: error: config key charts.2: expected a mapping (id, kind, data, ...)" in err
    assert "reportgen.yml:10:1: error: config key keywrods: unknown key (did you mean 'keywords'?)" in err
