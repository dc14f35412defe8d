"""Build reportgen/templates/reference.docx, the packaged house styles for the DOCX output.

Like Pandoc's --reference-doc: only the styles, page setup and defaults matter; the body is
empty. Built from python-docx's default template so every style Word expects exists, then
restyled. Deterministic: fixed core-properties dates and zip timestamps, so re-running it
gives identical bytes and a clean diff.

    .venv/bin/python scripts/make_reference_docx.py [-o reportgen/templates/reference.docx]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Inches, Length, Mm, Pt, RGBColor
from docx.styles.style import CharacterStyle, ParagraphStyle
from docx.styles.styles import Styles

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "reportgen" / "templates" / "reference.docx"

SERIF = "Source Serif Pro"
SANS = "Source Sans Pro"
NAVY = RGBColor(0x1F, 0x3A, 0x5F)
GREY = RGBColor(0x5F, 0x6B, 0x7A)
RUNNING_GREY = RGBColor(0x6B, 0x72, 0x80)  # the PDF's running head and contents label
TEXT_GREY = RGBColor(0x33, 0x33, 0x33)
SHADE_HEX = "EEF2F7"
NAVY_HEX = "1F3A5F"
LANGUAGE = "en-GB"
DEFAULT_FONT = "Default Paragraph Font"  # base of Word's built-in character styles
TEXT_WIDTH = Mm(160)  # A4 less the 25 mm side margins
# The key-findings box's heading and list items share one indent (text edge, hanging bullet,
# right): consecutive bordered paragraphs are drawn as one box only when their indents agree.
# The one-line heading simply starts where the bullets do.
BOX_EDGE = Mm(4)
BOX_HANG = Mm(4.5)  # the PDF's list indent in the box

# Fixed so the output is byte-for-byte reproducible.
TIMESTAMP = dt.datetime(2024, 1, 1)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# w:pPr children that come after w:pBdr and w:shd in schema order.
_PPR_AFTER_SHD = ("w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                  "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
                  "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
                  "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                  "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
                  "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")  # fmt: skip
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
_RPR_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
_RPR_AFTER_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
                      "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang",
                      "w:eastAsianLayout", "w:specVanish", "w:oMath")  # fmt: skip
_THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme")
_STYLE_AFTER_RPR = ("w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr")


# --- low-level helpers -------------------------------------------------------------------


def set_font_family(rpr: BaseOxmlElement, family: str) -> None:
    """Name `family` for Latin and complex scripts, dropping theme fonts (which would win)."""
    fonts = rpr.get_or_add_rFonts()  # pyright: ignore[reportAttributeAccessIssue]
    for attr in _THEME_FONT_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), family)


def reset_run_properties(style: CharacterStyle) -> None:
    """Drop inherited template formatting (theme colours, italics...) before restyling."""
    for rpr in style.element.findall(qn("w:rPr")):
        style.element.remove(rpr)


def remove_ppr_children(style: ParagraphStyle, *tags: str) -> None:
    ppr = style.element.pPr
    if ppr is not None:
        ppr.remove_all(*tags)


def set_shading_and_left_rule(style: ParagraphStyle) -> None:
    """Light box with a navy rule on the left; the padding borders use the fill colour."""
    ppr = style.element.get_or_add_pPr()
    ppr.remove_all("w:pBdr", "w:shd")
    borders = OxmlElement("w:pBdr")
    for side, colour, size, space in (
        ("top", SHADE_HEX, 4, 6),
        ("left", NAVY_HEX, 24, 8),
        ("bottom", SHADE_HEX, 4, 6),
        ("right", SHADE_HEX, 4, 8),
    ):
        attrs = {"w:val": "single", "w:sz": str(size), "w:space": str(space), "w:color": colour}
        borders.append(OxmlElement(f"w:{side}", {qn(k): v for k, v in attrs.items()}))
    shading = OxmlElement("w:shd", {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): SHADE_HEX})
    ppr.insert_element_before(borders, "w:shd", *_PPR_AFTER_SHD)
    ppr.insert_element_before(shading, *_PPR_AFTER_SHD)


def letter_spacing(style: CharacterStyle, points: float) -> None:
    """Tracking (w:spacing in the run properties), for capitals at small sizes."""
    rpr = style.element.get_or_add_rPr()
    for old in rpr.findall(qn("w:spacing")):
        rpr.remove(old)
    rpr.insert_element_before(OxmlElement("w:spacing", {qn("w:val"): str(round(points * 20))}), *_RPR_AFTER_SPACING)


def set_tabs(style: ParagraphStyle, *stops: tuple[Length, WD_TAB_ALIGNMENT]) -> None:
    """Replace the style's tab stops (the template's are set for US Letter)."""
    ppr = style.element.get_or_add_pPr()
    ppr.remove_all("w:tabs")
    for position, alignment in stops:
        style.paragraph_format.tab_stops.add_tab_stop(position, alignment)


def box_indent(style: ParagraphStyle) -> None:
    """The one indent of every key-findings paragraph: see BOX_EDGE."""
    fmt = style.paragraph_format
    fmt.left_indent = Length(BOX_EDGE + BOX_HANG)
    fmt.first_line_indent = Length(-BOX_HANG)
    fmt.right_indent = BOX_EDGE


def font(
    style: CharacterStyle,
    family: str | None = None,
    size: float | None = None,
    *,
    bold: bool | None = None,
    italic: bool | None = None,
    color: RGBColor | None = None,
) -> None:
    if family is not None:
        set_font_family(style.element.get_or_add_rPr(), family)
    f = style.font
    if size is not None:
        f.size = Pt(size)
    if bold is not None:
        f.bold = bold
    if italic is not None:
        f.italic = italic
    if color is not None:
        f.color.rgb = color


def spacing(
    style: ParagraphStyle,
    *,
    before: float | None = None,
    after: float | None = None,
    line: float | None = None,
    keep_with_next: bool | None = None,
) -> None:
    fmt = style.paragraph_format
    if before is not None:
        fmt.space_before = Pt(before)
    if after is not None:
        fmt.space_after = Pt(after)
    if line is not None:
        fmt.line_spacing = line
    if keep_with_next is not None:
        fmt.keep_with_next = keep_with_next


def get_or_add(
    styles: Styles,
    name: str,
    style_type: WD_STYLE_TYPE,
    *,
    style_id: str | None = None,
    builtin: bool = False,
    base: str | None = "Normal",
) -> CharacterStyle:
    """The style named `name`, added if missing. `style_id` overrides python-docx's derived
    id (Word's built-ins such as "footnote text" have ids like "FootnoteText")."""
    if name in styles:
        style = cast(CharacterStyle, styles[name])
    else:
        style = cast(CharacterStyle, styles.add_style(name, style_type, builtin=builtin))
        if not builtin:
            style.quick_style = True  # show custom styles in Word's gallery
    if style_id is not None:
        style.style_id = style_id
    if base is not None:
        style.base_style = styles[base]
    return style


def paragraph_style(
    styles: Styles,
    name: str,
    *,
    style_id: str | None = None,
    builtin: bool = False,
    base: str | None = "Normal",
) -> ParagraphStyle:
    style = get_or_add(styles, name, WD_STYLE_TYPE.PARAGRAPH, style_id=style_id, builtin=builtin, base=base)
    return cast(ParagraphStyle, style)


# --- the house look ------------------------------------------------------------------------


def set_page(document: Document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)  # A4 portrait
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.header_distance = section.footer_distance = Mm(12.5)


def set_doc_defaults(document: Document) -> None:
    """Body font and en-GB language for everything, including styles not based on Normal."""
    (rpr,) = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")
    set_font_family(rpr, SERIF)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, *_RPR_AFTER_LANG)
    lang.set(qn("w:val"), LANGUAGE)


