"""The document model: what the parser produces and both backends (PDF, DOCX) read.

Inlines and blocks are small frozen-ish dataclasses. The parser emits `Cite` and `CrossRef`
inlines; the cite stage replaces every `Cite` with a `NoteRef` into `Document.notes`, and
the cross-reference pass replaces every `CrossRef` with a `Ref`. A backend therefore never
sees an unresolved citation or reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.project.terms import ENGLISH


@dataclass(frozen=True)
class Location:
    """Where something came from, for messages: `path:line:col` (1-based; 0 is unknown)."""

    path: Path
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.line:
            return str(self.path)
        return f"{self.path}:{self.line}:{self.col}" if self.col else f"{self.path}:{self.line}"


# --- inlines ---------------------------------------------------------------------------


@dataclass
class Text:
    text: str


@dataclass
class Emph:
    children: list[Inline]


@dataclass
class Strong:
    children: list[Inline]


@dataclass
class Code:
    text: str


@dataclass
class SmallCaps:
    children: list[Inline]


@dataclass
class Superscript:
    children: list[Inline]


@dataclass
class Subscript:
    children: list[Inline]


@dataclass
class Strikeout:
    children: list[Inline]


@dataclass
class Underline:
    children: list[Inline]


@dataclass
class Link:
    url: str
    children: list[Inline]


@dataclass
class LineBreak:
    pass


@dataclass
class ParagraphBreak:
    """Between the paragraphs of a multi-paragraph footnote (notes hold inlines)."""


@dataclass
class Math:
    """TeX math. Display math with an id (`$$ x $$ {#eq-x}`) is a numbered equation."""

    tex: str
    display: bool = False
    id: str = ""
    number: int = 0


@dataclass
class Image:
    """An image in running text (an image alone in a paragraph is a `Figure`)."""

    src: str
    alt: str
    location: Location
    width: str = ""  # as written: "50%", "3cm", "200px", "200"
    height: str = ""
    path: Path | None = None  # the file, once the project has checked it
    png: Path | None = None  # what Word embeds: the file, or a PNG drawn from an SVG


@dataclass
class CiteItem:
    """One source in a citation cluster, as Pandoc reads `[see @key, p. 4]`."""

    key: str
    prefix: str = ""
    suffix: str = ""
    suppress_author: bool = False


@dataclass
class Cite:
    """A citation cluster before the cite stage. `in_text` is Pandoc's `@key says` form."""

    items: list[CiteItem]
    location: Location
    in_text: bool = False
    source: str = ""


@dataclass
class FootnoteRef:
    """An author footnote call `[^label]` before the cite stage numbers it."""

    label: str
    location: Location


@dataclass
class NoteRef:
    """A call to note `number` (1-based index into `Document.notes`)."""

    number: int


@dataclass
class CrossRef:
    """`@fig-x` / `@sec-x` before resolution."""

    target: str
    location: Location


@dataclass
class Ref:
    """A resolved internal reference: `text` links to the element with id `target`."""

    target: str
    text: str


Inline = (
    Text | Emph | Strong | Code | SmallCaps | Superscript | Subscript | Strikeout | Underline | Link
    | LineBreak | ParagraphBreak | Math | Image | Cite | FootnoteRef | NoteRef | CrossRef | Ref
)


# --- blocks ----------------------------------------------------------------------------


@dataclass
class Heading:
    level: int
    children: list[Inline]
    id: str = ""
    numbered: bool = True
    number: str = ""  # "2", "2.1": set by the resolve stage for numbered headings
    location: Location | None = None


@dataclass
class Paragraph:
    children: list[Inline]
    location: Location | None = None


@dataclass
class BulletList:
    items: list[list[Block]]


@dataclass
class OrderedList:
    items: list[list[Block]]
    start: int = 1
    style: str = "Decimal"  # Pandoc's: Decimal, LowerAlpha, UpperAlpha, LowerRoman, UpperRoman, Example
    delim: str = "Period"  # Period, OneParen, TwoParens


@dataclass
class DefinitionList:
    items: list[tuple[list[Inline], list[list[Block]]]]  # (term, definitions)


@dataclass
class LineBlock:
    """Verse and addresses: line breaks and leading spaces kept."""

    lines: list[list[Inline]]


@dataclass
class CodeBlock:
    """A code block, line breaks kept. With a caption and an id (`{#lst:x caption="..."}`)
    it is a numbered listing."""

    text: str
    language: str = ""
    id: str = ""
    caption: list[Inline] = field(default_factory=list)
    number: int = 0
    location: Location | None = None


@dataclass
class TableCell:
    blocks: list[Block]
    align: str = ""  # "left" | "right" | "center" | "" (the column's)
    colspan: int = 1
    rowspan: int = 1


@dataclass
class Table:
    """A table with its caption; `head` rows are header rows, repeated on each page."""

    caption: list[Inline]
    aligns: list[str]  # per column: "left" | "right" | "center" | ""
    widths: list[float]  # per column: a share of the text width, 0 for automatic
    head: list[list[TableCell]]
    body: list[list[TableCell]]
    foot: list[list[TableCell]] = field(default_factory=list)
    id: str = ""
    number: int = 0
    location: Location | None = None

@dataclass
class BlockQuote:
    children: list[Block]


@dataclass
class Div:
    """A fenced div `::: {.key-findings}`: a styled box."""

    classes: list[str]
    children: list[Block]
    id: str = ""


