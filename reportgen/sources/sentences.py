"""Cited sentences: the brief's claims, each with the sources it cites and the passages it quotes.

Walks the parsed document model (paragraphs in any block, their `Text`, emphasis and links,
`Cite` clusters), so it does not depend on how Markdown was read. Each paragraph is
flattened to plain text with a marker character where a citation sits, then split into
sentences.

Which sources a sentence cites: the keys of the citations inside it (a note call
before or just after its full stop, or `@key says` in it); a sentence with none takes the
paragraph's next citation, since writers often put one note at the end of two or three
sentences that draw on the same source; a sentence after the paragraph's last citation
cites nothing.

What is a quotation: a passage between matching quotation marks in the running text
(“…”, ‘…’, «…», straight "…" and '…'), a `Quoted` inline where the reader produces
one, or a paragraph of a block quote up to its citation. A closing ‘…’ mark is a ’ not
followed by a letter or digit, so the apostrophes of "Russia’s" and "didn’t" do not end a
quotation (a plural possessive inside ‘…’, "the Armenians’ homes", does: a limit).
Citation prefixes and suffixes, the notes and the bibliography are not running text, so
titles quoted there are never checked. Author footnotes (`[^n]: …`) are read like
paragraphs, after the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.document import model as m
from reportgen.sources.textnorm import Normalised, normalise

MARK = "\ue000"  # where a citation sits in the flattened text (a private-use character)
XREF = "\ue001"  # where a cross-reference sits ("@fig-x places them …" starts a sentence)
_PAIRS = {"“": "”", "«": "»", "‘": "’", '"': '"', "'": "'", "„": "“", "‹": "›"}
_OPEN_AFTER = " \t\n([{/—–-\ue000\ue001"
# Words before a full stop that do not end a sentence.
_ABBREVIATIONS = {
    "e.g", "i.e", "cf", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "p", "pp", "vol", "ed", "eds",
    "gen", "col", "lt", "capt", "maj", "sgt", "prof", "rev", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "approx", "ca", "fig", "sec", "art", "para",
}
_END = re.compile(r"[.!?…]+[\"'’”»)\]]*(\s+)")


@dataclass(frozen=True)
class Quotation:
    text: str  # the passage between the marks
    start: int  # offset of its first character in the paragraph's flat text


@dataclass
class Paragraph:
    """A paragraph flattened: its text, where its citations sit, how to find it in its file."""

    text: str
    cites: list[tuple[int, m.Cite]]
    quotations: list[Quotation]
    path: Path | None
    line: int
    locator: Locator | None = None

    def location(self, offset: int) -> m.Location | None:
        if self.path is None:
            return None
        if self.locator is None:
            return m.Location(self.path, self.line)
        line, col = self.locator.find(self, offset)
        return m.Location(self.path, line, col)


@dataclass
class Sentence:
    paragraph: Paragraph
    start: int
    end: int
    keys: list[str]  # the sources it cites, in order, without repeats
    own_citation: bool  # False when the keys come from the paragraph's next citation
    quotations: list[Quotation] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The sentence as plain text, citations left out."""
        return " ".join(self.paragraph.text[self.start : self.end].replace(MARK, " ").replace(XREF, " ").split())

    @property
    def raw(self) -> str:
        """The flat text with citation markers, offsets as in the paragraph."""
        return self.paragraph.text[self.start : self.end]

    @property
    def location(self) -> m.Location | None:
        return self.paragraph.location(self.start)


def cited_sentences(doc: m.Document, root: Path | None = None) -> list[Sentence]:
    """Every sentence of the running text that cites a source, in document order.

    With `root`, locations are refined to the line and column in the section's file."""
    out: list[Sentence] = []
    for paragraph in paragraphs(doc, root):
        out.extend(s for s in split_sentences(paragraph) if s.keys)
    return out


def paragraphs(doc: m.Document, root: Path | None = None) -> Iterator[Paragraph]:
    locators: dict[Path, Locator | None] = {}  # one per file, read once per call
    for block, quoted in _blocks(doc.blocks, False):
        para = flatten(block, quoted)
        if root is not None and para.path is not None and para.line:
            if para.path not in locators:
                locators[para.path] = Locator.for_file(root / para.path)
            para.locator = locators[para.path]
        yield para
    for para in _footnotes(doc, root, locators):
        yield para