def style_body(styles: Styles) -> None:
    normal = cast(ParagraphStyle, styles["Normal"])
    font(normal, SERIF, 10.5)
    spacing(normal, before=0, after=6, line=1.3)


def style_titles(styles: Styles) -> None:
    title = paragraph_style(styles, "Title")
    reset_run_properties(title)
    remove_ppr_children(title, "w:pBdr", "w:contextualSpacing")  # template's blue rule
    font(title, SANS, 26, bold=True, color=NAVY)
    spacing(title, before=0, after=6, line=1.0, keep_with_next=True)

    subtitle = paragraph_style(styles, "Subtitle")
    reset_run_properties(subtitle)
    remove_ppr_children(subtitle, "w:numPr")  # template's stray list level
    font(subtitle, SANS, 14, color=GREY)
    spacing(subtitle, before=0, after=12, line=1.1, keep_with_next=True)

    author = paragraph_style(styles, "Author", style_id="Author")
    font(author, SANS, 11, color=TEXT_GREY)
    spacing(author, before=0, after=0, line=1.1, keep_with_next=True)

    date = paragraph_style(styles, "Date", style_id="Date", builtin=True)
    font(date, SANS, 10, color=GREY)
    spacing(date, before=2, after=18, line=1.1)


def style_headings(styles: Styles) -> None:
    for level, size, before, after in ((1, 15, 18, 6), (2, 12, 14, 4), (3, 11, 12, 3)):
        heading = paragraph_style(styles, f"Heading {level}")
        reset_run_properties(heading)
        font(heading, SANS, size, bold=True, color=NAVY)
        # Headings keep the template's keepNext/keepLines/outlineLvl (navigation, TOC).
        spacing(heading, before=before, after=after, line=1.1, keep_with_next=True)


