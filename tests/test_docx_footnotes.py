"""Footnotes (and hyperlinks) in python-docx output, checked on the saved zip.

Every test saves a real .docx and inspects its parts with lxml, the way Word, LibreOffice
and Pandoc see them; Pandoc itself is used when available.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import PartFactory
from docx.shared import Mm, Pt
from lxml import etree
from PIL import Image

from reportgen.outputs.docx.footnotes import Footnotes, FootnotesPart
from reportgen.outputs.docx.oxml import add_hyperlink, settings_after

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DOCX = ROOT / "reportgen" / "templates" / "reference.docx"
SCRIPT = ROOT / "scripts" / "make_reference_docx.py"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {
    "w": W_NS,
    "r": R_NS,
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
}
URL = "https://example.org/report?id=2&lang=en"
NOTE_TEXTS = [
    "First note with emphasis.",
    "Bold claim, see the report.",
    "Third note.",
]


def w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


def read_xml(path: Path, member: str) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read(member))


def text_of(element: etree._Element) -> str:
    return "".join(element.xpath(".//w:t/text()", namespaces=NS))


def rels_by_id(path: Path, member: str) -> dict[str, etree._Element]:
    return {rel.get("Id"): rel for rel in read_xml(path, member).xpath("rel:Relationship", namespaces=NS)}


def add_notes(document: Document) -> None:
    """Three body paragraphs, each with a footnote using formatting and a hyperlink."""
    footnotes = Footnotes.of(document)

    note = footnotes.add(document.add_paragraph("Claim one."))
    note.add_run("First note with ")
    note.add_run("emphasis").italic = True
    note.add_run(".")

    note = footnotes.add(document.add_paragraph("Claim two."))
    note.add_run("Bold").bold = True
    note.add_run(" claim, see ")
    add_hyperlink(note, URL, "the report", italic=True)
    note.add_run(".")

    footnotes.add(document.add_paragraph("Claim three.")).add_run("Third note.")


def build(tmp_path: Path, template: Path | None = REFERENCE_DOCX, name: str = "brief.docx") -> Path:
    document = docx.Document(str(template) if template else None)
    document.add_heading("A policy brief", level=1)
    add_notes(document)
    path = tmp_path / name
    document.save(str(path))
    return path


@pytest.fixture
def brief(tmp_path: Path) -> Path:
    return build(tmp_path)


def real_notes(path: Path) -> list[etree._Element]:
    return read_xml(path, "word/footnotes.xml").xpath("w:footnote[not(@w:type)]", namespaces=NS)


# --- package structure ---------------------------------------------------------------------


def test_content_types_override(brief: Path) -> None:
    types = read_xml(brief, "[Content_Types].xml")
    overrides = types.xpath("ct:Override[@PartName='/word/footnotes.xml']/@ContentType", namespaces=NS)
    assert overrides == [CT.WML_FOOTNOTES]


def test_document_relates_to_footnotes_part(brief: Path) -> None:
    rels = rels_by_id(brief, "word/_rels/document.xml.rels").values()
    assert [r.get("Target") for r in rels if r.get("Type") == RT.FOOTNOTES] == ["footnotes.xml"]


def test_settings_name_the_separators(brief: Path) -> None:
    settings = read_xml(brief, "word/settings.xml")
    assert settings.xpath("w:footnotePr/w:footnote/@w:id", namespaces=NS) == ["-1", "0"]
    # Schema order: footnotePr comes before compat.
    tags = [etree.QName(child).localname for child in settings]
    assert tags.index("footnotePr") < tags.index("compat")


def test_the_settings_order_is_python_docx_s() -> None:
    """The order both w:updateFields and w:footnotePr are placed by, read from python-docx."""
    after_fields = settings_after("w:updateFields")
    assert after_fields[:3] == ("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr")
    assert settings_after("w:footnotePr") == after_fields[2:]
    assert after_fields[-2:] == ("w:decimalSymbol", "w:listSeparator")


# --- footnotes.xml and the body ------------------------------------------------------------


def test_separator_notes(brief: Path) -> None:
    root = read_xml(brief, "word/footnotes.xml")
    separators = [(n.get(w("id")), n.get(w("type"))) for n in root.xpath("w:footnote[@w:type]", namespaces=NS)]
    assert separators == [("-1", "separator"), ("0", "continuationSeparator")]
    assert root.xpath("w:footnote[@w:id='-1']//w:separator", namespaces=NS)
    assert root.xpath("w:footnote[@w:id='0']//w:continuationSeparator", namespaces=NS)


def test_notes_have_ids_texts_style_and_number_mark(brief: Path) -> None:
    notes = real_notes(brief)
    assert [n.get(w("id")) for n in notes] == ["1", "2", "3"]
    assert [text_of(n).strip() for n in notes] == NOTE_TEXTS
    for note in notes:
        (first_p,) = note.xpath("w:p", namespaces=NS)
        assert first_p.xpath("w:pPr/w:pStyle/@w:val", namespaces=NS) == ["FootnoteText"]
        mark_run, space_run = first_p.xpath("w:r", namespaces=NS)[:2]
        assert mark_run.xpath("w:rPr/w:rStyle/@w:val", namespaces=NS) == ["FootnoteReference"]
        assert mark_run.find(w("footnoteRef")) is not None
        assert text_of(space_run) == " "


def test_note_runs_keep_their_formatting(brief: Path) -> None:
    first, second, _ = real_notes(brief)
    assert first.xpath("string(.//w:r[w:rPr/w:i]/w:t)", namespaces=NS) == "emphasis"
    assert second.xpath("string(.//w:r[w:rPr/w:b]/w:t)", namespaces=NS) == "Bold"


def test_body_has_one_reference_per_note_in_order(brief: Path) -> None:
    body = read_xml(brief, "word/document.xml")
    refs = body.xpath("//w:footnoteReference", namespaces=NS)
    assert [r.get(w("id")) for r in refs] == ["1", "2", "3"]
    for ref, claim in zip(refs, ["Claim one.", "Claim two.", "Claim three."], strict=True):
        run = ref.getparent()
        assert run.xpath("w:rPr/w:rStyle/@w:val", namespaces=NS) == ["FootnoteReference"]
        paragraph = run.getparent()
        assert text_of(paragraph) == claim
        assert paragraph[-1] is run  # at the end of the paragraph


def test_hyperlink_relationship_lives_on_footnotes_part(brief: Path) -> None:
    (link,) = read_xml(brief, "word/footnotes.xml").xpath("//w:hyperlink", namespaces=NS)
    assert text_of(link) == "the report"
    assert link.xpath("w:r/w:rPr/w:rStyle/@w:val", namespaces=NS) == ["Hyperlink"]
    assert link.xpath("w:r/w:rPr/w:i", namespaces=NS)
    rel = rels_by_id(brief, "word/_rels/footnotes.xml.rels")[link.get(f"{{{R_NS}}}id")]
    assert (rel.get("Type"), rel.get("Target"), rel.get("TargetMode")) == (RT.HYPERLINK, URL, "External")
    document_rels = rels_by_id(brief, "word/_rels/document.xml.rels").values()
    assert not [r for r in document_rels if r.get("Type") == RT.HYPERLINK]


def test_note_paragraph_resolves_to_footnotes_part_so_images_work(tmp_path: Path) -> None:
    document = docx.Document(str(REFERENCE_DOCX))
    note = Footnotes.of(document).add(document.add_paragraph("Chart source."))
    assert isinstance(note.part, FootnotesPart)
    png = tmp_path / "dot.png"
    Image.new("RGB", (8, 8), "navy").save(png)
    note.add_run().add_picture(str(png), width=Mm(3))
    path = tmp_path / "image.docx"
    document.save(str(path))

    (embed,) = read_xml(path, "word/footnotes.xml").xpath("//@r:embed", namespaces=NS)
    rel = rels_by_id(path, "word/_rels/footnotes.xml.rels")[embed]
    assert rel.get("Type") == RT.IMAGE
    with zipfile.ZipFile(path) as zf:
        assert "word/" + rel.get("Target") in zf.namelist()


# --- styles ----------------------------------------------------------------------------------


def test_default_template_gets_footnote_and_hyperlink_styles(tmp_path: Path) -> None:
    document = docx.Document()
    style_ids = {s.style_id for s in document.styles}
    assert not {"FootnoteText", "FootnoteReference", "Hyperlink"} & style_ids

    path = build(tmp_path, template=None)
    styles = docx.Document(str(path)).styles
    text = styles.get_by_id("FootnoteText", WD_STYLE_TYPE.PARAGRAPH)
    reference = styles.get_by_id("FootnoteReference", WD_STYLE_TYPE.CHARACTER)
    link = styles.get_by_id("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    assert (text.style_id, text.name, text.base_style.name) == ("FootnoteText", "footnote text", "Normal")
    assert (reference.style_id, reference.name) == ("FootnoteReference", "footnote reference")
    assert reference.font.superscript is True
    assert link.style_id == "Hyperlink" and link.font.underline is True


def test_reference_docx_styles_are_kept_not_replaced(brief: Path) -> None:
    styles = docx.Document(str(brief)).styles
    text = styles.get_by_id("FootnoteText", WD_STYLE_TYPE.PARAGRAPH)
    assert text.font.size == Pt(8.5)  # the house size, not the 10 pt fallback
    ids = [s.style_id for s in styles]
    for style_id in ("FootnoteText", "FootnoteReference", "Hyperlink"):
        assert ids.count(style_id) == 1


def test_localised_style_ids_are_found_by_name(tmp_path: Path) -> None:
    # German Word saves built-in "footnote text" with id "Funotentext".
    document = docx.Document()
    style = document.styles.add_style("footnote text", WD_STYLE_TYPE.PARAGRAPH, builtin=True)
    style.style_id = "Funotentext"
    note = Footnotes.of(document).add(document.add_paragraph("Satz."))
    assert note.style.style_id == "Funotentext"
    assert "FootnoteText" not in {s.style_id for s in document.styles}


# --- lifecycle -------------------------------------------------------------------------------


def test_of_is_idempotent(tmp_path: Path) -> None:
    document = docx.Document(str(REFERENCE_DOCX))
    first, second = Footnotes.of(document), Footnotes.of(document)
    first.add(document.add_paragraph("One."))
    second.add(document.add_paragraph("Two."))
    assert first.part is second.part and len(first) == len(second) == 2
    path = tmp_path / "twice.docx"
    document.save(str(path))
    assert len(read_xml(path, "word/settings.xml").xpath("w:footnotePr", namespaces=NS)) == 1
    assert [n.get(w("id")) for n in real_notes(path)] == ["1", "2"]


def test_interleaved_adds_keep_ids_unique() -> None:
    # `add` remembers the next id; a note added through another proxy must not reuse it.
    document = docx.Document(str(REFERENCE_DOCX))
    first, second = Footnotes.of(document), Footnotes.of(document)
    for footnotes in (first, first, second, first, second, second):
        footnotes.add(document.add_paragraph("Claim."))
    assert [n.id for n in first] == [1, 2, 3, 4, 5, 6]


def test_reopen_and_continue_numbering(brief: Path, tmp_path: Path) -> None:
    document = docx.Document(str(brief))
    footnotes = Footnotes.of(document)
    assert isinstance(footnotes.part, FootnotesPart)
    assert len(footnotes) == 3
    assert [n.id for n in footnotes] == [1, 2, 3]
    footnotes.add(document.add_paragraph("Claim four.")).add_run("Fourth note.")
    path = tmp_path / "again.docx"
    document.save(str(path))

    assert [text_of(n).strip() for n in real_notes(path)] == [*NOTE_TEXTS, "Fourth note."]
    refs = read_xml(path, "word/document.xml").xpath("//w:footnoteReference/@w:id", namespaces=NS)
    assert refs == ["1", "2", "3", "4"]
    assert read_xml(path, "word/settings.xml").xpath("count(w:footnotePr/w:footnote)", namespaces=NS) == 2


def test_part_loaded_before_import_is_upgraded(brief: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As if the document had been opened before reportgen.outputs.docx.footnotes was imported.
    monkeypatch.delitem(PartFactory.part_type_for, CT.WML_FOOTNOTES)
    document = docx.Document(str(brief))
    assert not isinstance(document.part.part_related_by(RT.FOOTNOTES), FootnotesPart)

    footnotes = Footnotes.of(document)
    assert isinstance(footnotes.part, FootnotesPart)
    assert document.part.part_related_by(RT.FOOTNOTES) is footnotes.part
    footnotes.add(document.add_paragraph("Claim four.")).add_run("Fourth note.")
    path = tmp_path / "upgraded.docx"
    document.save(str(path))

    assert len(real_notes(path)) == 4
    link_rels = rels_by_id(path, "word/_rels/footnotes.xml.rels").values()
    assert [r.get("Target") for r in link_rels] == [URL]


def test_reference_outside_the_body_is_rejected() -> None:
    document = docx.Document(str(REFERENCE_DOCX))
    footnotes = Footnotes.of(document)
    note = footnotes.add(document.add_paragraph("Body."))
    header = document.sections[0].header.paragraphs[0]
    for paragraph in (header, note):
        with pytest.raises(ValueError, match="document body"):
            footnotes.add(paragraph)
    assert len(footnotes) == 1


# --- Pandoc's reading ------------------------------------------------------------------------


def pandoc_path() -> str | None:
    try:
        import pypandoc
    except ImportError:
        return None
    try:
        return pypandoc.get_pandoc_path()
    except OSError:
        return None


@pytest.mark.skipif(pandoc_path() is None, reason="pandoc (pypandoc-binary) not installed")
def test_pandoc_reads_the_notes_as_footnotes(brief: Path) -> None:
    markdown = subprocess.run(
        [str(pandoc_path()), "-f", "docx", "-t", "markdown", "--wrap=none", str(brief)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for n, claim in enumerate(["Claim one.", "Claim two.", "Claim three."], start=1):
        assert f"{claim}[^{n}]" in markdown
    assert "[^1]: First note with *emphasis*." in markdown
    assert f"[^2]: **Bold** claim, see [*the report*]({URL})." in markdown
    assert "[^3]: Third note." in markdown


# --- templates/reference.docx ----------------------------------------------------------------


def test_reference_docx_is_up_to_date_and_deterministic(tmp_path: Path) -> None:
    outputs = [tmp_path / "a.docx", tmp_path / "b.docx"]
    for out in outputs:
        subprocess.run([sys.executable, str(SCRIPT), "-o", str(out)], check=True, capture_output=True)
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    assert outputs[0].read_bytes() == REFERENCE_DOCX.read_bytes(), "re-run scripts/make_reference_docx.py"


def test_reference_docx_page_styles_and_language() -> None:
    document = docx.Document(str(REFERENCE_DOCX))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [section.left_margin, section.right_margin, section.top_margin, section.bottom_margin]
    assert [round(m.mm) for m in margins] == [25, 25, 25, 22]

    paragraph, character = WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER
    expected = {
        "Normal": paragraph, "Title": paragraph, "Subtitle": paragraph, "Heading1": paragraph,
        "Heading2": paragraph, "Heading3": paragraph, "Quote": paragraph, "Caption": paragraph,
        "Bibliography": paragraph, "KeyFindings": paragraph, "KeyFindingsHeading": paragraph,
        "FootnoteText": paragraph, "FootnoteReference": character, "Hyperlink": character,
        "TOCHeading": paragraph, "TOC1": paragraph, "TOC2": paragraph, "Author": paragraph,
        "Date": paragraph, "Figure": paragraph, "KeyFindingsBullet": paragraph,
        "KeyFindingsNumber": paragraph, "Header": paragraph, "Footer": paragraph,
    }  # fmt: skip
    types = {s.style_id: s.type for s in document.styles}
    assert {sid: types.get(sid) for sid in expected} == expected

    normal = document.styles["Normal"]
    assert (normal.font.name, normal.font.size) == ("Source Serif Pro", Pt(10.5))
    assert normal.paragraph_format.line_spacing == pytest.approx(1.3)
    heading = document.styles["Heading 1"]
    assert (heading.font.name, heading.font.size, heading.font.bold) == ("Source Sans Pro", Pt(15), True)
    assert heading.paragraph_format.keep_with_next is True
    assert str(heading.font.color.rgb) == "1F3A5F"
    findings = document.styles.element.get_by_id("KeyFindings")
    assert findings.xpath("w:pPr/w:shd/@w:fill") == ["EEF2F7"]
    assert findings.xpath("w:pPr/w:pBdr/w:left/@w:color") == ["1F3A5F"]

    lang = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang/@w:val")
    assert lang == ["en-GB"]
    assert list(document.paragraphs) == []  # a reference doc carries styles, not content


def test_reference_docx_page_furniture_looks_like_the_pdf() -> None:
    """The PDF's running head is small grey capitals, its page number navy, bottom right."""
    styles = docx.Document(str(REFERENCE_DOCX)).styles
    header, footer = styles["Header"], styles["Footer"]
    assert (header.font.name, header.font.size, header.font.all_caps) == ("Source Sans Pro", Pt(7.5), True)
    assert str(header.font.color.rgb) == "6B7280"
    assert (footer.font.name, str(footer.font.color.rgb)) == ("Source Sans Pro", "1F3A5F")
    assert footer.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # Tab stops within A4's 160 mm text width, not the template's US Letter ones.
    assert [round(t.position.mm) for t in header.paragraph_format.tab_stops] == [80, 160]


def test_reference_docx_box_lists_use_the_box_indent() -> None:
    document = docx.Document(str(REFERENCE_DOCX))
    numbering = document.part.numbering_part.element
    for style_id, fmt in (("KeyFindingsBullet", "bullet"), ("KeyFindingsNumber", "decimal")):
        style = document.styles.element.get_by_id(style_id)
        assert style.basedOn_val == "KeyFindings"
        (num_id,) = style.xpath("w:pPr/w:numPr/w:numId/@w:val")
        (abstract_id,) = numbering.xpath(f"w:num[@w:numId='{num_id}']/w:abstractNumId/@w:val")
        (level,) = numbering.xpath(f"w:abstractNum[@w:abstractNumId='{abstract_id}']/w:lvl[@w:ilvl='0']")
        assert level.xpath("w:numFmt/@w:val", namespaces=NS) == [fmt]
        ind = level.xpath("w:pPr/w:ind", namespaces=NS)[0].attrib
        assert style.xpath("w:pPr/w:ind")[0].attrib.items() >= ind.items()
    heading = document.styles.element.get_by_id("KeyFindingsHeading")
    assert heading.xpath("w:pPr/w:ind")[0].attrib == style.xpath("w:pPr/w:ind")[0].attrib
