"""Word backend: a resolved `Document` -> a DOCX an editor can keep working on in Word.

Like Pandoc's --reference-doc, the output starts from a reference document: its styles,
page setup, headers and footers are kept and only its body is replaced. Everything we add
names a style from it (Title, Heading 1, Caption, Key Findings...) instead of carrying fonts
or sizes, so restyling the brief means editing reference.docx. Citations become real Word
footnotes, cross references internal links to bookmarks, the contents a TOC field whose
cached result already lists the chapters. As in the PDF, the cover page has no header or
footer; the pages after it carry the running title and the page number.

The same Document always gives the same bytes: document properties come from the brief's
metadata, and the zip is rewritten with fixed timestamps and entry order.
"""

from __future__ import annotations

import io
import zipfile
from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.run import CT_R
from docx.section import _Footer, _Header
from docx.shared import Cm, Length
from docx.styles.style import CharacterStyle, ParagraphStyle
from docx.text.paragraph import Paragraph
from lxml.etree import _Element

from reportgen.atomic import write_atomic
from reportgen.document import model as m
from reportgen.document.resolve import KIND_LABELS, caption_kind
from reportgen.outputs.docx.backend import IMAGE_FORMAT
from reportgen.outputs.docx.fields import (
    PLAIN,
    Bookmarks,
    RunFormat,
    content_control,
    external_hyperlink,
    field_end,
    field_runs,
    field_start,
    has_page_field,
    internal_hyperlink,
    make_break,
    make_page_break,
    make_run,
    restart_numbering,
    set_default_language,
    set_numbering,
    set_update_fields,
    style_numbering,
)
from reportgen.outputs.docx.footnotes import Footnotes
from reportgen.outputs.docx.math import display as display_math
from reportgen.outputs.docx.math import omml
from reportgen.outputs.docx.oxml import StyleIds, find_style, hyperlink_style

# Chapters only, as the PDF's contents; the writer fills in the same entries as the result.
TOC_INSTRUCTION = r'TOC \o "{0}-{0}" \h \z \u'  # the contents' level, as in the PDF
TOC_PLACEHOLDER = "Right-click to update the table of contents."
MAX_FIGURE_WIDTH = Cm(16)
BIBLIOGRAPHY_ID = m.BIBLIOGRAPHY_ID
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def write_docx(document: m.ResolvedDocument, path: Path, *, reference_doc: Path) -> None:
    """Write `document` (citations and cross references resolved) to `path` as DOCX.

    Raises ValueError for what the earlier stages should have prevented: a figure without
    its PNG, an unresolved inline, notes not called exactly once and in order.
    """
    if not isinstance(document, m.ResolvedDocument):  # a Cite or CrossRef could be in it
        raise TypeError(f"the DOCX backend writes a ResolvedDocument (the cite stage's), not {type(document).__name__}")
    word = docx.Document(str(reference_doc))
    _clear_body(word)
    _Writer(word, document).write()
    _add_page_furniture(word, document.meta.short_title or document.meta.title)
    _set_properties(word, document.meta)
    set_update_fields(word.settings.element)
    set_default_language(word.styles.element, document.meta.language)
    buffer = io.BytesIO()
    word.save(buffer)
    write_atomic(Path(path), _normalised_zip(buffer.getvalue()))


# --- the reference document ------------------------------------------------------------


def _clear_body(word: WordDocument) -> None:
    """Drop the reference document's content but keep its final sectPr (page setup,
    header/footer references), and the images, links and notes only that content used."""
    body = word.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    part = word.part
    for r_id, rel in list(part.rels.items()):
        if rel.reltype in (RT.IMAGE, RT.HYPERLINK):
            part.drop_rel(r_id)  # only drops relationships nothing refers to any more
    if any(rel.reltype == RT.FOOTNOTES for rel in part.rels.values()):
        notes = Footnotes.of(word).part.footnotes_element
        for note in list(notes.footnote_lst):
            if not note.is_separator:
                notes.remove(note)


