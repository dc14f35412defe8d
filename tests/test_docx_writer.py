"""The Word backend, checked on real files: python-docx, the raw XML parts, and Pandoc."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import matplotlib
import pypandoc
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm
from lxml import etree

from reportgen.document.model import (
    Author,
    BibEntry,
    BlockQuote,
    BulletList,
    Div,
    Emph,
    Figure,
    Heading,
    Link,
    Location,
    Meta,
    Note,
    NoteRef,
    OrderedList,
    Paragraph,
    Ref,
    ResolvedDocument,
    Strong,
    Text,
    plain_text,
)
from reportgen.outputs.docx.fields import Bookmarks, RunFormat, make_run
from reportgen.outputs.docx.writer import write_docx

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reportgen" / "templates" / "reference.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NS = {
    "w": W[1:-1],
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
FOOTNOTE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"

NOTES = [
    [Text("World Bank, "), Emph([Text("Water in Cities")]), Text(" (2020), 12.")],
    [Text("OECD, "), Emph([Text("Pricing Water")]), Text(" (2019).")],
    [Text("Figures are for 2022; see "), Link("https://example.org/data", [Text("the data")]), Text(".")],
    [Text("Data: UN Water, "), Emph([Text("Losses Survey")]), Text(" (2023).")],
]


def _png(path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(4, 2), dpi=50)
    ax.bar(["A", "B"], [3, 5])
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
    return path


def _document(png: Path | None) -> ResolvedDocument:
    meta = Meta(
        title="Water for Cities",
        subtitle="Paying for leaks",
        short_title="City Water",
        authors=[Author("Ana Ruiz", "Institute for Water Policy"), Author("Ben Okafor")],
        organisation="Policy Lab",
        date="2026-11-22",
        date_text="22 November 2026",
        language="en-GB",
        keywords=["water", "tariffs"],
    )
    figure = Figure(
        id="fig-losses",
        src="losses.py",
        caption=[Text("Water lost by city"), NoteRef(4)],
        location=Location(Path("content/sections/02.md"), 12),
        number=1,
        alt="Bar chart: city B loses more water than city A",
        png=png,
    )
    blocks = [
        Heading(1, [Text("Summary")], id="sec-summary", number="1"),
        Paragraph(
            [
                Text("Cities lose a third of their water"),
                NoteRef(1),
                Text(" and "),
                Emph([Text("nobody")]),
                Text(" pays"),
                NoteRef(2),
                Text("; see "),
                Link("https://example.org/report", [Text("the report")]),
                Text(" and "),
                Ref("fig-losses", "Figure 1"),
                Text("."),
                NoteRef(3),
            ]
        ),
        Div(
            ["key-findings"],
            [
                BulletList(
                    [
                        [Paragraph([Strong([Text("Leaks")]), Text(" are the largest loss.")])],
                        [Paragraph([Text("Tariffs do not cover costs.")])],
                    ]
                )
            ],
            key_findings=True,
            title="Key findings",  # as resolve sets it
        ),
        Heading(1, [Text("Evidence")], id="sec-evidence", number="2"),
        Heading(2, [Text("Losses")], id="sec-losses", number="2.1"),
        figure,
        Paragraph(
            [
                Text("As "),
                Ref("fig-losses", "Figure 1"),
                Text(" shows, see "),
                Ref("sec-summary", "Section 1"),
                Text("."),
            ]
        ),
        BlockQuote([Paragraph([Text("Water is everyone's business.")])]),
        OrderedList([[Paragraph([Text("Measure.")])], [Paragraph([Text("Price.")])]], start=3),
        BulletList([[Paragraph([Text("Outer")]), BulletList([[Paragraph([Text("Inner")])]])]]),
    ]
    notes = [Note(i + 1, children) for i, children in enumerate(NOTES)]
    bibliography = [
        BibEntry("oecd2019", [Text("OECD. 2019. "), Emph([Text("Pricing Water")]), Text(". Paris: OECD.")]),
        BibEntry(
            "wb2020",
            [
                Text("World Bank. 2020. "),
                Emph([Text("Water in Cities")]),
                Text(". "),
                Link("https://example.org/wb", [Text("https://example.org/wb")]),
                Text("."),
            ],
        ),
    ]
    return ResolvedDocument(meta, blocks, notes, bibliography)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[ResolvedDocument, Path]:
    tmp = tmp_path_factory.mktemp("docx")
    document = _document(_png(tmp / "losses.png"))
    out = tmp / "brief.docx"
    write_docx(document, out, reference_doc=REFERENCE)
    return document, out


def _part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def _texts(element: etree._Element) -> str:
    return "".join(element.xpath(".//w:t/text()", namespaces=NS))


def test_python_docx_reads_it_with_the_named_styles(built: tuple[ResolvedDocument, Path]) -> None:
    _, path = built
    paragraphs = [(p.style.name, p.text) for p in docx.Document(str(path)).paragraphs]
    styles = {style for style, _ in paragraphs}
    assert {
        "Title",
        "Subtitle",
        "Author",
        "Date",
        "Heading 1",
        "Heading 2",
        "Normal",
        "Quote",
        "Key Findings Heading",
        "Key Findings Bullet",
        "Figure",
        "Caption",
        "Bibliography",
        "List Number",
        "List Bullet",
        "List Bullet 2",
    } <= styles
    assert ("Title", "Water for Cities") in paragraphs
    assert ("Author", "Ana Ruiz, Institute for Water Policy") in paragraphs
    assert ("Date", "22 November 2026") in paragraphs
    assert ("Heading 1", "1 Summary") in paragraphs
    assert ("Heading 2", "2.1 Losses") in paragraphs
    assert ("Key Findings Heading", "Key findings") in paragraphs
    assert ("Key Findings Bullet", "Tariffs do not cover costs.") in paragraphs
    assert ("Caption", "Figure 1. Water lost by city") in paragraphs
    assert paragraphs[-3:] == [
        ("Heading 1", "Bibliography"),
        ("Bibliography", "OECD. 2019. Pricing Water. Paris: OECD."),
        ("Bibliography", "World Bank. 2020. Water in Cities. https://example.org/wb."),
    ]


def test_no_direct_fonts_or_sizes(built: tuple[ResolvedDocument, Path]) -> None:
    body = _part(built[1], "word/document.xml")
    assert not body.xpath("//w:rFonts | //w:sz | //w:color | //w:spacing | //w:ind", namespaces=NS)


def _style_chain(styles: etree._Element, style_id: str) -> list[etree._Element]:
    """The paragraph style `style_id` and the styles it is based on, nearest first."""
    chain = []
    while style_id:
        (style,) = styles.xpath(f"w:style[@w:styleId='{style_id}']", namespaces=NS)
        chain.append(style)
        style_id = next(iter(style.xpath("w:basedOn/@w:val", namespaces=NS)), "")
    return chain


def _indent(elements: list[etree._Element]) -> dict[str, str]:
    """The w:ind attributes of `elements` (a paragraph, then its styles), nearest winning."""
    ind: dict[str, str] = {}
    for element in reversed(elements):
        for found in element.xpath("w:pPr/w:ind", namespaces=NS):
            ind.update({etree.QName(name).localname: value for name, value in found.attrib.items()})
    return ind


def _list_level(numbering: etree._Element, elements: list[etree._Element]) -> etree._Element | None:
    """The numbering level the nearest w:numPr of `elements` points to, if any."""
    num_prs = [n for e in elements for n in e.xpath("w:pPr/w:numPr", namespaces=NS)]
    if not num_prs:
        return None
    num_id = num_prs[0].xpath("w:numId/@w:val", namespaces=NS)[0]
    ilvl = next(iter(num_prs[0].xpath("w:ilvl/@w:val", namespaces=NS)), "0")
    (abstract_id,) = numbering.xpath(f"w:num[@w:numId='{num_id}']/w:abstractNumId/@w:val", namespaces=NS)
    (level,) = numbering.xpath(f"w:abstractNum[@w:abstractNumId='{abstract_id}']/w:lvl[@w:ilvl='{ilvl}']", namespaces=NS)
    return level


def _box(path: Path) -> list[list[etree._Element]]:
    """Each key-findings paragraph (a style derived from Key Findings) followed by its styles."""
    styles = _part(path, "word/styles.xml")
    boxed = []
    for p in _part(path, "word/document.xml").xpath("//w:body/w:p[w:pPr/w:pStyle]", namespaces=NS):
        chain = _style_chain(styles, p.xpath("w:pPr/w:pStyle/@w:val", namespaces=NS)[0])
        if "KeyFindings" in [style.get(W + "styleId") for style in chain]:
            boxed.append([p, *chain])
    return boxed


def test_key_findings_items_keep_their_bullets(built: tuple[ResolvedDocument, Path]) -> None:
    numbering = _part(built[1], "word/numbering.xml")
    items = [p for p in _box(built[1]) if p[1].get(W + "styleId") == "KeyFindingsBullet"]
    assert [_texts(p[0]) for p in items] == ["Leaks are the largest loss.", "Tariffs do not cover costs."]
    levels = [_list_level(numbering, p) for p in items]
    assert all(level is not None and level.xpath("w:numFmt/@w:val", namespaces=NS) == ["bullet"] for level in levels)


def test_key_findings_box_has_one_indent(built: tuple[ResolvedDocument, Path]) -> None:
    """Word and LibreOffice join bordered paragraphs into one shaded box only when their
    indents agree: the heading, the items and the items' list level must share one."""
    numbering = _part(built[1], "word/numbering.xml")
    box = _box(built[1])
    assert [p[1].get(W + "styleId") for p in box] == ["KeyFindingsHeading", "KeyFindingsBullet", "KeyFindingsBullet"]
    indents = [_indent(p) for p in box]
    assert all(ind == indents[0] for ind in indents), indents
    assert set(indents[0]) == {"left", "right", "hanging"}
    # A list level's indent overrides the style's, so what it states must be the same.
    levels = [_indent([level]) for p in box if (level := _list_level(numbering, p)) is not None]
    assert len(levels) == 2 and all(level and level.items() <= indents[0].items() for level in levels), levels
    # The borders and shading come from Key Findings alone, so they are the same too.
    assert not [e for p in box for e in p[:-2] if e.xpath("w:pPr/w:pBdr | w:pPr/w:shd", namespaces=NS)]


