"""Footnotes for python-docx documents, which python-docx (1.2) does not support.

Word keeps footnotes in their own part, word/footnotes.xml, related from the main document
part. The body holds only a reference run (`w:footnoteReference w:id=N`); footnote N holds
the text, starting with a `w:footnoteRef` run that Word renders as the note's number.
Notes -1 and 0 are the separator lines Word draws above the notes; settings.xml names them
in `w:footnotePr`.

Importing this module registers element classes for `w:footnotes`/`w:footnote` and a part
class for the footnotes content type, so documents opened afterwards load an existing
footnotes part as a `FootnotesPart` (one opened earlier is upgraded by `Footnotes.of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from docx.blkcntnr import BlockItemContainer
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import PartFactory
from docx.oxml import OxmlElement
from docx.oxml.ns import nsmap, qn
from docx.oxml.parser import register_element_cls
from docx.oxml.simpletypes import ST_DecimalNumber, ST_String
from docx.oxml.xmlchemy import BaseOxmlElement, OptionalAttribute, RequiredAttribute, ZeroOrMore
from docx.parts.story import StoryPart
from docx.shared import Pt
from docx.text.parfmt import ParagraphFormat

from reportgen.outputs.docx.oxml import ensure_style, settings_after

if TYPE_CHECKING:
    from docx.document import Document
    from docx.opc.part import Part
    from docx.oxml.settings import CT_Settings
    from docx.oxml.table import CT_Tbl
    from docx.oxml.text.paragraph import CT_P
    from docx.package import Package
    from docx.parts.document import DocumentPart
    from docx.styles.style import CharacterStyle, ParagraphStyle
    from docx.text.paragraph import Paragraph

FOOTNOTE_TEXT_STYLE_ID = "FootnoteText"
FOOTNOTE_TEXT_STYLE_NAME = "footnote text"  # Word's internal (built-in) style names
FOOTNOTE_REFERENCE_STYLE_ID = "FootnoteReference"
FOOTNOTE_REFERENCE_STYLE_NAME = "footnote reference"

SEPARATOR_IDS = (-1, 0)
_SEPARATOR_TYPES = {-1: "separator", 0: "continuationSeparator"}
# Note types that are not user content (ECMA-376 ST_FtnEdn); "normal" is the default.
_SPECIAL_TYPES = frozenset({"separator", "continuationSeparator", "continuationNotice"})


# --- OXML element classes ----------------------------------------------------------------


class CT_Footnotes(BaseOxmlElement):
    """`w:footnotes`, root element of the footnotes part."""

    footnote_lst: list[CT_Footnote]
    add_footnote: Callable[[], CT_Footnote]

    footnote = ZeroOrMore("w:footnote", successors=())

    def new_footnote(self, note_id: int, note_type: str | None = None) -> CT_Footnote:
        """Append an empty `w:footnote` with `note_id` (and `note_type` for separators)."""
        footnote = self.add_footnote()
        footnote.id = note_id
        footnote.type = note_type
        return footnote

    def next_id(self) -> int:
        """One above the highest id in use, so real notes number 1, 2, 3..."""
        return max((f.id for f in self.footnote_lst), default=0) + 1


class CT_Footnote(BaseOxmlElement):
    """`w:footnote`, one note: a story of paragraphs and tables, like a table cell."""

    add_p: Callable[[], CT_P]
    p_lst: list[CT_P]
    tbl_lst: list[CT_Tbl]
    _insert_tbl: Callable[[CT_Tbl], CT_Tbl]

    # Descriptors, declared as the values they read (python-docx declares its own so).
    id: int = RequiredAttribute("w:id", ST_DecimalNumber)  # type: ignore[assignment]
    type: str | None = OptionalAttribute("w:type", ST_String)  # type: ignore[assignment]

    p = ZeroOrMore("w:p", successors=())
    tbl = ZeroOrMore("w:tbl", successors=())

    @property
    def is_separator(self) -> bool:
        return self.type in _SPECIAL_TYPES

    @property
    def inner_content_elements(self) -> list[CT_P | CT_Tbl]:
        """The `w:p` and `w:tbl` children in document order (for BlockItemContainer)."""
        found: list[CT_P | CT_Tbl] = self.xpath("./w:p | ./w:tbl")
        return found


register_element_cls("w:footnotes", CT_Footnotes)
# Also matches the `w:footnote w:id=".."` separator refs in settings' w:footnotePr: harmless,
# they only carry the id attribute.
register_element_cls("w:footnote", CT_Footnote)


# --- the part ------------------------------------------------------------------------------


class FootnotesPart(StoryPart):
    """word/footnotes.xml. A StoryPart, so images and hyperlinks in notes relate from here."""

    @property
    def footnotes_element(self) -> CT_Footnotes:
        return cast(CT_Footnotes, self.element)

    @classmethod
    def new(cls, package: Package) -> FootnotesPart:
        """A footnotes part holding just the two separator notes Word expects."""
        root = cast(CT_Footnotes, OxmlElement("w:footnotes", nsdecls={"w": nsmap["w"], "r": nsmap["r"]}))
        for note_id in SEPARATOR_IDS:
            _add_separator(root, note_id)
        return cls(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, root, package)


def _add_separator(root: CT_Footnotes, note_id: int) -> None:
    kind = _SEPARATOR_TYPES[note_id]
    p = root.new_footnote(note_id, kind).add_p()
    # Single-spaced with no gap, as Word writes it, so the rule doesn't inherit body spacing.
    fmt = ParagraphFormat(p)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    p.add_r().append(OxmlElement(f"w:{kind}"))


PartFactory.part_type_for[CT.WML_FOOTNOTES] = FootnotesPart


def _footnotes_part(document_part: DocumentPart) -> FootnotesPart:
    """The document's footnotes part, created (and related) if it has none."""
    try:
        part = document_part.part_related_by(RT.FOOTNOTES)
    except KeyError:
        assert document_part.package is not None
        new_part = FootnotesPart.new(document_part.package)
        document_part.relate_to(new_part, RT.FOOTNOTES)
        return new_part
    if isinstance(part, FootnotesPart):
        return part
    return _upgrade_generic_part(document_part, part)