class _Styles:
    """Looks styles up by name, falling back when a reference document lacks one.

    Each name is looked up once: a miss by id ("toc 1" is TOC1) scans every style by name.
    The writer only adds the footnote styles, which it never looks up here.
    """

    def __init__(self, word: WordDocument) -> None:
        self._styles = word.styles
        self._found: dict[tuple[str, WD_STYLE_TYPE], CharacterStyle | None] = {}
        self._default: ParagraphStyle | None = None
        self.ids = StyleIds(word.styles)
        self.hyperlink_id = hyperlink_style(word.styles).style_id
        verbatim = self._find("Verbatim Char", WD_STYLE_TYPE.CHARACTER)
        self.verbatim_id = verbatim.style_id if verbatim is not None else None

    def _find(self, name: str, style_type: WD_STYLE_TYPE) -> CharacterStyle | None:
        key = (name, style_type)
        if key not in self._found:
            # Custom styles' ids are their names without spaces ("Key Findings" -> KeyFindings).
            self._found[key] = find_style(self._styles, name.replace(" ", ""), name, style_type)
        return self._found[key]

    def paragraph(self, *names: str) -> ParagraphStyle:
        """The first of `names` the document defines, else its default paragraph style."""
        for name in names:
            style = self.defined(name)
            if style is not None:
                return style
        if self._default is None:
            self._default = self._styles.default(WD_STYLE_TYPE.PARAGRAPH)
        return self._default

    def table(self, name: str) -> Any:
        """The table style `name`, or None when the reference document lacks it."""
        return self._find(name, WD_STYLE_TYPE.TABLE)

    def defined(self, name: str) -> ParagraphStyle | None:
        """The paragraph style `name`, or None when the reference document lacks it."""
        return self._find(name, WD_STYLE_TYPE.PARAGRAPH)  # type: ignore[return-value]  # a PARAGRAPH look-up finds a ParagraphStyle


# --- body ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """How blocks render where they are: quotes and key-findings boxes restyle paragraphs."""

    style: str = "Normal"
    in_box: bool = False  # inside key findings: list items keep the box style too
    list_depth: int = 0


@dataclass(frozen=True)
class _Target:
    """Where inline runs go: the body/note paragraph, or a hyperlink inside it."""

    paragraph: Paragraph
    container: _Element
    in_note: bool = False

    @classmethod
    def of(cls, paragraph: Paragraph, *, in_note: bool = False) -> _Target:
        return cls(paragraph, paragraph._p, in_note)



# Inline wrappers that only switch one run property on for their children.
_RUN_FLAGS: dict[type, str] = {
    m.Emph: "italic", m.Strong: "bold", m.SmallCaps: "small_caps", m.Superscript: "superscript",
    m.Subscript: "subscript", m.Strikeout: "strike", m.Underline: "underline",
}

