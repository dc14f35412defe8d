"""The document model: what the reader produces and both backends (PDF, DOCX) read.

Inlines and blocks are small dataclasses, one tree for every output. Two document types
mark how far the stages have taken it:

- `Document`: what `read` makes and `resolve` numbers. Its inlines may hold `Cite`,
  `CrossRef` and `FootnoteRef`, each with the file and line it was written at: the checks
  (`check.py`) read those.
- `ResolvedDocument`: what the cite stage (`citations/cite.py`) returns, and the only type a
  backend accepts (`write_pdf`, `write_docx` and `HtmlRenderer` are typed to take it, and
  refuse anything else at run time too). `resolve` has replaced every `CrossRef` with a `Ref`;
  cite every `Cite` and `FootnoteRef` with text and `NoteRef`s into `notes`. Its constructor
  walks the tree and raises `UnresolvedInline`, naming the file and line, if one is left:
  that would be a reportgen bug, caught before any output is written.

Why a second document type rather than a second inline tree: the unresolved inlines sit
deep inside `Emph`, `Link`, table cells and notes, so a type-level "no `Cite` in here"
would mean a resolved twin (or a generic parameter) for every inline and block class. A
distinct top-level type that only cite constructs, checked once at construction, gives the
type checker the boundary that matters (what a backend may be given) with one tree.

The decisions both backends share are fields, set once by a stage, never strings each
backend matches: the key-findings box and its title (`Div.key_findings`, `Div.title`,
resolve), the contents (`Document.contents_level`, resolve) and the bibliography's heading
and place (`bibliography_title`, `BIBLIOGRAPHY_ID`, `BibliographyBlock`, cite).

Values, not edits: `read` builds a `Document`; after it, every stage returns a new value and
leaves the one it was given as it was (`check` reads the resolved `Document` while the build
cites it): `resolve` and `cite` copy the tree with `map_blocks` and `map_inlines`, every block
and every inline with children copied, leaves (`Text`, `Math`, `Image`, ...) shared, since
nothing changes a leaf after reading; the link policy (`links.apply_link_policy`) copies only
what it changes. The copies are cheap next to the stages themselves: for the 400-page
benchmark brief (some 8,000 blocks and inlines) a copy of the tree takes about 0.01 s,
`resolve` 0.03 s in all, `cite` some 0.5 s with its Pandoc answer cached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
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


# The inlines that hold inlines (in `children`).
CONTAINERS = (Emph, Strong, SmallCaps, Superscript, Subscript, Strikeout, Underline, Link)

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


KEY_FINDINGS = "key-findings"  # the class of the brief's key-findings box


@dataclass
class Div:
    """A fenced div `::: {.key-findings}`: a styled box."""

    classes: list[str]
    children: list[Block]
    id: str = ""
    # Set by resolve, read by both backends: the div is the key-findings box, and the title
    # printed above it ("Key findings" in the brief's language; "" when it has a heading).
    key_findings: bool = False
    title: str = ""


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
    heading): the backends print `ResolvedDocument.bibliography` here."""


# The id of the bibliography's heading when the backends print it after the text (PDF
# anchor, Word bookmark): a link to `#bibliography` goes there.
BIBLIOGRAPHY_ID = "bibliography"


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
    """A document as read and resolved: its inlines may still hold `Cite`, `CrossRef` and
    `FootnoteRef`. No backend takes it (see `ResolvedDocument`)."""

    meta: Meta
    blocks: list[Block]
    footnote_defs: dict[str, list[Inline]] = field(default_factory=dict)
    footnote_sources: dict[str, str] = field(default_factory=dict)
    # Set by resolve: cross-reference targets and their text ("Figure 2"), and the heading
    # level the contents list (the top one the writer used: 1, or 2 for a text of `##`).
    labels: dict[str, str] = field(default_factory=dict)
    contents_level: int = 1

    def headings(self, max_level: int = 2) -> list[Heading]:
        return headings(self.blocks, max_level)

    def figures(self) -> list[Figure]:
        return [b for b in walk_blocks(self.blocks) if isinstance(b, Figure)]

    def all_inline_lists(self) -> list[list[Inline]]:
        """The inline runs of every block, then of every author footnote."""
        runs = [il for block in walk_blocks(self.blocks) for il in inline_lists(block)]
        return runs + list(self.footnote_defs.values())


class UnresolvedInline(TypeError):
    """A `Cite`, `CrossRef` or `FootnoteRef` left in a `ResolvedDocument`: a reportgen bug."""


UNRESOLVED = (Cite, CrossRef, FootnoteRef)


