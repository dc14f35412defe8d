"""Parse stage: Markdown sections -> document model blocks, read by Pandoc.

Pandoc's own `markdown` reader (the pinned `pypandoc-binary`) reads every section in one
sandboxed run, each file on its own (`--file-scope`: footnote labels stay per file), into
its JSON AST; `pandoc_ast.SectionReader` turns that into the model. Pandoc's Markdown reader
keeps no source positions, so `SourceLocator` finds each citation, cross-reference, note,
image, heading and paragraph in the text, in reading order, for `path:line:col` messages.
What Pandoc reads silently but a writer did not mean (a malformed `[see @a; p. 4]`, an unclosed
`[@a`, an unclosed `:::`) is checked on the source text (`citation_syntax`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import subprocess
import tempfile
from bisect import bisect_right
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from reportgen import model as m
from reportgen.citation_syntax import FRONT_MATTER, citation_errors, mask_code
from reportgen.errors import ReportgenError, raise_all
from reportgen.manifest import write_atomic
from reportgen.pandoc_ast import CHUNK_CLASS, SectionReader, Unrendered
from reportgen.yamlfile import MAX_MARKDOWN_BYTES, read_text

# Primary and secondary quotation marks. British usage puts single quotes outside, as the
# CSL locale does for titles in the notes, so prose and notes agree.
QUOTES = {"en-GB": "‘’“”"}
DEFAULT_QUOTES = "“”‘’"
BOM = "\ufeff"
PANDOC_SECONDS = 60  # per run, whatever the size: Pandoc reads 2 MiB in about a second
# The Haskell runtime's options: a heap cap.
PANDOC_RTS = ["+RTS", "-M1g", "-RTS"]
_END = "reportgen-section-end"
CACHE_FORMAT = 1  # raise when what is cached of Pandoc's output changes shape
RUN_BYTES = 256 * 1024  # text per Pandoc run before another core is worth its start-up
MAX_RUNS = 4
MAX_BRACKET_DEPTH = 6
MAX_PAREN_DEPTH = 32
MAX_BLOCK_NESTING = 64
_MARKER = r"(?:>|[*+-](?=[ \t])|\d+[.)](?=[ \t]))"  # a quote's `>`, a list item's marker and its space
_BLOCK_MARKERS = re.compile(r"^[ \t]*(?:" + _MARKER + r"[ \t]*){" + str(MAX_BLOCK_NESTING + 1) + ",}", re.MULTILINE)
# --file-scope prefixes each file's ids and internal links with the file's name: the sections'
# prefixes go; the marker's stays, so a writer's own div of that id cannot split a section.
_FILE_PREFIX = re.compile(r'(["#])reportgen-section-\d{4}\.md__')
_MARKER_ID = f"reportgen-end.md__{_END}"
# ```{r}, ```{python echo=FALSE}: Quarto and R Markdown chunks, which Pandoc reads as inline code.
_CHUNK_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*\{([A-Za-z][\w-]*)[^}\n]*\}[ \t]*$", re.MULTILINE)


def quotes_for(language: str) -> str:
    return QUOTES.get(language, DEFAULT_QUOTES)


@dataclass
class ParsedSection:
    path: Path
    blocks: list[m.Block]
    footnotes: dict[str, list[m.Inline]] = field(default_factory=dict)
    footnote_sources: dict[str, str] = field(default_factory=dict)
    errors: list[ReportgenError] = field(default_factory=list)  # returned, not raised, with `keep_errors`
    unrendered: list[Unrendered] = field(default_factory=list)  # warnings: read, but not rendered as written
    front_matter: str = ""  # the YAML block a section opens with, as written (Pandoc reads it as metadata)


def parse_file(path: Path, display: Path | None = None, *, keep_errors: bool = False,
               quotes: str = DEFAULT_QUOTES) -> ParsedSection:
    """Parse one Markdown file; `display` is the path shown in messages."""
    return parse_text(read_text(path, display, limit=MAX_MARKDOWN_BYTES), display or path,
                      keep_errors=keep_errors, quotes=quotes)


def parse_text(text: str, path: Path, *, keep_errors: bool = False, quotes: str = DEFAULT_QUOTES) -> ParsedSection:
    """Parse Markdown, raising its errors; with `keep_errors`, return them in `errors` along
    with the blocks parsed anyway, so later stages still see the charts and labels placed."""
    return parse_texts([(text, path)], keep_errors=keep_errors, quotes=quotes)[0]


def parse_texts(sections: list[tuple[str, Path]], *, keep_errors: bool = False,
                quotes: str = DEFAULT_QUOTES, cache: Path | None = None) -> list[ParsedSection]:
    """Parse several sections with one Pandoc run; each keeps its own notes and messages.
    With `cache`, a folder, Pandoc reads only the sections whose text it has not read before."""
    texts = [text.removeprefix(BOM) for text, _ in sections]
    refused = [_nesting_errors(text, path) for text, (_, path) in zip(texts, sections)]
    if any(refused):
        errors = [e for found in refused for e in found]
        if not keep_errors:
            raise_all(errors)
        return [ParsedSection(path, [], errors=found) for (_, path), found in zip(sections, refused)]
    where = m.Location(sections[0][1]) if sections else m.Location(Path("."))
    trees = cached_pandoc([_CHUNK_FENCE.sub(_mark_chunk, text) for text in texts], where, cache)
    out = []
    for text, (_, path), tree in zip(texts, sections, trees):
        out.append(_read_section(text, path, tree, quotes))
    if not keep_errors:
        raise_all([e for parsed in out for e in parsed.errors])
    return out


def _mark_chunk(match: re.Match[str]) -> str:
    indent, fence, language = match.groups()
    return f"{indent}{fence}{{.{CHUNK_CLASS}{language}}}"


def _nesting_errors(text: str, path: Path) -> list[ReportgenError]:
    """Nesting Pandoc's reader takes exponential time over (brackets: 16 deep took over 20 s),
    or quadratic (20,000 `>`), refused before it runs. Brackets count within a paragraph."""
    masked = mask_code(text)
    locator = SourceLocator.__new__(SourceLocator)
    locator.path, locator.starts = path, [0, *(nl.end() for nl in re.finditer("\n", text))]
    for match in _BLOCK_MARKERS.finditer(masked):
        if len(re.findall(_MARKER, match.group())) > MAX_BLOCK_NESTING:
            return [ReportgenError(f"blocks nested more than {MAX_BLOCK_NESTING} deep", locator.location(match.start()))]
    divs = 0
    for number, line in enumerate(masked.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(":::"):
            divs += 1 if stripped.strip(":").strip() else -1 if divs else 0
            if divs > MAX_BLOCK_NESTING:
                return [ReportgenError(f"fenced divs nested more than {MAX_BLOCK_NESTING} deep", m.Location(path, number, 1))]
    for paragraph in re.finditer(r"(?:[^\n]|\n(?![ \t]*\n))+", masked):
        depth = {"[": 0, "(": 0}
        for bracket in _BRACKET_OR_ESCAPE.finditer(paragraph.group()):
            char = bracket.group()
            if char in depth:
                depth[char] += 1
                limit = MAX_BRACKET_DEPTH if char == "[" else MAX_PAREN_DEPTH
                if depth[char] > limit:
                    return [ReportgenError(f"'{char}' nested more than {limit} deep; Pandoc cannot read that in "
                                           "reasonable time", locator.location(paragraph.start() + bracket.start()))]
            elif char in _OPENER and depth[_OPENER[char]]:
                depth[_OPENER[char]] -= 1
    return []


def _read_section(text: str, path: Path, tree: list[dict], quotes: str) -> ParsedSection:
    locator = SourceLocator(text, path)
    reader = SectionReader(path, locator, quotes, note_source=locator.note_source)
    blocks = reader.blocks(tree)
    errors = citation_errors(locator.masked, path, locator.location) + _unclosed_divs(text, path)
    front = FRONT_MATTER.match(text)
    return ParsedSection(path, blocks, reader.footnotes, reader.footnote_sources, errors, reader.unrendered,
                         front.group("yaml") if front else "")


def cached_pandoc(texts: list[str], where: m.Location, cache: Path | None) -> list[list[dict]]:
    """`run_pandoc`, with each section's blocks kept in `cache` by the digest of its text (and
    of the Pandoc binary): a build after an edit reads only the sections edited."""
    if cache is None:
        return run_pandoc(texts, where)
    salt = f"{_pandoc()}:{CACHE_FORMAT}".encode()
    names = [f"parse-{hashlib.blake2b(text.encode() + salt, digest_size=16).hexdigest()}.json" for text in texts]
    trees: list[list[dict] | None] = []
    for name in names:
        try:
            trees.append(json.loads((cache / name).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            trees.append(None)
    missing = [i for i, tree in enumerate(trees) if tree is None]
    if missing:
        cache.mkdir(parents=True, exist_ok=True)
        for index, tree in zip(missing, run_pandoc([texts[i] for i in missing], where)):
            trees[index] = tree
            write_atomic(cache / names[index], json.dumps(tree))
        for old in set(cache.glob("parse-*.json")) - {cache / name for name in names}:
            old.unlink(missing_ok=True)  # sections edited or gone
    return [tree or [] for tree in trees]


def run_pandoc(texts: list[str], where: m.Location) -> list[list[dict]]:
    """Each text's blocks, as Pandoc's `markdown` reader reads it: the sections in as few
    sandboxed runs as there are cores to use, each run a contiguous share of the text."""
    if not texts:
        return []
    groups = _groups([len(t) for t in texts], _runs(sum(len(t) for t in texts), len(texts)))
    with tempfile.TemporaryDirectory(prefix="reportgen-parse-") as tmp:
        folder = Path(tmp)
        (folder / "reportgen-end.md").write_text(f"::: {{#{_END}}}\n:::\n", encoding="utf-8")
        for index, text in enumerate(texts):
            (folder / f"reportgen-section-{index:04}.md").write_text(text, encoding="utf-8")
        if len(groups) == 1:
            return _read_group(folder, groups[0], where)
        with ThreadPoolExecutor(len(groups)) as pool:  # Pandoc runs as a subprocess: threads suffice
            parts = list(pool.map(lambda group: _read_group(folder, group, where), groups))
    return [tree for part in parts for tree in part]


def _runs(size: int, count: int) -> int:
    """How many Pandoc runs: one for a brief, one per core for a book (each run costs some 70 ms)."""
    return max(1, min(count, size // RUN_BYTES + 1, len(os.sched_getaffinity(0)), MAX_RUNS))


def _groups(sizes: list[int], runs: int) -> list[range]:
    """Contiguous ranges of about equal size."""
    total, bounds, acc = sum(sizes), [0], 0
    for index, size in enumerate(sizes):
        acc += size
        if len(bounds) < runs and acc >= total * len(bounds) / runs and index + 1 < len(sizes):
            bounds.append(index + 1)
    bounds.append(len(sizes))
    return [range(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _read_group(folder: Path, group: range, where: m.Location) -> list[list[dict]]:
    files = [name for i in group for name in (f"reportgen-section-{i:04}.md", "reportgen-end.md")]
    command = [_pandoc(), *PANDOC_RTS, "--sandbox", "--from=markdown", "--to=json",
               "--file-scope", *files]
    try:
        done = subprocess.run(command, cwd=folder, capture_output=True, timeout=PANDOC_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise ReportgenError(f"Pandoc took over {PANDOC_SECONDS} s to read the Markdown", where) from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise ReportgenError(f"Pandoc could not read the Markdown: {message[-1] if message else done.returncode}", where)
    tree = json.loads(_FILE_PREFIX.sub(r"\1", done.stdout.decode()))
    return _split(tree["blocks"], len(group))


def _split(blocks: list[dict], count: int) -> list[list[dict]]:
    out: list[list[dict]] = [[]]
    for block in blocks:
        if block["t"] == "Div" and block["c"][0][0] == _MARKER_ID:
            out.append([])
        else:
            out[-1].append(block)
    return out[:count]


def _pandoc() -> str:
    import pypandoc  # light; only for the bundled binary's path

    return pypandoc.get_pandoc_path()


def _unclosed_divs(text: str, path: Path) -> list[ReportgenError]:
    """A fenced div left open swallows the rest of the file; say so instead."""
    depth, opened_at = 0, []
    for number, line in enumerate(mask_code(text).splitlines(), start=1):
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


# --- positions -------------------------------------------------------------------------

# A block's first word at the start of its line, after any markers: `> `, `- `, `1. `, `(a) `, `#`.
_LINE_START = r"^[^\w\n]*(?:(?:\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+)[.)][^\w\n]*)?"
# What ends a paragraph: a blank line, or a line that starts another block.
_BLOCK_END = re.compile(r"^(?:[ \t]*$|[ \t]*(?:[-*+:][ \t]|\(?(?:\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+)[.)][ \t]"
                        r"|#|>|:::|```|~~~|\|))", re.MULTILINE)
_NOTE_CALL = re.compile(r"\[\^([^\]\s]+)\](?!:)|\^\[")
_WORD = re.compile(r"\w+")
_BRACKET_OR_ESCAPE = re.compile(r"\\.|[\[\]()]", re.DOTALL)
_OPENER = {"]": "[", ")": "("}
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