def test_ordered_list_restarts_at_its_start(built: tuple[ResolvedDocument, Path]) -> None:
    body = _part(built[1], "word/document.xml")
    (num_id,) = set(body.xpath("//w:p[w:pPr/w:pStyle/@w:val='ListNumber']/w:pPr/w:numPr/w:numId/@w:val", namespaces=NS))
    numbering = _part(built[1], "word/numbering.xml")
    start = numbering.xpath(f"w:num[@w:numId='{num_id}']/w:lvlOverride/w:startOverride/@w:val", namespaces=NS)
    assert start == ["3"]


def test_footnotes_are_real_word_notes_in_order(built: tuple[ResolvedDocument, Path]) -> None:
    document, path = built
    notes = _part(path, "word/footnotes.xml").xpath("w:footnote[not(@w:type)]", namespaces=NS)
    assert [int(n.get(W + "id")) for n in notes] == [1, 2, 3, 4]
    assert [_texts(n).strip() for n in notes] == [plain_text(n.children) for n in document.notes]
    refs = _part(path, "word/document.xml").xpath("//w:footnoteReference/@w:id", namespaces=NS)
    assert refs == ["1", "2", "3", "4"]
    italic = notes[0].xpath(".//w:r[w:rPr/w:i]//w:t/text()", namespaces=NS)
    assert italic == ["Water in Cities"]