class _Writer:
    def __init__(self, word: WordDocument, document: m.ResolvedDocument) -> None:
        self.word = word
        self.doc = document
        self.styles = _Styles(word)
        self.bookmarks = Bookmarks()
        self.targets = {b.id for b in m.walk_blocks(document.blocks)
                        if isinstance(b, (m.Heading, m.Figure, m.Table, m.CodeBlock)) and b.id}
        self.targets |= {n.id for n in _all_math(document) if n.id}
        # Bookmark the bibliography heading unless a section already took its id.
        self.bookmark_bibliography = bool(document.bibliography_title and document.bibliography) \
            and BIBLIOGRAPHY_ID not in self.targets
        if self.bookmark_bibliography:
            self.targets.add(BIBLIOGRAPHY_ID)
        self._footnotes: Footnotes | None = None
        self._notes_written = 0
        self.math = _MathCache(document)

    def write(self) -> None:
        self.cover()
        self.contents()
        for block in self.doc.blocks:
            self.block(block, _Scope())
        self.bibliography()
        if self._notes_written != len(self.doc.notes):
            raise ValueError(f"{len(self.doc.notes)} notes but {self._notes_written} note calls in the text")

    def para(self, *styles: str) -> Paragraph:
        return self.styled_para(self.styles.paragraph(*styles))

    def styled_para(self, style: ParagraphStyle | None) -> Paragraph:
        """`add_paragraph(style=style)`, with the style id looked up once per style."""
        p = self.word.add_paragraph()
        if style is not None:  # None when the reference document has no default style
            p._p.style = self.styles.ids.of(style, WD_STYLE_TYPE.PARAGRAPH)
        return p

    def text_para(self, text: str, *styles: str) -> Paragraph:
        p = self.para(*styles)
        p._p.append(make_run(text))
        return p

    # -- front matter

    def cover(self) -> None:
        meta = self.doc.meta
        self.text_para(meta.title, "Title")
        if meta.subtitle:
            self.text_para(meta.subtitle, "Subtitle")
        for author in meta.authors:
            name = f"{author.name}, {author.affiliation}" if author.affiliation else author.name
            self.text_para(name, "Author")
        if meta.organisation:
            self.text_para(meta.organisation, "Author")
        if meta.date_text or meta.date:
            self.text_para(meta.date_text or meta.date, "Date")
        if meta.abstract:
            self.text_para(meta.abstract, "Abstract")

    def contents(self) -> None:
        """Word's own TOC: a heading and a TOC field in a Table of Contents content control.

        The field's cached result is what Word's update will put there, one entry per
        chapter linked to its heading, less the page numbers: only Word's layout knows them.
        So the contents read right before any update, and Word still replaces them.
        """
        heading = self.text_para(self.doc.meta.label("contents"), "TOC Heading")
        entries = [self.toc_entry(text, anchor) for text, anchor in self.toc_entries()]
        if not entries:  # nothing for the field to list yet
            entries = [self.text_para(TOC_PLACEHOLDER, "Normal")]
        _prepend(entries[0]._p, field_start(TOC_INSTRUCTION.format(self.doc.contents_level)))
        entries[-1]._p.append(field_end())
        body = self.word.element.body
        at = body.index(heading._p)
        body.insert(at, content_control("Table of Contents", [heading._p, *(p._p for p in entries)]))
        self.page_break()  # cover and contents on page 1, as in the PDF

    def toc_entries(self) -> list[tuple[str, str | None]]:
        """(text, bookmark) for each heading the TOC field collects, as the heading reads."""
        entries: list[tuple[str, str | None]] = []
        for heading in self.doc.contents():
            text = m.plain_text(heading.children)
            text = f"{heading.number} {text}" if heading.number else text
            entries.append((text, self.bookmarks.name(heading.id) if heading.id else None))
        if self.doc.bibliography and self.doc.bibliography_title:  # a Heading 1 too
            anchor = self.bookmarks.name(BIBLIOGRAPHY_ID) if self.bookmark_bibliography else None
            entries.append((self.doc.bibliography_title, anchor))
        return entries

    def toc_entry(self, text: str, anchor: str | None) -> Paragraph:
        p = self.para("toc 1")
        container: _Element = p._p
        if anchor:  # as Word's \h switch makes them: each entry links to its heading
            container = internal_hyperlink(anchor)
            p._p.append(container)
        container.append(make_run(text))
        return p

    def page_break(self) -> None:
        self.word.add_paragraph()._p.append(make_page_break())

    def bibliography(self) -> None:
        """After the text, under reportgen's heading, unless the writer placed it."""
        if not self.doc.bibliography or not self.doc.bibliography_title:
            return
        self.page_break()  # the PDF starts the bibliography on a new page too
        heading = self.text_para(self.doc.bibliography_title, "Heading 1")
        if self.bookmark_bibliography:
            start, end = self.bookmarks.pair(BIBLIOGRAPHY_ID)
            heading._p.r_lst[0].addprevious(start)
            heading._p.append(end)
        self.bibliography_entries()

    def bibliography_entries(self) -> None:
        """Each entry bookmarked `ref-KEY`, the target of a linked citation."""
        for entry in self.doc.bibliography:
            p = self.para("Bibliography")
            start, end = self.bookmarks.pair(f"ref-{entry.key}")
            p._p.append(start)
            self.inlines(entry.children, _Target.of(p))
            p._p.append(end)

    # -- blocks

    def block(self, block: m.Block, scope: _Scope) -> None:
        if isinstance(block, m.Heading):
            self.heading(block)
        elif isinstance(block, m.Paragraph):
            self.inlines(block.children, _Target.of(self.para(scope.style)))
        elif isinstance(block, m.BlockQuote):
            inner = scope if scope.in_box else replace(scope, style="Quote")
            self.blocks(block.children, inner)
        elif isinstance(block, (m.BulletList, m.OrderedList)):
            self.list_block(block, scope)
        elif isinstance(block, m.Div):
            self.div(block, scope)
        elif isinstance(block, m.Figure):
            self.figure(block)
        elif isinstance(block, m.Table):
            self.table(block, scope)
        elif isinstance(block, m.CodeBlock):
            self.code_block(block)
        elif isinstance(block, m.DefinitionList):
            self.definition_list(block, scope)
        elif isinstance(block, m.LineBlock):
            target = _Target.of(self.para(scope.style))
            for number, line in enumerate(block.lines):
                if number:
                    target.container.append(make_break())
                self.inlines(line, target)
        elif isinstance(block, m.BibliographyBlock):
            self.bibliography_entries()
        # m.Rule: a thematic break has no Word equivalent worth an empty paragraph.

    def blocks(self, blocks: list[m.Block], scope: _Scope) -> None:
        for block in blocks:
            self.block(block, scope)

    def heading(self, heading: m.Heading) -> None:
        level = max(1, heading.level)
        styles = [f"Heading {n}" for n in range(level, 0, -1)]  # deepest the template has
        p = self.para(*styles)
        if heading.id:
            start, end = self.bookmarks.pair(heading.id)
            p._p.append(start)
        if heading.number:
            p._p.append(make_run(f"{heading.number} "))
        self.inlines(heading.children, _Target.of(p))
        if heading.id:
            p._p.append(end)

    def div(self, div: m.Div, scope: _Scope) -> None:
        if not div.key_findings:
            self.blocks(div.children, scope)
            return
        if div.title:
            self.text_para(div.title, "Key Findings Heading")
        self.blocks(div.children, replace(scope, style="Key Findings", in_box=True))

    def list_block(self, block: m.BulletList | m.OrderedList, scope: _Scope) -> None:
        depth = scope.list_depth + 1
        ordered = isinstance(block, m.OrderedList)
        start = block.start if isinstance(block, m.OrderedList) else 1
        kind = "Number" if ordered else "Bullet"
        # The box's own list styles share its indent, so its shading stays one box.
        box_style = self.styles.defined(f"Key Findings {kind}") if scope.in_box and depth == 1 else None
        list_style = box_style or self.styles.paragraph(*_leveled(f"List {kind}", depth))
        style_num = style_numbering(list_style.element)
        numbering = style_num
        if style_num and isinstance(block, m.OrderedList):  # a new list instance, so each list counts from its own start
            numbering_part = self.word.part.numbering_part.element
            numbering = restart_numbering(numbering_part, *style_num, start)
            _number_format(numbering_part, *numbering, block)
        if scope.in_box and box_style is None:  # the box style, the list's bullets or numbers applied directly
            first = later = self.styles.paragraph(scope.style)
        else:
            first = list_style
            continued = [scope.style] if box_style else [*_leveled("List Continue", depth), scope.style]
            later = self.styles.paragraph(*continued)
            numbering = numbering if ordered else None  # bullets come with the style
        inner = replace(scope, list_depth=depth)
        for n, item in enumerate(block.items, start=start):
            for i, child in enumerate(item):
                if not isinstance(child, m.Paragraph):
                    self.block(child, inner)
                    continue
                p = self.styled_para(first if i == 0 else later)
                if i == 0 and numbering:
                    set_numbering(p._p, *numbering)
                elif i == 0 and style_num is None:  # a reference doc without list numbering
                    p._p.append(make_run(f"{n}. " if ordered else "• "))
                self.inlines(child.children, _Target.of(p))

    def figure(self, figure: m.Figure) -> None:
        image = figure.images.get(IMAGE_FORMAT)
        if image is None:
            raise ValueError(f"{figure.location}: figure '{figure.id}' has no PNG to embed")
        run = self.para("Figure").add_run()
        run.add_picture(str(image), width=self._figure_width(figure.width))
        doc_pr = run.element.xpath("./w:drawing/wp:inline/wp:docPr")[0]
        doc_pr.set("descr", figure.alt or m.plain_text(figure.caption))
        self.caption("fig", figure.id, figure.number, figure.caption)

    def _figure_width(self, asked: str = "") -> Length:
        section = self.word.sections[-1]
        if section.page_width is None or section.left_margin is None or section.right_margin is None:
            text_width: Length = MAX_FIGURE_WIDTH
        else:
            text_width = Length(min(section.page_width - section.left_margin - section.right_margin, MAX_FIGURE_WIDTH))
        return _width(asked, text_width) or text_width

    def caption(self, kind: str, ident: str, number: int, caption: list[m.Inline]) -> Paragraph:
        """"Table 2. ..." (`kind`: fig, tbl, lst) with Word's SEQ field, bookmarked for
        cross-references; the word in the brief's language, the field named in English as Word's are."""
        p = self.para("Table Caption", "Caption") if kind == "tbl" else self.para("Caption")
        if ident:
            start, end = self.bookmarks.pair(ident)
            p._p.append(start)
        p._p.append(make_run(f"{self.doc.meta.label(KIND_LABELS[kind])} "))
        p._p.extend(field_runs(rf"SEQ {_SEQ[kind]} \* ARABIC", str(number)))
        if ident:
            p._p.append(end)
        p._p.append(make_run(". "))
        self.inlines(caption, _Target.of(p))
        return p

    def table(self, table: m.Table, scope: _Scope) -> None:
        if table.number:
            self.caption("tbl", table.id, table.number, table.caption).paragraph_format.keep_with_next = True
        elif table.caption:
            self.inlines(table.caption, _Target.of(self.para("Table Caption", "Caption")))
        rows = [*table.head, *table.body, *table.foot]
        columns = max((sum(c.colspan for c in row) for row in rows), default=0)
        if not columns:
            return
        grid = self.word.add_table(rows=len(rows), cols=columns)
        style = self.styles.table("Table")
        if style is not None:
            grid.style = style
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, row in enumerate(rows):
            column = 0
            for cell in row:
                if column >= columns:
                    break
                word_cell = grid.cell(r, column)
                last = min(column + cell.colspan, columns) - 1
                if last > column:
                    word_cell = word_cell.merge(grid.cell(r, last))
                self.cell(word_cell, cell, table.aligns[column] if column < len(table.aligns) else "", scope)
                column = last + 1
        for r in range(len(table.head)):  # header rows repeat on each page, as in the PDF
            tr_pr = grid.rows[r]._tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:tblHeader"))
        if table.head:
            _look(grid, first_row=True)
        self.word.add_paragraph()  # Word needs a paragraph between two tables; it also spaces them

    def cell(self, word_cell: Any, cell: m.TableCell, column_align: str, scope: _Scope) -> None:
        align = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                 "center": WD_ALIGN_PARAGRAPH.CENTER}.get(cell.align or column_align)
        first = word_cell.paragraphs[0]
        for index, block in enumerate(cell.blocks or [m.Paragraph([])]):
            if isinstance(block, m.Paragraph):
                p = first if index == 0 else word_cell.add_paragraph()
                p.style = self.styles.paragraph("Compact", "Normal")
                if align is not None:
                    p.alignment = align
                self.inlines(block.children, _Target.of(p))
            else:  # a list or code in a grid table's cell: written at the end of the body, then moved
                body = self.word.element.body
                before = len(body)
                self.block(block, scope)
                for element in list(body)[before - 1 : -1] if body[-1].tag == qn("w:sectPr") else list(body)[before:]:
                    word_cell._tc.append(element)
        if cell.blocks and not isinstance(cell.blocks[0], m.Paragraph) and len(word_cell._tc.p_lst) > 1:
            word_cell._tc.remove(first._p)  # the empty paragraph a new cell comes with
        if word_cell._tc[-1].tag != qn("w:p"):  # Word requires a cell to end with a paragraph
            word_cell._tc.append(OxmlElement("w:p"))

    def code_block(self, block: m.CodeBlock) -> None:
        if block.number:
            self.caption(caption_kind(block), block.id, block.number, block.caption)
        p = self.para("Source Code")
        fmt = replace(PLAIN, style_id=self.styles.verbatim_id)
        for number, line in enumerate(block.text.split("\n")):
            if number:
                p._p.append(make_break(fmt))
            p._p.append(make_run(line, fmt))

    def definition_list(self, block: m.DefinitionList, scope: _Scope) -> None:
        for term, definitions in block.items:
            self.inlines(term, _Target.of(self.para("Definition Term", scope.style)), replace(PLAIN, bold=True))
            for definition in definitions:
                for child in definition:
                    if isinstance(child, m.Paragraph):
                        self.inlines(child.children, _Target.of(self.para("Definition", scope.style)))
                    else:
                        self.block(child, scope)

    # -- inlines

    def inlines(self, nodes: list[m.Inline], target: _Target, fmt: RunFormat = PLAIN) -> None:
        for node in nodes:
            self.inline(node, target, fmt)

    def inline(self, node: m.Inline, target: _Target, fmt: RunFormat) -> None:
        out = target.container
        if isinstance(node, m.Text):
            out.append(make_run(node.text, fmt))
        elif (flag := _RUN_FLAGS.get(type(node))) is not None:
            # The kinds in _RUN_FLAGS are the wrappers with children; `flag` names a bool field.
            self.inlines(node.children, target, replace(fmt, **{flag: True}))  # type: ignore[union-attr, arg-type]
        elif isinstance(node, m.Math):
            self.math_inline(node, target, fmt)
        elif isinstance(node, m.Image):
            self.image(node, target)
        elif isinstance(node, m.ParagraphBreak):
            raise ValueError("a paragraph break outside a note")
        elif isinstance(node, m.Code):
            out.append(make_run(node.text, replace(fmt, style_id=self.styles.verbatim_id or fmt.style_id)))
        elif isinstance(node, m.LineBreak):
            out.append(make_break(fmt))
        elif isinstance(node, m.Link):
            self.link(node, target, fmt)
        elif isinstance(node, m.Ref):
            self.ref(node, target, fmt)
        elif isinstance(node, m.NoteRef):
            self.note(node, target)
        else:
            raise ValueError(f"unresolved {type(node).__name__} reached the DOCX writer")

    def math_inline(self, math: m.Math, target: _Target, fmt: RunFormat) -> None:
        element = self.math.element(math)
        if element is None:  # Pandoc could not convert it: the TeX, as the PDF shows it
            target.container.append(make_run(math.tex, replace(fmt, style_id=self.styles.verbatim_id or fmt.style_id)))
            return
        if math.id:
            start, end = self.bookmarks.pair(math.id)
            target.container.append(start)
        target.container.append(display_math(element) if math.display else element)
        if math.number:
            target.container.append(make_run(f"\t({math.number})", fmt))
        if math.id:
            target.container.append(end)

    def image(self, image: m.Image, target: _Target) -> None:
        if image.png is None or image.png.suffix.lower() not in _RASTER:  # named by check_outputs
            target.container.append(make_run(f"[{image.alt or image.src}]"))
            return
        run = target.paragraph.add_run()
        run.add_picture(str(image.png), width=_width(image.width, self._figure_width()))
        target.container.append(run._r)  # where the inlines stand, a link included

    def link(self, link: m.Link, target: _Target, fmt: RunFormat) -> None:
        if link.url.startswith("#ref-"):  # a linked citation: to its bibliography entry's bookmark
            hyperlink = internal_hyperlink(self.bookmarks.name(link.url[1:]))
            target.container.append(hyperlink)
            self.inlines(link.children, replace(target, container=hyperlink), fmt)
            return
        if link.url.startswith("#"):  # `[text](#heading-id)`: to the bookmark, as cross-references go
            if link.url[1:] not in self.targets:
                self.inlines(link.children, target, fmt)
                return
            hyperlink = internal_hyperlink(self.bookmarks.name(link.url[1:]))
            target.container.append(hyperlink)
            self.inlines(link.children, replace(target, container=hyperlink), replace(fmt, style_id=self.styles.hyperlink_id))
            return
        # The relationship belongs to the part holding the paragraph (document or footnotes).
        r_id = target.paragraph.part.relate_to(link.url, RT.HYPERLINK, is_external=True)
        hyperlink = external_hyperlink(r_id)
        target.container.append(hyperlink)
        children = link.children or [m.Text(link.url)]
        self.inlines(children, replace(target, container=hyperlink), replace(fmt, style_id=self.styles.hyperlink_id))

    def ref(self, ref: m.Ref, target: _Target, fmt: RunFormat) -> None:
        if ref.target not in self.targets:
            raise ValueError(f"reference to unknown id '{ref.target}'")
        hyperlink = internal_hyperlink(self.bookmarks.name(ref.target))
        hyperlink.append(make_run(ref.text, replace(fmt, style_id=self.styles.hyperlink_id)))
        target.container.append(hyperlink)

    def note(self, ref: m.NoteRef, target: _Target) -> None:
        """Add Word footnote n; Word numbers notes by position, so they must come in order."""
        if target.in_note:
            raise ValueError(f"note {ref.number} is called from inside another note")
        expected = self._notes_written + 1
        if ref.number != expected:
            raise ValueError(f"note {ref.number} called where note {expected} was expected")
        if ref.number > len(self.doc.notes):
            raise ValueError(f"note {ref.number} called but the document has {len(self.doc.notes)} notes")
        if self._footnotes is None:
            self._footnotes = Footnotes.of(self.word)
        note_paragraph = self._footnotes.add(target.paragraph)
        self._notes_written += 1
        for number, paragraph in enumerate(_split_paragraphs(self.doc.notes[ref.number - 1].children)):
            if number:  # a paragraph of its own, in the note's style, after the last
                following = deepcopy(note_paragraph._p)
                for child in list(following):
                    if child.tag != qn("w:pPr"):
                        following.remove(child)
                note = note_paragraph._p.getparent()
                assert note is not None  # a note's paragraph sits in its w:footnote
                note.append(following)
                note_paragraph = Paragraph(following, note_paragraph._parent)
            self.inlines(paragraph, _Target.of(note_paragraph, in_note=True))