def _upgrade_generic_part(document_part: DocumentPart, part: Part) -> FootnotesPart:
    """Re-load a blob-only footnotes part (document opened before this module was imported)
    as a FootnotesPart, keeping its rId and its own relationships (links, images)."""
    new_part = cast(FootnotesPart, FootnotesPart.load(part.partname, part.content_type, part.blob, part.package))
    for rel in part.rels.values():
        target = rel.target_ref if rel.is_external else rel.target_part
        new_part.load_rel(rel.reltype, target, rel.rId, rel.is_external)
    r_id = next(rel.rId for rel in document_part.rels.values() if rel.reltype == RT.FOOTNOTES)
    document_part.rels.add_relationship(RT.FOOTNOTES, new_part, r_id)  # replaces the old rel
    return new_part


def _ensure_footnote_pr(settings: CT_Settings) -> None:
    """Make settings.xml name the separator notes in `w:footnotePr`, as Word writes it."""
    footnote_pr = settings.find(qn("w:footnotePr"))
    if footnote_pr is None:
        footnote_pr = OxmlElement("w:footnotePr")
        # Any lxml element goes in; python-docx's hint names only its own element base.
        settings.insert_element_before(footnote_pr, *settings_after("w:footnotePr"))  # type: ignore[arg-type]
    present = {ref.get(qn("w:id")) for ref in footnote_pr.iterchildren(qn("w:footnote"))}
    for note_id in SEPARATOR_IDS:
        if str(note_id) not in present:  # w:footnote refs come last in CT_FtnDocProps
            footnote_pr.append(OxmlElement("w:footnote", {qn("w:id"): str(note_id)}))


# --- styles used when the document (reference.docx) does not define them -------------------


def _footnote_text_defaults(style: CharacterStyle) -> None:
    fmt = cast("ParagraphStyle", style).paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    style.font.size = Pt(10)


def _footnote_reference_defaults(style: CharacterStyle) -> None:
    style.font.superscript = True


# --- proxies ---------------------------------------------------------------------------