@dataclass(frozen=True)
class ResolvedDocument:
    """A document with every citation, note call and cross-reference resolved: what the
    backends render. Made by the cite stage; its constructor refuses an unresolved inline,
    and its fields cannot be reassigned past that check (`dataclasses.replace` checks anew)."""

    meta: Meta
    blocks: list[Block]
    notes: list[Note] = field(default_factory=list)
    bibliography: list[BibEntry] = field(default_factory=list)
    # The heading of the bibliography the backends print after the text (cite sets it in the
    # brief's language); "" when the writer placed it (a `BibliographyBlock`) or there is none.
    bibliography_title: str = "Bibliography"
    contents_level: int = 1  # from `Document.contents_level`

    def __post_init__(self) -> None:
        runs = [*(il for block in walk_blocks(self.blocks) for il in inline_lists(block)),
                *(note.children for note in self.notes), *(entry.children for entry in self.bibliography)]
        for run in runs:
            for node in walk_inlines(run):
                if isinstance(node, UNRESOLVED):
                    raise UnresolvedInline(f"{node.location}: unresolved {type(node).__name__} left in the "
                                           "resolved document (a reportgen bug)")

    def headings(self, max_level: int = 2) -> list[Heading]:
        return headings(self.blocks, max_level)

    def contents(self) -> list[Heading]:
        """The headings the contents list, in order."""
        return [h for h in self.headings(max_level=self.contents_level) if h.level == self.contents_level]

    def figures(self) -> list[Figure]:
        return [b for b in walk_blocks(self.blocks) if isinstance(b, Figure)]

    def all_inline_lists(self) -> list[list[Inline]]:
        """The inline runs of every block, then of every note and bibliography entry."""
        runs = [il for block in walk_blocks(self.blocks) for il in inline_lists(block)]
        return runs + [n.children for n in self.notes] + [e.children for e in self.bibliography]


def headings(blocks: list[Block], max_level: int = 2) -> list[Heading]:
    return [b for b in walk_blocks(blocks) if isinstance(b, Heading) and b.level <= max_level]


def map_inlines(run: list[Inline], change: Callable[[Inline], list[Inline] | None],
                tidy: Callable[[list[Inline]], list[Inline]] | None = None) -> list[Inline]:
    """A new run, in reading order: each inline for which `change` returns a list is replaced
    by that list; each other one is kept, an inline with children copied with its children
    mapped likewise. `tidy`, if given, gets each new run (a run's children before the run).
    `run` is left as it was."""
    out: list[Inline] = []
    for node in run:
        replacement = change(node)
        if replacement is not None:
            out.extend(replacement)
            continue
        if isinstance(node, CONTAINERS):
            node = dataclasses.replace(node, children=map_inlines(node.children, change, tidy))
        out.append(node)
    return tidy(out) if tidy is not None else out


def map_blocks(blocks: list[Block], runs: Callable[[list[Inline]], list[Inline]],
               block: Callable[[Block], Block] | None = None) -> list[Block]:
    """A new block tree, `blocks` left as they were: each block, in document order, first
    through `block` (if given), then copied with its inline runs through `runs` and its child
    blocks mapped likewise. Inlines without children are shared, never copied: no stage
    changes one after reading."""

    def each(items: list[Block]) -> list[Block]:
        return [_mapped(block(b) if block is not None else b, runs, each) for b in items]

    return each(blocks)


def copied(blocks: list[Block]) -> list[Block]:
    """A copy of the tree: every block and every inline with children (leaves shared)."""
    return map_blocks(blocks, lambda run: map_inlines(run, lambda node: None))


def _mapped(b: Block, runs: Callable[[list[Inline]], list[Inline]],
            each: Callable[[list[Block]], list[Block]]) -> Block:
    """`b` copied: its inline runs first, then its child blocks (the order `walk_blocks` and
    `inline_lists` give)."""
    replace = dataclasses.replace
    if isinstance(b, (Heading, Paragraph)):
        return replace(b, children=runs(b.children))
    if isinstance(b, (Figure, Table, CodeBlock)):
        caption = runs(b.caption)
        if not isinstance(b, Table):
            return replace(b, caption=caption)

        def rows(rows: list[list[TableCell]]) -> list[list[TableCell]]:
            return [[replace(cell, blocks=each(cell.blocks)) for cell in row] for row in rows]

        return replace(b, caption=caption, head=rows(b.head), body=rows(b.body), foot=rows(b.foot))
    if isinstance(b, LineBlock):
        return replace(b, lines=[runs(line) for line in b.lines])
    if isinstance(b, DefinitionList):
        terms = [runs(term) for term, _ in b.items]
        return replace(b, items=[(term, [each(d) for d in definitions])
                                 for term, (_, definitions) in zip(terms, b.items)])
    if isinstance(b, (BlockQuote, Div)):
        return replace(b, children=each(b.children))
    if isinstance(b, (BulletList, OrderedList)):
        return replace(b, items=[each(item) for item in b.items])
    return replace(b)  # Rule, BibliographyBlock


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
