"""End to end: the small project built into a real PDF and inspected as a reader would."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

from tests.pdftext import flat, notes_per_page, page_texts


def pdf_of(root: Path) -> Path:
    return root / "build" / "test-brief.pdf"


def test_every_note_sits_on_the_page_that_calls_it(built_project: Path) -> None:
    pages = notes_per_page(pdf_of(built_project))
    calls = [n for p in pages for n in p.calls]
    assert calls == list(range(1, 11)), "notes are numbered continuously in reading order"
    for number, page in enumerate(pages, start=1):
        assert sorted(page.calls) == sorted(page.markers), f"page {number}: calls and notes differ"


def test_notes_are_chicago_full_then_short(built_project: Path) -> None:
    text = "\n".join(page_texts(pdf_of(built_project)))
    joined = flat(text)
    assert "Daniel R. DePetris, “Armenia and Russia—It’s Complicated,” Newsweek, September 27, 2023" in joined
    assert "Richard Giragosian, “The Decline & Demise of the Armenian-Russian Relationship,” Free Russia Foundation" in joined
    assert "January 31, 2024, https://example.org/mondo; see DePetris, “Armenia and Russia—It’s Complicated,” 12–14." in joined


def test_bibliography_lists_each_cited_source_once(built_project: Path) -> None:
    last = page_texts(pdf_of(built_project))[-1]
    joined = flat(last)
    assert "Bibliography" in joined
    for author in ("DePetris, Daniel R.", "Giragosian, Richard.", "Mondo International.", "TASS."):
        assert joined.count(author) == 1, author


def test_fonts_are_embedded_and_cover_the_text(built_project: Path) -> None:
    reader = PdfReader(pdf_of(built_project))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[font["/BaseFont"]] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert any("Source-Serif-Pro" in name for name in fonts)
    assert any("Source-Sans-Pro" in name for name in fonts)


def test_metadata_outline_and_language(built_project: Path) -> None:
    reader = PdfReader(pdf_of(built_project))
    meta = reader.metadata
    assert meta.title == "Armenia’s Turn: A Test Brief"
    assert meta.author == "Ana Example"
    assert meta.subject == "Five sources, two sections, two charts"
    assert reader.trailer["/Root"]["/Lang"] == "en-US"
    assert "Armenia" in meta["/Keywords"]
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[:2] == ["1 Summary", "2 The exodus"]
    assert "Bibliography" in outline


def test_cover_toc_and_cross_references(built_project: Path) -> None:
    texts = page_texts(pdf_of(built_project))
    cover = flat(texts[0])
    assert "Armenia’s Turn: A Test Brief" in cover and "November 22, 2026" in cover
    # Contents lines end with the page the section starts on.
    exodus_page = next(i for i, t in enumerate(texts, start=1) if "2 The exodus" in flat(t) and i > 1)
    assert re.search(rf"The exodus\s*{exodus_page}", cover)
    body = flat("\n".join(texts[1:]))
    assert "Section 2 has the numbers" in body
    assert "as Figure 1 shows" in body and "Figure 2. Selected events." in body


def test_charts_are_drawn_into_figures(built_project: Path) -> None:
    for chart in ("fig-arrivals", "fig-events"):
        svg = built_project / "figures" / f"{chart}.svg"
        png = built_project / "figures" / f"{chart}.png"
        assert svg.read_text().startswith("<?xml") and png.read_bytes()[:4] == b"\x89PNG"


def test_the_build_reports_what_it_wrote(project: Path, run) -> None:
    status, out, err = run("build", "--project", str(project), "--format", "pdf")
    assert status == 0
    assert "wrote" in out and "test-brief.pdf" in out
    assert "Rendering PDF" in err  # stage-by-stage progress
    assert not (project / "build" / "test-brief.docx").exists()


def test_fonts_subset_by_fonttools_carry_the_brief_date(project: Path, monkeypatch) -> None:
    # Without HarfBuzz's subset library WeasyPrint subsets with fontTools, which stamps each
    # font with the clock unless SOURCE_DATE_EPOCH is set: two builds would then differ.
    import datetime as dt
    import io
    import os

    import weasyprint.pdf.fonts
    from fontTools.misc.timeTools import epoch_diff  # from 1904, the font epoch, to 1970
    from fontTools.ttLib import TTFont

    from reportgen.pipeline.build import build

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    (pdf,) = build(project, ["pdf"]).outputs
    stamps = set()
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            for descendant in font.get_object().get("/DescendantFonts", []):
                data = descendant.get_object()["/FontDescriptor"]["/FontFile2"].get_data()
                stamps.add(TTFont(io.BytesIO(data))["head"].modified)
    assert stamps, "no embedded TrueType font found"
    brief_date = int(dt.datetime(2026, 11, 22, tzinfo=dt.UTC).timestamp())
    assert {s + epoch_diff for s in stamps} == {brief_date}
    assert "SOURCE_DATE_EPOCH" not in os.environ  # restored after the PDF is written