@dataclass
class Figure:
    """A numbered chart or image with its caption (a chart's ends with a citation of its data)."""

    id: str
    src: str
    caption: list[Inline]
    location: Location
    number: int = 0
    alt: str = ""
    width: str = ""  # as written in `{width=...}`
    height: str = ""
    # Filled by the draw stage: the files each backend embeds.
    svg: Path | None = None
    png: Path | None = None


@dataclass
class Rule:
    pass


@dataclass
class BibliographyBlock:
    """Where the writer put the bibliography (`::: {#refs}`, or under a final References
    heading): the backends print `Document.bibliography` here."""


Block = (
    Heading | Paragraph | BulletList | OrderedList | DefinitionList | LineBlock | CodeBlock | Table
    | BlockQuote | Div | Figure | Rule | BibliographyBlock
)


# --- document --------------------------------------------------------------------------


@dataclass
class Note:
    """A footnote: a formatted citation or an author's own note."""

    number: int
    children: list[Inline]
    kind: str = "citation"  # or "author"
    keys: list[str] = field(default_factory=list)


@dataclass
class BibEntry:
    key: str
    children: list[Inline]


@dataclass
class Author:
    name: str
    affiliation: str = ""


@dataclass
class Meta:
    title: str
    subtitle: str = ""
    short_title: str = ""
    authors: list[Author] = field(default_factory=list)
    organisation: str = ""
    date: str = ""  # ISO date
    date_text: str = ""  # as printed, e.g. "22 November 2026"
    timestamp: str = ""  # the outputs' creation time, ISO 8601 UTC: fixed, so builds reproduce
    language: str = "en"
    keywords: list[str] = field(default_factory=list)
    abstract: str = ""
    number_sections: bool = True
    # reportgen's own words in the brief's language ("contents": "Contents", …; terms.py).
    labels: dict[str, str] = field(default_factory=lambda: dict(ENGLISH))

    def label(self, name: str) -> str:
        return self.labels.get(name) or ENGLISH[name]


@dataclass
class Document:
    meta: Meta
    blocks: list[Block]
    notes: list[Note] = field(default_factory=list)
    bibliography: list[BibEntry] = field(default_factory=list)
    # The heading of the bibliography the backends add after the text (the cite stage sets it
    # in the brief's language); "" when the writer placed it (a BibliographyBlock).
    bibliography_title: str = "Bibliography"
    footnote_defs: dict[str, list[Inline]] = field(default_factory=dict)
    footnote_sources: dict[str, str] = field(default_factory=dict)
    # Cross-reference targets and their text ("Figure 2"), filled by numbering.
    labels: dict[str, str] = field(default_factory=dict)

    def headings(self, max_level: int = 2) -> list[Heading]:
        return [b for b in walk_blocks(self.blocks) if isinstance(b, Heading) and b.level <= max_level]

    def contents_level(self) -> int:
        """The level the contents list: the top one the writer used (1, or 2 for a text of `##`)."""
        return min((h.level for h in self.headings(max_level=6)), default=1)

    def figures(self) -> list[Figure]:
        return [b for b in walk_blocks(self.blocks) if isinstance(b, Figure)]

    def all_inline_lists(self) -> list[list[Inline]]:
        """The inline runs of every block, then of every author footnote."""
        runs = [il for block in walk_blocks(self.blocks) for il in inline_lists(block)]
        return runs + list(self.footnote_defs.values())


def child_blocks(block: Block) -> list[Block]:
    if isinstance(block, (BlockQuote, Div)):
        return block.children
    if isinstance(block, (BulletList, OrderedList)):
        return [b for item in block.items for b in item]
    if isinstance(block, DefinitionList):
        return [b for _, definitions in block.items for d in definitions for b in d]
    if isinstance(block, Table):
        return [b for row in (*block.head, *block.body, *block.foot) for cell in row for b in cell.blocks]
    return []


def walk_blocks(blocks: list[Block]) -> Iterator[Block]:
    """Every block, depth first, in document order."""
    for block in blocks:
        yield block
        yield from walk_blocks(child_blocks(block))


def inline_lists(block: Block) -> list[list[Inline]]:
    """The inline sequences a block holds directly (not those of its child blocks)."""
    if isinstance(block, (Heading, Paragraph)):
        return [block.children]
    if isinstance(block, Figure):
        return [block.caption]
    if isinstance(block, Table):
        return [block.caption]
    if isinstance(block, CodeBlock):
        return [block.caption]
    if isinstance(block, LineBlock):
        return block.lines
    if isinstance(block, DefinitionList):
        return [term for term, _ in block.items]
    return []


def walk_inlines(inlines: list[Inline]) -> Iterator[Inline]:
    """Every inline, depth first, in reading order."""
    for node in inlines:
        yield node
        children = getattr(node, "children", None)
        if isinstance(children, list):
            yield from walk_inlines(children)


def merge_text(inlines: list[Inline]) -> list[Inline]:
    """Adjacent Text nodes joined and empty ones dropped."""
    out: list[Inline] = []
    for node in inlines:
        if isinstance(node, Text) and not node.text:
            continue
        if isinstance(node, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + node.text)
        else:
            out.append(node)
    return out


def plain_text(inlines: list[Inline]) -> str:
    """Inlines flattened to text (for alt text, PDF outline, tests)."""
    out: list[str] = []
    for node in inlines:
        if isinstance(node, (Text, Code, Ref)):
            out.append(node.text)
        elif isinstance(node, Math):
            out.append(node.tex)
        elif isinstance(node, Image):
            out.append(node.alt)
        elif isinstance(node, (LineBreak, ParagraphBreak)):
            out.append(" ")
        elif hasattr(node, "children"):
            out.append(plain_text(node.children))
    return "".join(out)