def style_blocks(styles: Styles) -> None:
    quote = paragraph_style(styles, "Quote")
    reset_run_properties(quote)
    font(quote, italic=True, color=TEXT_GREY)
    quote.paragraph_format.left_indent = quote.paragraph_format.right_indent = Mm(10)
    spacing(quote, before=6, after=6)

    caption = paragraph_style(styles, "Caption")
    reset_run_properties(caption)
    font(caption, SANS, 9, color=GREY)
    spacing(caption, before=0, after=10, line=1.1)

    figure = paragraph_style(styles, "Figure", style_id="Figure")
    figure.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # Single spacing: a 1.3 "auto" line would add space above an inline image.
    spacing(figure, before=6, after=4, line=1.0, keep_with_next=True)

    bibliography = paragraph_style(styles, "Bibliography", style_id="Bibliography", builtin=True)
    font(bibliography, size=9.5)
    bibliography.paragraph_format.left_indent = Inches(0.5)
    bibliography.paragraph_format.first_line_indent = -Inches(0.5)  # hanging indent
    spacing(bibliography, before=0, after=4, line=1.15)

    findings = paragraph_style(styles, "Key Findings", style_id="KeyFindings")
    font(findings, SANS, 10)
    set_shading_and_left_rule(findings)
    findings.paragraph_format.left_indent = findings.paragraph_format.right_indent = Mm(4)
    spacing(findings, before=0, after=4, line=1.2)

    # Based on Key Findings with identical borders, and the list items' indent (box_indent), so
    # Word and LibreOffice draw the heading and the findings as one box.
    heading = paragraph_style(styles, "Key Findings Heading", style_id="KeyFindingsHeading", base="Key Findings")
    heading.next_paragraph_style = findings
    font(heading, SANS, 11, bold=True, color=NAVY)
    box_indent(heading)
    spacing(heading, after=4, keep_with_next=True)


MONO = "DejaVu Sans Mono"
RULE_HEX = "9AA5B1"