_SEQ = {"fig": "Figure", "tbl": "Table", "lst": "Listing"}  # Word's own caption sequences
_RASTER = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff"}


_NUM_FORMATS = {"LowerAlpha": "lowerLetter", "UpperAlpha": "upperLetter", "LowerRoman": "lowerRoman",
                "UpperRoman": "upperRoman"}
_NUM_TEXT = {"OneParen": "%1)", "TwoParens": "(%1)"}


def _number_format(numbering: Any, num_id: int, ilvl: int, block: m.OrderedList) -> None:
    """`a.`, `(iv)`, `B)`: the list definition's level, restyled for this list alone."""
    fmt, text = _NUM_FORMATS.get(block.style), _NUM_TEXT.get(block.delim)
    if fmt is None and text is None:
        return
    num = numbering.num_having_numId(num_id)
    abstract = numbering.xpath(f"w:abstractNum[@w:abstractNumId='{num.abstractNumId.val}']/w:lvl[@w:ilvl='{ilvl}']")
    if not abstract:
        return
    level = deepcopy(abstract[0])
    for tag, value in (("w:numFmt", fmt), ("w:lvlText", text.replace("1", str(ilvl + 1)) if text else None)):
        element = level.find(qn(tag))
        if value is not None and element is not None:
            element.set(qn("w:val"), value)
    start = level.find(qn("w:start"))
    if start is not None:
        start.set(qn("w:val"), str(block.start))
    num.xpath(f"w:lvlOverride[@w:ilvl='{ilvl}']")[0].append(level)


