"""Parse stage: Markdown sections -> document model blocks.

markdown-it-py (CommonMark, raw HTML off) tokenises; mdit-py-plugins adds footnotes,
inline attributes and containers; `citation_syntax` adds Pandoc citations. This module
walks the token stream once and builds `model` objects, keeping file and line on
everything that can later be wrong (citations, cross-references, figures).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.rules_core.replacements import replace_rare, replace_scoped
from markdown_it.rules_core.smartquotes import process_inlines
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin

from reportgen import model as m
from reportgen.citation_syntax import citation_plugin, div_attrs
from reportgen.errors import ReportgenError, raise_all
from reportgen.metadata import without_front_matter
from reportgen.yamlfile import MAX_MARKDOWN_BYTES, read_text

# Primary and secondary quotation marks. British usage puts single quotes outside, as the
# CSL locale does for titles in the notes, so prose and notes agree.
QUOTES = {"en-GB": "‘’“”"}
DEFAULT_QUOTES = "“”‘’"


def quotes_for(language: str) -> str:
    return QUOTES.get(language, DEFAULT_QUOTES)


@lru_cache(maxsize=2)
def markdown_parser(quotes: str = DEFAULT_QUOTES) -> MarkdownIt:
    # Typographer and smart quotes match Pandoc's `smart` extension, on by default there.
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "quotes": quotes})
    md.enable(["replacements", "smartquotes"])
    md.core.ruler.after("smartquotes", "typography_in_captions", _typography_in_captions)
    return md.use(footnote_plugin).use(attrs_plugin).use(citation_plugin)


def _typography_in_captions(state: StateCore) -> None:
    """markdown-it's dashes and smart quotes skip an image's description, which is a figure's
    caption here."""
    for token in state.tokens:
        for child in token.children or []:
            if child.type == "image" and child.children:
                replace_scoped(child.children)
                replace_rare(child.children)
                process_inlines(child.children, state)


@dataclass
class ParsedSection:
    path: Path
    blocks: list[m.Block]
    footnotes: dict[str, list[m.Inline]] = field(default_factory=dict)
    footnote_sources: dict[str, str] = field(default_factory=dict)
    errors: list[ReportgenError] = field(default_factory=list)  # returned, not raised, with `keep_errors`


def parse_file(path: Path, display: Path | None = None, *, keep_errors: bool = False,
               quotes: str = DEFAULT_QUOTES) -> ParsedSection:
    """Parse one Markdown file; `display` is the path shown in messages."""
    return parse_text(read_text(path, display, limit=MAX_MARKDOWN_BYTES), display or path,
                      keep_errors=keep_errors, quotes=quotes)


def parse_text(text: str, path: Path, *, keep_errors: bool = False, quotes: str = DEFAULT_QUOTES) -> ParsedSection:
    """Parse Markdown, raising its errors; with `keep_errors`, return them in `errors` along
    with the blocks parsed anyway, so later stages still see the charts and labels placed."""
    env: dict = {}
    text = without_front_matter(text)
    tokens = markdown_parser(quotes).parse(text, env)
    builder = _Builder(path, env, text.splitlines())
    blocks = builder.blocks(tokens)
    errors = builder.errors + _unclosed_divs(text, path)
    if not keep_errors:
        raise_all(errors)
    return ParsedSection(path, blocks, builder.footnotes, builder.footnote_sources, errors)


def _unclosed_divs(text: str, path: Path) -> list[ReportgenError]:
    """A fenced div left open swallows the rest of the file; say so instead."""
    depth, opened_at = 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(":::"):
            if stripped.strip(":").strip():
                depth += 1
                opened_at.append(number)
            elif depth:
                depth -= 1
                opened_at.pop()
    if opened_at:
        return [ReportgenError("fenced div ':::' is never closed", m.Location(path, opened_at[-1], 1))]
    return []


class _Builder:
    """Turns one file's token stream into blocks. Block tokens nest; we recurse on them."""

    def __init__(self, path: Path, env: dict, lines: list[str]) -> None:
        self.path = path
        self.env = env
        self.lines = lines
        self.footnotes: dict[str, list[m.Inline]] = {}
        # The Markdown of each footnote: the citation processor formats citations inside
        # a note in context ("See also X and Y."), so it is handed the note whole.
        self.footnote_sources: dict[str, str] = {}
        self.errors: list[ReportgenError] = []
        self._line_starts: dict[int, list[int]] = {}

    def loc(self, token: Token) -> m.Location:
        """The first line of a block, at its first non-blank column."""
        if not token.map:
            return m.Location(self.path)
        line = token.map[0] + 1
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        return m.Location(self.path, line, len(text) - len(text.lstrip()) + 1)

    def loc_at(self, parent: Token, offset: int, needle: str) -> m.Location:
        """Where `needle`, found at `offset` in an inline's content, sits in the file."""
        if not parent.map:
            return m.Location(self.path)
        starts = self.line_starts(parent)
        offset = min(offset, len(parent.content))
        row = bisect_right(starts, offset) - 1  # newlines in the content before `offset`
        line = parent.map[0] + 1 + row
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        # Block markers and indentation are stripped from the content, so the needle sits at
        # or after its offset within the line.
        col = text.find(needle, offset - starts[row])
        col = col if col >= 0 else text.find(needle)
        return m.Location(self.path, line, col + 1 if col >= 0 else 0)

    def line_starts(self, inline: Token) -> list[int]:
        """Where each line of an inline's content starts, found once per inline: counting the
        newlines before every citation made a paragraph dense with them quadratic."""
        key = id(inline)  # tokens are unhashable; they outlive every lookup, so no id is reused
        if key not in self._line_starts:
            self._line_starts[key] = [0, *(nl.end() for nl in re.finditer("\n", inline.content))]
        return self._line_starts[key]

    # -- blocks --------------------------------------------------------------------------

    def blocks(self, tokens: Sequence[Token]) -> list[m.Block]:
        out: list[m.Block] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            end = _matching_close(tokens, i)
            block = self.block(token, tokens[i + 1 : end])
            if block is not None:
                out.append(block)
            i = end + 1
        return out

    def block(self, token: Token, inner: Sequence[Token]) -> m.Block | None:
        kind = token.type
        if kind == "heading_open":
            return self.heading(token, inner[0])
        if kind == "paragraph_open":
            return self.paragraph(inner[0])
        if kind in ("bullet_list_open", "ordered_list_open"):
            items = [self.blocks(group) for group in _children_of(inner)]
            if kind == "bullet_list_open":
                return m.BulletList(items)
            return m.OrderedList(items, int(token.attrGet("start") or 1))
        if kind == "blockquote_open":
            return m.BlockQuote(self.blocks(inner))
        if kind == "container_div_open":
            classes, div_id = div_attrs(token.info)
            return m.Div(classes, self.blocks(inner), div_id)
        if kind == "hr":
            return m.Rule()
        if kind in ("fence", "code_block"):
            return m.Paragraph([m.Code(token.content.rstrip("\n"))])
        if kind == "footnote_block_open":
            self.footnote_block(inner)
            return None
        if kind == "html_block":  # raw HTML is off; this is only reached for safety
            return m.Paragraph([m.Text(token.content)])
        return None

    def heading(self, token: Token, inline: Token) -> m.Heading:
        classes = str(token.attrGet("class") or "").split()
        return m.Heading(
            int(token.tag[1]),
            self.inlines(inline),
            id=str(token.attrGet("id") or ""),
            numbered="unnumbered" not in classes,
        )

    def paragraph(self, inline: Token) -> m.Block:
        children = inline.children or []
        if len(children) == 1 and children[0].type == "image":
            return self.figure(children[0], inline)
        return m.Paragraph(self.inlines(inline), self.loc(inline))

    def figure(self, image: Token, inline: Token) -> m.Figure:
        caption = self.inline_seq(image.children or [], inline)
        return m.Figure(
            id=str(image.attrGet("id") or ""),
            src=str(image.attrGet("src") or ""),
            caption=caption,
            location=self.loc(inline),
            alt=str(image.attrGet("alt") or ""),
        )

    def footnote_block(self, inner: Sequence[Token]) -> None:
        for group in _children_of(inner):
            opening = group[0] if group else None
            label = self.footnote_label(opening.meta if opening else {})
            body = [t for t in group if t.type == "inline"]
            inlines: list[m.Inline] = []
            for number, inline in enumerate(body):
                if number:
                    inlines.append(m.LineBreak())
                inlines.extend(self.inlines(inline))
            self.footnotes[label] = inlines
            self.footnote_sources[label] = self.footnote_source(group, opening.meta if opening else {})

    def footnote_source(self, group: Sequence[Token], meta: dict) -> str:
        note = self.env.get("footnotes", {}).get("list", {}).get(meta.get("id"), {})
        if "content" in note:  # an inline note, ^[...]
            return str(note["content"])
        spans = [t.map for t in group if t.type == "paragraph_open" and t.map]
        if not spans:
            return ""
        text = "\n".join(self.lines[spans[0][0] : spans[-1][1]])
        return re.sub(r"^\s*\[\^[^\]]+\]:\s*", "", text).strip()

    def footnote_label(self, meta: dict) -> str:
        # Labels are per file in Pandoc; namespacing them keeps sections independent.
        return f"{self.path}#{meta.get('id')}"

    # -- inlines -------------------------------------------------------------------------

    def inlines(self, inline: Token) -> list[m.Inline]:
        return self.inline_seq(inline.children or [], inline)

    def inline_seq(self, tokens: Sequence[Token], parent: Token) -> list[m.Inline]:
        out: list[m.Inline] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.nesting == 1:
                end = _matching_close(tokens, i)
                out.append(self.span(token, self.inline_seq(tokens[i + 1 : end], parent)))
                i = end + 1
                continue
            node = self.leaf(token, parent)
            if node is not None:
                out.append(node)
            i += 1
        return _merge_text(out)

    def span(self, token: Token, children: list[m.Inline]) -> m.Inline:
        if token.type == "em_open":
            return m.Emph(children)
        if token.type == "strong_open":
            return m.Strong(children)
        if token.type == "link_open":
            return m.Link(str(token.attrGet("href") or ""), children)
        return _Group(children)

    def leaf(self, token: Token, parent: Token) -> m.Inline | None:
        kind = token.type
        if kind == "text":
            return m.Text(token.content)
        if kind == "softbreak":
            return m.Text(" ")
        if kind == "hardbreak":
            return m.LineBreak()
        if kind == "code_inline":
            return m.Code(token.content)
        if kind == "image":
            return m.Text(token.content)  # an image inside running text keeps its alt text
        if kind == "cite":
            return self.cite(token, parent)
        if kind == "xref":
            where = self.loc_at(parent, token.meta["offset"], "@" + token.meta["target"])
            return m.CrossRef(token.meta["target"], where)
        if kind == "footnote_ref":
            label = token.meta.get("label")
            needle = f"[^{label}]" if label else "^["  # an inline note has no label
            where = self.loc_at(parent, max(parent.content.find(needle), 0), needle)
            return m.FootnoteRef(self.footnote_label(token.meta), where)
        if kind == "cite_error":
            self.errors.append(ReportgenError(token.meta["message"], self.loc_at(parent, token.meta["offset"], "[")))
            return None
        return m.Text(token.content) if token.content else None

    def cite(self, token: Token, parent: Token) -> m.Cite:
        meta = token.meta
        items = [m.CiteItem(**item) for item in meta["items"]]
        where = self.loc_at(parent, meta["offset"], meta["source"])
        return m.Cite(items, where, in_text=meta["in_text"], source=meta["source"])


@dataclass
class _Group:
    """Children of an inline container we do not model (flattened by _merge_text)."""

    children: list[m.Inline]


def _merge_text(nodes: list) -> list[m.Inline]:
    """Flatten unmodelled groups and join adjacent Text nodes."""
    flat = [part for node in nodes for part in (node.children if isinstance(node, _Group) else [node])]
    return m.merge_text(flat)


def _matching_close(tokens: Sequence[Token], start: int) -> int:
    """Index of the token closing `tokens[start]` (itself for a leaf)."""
    if tokens[start].nesting != 1:
        return start
    depth = 0
    for index in range(start, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return len(tokens) - 1


def _children_of(tokens: Sequence[Token]) -> list[Sequence[Token]]:
    """Split a list's inner tokens into its items (each without its open/close pair)."""
    groups = []
    i = 0
    while i < len(tokens):
        end = _matching_close(tokens, i)
        groups.append(tokens[i + 1 : end] if tokens[i].nesting == 1 else [tokens[i]])
        if tokens[i].type == "footnote_open":
            groups[-1] = [tokens[i], *tokens[i + 1 : end]]
        i = end + 1
    return groups
