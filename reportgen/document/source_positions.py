"""Where Pandoc's elements sit in a Markdown file, for `path:line:col` messages.

Pandoc's `markdown` reader keeps no source positions (only its `commonmark` reader does).
`SourceLocator` finds each paragraph, heading, table, code block, citation key, note call,
image and raw snippet in the text, in the order Pandoc's AST gives them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path

from reportgen.document import model as m
from reportgen.document.citation_syntax import mask_code

# A block's first word at the start of its line, after any markers: `> `, `- `, `1. `, `(a) `, `#`.
_LINE_START = r"^[^\w\n]*(?:(?:\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+)[.)][^\w\n]*)?"
# What ends a paragraph: a blank line, or a line that starts another block.
_BLOCK_END = re.compile(r"^(?:[ \t]*$|[ \t]*(?:[-*+:][ \t]|\(?(?:\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+)[.)][ \t]"
                        r"|#|>|:::|```|~~~|\|))", re.MULTILINE)
_NOTE_CALL = re.compile(r"\[\^([^\]\s]+)\](?!:)|\^\[")
_WORD = re.compile(r"\w+")
_BLANK_LINE = re.compile(r"^[ \t]*$", re.MULTILINE)
_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})", re.MULTILINE)


class SourceLocator:
    """Where Pandoc's elements sit in one file's text, found in reading order.

    Two cursors move forward: one over blocks (a paragraph's first word, at the start of a
    line), one over inlines (citations, note calls, images) from the start of the current
    block. Code, comments and front matter are masked out, so `@x` in code is never taken for
    a citation. A note's content is looked for in its definition, then the cursors return.
    """

    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.masked = mask_code(text)
        self.path = path
        self.starts = [0, *(nl.end() for nl in re.finditer("\n", text))]
        self.block_pos = 0
        self.inline_pos = 0
        self._saved: list[tuple[int, int, int]] = []

    def location(self, offset: int) -> m.Location:
        row = bisect_right(self.starts, offset) - 1
        return m.Location(self.path, row + 1, offset - self.starts[row] + 1)

    def _block_location(self, offset: int) -> m.Location:
        """The line of `offset`, at its first non-blank column."""
        row = bisect_right(self.starts, offset) - 1
        line = self.text[self.starts[row] : self.starts[row + 1] if row + 1 < len(self.starts) else len(self.text)]
        return m.Location(self.path, row + 1, len(line) - len(line.lstrip()) + 1)

    def _find_block(self, words: str) -> int:
        word = _WORD.search(words)
        if word is None:
            nonblank = re.compile(r"\S").search(self.masked, self.block_pos)
            return nonblank.start() if nonblank else -1
        found = re.compile(_LINE_START + re.escape(word.group()), re.MULTILINE).search(self.masked, self.block_pos)
        if found:
            return found.end() - len(word.group())
        return self.masked.find(word.group(), self.block_pos)

    def block(self, words: str) -> m.Location:
        offset = self._find_block(words)
        if offset < 0:
            return m.Location(self.path)
        self.inline_pos = offset
        end = _BLOCK_END.search(self.masked, self.starts[bisect_right(self.starts, offset) - 1] + 1)
        end_line = self.starts[bisect_right(self.starts, end.start()) - 1] if end else len(self.masked)
        self.block_pos = max(self.block_pos, min(end_line, len(self.masked)), offset)
        return self._block_location(offset)

    def cell(self, words: str) -> m.Location:
        """A table cell's paragraph: along the row, from the last thing found."""
        word = _WORD.search(words)
        offset = self.masked.find(word.group(), self.inline_pos) if word else -1
        if offset < 0:
            return m.Location(self.path)
        self.inline_pos = offset
        return self.location(offset)

    def end_table(self) -> None:
        end = _BLANK_LINE.search(self.masked, self.inline_pos)
        self.block_pos = max(self.block_pos, end.start() if end else len(self.masked))

    def code(self) -> m.Location:
        """A fenced code block: its opening fence; the cursors move past its closing one."""
        fence = _FENCE.search(self.text, self.block_pos)
        if fence is None:
            return m.Location(self.path)
        close = re.compile(r"^[ \t]*" + re.escape(fence.group("fence")) + r"[`~]*[ \t]*$", re.MULTILINE)
        end = close.search(self.text, fence.end())
        self.block_pos = self.inline_pos = end.end() if end else len(self.text)
        return self._block_location(fence.start())

    def heading(self, words: str) -> m.Location:
        offset = self._find_block(words)
        if offset < 0:
            return m.Location(self.path)
        self.inline_pos = offset
        line_end = self.masked.find("\n", offset)
        self.block_pos = len(self.masked) if line_end < 0 else line_end + 1
        underline = re.compile(r"[ \t]*(?:=+|-+)[ \t]*(?:\n|$)").match(self.masked, self.block_pos)
        if underline:  # a setext heading's underline
            self.block_pos = underline.end()
        return self._block_location(offset)

    def raw(self, text: str) -> m.Location:
        first = text.strip().split("\n", 1)[0][:40]
        offset = self.text.find(first, self.inline_pos) if first else -1
        if offset < 0:
            offset = self.text.find(first, self.block_pos) if first else -1
        if offset < 0:
            return m.Location(self.path)
        self.inline_pos = offset + len(first)
        return self.location(offset)

    def cite(self, keys: list[str], bracketed: bool) -> m.Location:
        first = -1
        for key in keys:
            found = _key_pattern(key)
            match = found.search(self.masked, self.inline_pos) or found.search(self.masked)
            if match is None:
                continue
            first = match.start() if first < 0 else first
            self.inline_pos = match.end()
        if first < 0:
            return m.Location(self.path)
        if bracketed:
            bracket = self.masked.rfind("[", 0, first)
            first = bracket if bracket >= 0 else first
        return self.location(first)

    def note(self) -> tuple[str, m.Location]:
        call = _NOTE_CALL.search(self.masked, self.inline_pos)
        if call is None:
            self._saved.append((self.block_pos, self.inline_pos, self.inline_pos))
            return "", m.Location(self.path)
        label = call.group(1) or ""
        where = self.location(call.start())
        self._saved.append((self.block_pos, self.inline_pos, call.end()))
        if label:
            definition = re.compile(r"^ {0,3}\[\^" + re.escape(label) + r"\]:[ \t]*", re.MULTILINE).search(self.masked)
            start = definition.end() if definition else call.end()
        else:
            start = call.end()
        self.block_pos = self.inline_pos = start
        return (label or f"^{call.start()}"), where

    def end_note(self) -> None:
        block_pos, _, after_call = self._saved.pop()
        self.block_pos, self.inline_pos = block_pos, after_call

    def note_source(self, label: str) -> str:
        """A note's Markdown, for the citation processor: its definition, or `^[...]`'s inside."""
        if label.startswith("^"):
            start = int(label[1:]) + 2
            end = _closing_bracket(self.text, start - 1)
            return self.text[start:end].strip() if end > 0 else ""
        definition = re.compile(r"^ {0,3}\[\^" + re.escape(label) + r"\]:[ \t]*", re.MULTILINE).search(self.text)
        if definition is None:
            return ""
        lines = self.text[definition.end() :].split("\n")
        body = [lines[0]]
        for line in lines[1:]:
            if line.strip() and not line.startswith(("    ", "\t")):
                break
            body.append(line[4:] if line.startswith("    ") else line.removeprefix("\t"))
        return "\n".join(body).strip()

    def image(self, src: str) -> m.Location:
        offset = self.masked.find(src, self.inline_pos) if src else -1
        if offset < 0:
            offset = self.masked.find("![", self.inline_pos)
            if offset < 0:
                return m.Location(self.path)
        else:
            bang = self.masked.rfind("![", self.inline_pos if self.inline_pos < offset else 0, offset)
            self.inline_pos = offset + len(src)
            offset = bang if bang >= 0 else offset
        return self.location(offset)


@lru_cache(maxsize=4096)
def _key_pattern(key: str) -> re.Pattern[str]:
    """`@key` or `@{key}`, not inside an e-mail address or a longer key."""
    return re.compile(r"(?<![\w.])@(?:\{" + re.escape(key) + r"\}|" + re.escape(key) + r"(?!\w))")


def _closing_bracket(text: str, start: int) -> int:
    depth = 0
    pos = start
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return -1
