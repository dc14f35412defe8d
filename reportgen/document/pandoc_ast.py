"""Pandoc's JSON AST -> the document model.

Two readers of Pandoc's output share these conversions: the parse stage (Pandoc's `markdown`
reader on the sections, `SectionReader`) and the cite stage (citeproc's formatted notes and
bibliography, `inlines_from_pandoc`). The parse stage asks a `Locator` where each citation,
cross-reference, note, image, heading and paragraph sits in the source, since Pandoc's
`markdown` reader does not say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired, Protocol, TypedDict, cast

from reportgen.document import model as m
from reportgen.xml_text import xml_safe

# Quarto's (`fig-x`) and pandoc-crossref's (`fig:x`) cross-reference prefixes.
_XREF = re.compile(r"^(?:fig|tbl|eq|sec|lst)[-:]\w")
_EQ_LABEL = re.compile(r"^\{#(eq[-:][^\s{}]+)[^{}]*\}")
_INLINE_CELL = re.compile(r"^\{[a-zA-Z]\w*\}\s")
_SHORTCODE = re.compile(r"\{\{<.*?>\}\}", re.DOTALL)
_ALIGN = {"AlignLeft": "left", "AlignRight": "right", "AlignCenter": "center", "AlignDefault": ""}


class Node(TypedDict):
    """One element of Pandoc's JSON AST (`{"t": "Str", "c": "word"}`): its kind, and its
    content, whose shape the kind decides (Text.Pandoc.Definition): a string, a list of nodes,
    or a positional list such as an attribute `[id, [class], [[key, value]]]`. Elements with
    nothing inside (`Space`) have no content. The content is read kind by kind below."""

    t: str
    c: NotRequired[Any]


class Citation(TypedDict):
    """One citation of a `Cite` node (Pandoc's `Citation` record)."""

    citationId: str
    citationPrefix: list[Node]
    citationSuffix: list[Node]
    citationMode: Node
    citationNoteNum: int
    citationHash: int


# A whole document as `pandoc --to=json` writes it.
PandocDocument = TypedDict("PandocDocument", {"pandoc-api-version": list[int], "meta": dict[str, Any], "blocks": list[Node]})


def is_xref(key: str) -> bool:
    return bool(_XREF.match(key))


def inlines_from_pandoc(nodes: list[Node]) -> list[m.Inline]:
    """Inlines of citeproc's output: no source positions, typographic quotes as given."""
    return _Inlines(quotes="“”‘’").convert(nodes)


# --- positions ---------------------------------------------------------------------------


class Locator(Protocol):
    """Finds, in reading order, where the elements Pandoc read sit in the source."""

    def block(self, words: str) -> m.Location: ...
    def cell(self, words: str) -> m.Location: ...
    def code(self) -> m.Location: ...
    def end_table(self) -> None: ...
    def heading(self, words: str) -> m.Location: ...
    def cite(self, keys: list[str], bracketed: bool) -> m.Location: ...
    def note(self) -> tuple[str, m.Location]: ...
    def end_note(self) -> None: ...
    def image(self, src: str) -> m.Location: ...
    def raw(self, text: str) -> m.Location: ...


class _NoLocator:
    def __init__(self, path: Path = Path("")) -> None:
        self.where = m.Location(path)

    def block(self, words: str) -> m.Location:
        return self.where

    heading = cell = block

    def code(self) -> m.Location:
        return self.where

    def end_table(self) -> None:
        pass

    def cite(self, keys: list[str], bracketed: bool) -> m.Location:
        return self.where

    def note(self) -> tuple[str, m.Location]:
        return "", self.where

    def end_note(self) -> None:
        pass

    def image(self, src: str) -> m.Location:
        return self.where

    raw = block


@dataclass
class Unrendered:
    """Something read but not rendered as written (raw HTML, a code chunk): a warning."""

    message: str
    location: m.Location


# --- inlines -----------------------------------------------------------------------------


@dataclass
class _Inlines:
    quotes: str
    locator: Locator = field(default_factory=_NoLocator)
    path: Path = Path("")
    footnotes: dict[str, list[m.Inline]] = field(default_factory=dict)
    footnote_sources: dict[str, str] = field(default_factory=dict)
    unrendered: list[Unrendered] = field(default_factory=list)
    note_source: Callable[[str], str] | None = None  # a note's label -> its Markdown (the section reader's)
    blocks_of: Callable[[list[Node]], list[m.Block]] | None = None  # a note's blocks -> model blocks

    def convert(self, nodes: list[Node]) -> list[m.Inline]:
        out: list[m.Inline] = []
        words: list[str] = []  # a run of words and spaces, joined once: most of any paragraph
        labelled = False
        for index, node in enumerate(nodes):
            kind = node["t"]
            if kind == "Str":
                words.append(node["c"])
                continue
            if kind in ("Space", "SoftBreak"):
                words.append(" ")
                continue
            if words:
                out.append(m.Text(xml_safe("".join(words))))
                words = []
            if kind == "Math" and node["c"][0]["t"] == "DisplayMath":
                label = _equation_label(nodes, index)
                labelled = labelled or bool(label)
                out.append(m.Math(xml_safe(node["c"][1]), display=True, id=label))
                continue
            out.extend(self.inline(node))
        if words:
            out.append(m.Text(xml_safe("".join(words))))
        if labelled:
            _drop_equation_labels(out)
        return m.merge_text(out)

    def inline(self, node: Node) -> list[m.Inline]:
        kind = node["t"]
        content: Any = node.get("c")  # its shape depends on the kind; None for `Space` and the like
        if kind == "Str":
            return [m.Text(xml_safe(content))]
        if kind in ("Space", "SoftBreak"):
            return [m.Text(" ")]
        if kind == "LineBreak":
            return [m.LineBreak()]
        if kind == "ParagraphBreak":  # the cite stage's mark between a note's paragraphs
            return [m.ParagraphBreak()]
        simple: dict[str, Callable[[list[m.Inline]], m.Inline]] = {
            "Emph": m.Emph, "Strong": m.Strong, "SmallCaps": m.SmallCaps, "Superscript": m.Superscript,
            "Subscript": m.Subscript, "Strikeout": m.Strikeout, "Underline": m.Underline}
        if kind in simple:
            return [simple[kind](self.convert(content))]
        if kind == "Code":
            if _INLINE_CELL.match(content[1]):
                where = self.locator.raw("`" + content[1])
                self.unrendered.append(Unrendered(f"inline code cell '{_short(content[1])}' is not run; "
                                                  "it is shown as code", where))
            return [m.Code(xml_safe(content[1]))]
        if kind == "Math":
            return [m.Math(xml_safe(content[1]))]
        if kind == "Link":
            return [m.Link(xml_safe(content[2][0]), self.convert(content[1]))]
        if kind == "Quoted":
            single = content[0]["t"] == "SingleQuote"
            left, right = (self.quotes[2], self.quotes[3]) if single else (self.quotes[0], self.quotes[1])
            return [m.Text(left), *self.convert(content[1]), m.Text(right)]
        if kind == "Span":
            return self.span(content)
        if kind == "Cite":
            return self.cite(content)
        if kind == "Note":
            return self.note(content)
        if kind == "Image":
            return [self.image(content)]
        if kind == "RawInline":
            return self.raw_inline(content)
        return []

    def span(self, content: list[Any]) -> list[m.Inline]:
        classes = content[0][1]
        children = self.convert(content[1])
        if "smallcaps" in classes:
            return [m.SmallCaps(children)]
        if "underline" in classes or "ul" in classes:
            return [m.Underline(children)]
        return children

    def cite(self, content: list[Any]) -> list[m.Inline]:
        citations: list[Citation]
        literal: list[Node]
        citations, literal = content
        if self.note_source is None:  # citeproc's output: the formatted text
            return self.convert(literal)
        source = _stringify(literal)
        first = citations[0]["citationMode"]["t"] == "AuthorInText"
        if first and len(citations) > 1:
            # `@a [@b]`: Pandoc makes one cluster of the in-text `@a` and the bracket after it;
            # they are a name in the sentence and a citation of its own (`@sec-x [@b]`, too).
            head, _, rest = source.partition(" ")
            return [*self.cluster(citations[:1], head, bracketed=False), m.Text(" "),
                    *self.cluster(citations[1:], rest.strip(), bracketed=True)]
        return self.cluster(citations, source, bracketed=not first)

    def cluster(self, citations: list[Citation], source: str, *, bracketed: bool) -> list[m.Inline]:
        keys = [c["citationId"] for c in citations]
        where = self.locator.cite(keys, bracketed)
        if all(is_xref(key) for key in keys):
            return [m.CrossRef(key, where) for key in keys]
        items = [
            m.CiteItem(c["citationId"], _stringify(c["citationPrefix"], markup=True), _suffix(c["citationSuffix"]),
                       c["citationMode"]["t"] == "SuppressAuthor")
            for c in citations
        ]
        return [m.Cite(items, where, in_text=not bracketed, source=source)]

    def note(self, blocks: list[Node]) -> list[m.Inline]:
        if self.blocks_of is None:
            return []  # citeproc's output: notes are taken apart by the cite stage
        label, where = self.locator.note()
        key = f"{self.path}#{len(self.footnotes) + 1}"  # labels are per file in Pandoc
        paragraphs = self.blocks_of(blocks)
        self.locator.end_note()
        inlines: list[m.Inline] = []
        for block in paragraphs:
            runs = m.inline_lists(block) or [[m.Text(m.plain_text(_code_text(block)))]]
            for run in runs:
                if inlines:
                    inlines.append(m.ParagraphBreak())
                inlines.extend(run)
        self.footnotes[key] = inlines
        self.footnote_sources[key] = self.note_source(label) if self.note_source else ""
        return [m.FootnoteRef(key, where)]

    def image(self, content: list[Any]) -> m.Image:
        attr, alt, (src, _title) = content
        where = self.locator.image(src)
        width, height = _dimensions(attr)
        return m.Image(xml_safe(src), m.plain_text(self.convert(alt)), where, width, height)

    def raw_inline(self, content: list[Any]) -> list[m.Inline]:
        fmt, text = content
        if fmt == "html" and text.startswith("<!--"):
            return []  # a comment, with whatever it holds
        where = self.locator.raw(text)
        self.unrendered.append(Unrendered(f"raw {fmt} '{_short(text)}' is not rendered; it is dropped", where))
        return []


def _code_text(block: m.Block) -> list[m.Inline]:
    if isinstance(block, m.CodeBlock):
        return [m.Code(block.text)]
    return []


def _equation_label(nodes: list[Node], index: int) -> str:
    """`$$ x $$ {#eq-x}`: Pandoc reads the label as text after the display math."""
    after = nodes[index + 1 : index + 3]
    if after and after[0]["t"] in ("Space", "SoftBreak"):
        after = after[1:]
    if after and after[0]["t"] == "Str":
        match = _EQ_LABEL.match(after[0]["c"])
        if match:
            return match.group(1)
    return ""


def _drop_equation_labels(out: list[m.Inline]) -> None:
    """Remove the `{#eq-x}` text that follows a labelled equation."""
    for index, node in enumerate(out):
        if isinstance(node, m.Math) and node.id:
            after = out[index + 1] if index + 1 < len(out) else None
            if isinstance(after, m.Text) and after.text.lstrip().startswith("{#" + node.id):
                after.text = after.text[after.text.index("}") + 1 :]


def _dimensions(attr: list[Any]) -> tuple[str, str]:
    pairs = dict(attr[2])
    return pairs.get("width", ""), pairs.get("height", "")


_MARKS = {"Emph": "*", "Strong": "**", "Strikeout": "~~", "Superscript": "^", "Subscript": "~"}


def _stringify(nodes: list[Node], markup: bool = False) -> str:
    """Pandoc inlines as plain text, quotes as written; with `markup`, emphasis and the like
    as Markdown (a citation's prefix and suffix go back to the citation processor so)."""
    out: list[str] = []
    for node in nodes:
        kind = node["t"]
        content: Any = node.get("c")  # its shape depends on the kind; None for `Space` and the like
        if kind in _MARKS:
            inner = _stringify(content, markup)
            out.append(f"{_MARKS[kind]}{inner}{_MARKS[kind]}" if markup else inner)
        elif kind == "SmallCaps":
            out.append(_stringify(content, markup))
        elif kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Code", "Math", "RawInline"):
            out.append(content[1])
        elif kind == "Quoted":
            mark = '"' if content[0]["t"] == "DoubleQuote" else "'"
            out.append(mark + _stringify(content[1]) + mark)
        elif kind in ("Link", "Image") or kind == "Cite" or kind == "Span":
            out.append(_stringify(content[1]))
        elif isinstance(content, list) and content and isinstance(content[-1], list):
            out.append(_stringify(content[-1]))
    return "".join(out)


def _suffix(nodes: list[Node]) -> str:
    """A citation suffix as the cite stage writes it back: `, p. 4` keeps its comma."""
    text = _stringify(nodes, markup=True)
    return text if not text or text[0] in ",;:" else " " + text.lstrip()


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- blocks ------------------------------------------------------------------------------


class SectionReader:
    """One section's Pandoc blocks -> model blocks, with positions from `locator`."""

    def __init__(self, path: Path, locator: Locator, quotes: str, note_source: Callable[[str], str]) -> None:
        self.path = path
        self.locator = locator
        self.inlines = _Inlines(quotes, locator, path, note_source=note_source, blocks_of=self.blocks)
        self.unrendered = self.inlines.unrendered
        self.in_cell = 0  # inside a table: cells are found along the line, not at its start

    @property
    def footnotes(self) -> dict[str, list[m.Inline]]:
        return self.inlines.footnotes

    @property
    def footnote_sources(self) -> dict[str, str]:
        return self.inlines.footnote_sources

    def blocks(self, nodes: list[Node]) -> list[m.Block]:
        out: list[m.Block] = []
        for node in nodes:
            out.extend(self.block(node))
        return _listing_captions(out)

    def block(self, node: Node) -> list[m.Block]:
        kind = node["t"]
        content: Any = node.get("c")  # its shape depends on the kind; None for `Space` and the like
        if kind in ("Para", "Plain"):
            return self.paragraph(content)
        if kind == "Header":
            return [self.heading(content)]
        if kind == "BulletList":
            return [m.BulletList([self.blocks(item) for item in content])]
        if kind == "OrderedList":
            (start, style, delim), items = content
            return [m.OrderedList([self.blocks(i) for i in items], start, style["t"], delim["t"])]
        if kind == "DefinitionList":
            return [m.DefinitionList([(self.inlines.convert(term), [self.blocks(d) for d in defs])
                                      for term, defs in content])]
        if kind == "LineBlock":
            self.locator.block(_stringify(content[0]) if content else "")
            return [m.LineBlock([self.inlines.convert(line) for line in content])]
        if kind == "BlockQuote":
            return [m.BlockQuote(self.blocks(content))]
        if kind == "Div":
            return self.div(content)
        if kind == "HorizontalRule":
            return [m.Rule()]
        if kind == "CodeBlock":
            return [self.code(content)]
        if kind == "RawBlock":
            return self.raw_block(content)
        if kind == "Table":
            return [self.table(content)]
        if kind == "Figure":
            return self.figure(content)
        return []

    def paragraph(self, inlines: list[Node]) -> list[m.Block]:
        words = _stringify(inlines[:12])
        where = self.locator.cell(words) if self.in_cell else self.locator.block(words)
        children = self.inlines.convert(inlines)
        text = m.plain_text(children)
        if _SHORTCODE.search(text):
            self.unrendered.append(Unrendered("Quarto shortcode is not run; it is dropped", where))
            children = _without_shortcodes(children)
        return [m.Paragraph(children, where)]

    def heading(self, content: list[Any]) -> m.Heading:
        level, (ident, classes, _attrs), inlines = content
        where = self.locator.heading(_stringify(inlines))
        return m.Heading(level, self.inlines.convert(inlines), id=ident,
                         numbered="unnumbered" not in classes, location=where)

    def div(self, content: list[Any]) -> list[m.Block]:
        (ident, classes, _attrs), blocks = content
        return [m.Div(classes, self.blocks(blocks), ident)]

    def code(self, content: list[Any]) -> m.Block:
        (ident, classes, attrs), text = content
        attrs, text = dict(attrs), xml_safe(text)
        where = self.locator.code()
        language = classes[0] if classes else ""
        caption = self.inlines.convert([{"t": "Str", "c": attrs["caption"]}]) if "caption" in attrs else []
        chunk = _chunk_language(classes)
        if chunk:
            label = _chunk_label(text) or ident
            self.unrendered.append(Unrendered(
                f"{chunk} code chunk is not run; it is shown as code"
                + (f" (its figure '{label}' is a placeholder)" if label.startswith(("fig-", "fig:")) else ""), where))
            if label.startswith(("fig-", "fig:", "tbl-", "tbl:")):
                caption = caption or [m.Text(_chunk_option(text, "fig-cap") or _chunk_option(text, "tbl-cap") or label)]
                return m.CodeBlock(text, chunk, label, caption, location=where)
            return m.CodeBlock(text, chunk, ident, location=where)
        return m.CodeBlock(text, language, ident, caption, location=where)

    def raw_block(self, content: list[Any]) -> list[m.Block]:
        fmt, text = content
        if fmt == "html" and text.lstrip().startswith("<!--"):
            return []  # an HTML comment, with whatever it holds
        where = self.locator.raw(text.split("\n", 1)[0])
        self.unrendered.append(Unrendered(f"raw {fmt} block '{_short(text)}' is not rendered; it is dropped", where))
        return []

    def figure(self, content: list[Any]) -> list[m.Block]:
        (ident, _classes, _attrs), (_short_caption, caption_blocks), body = content
        images = [n for n in _walk(body) if n.get("t") == "Image"]
        caption = [i for b in caption_blocks for i in self.inlines.convert(b["c"])] if caption_blocks else []
        if not images:
            return self.blocks(body)
        attr, alt, (src, _title) = images[0]["c"]
        where = self.locator.image(src)
        width, height = _dimensions(attr)
        figure = m.Figure(id=ident or attr[0], src=src, caption=caption, location=where,
                          alt=m.plain_text(self.inlines.convert(alt)), width=width, height=height)
        rest: list[m.Block] = []
        for extra in images[1:]:  # sub-figures: each an image of its own under the first
            rest.append(m.Paragraph([self.inlines.image(extra["c"])], where))
        return [figure, *rest]

    def table(self, content: list[Any]) -> m.Table:
        (ident, _classes, _attrs), (_short_caption, caption_blocks), specs, head, bodies, foot = content
        where = self.locator.block(_first_cell_words(head, bodies))
        caption = [i for b in caption_blocks for i in self.inlines.convert(b["c"])]
        caption, label = _caption_label(caption)
        aligns = [_ALIGN[spec[0]["t"]] for spec in specs]
        widths = [spec[1]["c"] if spec[1]["t"] == "ColWidth" else 0.0 for spec in specs]
        self.in_cell += 1
        head_rows = self.rows(head[1])
        body_rows = []
        for body in bodies:
            body_rows += self.rows(body[2]) + self.rows(body[3])
        foot_rows = self.rows(foot[1])
        self.in_cell -= 1
        if not self.in_cell:
            self.locator.end_table()
        ident = ident or label or _span_id(caption_blocks, "tbl")
        return m.Table(caption, aligns, widths, head_rows, body_rows, foot_rows, id=ident, location=where)

    def rows(self, rows: list[Any]) -> list[list[m.TableCell]]:
        return [[self.cell(cell) for cell in row[1]] for row in rows]

    def cell(self, cell: list[Any]) -> m.TableCell:
        _attr, align, rowspan, colspan, blocks = cell
        return m.TableCell(self.blocks(blocks), _ALIGN[align["t"]], colspan, rowspan)


_LISTING_LABEL = re.compile(r"\s*\{#(lst:[^\s{}]+)[^{}]*\}\s*$")


def _listing_captions(blocks: list[m.Block]) -> list[m.Block]:
    """pandoc-crossref's `: Caption {#lst:x}`, a paragraph next to a code block, is its caption."""
    out: list[m.Block] = []
    for index, block in enumerate(blocks):
        caption = _listing_caption(block)
        if caption is not None:
            before = out[-1] if out else None
            after = blocks[index + 1] if index + 1 < len(blocks) else None
            code = next((b for b in (before, after) if isinstance(b, m.CodeBlock) and not b.id), None)
            if code is not None:
                code.caption, code.id = caption
                continue
        out.append(block)
    return out


def _listing_caption(block: m.Block) -> tuple[list[m.Inline], str] | None:
    if not isinstance(block, m.Paragraph) or not block.children:
        return None
    first, last = block.children[0], block.children[-1]
    if not (isinstance(first, m.Text) and first.text.startswith(": ") and isinstance(last, m.Text)):
        return None
    label = _LISTING_LABEL.search(last.text)
    if label is None:
        return None
    children = [*block.children[:-1], m.Text(last.text[: label.start()])]
    children[0] = m.Text(children[0].text[2:]) if isinstance(children[0], m.Text) else children[0]
    return m.merge_text(children), label.group(1)


def _span_id(blocks: list[Node], kind: str) -> str:
    """pandoc-crossref's `: Caption []{#tbl:x}`: the label on an empty span in the caption."""
    for node in _walk(blocks):
        if node.get("t") == "Span" and node["c"][0][0].startswith((kind + ":", kind + "-")):
            return str(node["c"][0][0])
    return ""


def _first_cell_words(head: list[Any], bodies: list[Any]) -> str:
    """The text of a table's first cell, by which its first line is found."""
    rows = head[1] + [row for body in bodies for row in body[3]]
    for row in rows[:1]:
        for cell in row[1][:1]:
            return _stringify([i for b in cell[4] if b["t"] in ("Plain", "Para") for i in b["c"]])
    return ""


def _walk(nodes: object) -> Iterator[Node]:
    if isinstance(nodes, dict):
        yield cast(Node, nodes)  # a dict inside Pandoc's JSON is a node
        yield from _walk(nodes.get("c"))
    elif isinstance(nodes, list):
        for node in nodes:
            yield from _walk(node)


def _caption_label(caption: list[m.Inline]) -> tuple[list[m.Inline], str]:
    """`: Caption {#tbl-x}`: a table's label at the end of its caption, where older readers leave it."""
    if caption and isinstance(caption[-1], m.Text):
        match = re.search(r"\s*\{#((?:tbl)[-:][^\s{}]+)[^{}]*\}\s*$", caption[-1].text)
        if match:
            caption = [*caption[:-1], m.Text(caption[-1].text[: match.start()])]
            return m.merge_text(caption), match.group(1)
    return caption, ""


def _without_shortcodes(children: list[m.Inline]) -> list[m.Inline]:
    out: list[m.Inline] = []
    for node in children:
        if isinstance(node, m.Text):
            node = m.Text(_SHORTCODE.sub("", node.text))
        out.append(node)
    return m.merge_text(out)


CHUNK_CLASS = "reportgen-chunk-"


def _chunk_language(classes: list[str]) -> str:
    """A Quarto / R Markdown chunk, ```{r}: the parse stage marks its fence with a class."""
    for name in classes:
        if name.startswith(CHUNK_CLASS):
            return name.removeprefix(CHUNK_CLASS)
    return ""


def _chunk_option(text: str, name: str) -> str:
    match = re.search(rf"^#\|\s*{name}:\s*\"?(.*?)\"?\s*$", text, re.MULTILINE)
    return match.group(1) if match else ""


def _chunk_label(text: str) -> str:
    return _chunk_option(text, "label")