def test_links_in_notes_relate_from_the_footnotes_part(built: tuple[ResolvedDocument, Path]) -> None:
    path = built[1]
    (r_id,) = _part(path, "word/footnotes.xml").xpath("//w:hyperlink/@r:id", namespaces=NS)
    rels = _part(path, "word/_rels/footnotes.xml.rels")
    (rel,) = [r for r in rels if r.get("Id") == r_id]
    assert rel.get("Target") == "https://example.org/data"
    assert rel.get("TargetMode") == "External"
    assert rel.get("Type") == FOOTNOTE_REL


def test_toc_field_and_update_on_open(built: tuple[ResolvedDocument, Path]) -> None:
    path = built[1]
    body = _part(path, "word/document.xml")
    instructions = [i.strip() for i in body.xpath("//w:instrText/text()", namespaces=NS)]
    assert r'TOC \o "1-1" \h \z \u' in instructions
    kinds = body.xpath("//w:fldChar/@w:fldCharType", namespaces=NS)
    assert kinds.count("begin") == kinds.count("separate") == kinds.count("end") == 2
    toc = body.xpath("//w:sdt[.//w:docPartGallery/@w:val='Table of Contents']", namespaces=NS)
    assert toc and toc[0].xpath(".//w:pStyle/@w:val", namespaces=NS)[0] == "TOCHeading"
    settings = _part(path, "word/settings.xml")
    assert settings.xpath("w:updateFields/@w:val", namespaces=NS) == ["true"]