def _split_paragraphs(inlines: list[m.Inline]) -> list[list[m.Inline]]:
    out: list[list[m.Inline]] = [[]]
    for node in inlines:
        if isinstance(node, m.ParagraphBreak):
            out.append([])
        else:
            out[-1].append(node)
    return out


def _width(asked: str, text_width: Length) -> Length | None:
    """`{width=50%}`, `3cm`, `2in`, `200px` (at 96 px per inch, as Pandoc) as a Word length."""
    units = {"cm": 360000, "mm": 36000, "in": 914400, "px": 9525, "pt": 12700}
    try:
        if asked.endswith("%"):
            return Length(int(text_width * float(asked[:-1]) / 100))
        for unit, emu in units.items():
            if asked.endswith(unit):
                return Length(min(int(float(asked[: -len(unit)]) * emu), int(text_width)))
        if asked:
            return Length(min(int(float(asked) * units["px"]), int(text_width)))
    except ValueError:
        pass
    return None


def _all_math(document: m.ResolvedDocument) -> list[m.Math]:
    return [node for run in document.all_inline_lists() for node in m.walk_inlines(run) if isinstance(node, m.Math)]


class _MathCache:
    """Every formula of the document converted to OMML by one Pandoc run, on first need."""

    def __init__(self, document: m.ResolvedDocument) -> None:
        self.document = document
        self._elements: dict[str, _Element | None] | None = None

    def element(self, math: m.Math) -> _Element | None:
        if self._elements is None:
            formulas = sorted({n.tex for n in _all_math(self.document)})
            self._elements = dict(zip(formulas, omml(formulas)))
        found = self._elements.get(math.tex)
        return deepcopy(found) if found is not None else None