def style_content_blocks(styles: Styles) -> None:
    """Tables, code, definition lists: what Pandoc's Markdown can say beyond prose. Pandoc's
    own style names (Table, Source Code, Verbatim Char, Compact, Definition...), so a
    reference document made for Pandoc works here too."""
    code = paragraph_style(styles, "Source Code", style_id="SourceCode")
    font(code, MONO, 8.5)
    spacing(code, before=4, after=8, line=1.0)
    ppr = code.element.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="F5F7FA"/>'))
    verbatim = cast(CharacterStyle, get_or_add(styles, "Verbatim Char", WD_STYLE_TYPE.CHARACTER,
                                               style_id="VerbatimChar", base=None))
    font(verbatim, MONO, 9)

    compact = paragraph_style(styles, "Compact", style_id="Compact")
    spacing(compact, before=0, after=0, line=1.1)
    font(compact, SANS, 9.5)

    term = paragraph_style(styles, "Definition Term", style_id="DefinitionTerm")
    font(term, bold=True)
    spacing(term, before=4, after=0, keep_with_next=True)
    definition = paragraph_style(styles, "Definition", style_id="Definition")
    definition.paragraph_format.left_indent = Mm(6)

    table_caption = paragraph_style(styles, "Table Caption", style_id="TableCaption", base="Caption")
    spacing(table_caption, before=6, after=3, keep_with_next=True)

    table = get_or_add(styles, "Table", WD_STYLE_TYPE.TABLE, style_id="Table", base=None)
    table.element.append(parse_xml(
        f'<w:tblPr {nsdecls("w")}><w:tblInd w:w="0" w:type="dxa"/><w:tblBorders>'
        f'<w:top w:val="single" w:sz="8" w:space="0" w:color="{NAVY_HEX}"/>'
        f'<w:bottom w:val="single" w:sz="8" w:space="0" w:color="{NAVY_HEX}"/>'
        f'<w:insideH w:val="single" w:sz="2" w:space="0" w:color="{RULE_HEX}"/></w:tblBorders>'
        '<w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr>'))
    table.element.append(parse_xml(
        f'<w:tblStylePr {nsdecls("w")} w:type="firstRow"><w:rPr><w:b/><w:color w:val="{NAVY_HEX}"/></w:rPr>'
        f'<w:tcPr><w:tcBorders><w:bottom w:val="single" w:sz="8" w:space="0" w:color="{NAVY_HEX}"/></w:tcBorders>'
        '</w:tcPr></w:tblStylePr>'))


# Lists inside the key-findings box. The general list styles take their indent from their
# numbering, which differs from the box's and would break its shading into steps; these use
# numbering whose indent is the box's own. Ids above python-docx's template's (0-8, 1-9).
BOX_LISTS = (
    # style name, style id, abstractNumId, numId, w:numFmt, w:lvlText
    ("Key Findings Bullet", "KeyFindingsBullet", 20, 20, "bullet", "\u2022"),
    ("Key Findings Number", "KeyFindingsNumber", 21, 21, "decimal", "%1."),
)


def box_numbering(style_id: str, abstract_id: int, fmt: str, text: str) -> BaseOxmlElement:
    """A one-level list definition with the box's indent, linked to the style `style_id`."""
    left, hang = Length(BOX_EDGE + BOX_HANG).twips, BOX_HANG.twips
    return parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
        f'<w:nsid w:val="{0x52470000 + abstract_id:08X}"/><w:multiLevelType w:val="singleLevel"/>'
        f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:pStyle w:val="{style_id}"/>'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:tabs><w:tab w:val="num" w:pos="{left}"/></w:tabs><w:ind w:left="{left}" w:hanging="{hang}"/></w:pPr>'
        f'<w:rPr><w:color w:val="{NAVY_HEX}"/></w:rPr></w:lvl></w:abstractNum>'
    )


def style_box_lists(document: Document) -> None:
    """Key Findings Bullet and Key Findings Number, each with its own list definition."""
    numbering = document.part.numbering_part.element
    for name, style_id, abstract_id, num_id, fmt, text in BOX_LISTS:
        first_num = numbering.find(qn("w:num"))  # every w:abstractNum comes before the w:nums
        first_num.addprevious(box_numbering(style_id, abstract_id, fmt, text))
        num = numbering.add_num(abstract_id)
        num.numId = num_id
        style = paragraph_style(document.styles, name, style_id=style_id, base="Key Findings")
        style.next_paragraph_style = style
        box_indent(style)
        style.element.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = num_id