def test_toc_result_lists_the_chapters_before_any_update(built: tuple[ResolvedDocument, Path]) -> None:
    body = _part(built[1], "word/document.xml")
    (toc,) = body.xpath("//w:sdt[.//w:docPartGallery/@w:val='Table of Contents']/w:sdtContent", namespaces=NS)
    entries = toc.xpath("w:p[w:pPr/w:pStyle/@w:val='TOC1']", namespaces=NS)
    # Each level-1 heading as the body has it (number and all), then the bibliography.
    headings = body.xpath("//w:body/w:p[w:pPr/w:pStyle/@w:val='Heading1']", namespaces=NS)
    assert [_texts(p) for p in entries] == [_texts(h) for h in headings] == ["1 Summary", "2 Evidence", "Bibliography"]
    anchors = [p.xpath("w:hyperlink/@w:anchor", namespaces=NS) for p in entries]
    assert anchors == [h.xpath("w:bookmarkStart/@w:name", namespaces=NS) for h in headings]
    # One field around all of them: begin, instruction and separator before the first entry,
    # the end after the last; and no page numbers, which only Word's layout can know.
    first = [etree.QName(e).localname for e in entries[0].xpath("w:r/*[not(self::w:rPr)] | w:hyperlink", namespaces=NS)]
    assert first == ["fldChar", "instrText", "fldChar", "hyperlink"]
    assert entries[-1].xpath("w:r[last()]/w:fldChar/@w:fldCharType", namespaces=NS) == ["end"]
    assert toc.xpath("count(.//w:fldChar)", namespaces=NS) == 3
    assert not toc.xpath(".//w:tab | .//w:instrText[contains(., 'PAGEREF')]", namespaces=NS)


def test_toc_placeholder_when_there_is_nothing_to_list(tmp_path: Path) -> None:
    document = ResolvedDocument(Meta(title="Notes"), [Paragraph([Text("Only prose.")])])
    out = tmp_path / "plain.docx"
    write_docx(document, out, reference_doc=REFERENCE)
    body = _part(out, "word/document.xml")
    (toc,) = body.xpath("//w:sdt/w:sdtContent", namespaces=NS)
    assert toc.xpath("w:p/w:r/w:fldChar/@w:fldCharType", namespaces=NS) == ["begin", "separate", "end"]
    assert "update the table of contents" in _texts(toc)


def test_caption_seq_field_bookmarks_and_internal_links(built: tuple[ResolvedDocument, Path]) -> None:
    body = _part(built[1], "word/document.xml")
    (caption,) = body.xpath("//w:p[w:pPr/w:pStyle/@w:val='Caption']", namespaces=NS)
    assert [i.strip() for i in caption.xpath(".//w:instrText/text()", namespaces=NS)] == [r"SEQ Figure \* ARABIC"]
    assert caption.xpath("w:bookmarkStart/@w:name", namespaces=NS) == ["fig_losses"]
    heading_marks = body.xpath("//w:p[w:pPr/w:pStyle/@w:val='Heading1']/w:bookmarkStart/@w:name", namespaces=NS)
    assert heading_marks == ["sec_summary", "sec_evidence", "bibliography"]
    anchors = body.xpath("//w:body/w:p//w:hyperlink/@w:anchor", namespaces=NS)  # the TOC's are in a w:sdt
    assert anchors == ["fig_losses", "fig_losses", "sec_summary"]
    ids = body.xpath("//w:bookmarkStart/@w:id", namespaces=NS)
    assert len(ids) == len(set(ids)) == len(body.xpath("//w:bookmarkEnd", namespaces=NS))