def _look(table: Any, *, first_row: bool) -> None:
    """Which parts of the table style apply: the header row's, here."""
    tbl_pr = table._tbl.tblPr
    look = tbl_pr.find(qn("w:tblLook"))
    if look is None:
        look = OxmlElement("w:tblLook")
        tbl_pr.append(look)
    look.set(qn("w:firstRow"), "1" if first_row else "0")
    look.set(qn("w:lastRow"), "0")
    look.set(qn("w:firstColumn"), "0")
    look.set(qn("w:lastColumn"), "0")
    look.set(qn("w:noHBand"), "1")
    look.set(qn("w:noVBand"), "1")


def _leveled(name: str, depth: int) -> list[str]:
    """Word's per-level style names, deepest first: "List Bullet 2", "List Bullet"."""
    return [f"{name} {n}" if n > 1 else name for n in range(min(depth, 5), 0, -1)]


def _prepend(p: CT_P, runs: list[CT_R]) -> None:
    """Put `runs` at the start of paragraph `p`'s content, after its properties."""
    at = 1 if p.pPr is not None else 0
    for offset, run in enumerate(runs):
        p.insert(at + offset, run)


# --- headers, footers and properties ---------------------------------------------------------


def _add_page_furniture(word: WordDocument, running_title: str) -> None:
    """As the PDF's @page rules: an empty header and footer on the cover page ("different
    first page"), then the running title in the header and the page number in the footer.
    What the reference document already puts there is kept."""
    section = word.sections[-1]
    section.different_first_page_header_footer = True
    for first_page in (section.first_page_header, section.first_page_footer):
        first_page.is_linked_to_previous = False  # adds an empty one unless the reference has one
    _add_running_title(word, section.header, running_title)
    _add_page_number(word, section.footer)