def style_page_furniture(styles: Styles) -> None:
    """Running head and page number, as the PDF's @page boxes: small grey capitals top left,
    the page number in navy bottom right."""
    header = paragraph_style(styles, "Header", style_id="Header", builtin=True)
    reset_run_properties(header)
    font(header, SANS, 7.5, bold=True, color=RUNNING_GREY)
    header.font.all_caps = True
    letter_spacing(header, 0.5)
    set_tabs(header, (TEXT_WIDTH // 2, WD_TAB_ALIGNMENT.CENTER), (TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT))

    footer = paragraph_style(styles, "Footer", style_id="Footer", builtin=True)
    reset_run_properties(footer)
    font(footer, SANS, 8, bold=True, color=NAVY)
    footer.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    set_tabs(footer, (TEXT_WIDTH // 2, WD_TAB_ALIGNMENT.CENTER), (TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT))


def style_notes_and_links(styles: Styles) -> None:
    # Word's internal names, so Word treats them as its built-in footnote styles.
    text = paragraph_style(styles, "footnote text", style_id="FootnoteText", builtin=True)
    font(text, size=8.5)
    spacing(text, before=0, after=2, line=1.0)

    character = WD_STYLE_TYPE.CHARACTER
    reference = get_or_add(
        styles, "footnote reference", character, style_id="FootnoteReference", builtin=True, base=DEFAULT_FONT
    )
    reference.font.superscript = True

    link = get_or_add(styles, "Hyperlink", character, style_id="Hyperlink", builtin=True, base=DEFAULT_FONT)
    font(link, color=NAVY)
    link.font.underline = True  # colour alone is not enough to mark a link (WCAG 1.4.1)


def style_toc(styles: Styles) -> None:
    # A small label, as the PDF's "CONTENTS"; its own outline level 9 keeps it out of the TOC.
    toc_heading = paragraph_style(styles, "TOC Heading", base="Heading 1")
    reset_run_properties(toc_heading)
    font(toc_heading, SANS, 9, bold=True, color=RUNNING_GREY)
    toc_heading.font.all_caps = True
    letter_spacing(toc_heading, 1)
    spacing(toc_heading, before=18, after=4)

    toc1 = paragraph_style(styles, "toc 1", style_id="TOC1", builtin=True)
    font(toc1, SANS, 10.5)  # regular, as the PDF's contents: eleven bold lines shout
    spacing(toc1, before=4, after=4, line=1.1)

    toc2 = paragraph_style(styles, "toc 2", style_id="TOC2", builtin=True)
    font(toc2, SANS, 10)
    toc2.paragraph_format.left_indent = Mm(5)
    spacing(toc2, before=0, after=2, line=1.1)


def sync_linked_character_styles(styles: Styles) -> None:
    """Give "Heading 1 Char" etc. their paragraph style's run look; Word applies them when
    a heading style is used on part of a paragraph, and the template's are theme-blue."""
    for style in styles:
        if style.type != WD_STYLE_TYPE.PARAGRAPH:
            continue
        link = style.element.find(qn("w:link"))
        linked = styles.element.get_by_id(link.get(qn("w:val"), "")) if link is not None else None
        if linked is None or style.element.rPr is None:
            continue
        for rpr in linked.findall(qn("w:rPr")):
            linked.remove(rpr)
        linked.insert_element_before(copy.deepcopy(style.element.rPr), *_STYLE_AFTER_RPR)


def drop_template_leftovers(document: Document) -> None:
    """Remove the template's thumbnail (a picture of someone else's page) and Word 2010's
    stylesWithEffects.xml, a stale second copy of the styles we just changed."""
    package = document.part.package
    for rels, reltype in ((package.rels, RT.THUMBNAIL), (document.part.rels, STYLES_WITH_EFFECTS)):
        for r_id in [rel.rId for rel in rels.values() if rel.reltype == reltype]:
            del rels[r_id]


def set_core_properties(document: Document) -> None:
    props = document.core_properties
    props.title = "reportgen reference document"
    props.subject = ""
    props.author = "reportgen"
    props.last_modified_by = "reportgen"
    props.comments = "Styles for reportgen's DOCX output. Regenerate with scripts/make_reference_docx.py."
    props.revision = 1
    props.created = props.modified = TIMESTAMP
    props.language = LANGUAGE


def build() -> Document:
    document = docx.Document()
    set_page(document)
    set_doc_defaults(document)
    styles = document.styles
    style_body(styles)
    style_titles(styles)
    style_headings(styles)
    style_blocks(styles)
    style_content_blocks(styles)
    style_box_lists(document)
    style_page_furniture(styles)
    style_notes_and_links(styles)
    style_toc(styles)
    sync_linked_character_styles(styles)
    drop_template_leftovers(document)
    set_core_properties(document)
    return document


def save_deterministic(document: Document, path: Path) -> None:
    """Save, then rewrite the zip with fixed entry timestamps (zipfile stamps 'now')."""
    buffer = io.BytesIO()
    document.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    save_deterministic(build(), args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