def test_figure_has_alt_text_and_fits_the_page(built: tuple[ResolvedDocument, Path]) -> None:
    document, path = built
    word = docx.Document(str(path))
    (shape,) = word.inline_shapes
    assert shape.width <= Cm(16)
    body = _part(path, "word/document.xml")
    assert body.xpath("//wp:docPr/@descr", namespaces=NS) == [document.figures()[0].alt]


def _header_footer_parts(path: Path) -> dict[str, etree._Element]:
    """The sectPr's header and footer parts by reference kind: "header/first", "footer/default"."""
    body = _part(path, "word/document.xml")
    rels = {r.get("Id"): r.get("Target") for r in _part(path, "word/_rels/document.xml.rels")}
    parts = {}
    for ref in body.xpath("w:body/w:sectPr/w:headerReference | w:body/w:sectPr/w:footerReference", namespaces=NS):
        kind = etree.QName(ref).localname.removesuffix("Reference")
        parts[f"{kind}/{ref.get(W + 'type')}"] = _part(path, "word/" + rels[ref.get(f"{{{NS['r']}}}id")])
    return parts


def test_cover_page_has_no_header_or_footer(built: tuple[ResolvedDocument, Path]) -> None:
    body = _part(built[1], "word/document.xml")
    assert body.xpath("w:body/w:sectPr/w:titlePg", namespaces=NS)  # "different first page"
    parts = _header_footer_parts(built[1])
    assert set(parts) == {"header/first", "footer/first", "header/default", "footer/default"}
    for name in ("header/first", "footer/first"):
        assert not parts[name].xpath(".//w:t | .//w:instrText | .//w:fldSimple", namespaces=NS), name


def test_body_pages_have_running_title_and_page_number(built: tuple[ResolvedDocument, Path]) -> None:
    parts = _header_footer_parts(built[1])
    header, footer = parts["header/default"], parts["footer/default"]
    assert _texts(header) == "City Water"  # the short title; its style makes it small grey capitals
    assert header.xpath("w:p/w:pPr/w:pStyle/@w:val", namespaces=NS) == ["Header"]
    assert [i.strip() for i in footer.xpath(".//w:instrText/text()", namespaces=NS)] == ["PAGE"]
    assert footer.xpath("w:p/w:pPr/w:pStyle/@w:val", namespaces=NS) == ["Footer"]
    assert not footer.xpath("//w:jc", namespaces=NS)  # placed by the Footer style, not directly
    footer_style = docx.Document(str(built[1])).styles["Footer"]
    assert footer_style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT


def test_running_title_falls_back_to_the_title(built: tuple[ResolvedDocument, Path], tmp_path: Path) -> None:
    document = built[0]
    out = tmp_path / "untitled.docx"
    write_docx(replace(document, meta=replace(document.meta, short_title="")), out, reference_doc=REFERENCE)
    assert _texts(_header_footer_parts(out)["header/default"]) == "Water for Cities"


def test_properties_and_language(built: tuple[ResolvedDocument, Path]) -> None:
    props = docx.Document(str(built[1])).core_properties
    assert props.title == "Water for Cities"
    assert props.author == "Ana Ruiz, Ben Okafor"
    assert props.subject == "Paying for leaks"
    assert props.keywords == "water, tariffs"
    assert props.language == "en-GB"
    assert props.last_modified_by == "reportgen"
    assert props.revision == 1
    assert props.created.isoformat() == props.modified.isoformat() == "2026-11-22T00:00:00+00:00"
    styles = _part(built[1], "word/styles.xml")
    assert styles.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang/@w:val", namespaces=NS) == ["en-GB"]


def test_same_document_same_bytes(built: tuple[ResolvedDocument, Path], tmp_path: Path) -> None:
    document, first = built
    second = tmp_path / "again.docx"
    write_docx(document, second, reference_doc=REFERENCE)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(second) as z:
        assert z.namelist()[0] == "[Content_Types].xml"
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_pandoc_sees_footnotes_with_the_same_text(built: tuple[ResolvedDocument, Path]) -> None:
    path = built[1]
    markdown = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "docx", "-t", "markdown", "--wrap=none", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Cities lose a third of their water[^1] and *nobody* pays[^2]" in markdown
    assert "[^1]: World Bank, *Water in Cities* (2020), 12." in markdown
    assert "[^2]: OECD, *Pricing Water* (2019)." in markdown
    assert "[^3]: Figures are for 2022; see [the data](https://example.org/data)." in markdown
    assert "[^4]: Data: UN Water, *Losses Survey* (2023)." in markdown
    assert "[the report](https://example.org/report)" in markdown
    assert "[Figure 1](#fig_losses)" in markdown