def _add_running_title(word: WordDocument, header: _Header, title: str) -> None:
    """The running title in the header, unless the reference header already shows something."""
    if not header.is_linked_to_previous and header.part.element.xpath(".//w:t | .//w:fldSimple | .//w:instrText"):
        return
    _furniture_paragraph(word, header, "Header")._p.append(make_run(title))


def _add_page_number(word: WordDocument, footer: _Footer) -> None:
    """A PAGE field in the footer, unless the reference footer already has one."""
    if not footer.is_linked_to_previous and has_page_field(footer.part.element):
        return
    # Bottom right, as in the PDF, unless the Footer style places it.
    p = _furniture_paragraph(word, footer, "Footer", align=WD_ALIGN_PARAGRAPH.RIGHT)
    p._p.extend(field_runs("PAGE", "1"))


def _furniture_paragraph(
    word: WordDocument, part: _Header | _Footer, style_name: str, *, align: WD_ALIGN_PARAGRAPH | None = None
) -> Paragraph:
    """An empty paragraph of `part` in style `style_name`; `align` only where that style sets
    no alignment of its own (Pandoc's reference document, say)."""
    empty = [p for p in part.paragraphs if not p.text and not p.runs]
    p = empty[0] if empty else part.add_paragraph()
    style = cast("ParagraphStyle | None", find_style(word.styles, style_name, style_name.lower(), WD_STYLE_TYPE.PARAGRAPH))
    if style is not None:
        p.style = style
    if align is not None and (style is None or style.paragraph_format.alignment is None):
        p.alignment = align
    return p