class Footnote(BlockItemContainer):
    """One footnote. Its paragraphs resolve `.part` to the footnotes part via this parent."""

    def __init__(self, element: CT_Footnote, parent: Footnotes) -> None:
        # A story like a table cell; python-docx's hint lists only the stories it defines.
        super().__init__(element, parent)  # type: ignore[arg-type]
        self._footnote = element

    @property
    def id(self) -> int:
        return self._footnote.id


class Footnotes:
    """The footnotes of one document: wraps the w:footnotes part."""

    def __init__(
        self,
        part: FootnotesPart,
        document_part: DocumentPart,
        text_style: CharacterStyle,
        reference_style: CharacterStyle,
    ) -> None:
        self._part = part
        self._document_part = document_part
        # Style ids resolved once: python-docx's style setters scan every style, every call.
        self._text_style_id = document_part.get_style_id(text_style, WD_STYLE_TYPE.PARAGRAPH)
        self._reference_style_id = document_part.get_style_id(reference_style, WD_STYLE_TYPE.CHARACTER)
        self._last_added: tuple[CT_Footnote, int] | None = None  # the note `add` made, the id after it

    @classmethod
    def of(cls, document: Document) -> Footnotes:
        """Return the document's footnotes, creating the part, settings and styles if absent.

        Idempotent: all state lives in the document, so calling it again is cheap and safe.
        """
        document_part = document.part
        part = _footnotes_part(document_part)
        _ensure_footnote_pr(document.settings.element)
        styles = document.styles
        text_style = ensure_style(
            styles, FOOTNOTE_TEXT_STYLE_ID, FOOTNOTE_TEXT_STYLE_NAME, WD_STYLE_TYPE.PARAGRAPH, _footnote_text_defaults
        )
        reference_style = ensure_style(
            styles,
            FOOTNOTE_REFERENCE_STYLE_ID,
            FOOTNOTE_REFERENCE_STYLE_NAME,
            WD_STYLE_TYPE.CHARACTER,
            _footnote_reference_defaults,
        )
        return cls(part, document_part, text_style, reference_style)

    @property
    def part(self) -> FootnotesPart:
        """The footnotes part; the parent chain of note paragraphs ends here."""
        return self._part

    def add(self, paragraph: Paragraph) -> Paragraph:
        """Reference a new footnote at the end of body `paragraph`; return the note's paragraph.

        The returned paragraph already holds the note-number mark and a space; add the note
        text to it with the usual python-docx API (add_run, add_hyperlink...).
        """
        if paragraph.part is not self._document_part:
            # Word only allows footnote references in the main story (not headers or notes).
            raise ValueError("footnote references must be in the document body")
        root = self._part.footnotes_element
        note_id = self._next_id(root)
        self._add_mark(paragraph, "w:footnoteReference", note_id)
        element = root.new_footnote(note_id)
        self._last_added = (element, note_id + 1)
        note_paragraph = Footnote(element, self).add_paragraph()
        note_paragraph._p.style = self._text_style_id  # as add_paragraph(style=...) sets it
        self._add_mark(note_paragraph, "w:footnoteRef")
        note_paragraph.add_run(" ")
        return note_paragraph

    def __iter__(self) -> Iterator[Footnote]:
        """The real (non-separator) notes, in document order."""
        for element in self._part.footnotes_element.footnote_lst:
            if not element.is_separator:
                yield Footnote(element, self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _next_id(self, root: CT_Footnotes) -> int:
        """`root.next_id()`, which reads every note's id (quadratic over a long brief), unless
        the last note is still the one `add` made: then nothing came after it."""
        if self._last_added is not None and len(root) and root[-1] is self._last_added[0]:
            return self._last_added[1]
        return root.next_id()

    def _add_mark(self, paragraph: Paragraph, tag: str, note_id: int | None = None) -> None:
        """Append a run in the footnote-reference style holding the empty element `tag`."""
        r = paragraph._p.add_r()
        r.style = self._reference_style_id  # what add_run(style=...) writes
        attrs = None if note_id is None else {qn("w:id"): str(note_id)}
        r.append(OxmlElement(tag, attrs))