def _footnotes(doc: m.Document, root: Path | None, locators: dict[Path, Locator | None]) -> Iterator[Paragraph]:
    """Author footnotes (`[^n]: …`) as paragraphs, found in their file by their first words."""
    for label, inlines in doc.footnote_defs.items():
        name = label.split("#")[0] if "#" in label else ""  # labels are `path#id`
        para = flatten(m.Paragraph(list(inlines), m.Location(Path(name)) if name else None))
        source = doc.footnote_sources.get(label, "").strip()
        if root is not None and para.path is not None and source:
            if para.path not in locators:
                locators[para.path] = Locator.for_file(root / para.path)
            locator = locators[para.path]
            para.line = locator.line_of(source.splitlines()[0][:40]) if locator else 0
            para.locator = locator if para.line else None
        yield para


def _blocks(blocks: list[m.Block], quoted: bool) -> Iterator[tuple[m.Paragraph, bool]]:
    """Every paragraph, and whether it stands in a block quote."""
    for block in blocks:
        if isinstance(block, m.Paragraph):
            yield block, quoted
        yield from _blocks(m.child_blocks(block), quoted or isinstance(block, m.BlockQuote))


# --- flattening --------------------------------------------------------------------------


def flatten(block: m.Paragraph, quoted: bool = False) -> Paragraph:
    """A paragraph as plain text; in a block quote, its words before the first citation are
    one quotation."""
    parts: list[str] = []
    cites: list[tuple[int, m.Cite]] = []
    explicit: list[Quotation] = []
    size = _flatten(block.children, parts, cites, explicit, 0)
    assert size == sum(len(p) for p in parts)
    text = "".join(parts)
    if quoted:
        end = cites[0][0] if cites else len(text)
        passage = text[:end].rstrip(" ")
        start = len(passage) - len(passage.lstrip())
        if passage.strip():
            explicit = [Quotation(passage[start:], start)]
    location = block.location or (cites[0][1].location if cites else None)
    path = location.path if location else None
    quotations = sorted(explicit + find_quotations(text, skip=explicit), key=lambda q: q.start)
    return Paragraph(text, cites, quotations, path, location.line if location else 0)


def _flatten(inlines: list[Any], parts: list[str], cites: list[tuple[int, m.Cite]], quotes: list[Quotation],
             offset: int) -> int:
    # `inlines`: model inlines, or any reader's node that has `children` (read by duck typing).
    for node in inlines:
        if isinstance(node, m.Cite):
            cites.append((offset, node))
            parts.append(MARK)
            offset += 1
        elif type(node).__name__ == "Quoted":  # a reader's quotation node (Pandoc's `smart`)
            opening, closing = _quote_marks(node)
            parts.append(opening)
            start = offset + 1
            inner: list[str] = []
            end = _flatten(node.children, inner, cites, quotes, start)
            parts.extend(inner)
            parts.append(closing)
            quotes.append(Quotation("".join(inner), start))
            offset = end + 1
        elif isinstance(node, (m.Text, m.Code)):
            parts.append(node.text)
            offset += len(node.text)
        elif isinstance(node, (m.CrossRef, m.Ref)):  # "Section 9" is no claim
            parts.append(XREF)
            offset += 1
        elif isinstance(node, (m.LineBreak, m.FootnoteRef, m.NoteRef)):
            parts.append(" ")
            offset += 1
        elif isinstance(getattr(node, "children", None), list):
            offset = _flatten(node.children, parts, cites, quotes, offset)
    return offset


def _quote_marks(node: object) -> tuple[str, str]:
    kind = str(getattr(node, "quote_type", getattr(node, "kind", "")))
    return ("‘", "’") if "single" in kind.lower() else ("“", "”")


def find_quotations(text: str, skip: Sequence[Quotation] = ()) -> list[Quotation]:
    """Passages between literal quotation marks (outermost only)."""
    taken = [(q.start - 1, q.start + len(q.text) + 1) for q in skip]
    found: list[Quotation] = []
    i = 0
    while i < len(text):
        char = text[i]
        inside = next((end for start, end in taken if start <= i < end), None)
        if inside is not None:
            i = inside
            continue
        if char in _PAIRS and _opens(text, i):
            end = _closing(text, i + 1, _PAIRS[char])
            if end is not None and end > i + 1:
                found.append(Quotation(text[i + 1 : end], i + 1))
                i = end + 1
                continue
        i += 1
    return found


def _opens(text: str, i: int) -> bool:
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if after.isspace():
        return False
    if text[i] in "'’‘":  # an apostrophe inside or after a word opens nothing
        return before in _OPEN_AFTER or before in "“\"«"
    return before in _OPEN_AFTER or before in "‘'" or not before.isalnum()


def _closing(text: str, start: int, mark: str) -> int | None:
    for j in range(start, len(text)):
        if text[j] != mark:
            continue
        after = text[j + 1] if j + 1 < len(text) else " "
        if mark in "’'" and (after.isalnum()):
            continue  # an apostrophe: didn’t, Russia’s
        if text[j - 1].isspace():
            continue  # an opening mark of the same shape, or a stray one
        return j
    return None