def test_reference_doc_changes_styles_only(built: tuple[ResolvedDocument, Path], tmp_path: Path) -> None:
    document, default_out = built
    custom = tmp_path / "custom.docx"
    shutil.copy(REFERENCE, custom)
    reference = docx.Document(str(custom))
    reference.styles["Normal"].font.name = "Courier New"
    reference.save(str(custom))
    out = tmp_path / "custom-brief.docx"
    write_docx(document, out, reference_doc=custom)
    with zipfile.ZipFile(default_out) as a, zipfile.ZipFile(out) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")
        assert a.read("word/styles.xml") != b.read("word/styles.xml")
    normal = docx.Document(str(out)).styles["Normal"]
    assert normal.font.name == "Courier New"


def test_figure_without_png_fails_and_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "brief.docx"
    out.write_bytes(b"previous build")
    with pytest.raises(ValueError, match="fig-losses"):
        write_docx(_document(None), out, reference_doc=REFERENCE)
    assert out.read_bytes() == b"previous build"
    assert [p.name for p in tmp_path.iterdir()] == ["brief.docx"]


def test_notes_out_of_order_are_rejected(tmp_path: Path) -> None:
    complete = _document(_png(tmp_path / "losses.png"))
    document = replace(complete, notes=complete.notes[:3])  # note 4 (the figure's source) is missing
    with pytest.raises(ValueError, match="note 4"):
        write_docx(document, tmp_path / "brief.docx", reference_doc=REFERENCE)


def test_pandoc_reference_doc_without_our_styles_still_works(built: tuple[ResolvedDocument, Path], tmp_path: Path) -> None:
    document = built[0]
    reference = tmp_path / "pandoc-reference.docx"
    reference.write_bytes(
        subprocess.run(
            [pypandoc.get_pandoc_path(), "--print-default-data-file", "reference.docx"],
            check=True,
            capture_output=True,
        ).stdout
    )
    out = tmp_path / "brief.docx"
    write_docx(document, out, reference_doc=reference)
    paragraphs = [(p.style.name, p.text) for p in docx.Document(str(out)).paragraphs]
    assert ("Heading 1", "1 Summary") in paragraphs
    # No List Number style with numbering there: the marks are typed, not lost.
    assert ("Normal", "3. Measure.") in paragraphs
    assert ("Normal", "• Tariffs do not cover costs.") in paragraphs
    # Its header and footer styles have no alignment: the page number is put right directly.
    parts = _header_footer_parts(out)
    assert _texts(parts["header/default"]) == "City Water"
    assert parts["footer/default"].xpath("w:p/w:pPr/w:jc/@w:val", namespaces=NS) == ["right"]
    assert not parts["footer/first"].xpath(".//w:instrText", namespaces=NS)


def test_bookmark_names_are_valid_for_word() -> None:
    marks = Bookmarks()
    assert marks.name("sec-data") == "sec_data"
    assert marks.name("sec_data") == "sec_data_2"  # a different id, so a different name
    assert marks.name("2-intro") == "x2_intro"
    long_name = marks.name("fig-" + "a" * 60)
    assert len(long_name) <= 40 and long_name.startswith("fig_aaa")
    assert marks.name("sec-data") == "sec_data"  # stable for the same id


@pytest.mark.parametrize("text", ["plain", " lead", "trail ", "", "  ", "a\tb", "two\nlines\r\n", "\t"])
def test_make_run_writes_what_python_docx_writes(text: str) -> None:
    # make_run skips python-docx's per-character loop for text without tabs or line ends.
    for fmt in (RunFormat(), RunFormat(italic=True, style_id="Hyperlink")):
        expected = make_run("", fmt)
        expected.text = text
        assert etree.tostring(make_run(text, fmt)) == etree.tostring(expected)
