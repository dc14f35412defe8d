"""Build templates/reference.docx: the house styles for reportgen's DOCX output.

Like Pandoc's --reference-doc: only the styles, page setup and defaults matter; the body is
empty. Built from python-docx's default template so every style Word expects exists, then
restyled. Deterministic: fixed core-properties dates and zip timestamps, so re-running it
gives identical bytes and a clean diff.

    .venv/bin/python scripts/make_reference_docx.py [-o templates/reference.docx]
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
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Inches, Mm, Pt, RGBColor
from docx.styles.style import CharacterStyle, ParagraphStyle
from docx.styles.styles import Styles

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "templates" / "reference.docx"

SERIF = "Source Serif Pro"
SANS = "Source Sans Pro"
NAVY = RGBColor(0x1F, 0x3A, 0x5F)
GREY = RGBColor(0x5F, 0x6B, 0x7A)
TEXT_GREY = RGBColor(0x33, 0x33, 0x33)
SHADE_HEX = "EEF2F7"
NAVY_HEX = "1F3A5F"
LANGUAGE = "en-GB"
DEFAULT_FONT = "Default Paragraph Font"  # base of Word's built-in character styles
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

    # Based on Key Findings with identical borders/indents, so Word draws one box for both.
    heading = paragraph_style(styles, "Key Findings Heading", style_id="KeyFindingsHeading", base="Key Findings")
    heading.next_paragraph_style = findings
    font(heading, SANS, 11, bold=True, color=NAVY)
    spacing(heading, after=4, keep_with_next=True)


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
    toc_heading = paragraph_style(styles, "TOC Heading", base="Heading 1")
    spacing(toc_heading, before=0, after=12)

    toc1 = paragraph_style(styles, "toc 1", style_id="TOC1", builtin=True)
    font(toc1, SANS, 10.5, bold=True)
    spacing(toc1, before=6, after=2, line=1.1)

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