# --- sentences ---------------------------------------------------------------------------


def split_sentences(para: Paragraph) -> list[Sentence]:
    starts = _sentence_starts(para)
    bounds = list(zip(starts, [*starts[1:], len(para.text)]))
    sentences: list[Sentence] = []
    for start, end in bounds:
        own = [cite for offset, cite in para.cites if start <= offset < end]
        later = [cite for offset, cite in para.cites if offset >= end]
        chosen = own or later[:1]
        keys = list(dict.fromkeys(item.key for cite in chosen for item in cite.items))
        quotes = [q for q in para.quotations if start <= q.start < end]
        text_end = len(para.text[:end].rstrip())
        sentences.append(Sentence(para, start, text_end, keys, bool(own), quotes))
    return sentences


def _sentence_starts(para: Paragraph) -> list[int]:
    text = para.text
    inside = [(q.start, q.start + len(q.text)) for q in para.quotations]
    # A note after the full stop ("… sides.’ [@a] Whether") belongs to the sentence before;
    # `@key says` starts the next one.
    trailing = {offset for offset, cite in para.cites if not cite.in_text}
    first = len(text) - len(text.lstrip())
    starts = [first]
    for match in _END.finditer(text):
        if any(a <= match.start(1) <= b for a, b in inside):
            continue  # a full stop inside a quotation, before its closing mark
        nxt = match.end()
        while nxt < len(text) and nxt in trailing:
            nxt += 1
            nxt += len(text[nxt:]) - len(text[nxt:].lstrip())
        if nxt >= len(text):
            continue
        follower = text[nxt]
        if not (follower.isupper() or follower.isdigit() or follower in "“‘\"'«(" + MARK + XREF):
            continue
        if _abbreviation(text, match.start(), follower):
            continue
        starts.append(nxt)
    return starts


def _abbreviation(text: str, stop: int, follower: str) -> bool:
    if text[stop] != ".":
        return False
    word = re.search(r"[\w.]*$", text[:stop])
    token = word.group(0) if word else ""
    if token.lower() in ("no", "nos") and follower.isdigit():
        return True  # No. 5
    if len(token) == 1 and token.isupper():
        return True  # an initial: Daniel L. DePetris
    return token.lower() in _ABBREVIATIONS or bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", token))


# --- locations ---------------------------------------------------------------------------


class Locator:
    """Finds where a paragraph's flat text sits in its Markdown file, to the column."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._windows: dict[int, tuple[Normalised, list[int]]] = {}

    @staticmethod
    def for_file(path: Path) -> Locator | None:
        try:
            return Locator(path.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError):
            return None

    def window(self, line: int) -> tuple[Normalised, list[int]]:
        """The paragraph's source from `line` to the next blank line, normalised, and the
        offset each of its lines starts at."""
        if line not in self._windows:
            chunk: list[str] = []
            for text in self.lines[line - 1 : line - 1 + 400]:
                if chunk and not text.strip():
                    break
                chunk.append(text)
            starts, pos = [], 0
            for text in chunk:
                starts.append(pos)
                pos += len(text) + 1
            self._windows[line] = (normalise("\n".join(chunk), markdown=True), starts)
        return self._windows[line]

    def line_of(self, text: str) -> int:
        """The first line holding `text` (1-based), 0 when none does."""
        return next((n for n, line in enumerate(self.lines, start=1) if text in line), 0)

    def find(self, para: Paragraph, offset: int) -> tuple[int, int]:
        """(line, column) of the flat text's `offset`, or the paragraph's first line."""
        raw, starts = self.window(para.line)
        flat = normalise(para.text[offset:])
        stop = min([c - offset for c, _ in para.cites if c > offset] + [len(para.text) - offset])
        probe = flat.text[: len([i for i in flat.index if i < stop])]
        for size in (40, 20, 10, 5):
            piece = probe[:size].strip()
            if len(piece) < min(size, 3):
                continue
            at = _nearest(raw.text, piece, offset * len(raw.text) // max(len(para.text), 1))
            if at >= 0:
                original = raw.index[at]
                row = max(i for i, s in enumerate(starts) if s <= original)
                return para.line + row, original - starts[row] + 1
        return para.line, 0


def _nearest(text: str, piece: str, expected: int) -> int:
    """The occurrence of `piece` closest to where it is expected (a phrase may recur)."""
    best, at = -1, text.find(piece)
    while at >= 0:
        if best < 0 or abs(at - expected) < abs(best - expected):
            best = at
        at = text.find(piece, at + 1)
    return best