def _set_properties(word: WordDocument, meta: m.Meta) -> None:
    """core.xml from the brief alone: nothing from the reference doc, no clock."""
    props = word.core_properties
    element = props._element  # python-docx has no "clear"; the template's values must go
    for child in list(element):
        element.remove(child)
    fields = {
        "title": meta.title,
        "author": ", ".join(a.name for a in meta.authors),
        "subject": meta.subtitle or meta.abstract,
        "comments": meta.abstract,
        "keywords": ", ".join(meta.keywords),
        "language": meta.language,
        "last_modified_by": "reportgen",
    }
    for name, value in fields.items():
        if value:  # no empty elements for what the brief does not say
            setattr(props, name, _fit(value))
    props.revision = 1
    stamp = meta.timestamp or (f"{meta.date}T00:00:00+00:00" if meta.date else "")
    if stamp:
        props.created = props.modified = datetime.fromisoformat(stamp)


def _fit(value: str, limit: int = 255) -> str:
    """python-docx refuses core properties over 255 characters; shorten at a word."""
    if len(value) <= limit:
        return value
    return value[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- reproducible file ---------------------------------------------------------------------


def _normalised_zip(data: bytes) -> bytes:
    """The package with fixed entry dates and order, so equal documents give equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in sorted(src.namelist(), key=_entry_order):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # not the building machine's OS
            dst.writestr(info, src.read(name))
    return out.getvalue()


def _entry_order(name: str) -> tuple[int, str]:
    # [Content_Types].xml first, as Word writes it; some readers sniff the first entry.
    first = ("[Content_Types].xml", "_rels/.rels")
    return (first.index(name), "") if name in first else (len(first), name)
