"""Parse stage: Markdown sections -> document model blocks, read by Pandoc.

Pandoc's own `markdown` reader (the pinned `pypandoc-binary`) reads every section in one
sandboxed run, each file on its own (`--file-scope`: footnote labels stay per file), into
its JSON AST; `pandoc_ast.SectionReader` turns that into the model. Pandoc's Markdown reader
keeps no source positions, so `SourceLocator` finds each citation, cross-reference, note,
image, heading and paragraph in the text, in reading order, for `path:line:col` messages.
What Pandoc reads silently but a writer did not mean (a malformed `[see @a; p. 4]`, an unclosed
`[@a`, an unclosed `:::`) is checked on the source text (`citation_syntax`).

`read` is the stage: a loaded `Project` -> a `Document` whose inlines still hold `Cite`,
`CrossRef` and `FootnoteRef`, the project's charts and images placed (`figures.py`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.atomic import write_atomic
from reportgen.document import figures
from reportgen.document import model as m
from reportgen.document.citation_syntax import citation_errors, mask_code
from reportgen.document.pandoc_ast import CHUNK_CLASS, Node, SectionReader, Unrendered
from reportgen.document.resolve import check_unique_ids, unique_heading_ids
from reportgen.document.source_positions import SourceLocator
from reportgen.errors import Diagnostics, ReportgenError, raise_all
from reportgen.pipeline.manifest import STATE_DIR
from reportgen.project.load import brief_date, timestamp
from reportgen.project.metadata import without_front_matter
from reportgen.project.terms import labels_for, long_date
from reportgen.project.yamlfile import MAX_MARKDOWN_BYTES, read_text

if TYPE_CHECKING:
    from reportgen.project.config import Config
    from reportgen.project.load import Project


# Primary and secondary quotation marks. British usage puts single quotes outside, as the
# CSL locale does for titles in the notes, so prose and notes agree.
QUOTES = {"en-GB": "‘’“”"}
DEFAULT_QUOTES = "“”‘’"
BOM = "\ufeff"
PANDOC_SECONDS = 60  # per run, whatever the size: Pandoc reads 2 MiB in about a second
# The Haskell runtime's options: a heap cap.
PANDOC_RTS = ["+RTS", "-M1g", "-RTS"]
_END = "reportgen-section-end"
_DECODER = json.JSONDecoder()
CACHE_FORMAT = 1  # raise when what is cached of Pandoc's output changes shape
RUN_BYTES = 256 * 1024  # text per Pandoc run before another core is worth its start-up
MAX_RUNS = 4
MAX_BRACKET_DEPTH = 6
MAX_PAREN_DEPTH = 32
MAX_BLOCK_NESTING = 64
_BRACKET_OR_ESCAPE = re.compile(r"\\.|[\[\]()]", re.DOTALL)
_OPENER = {"]": "[", ")": "("}
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


def read(project: Project, found: Diagnostics) -> m.Document:
    """The read stage: every section read by Pandoc into one document, the charts and images
    placed. Errors and warnings are collected in `found`; a section with errors keeps what
    was read, so the charts and labels it places are not also reported missing."""
    config = project.config
    doc = m.Document(meta=_meta(config), blocks=[])
    for parsed in _parse_sections(project, found):
        doc.blocks.extend(parsed.blocks)
        doc.footnote_defs.update(parsed.footnotes)
        doc.footnote_sources.update(parsed.footnote_sources)
        for error in parsed.errors:
            found.add_error(error)
        for item in parsed.unrendered:
            found.warn(item.message, item.location, "unrendered")
    with found.collecting():
        check_unique_ids(doc, _section_lines(project))
    unique_heading_ids(doc)
    with found.collecting():
        figures.place_charts(project, doc)
    with found.collecting():
        figures.attach_chart_sources(project, doc)
    if config.data_appendix:
        with found.collecting():
            doc.blocks.extend(figures.data_appendix(project, doc))
    with found.collecting():
        figures.check_images(project, doc)
    return doc


def _parse_sections(project: Project, found: Diagnostics) -> list[ParsedSection]:
    """Every readable section, read by one Pandoc run."""
    texts: list[tuple[str, Path]] = []
    for index, section in enumerate(project.config.sections):
        with found.collecting():
            path = project.path(section, ("sections", index))
            texts.append((read_text(path, section, limit=MAX_MARKDOWN_BYTES), section))
    with found.collecting():
        return parse_texts(texts, keep_errors=True, quotes=quotes_for(project.config.language),
                           cache=project.root / STATE_DIR / "cache")
    return []


def _section_lines(project: Project) -> dict[Path, list[str]]:
    """Each readable section's lines, by the path messages name it by."""
    lines = {}
    for index, section in enumerate(project.config.sections):
        try:
            lines[section] = read_text(project.path(section, ("sections", index)), section,
                                       limit=MAX_MARKDOWN_BYTES).splitlines()
        except ReportgenError:
            continue  # reported where the section is parsed
    return lines


def _meta(config: Config) -> m.Meta:
    """What the backends print about the brief, from its config."""
    date = brief_date(config)
    return m.Meta(
        title=config.title,
        subtitle=config.subtitle,
        short_title=config.running_title,
        authors=[m.Author(a.name, a.affiliation) for a in config.authors],
        organisation=config.organisation,
        date=date.isoformat(),
        date_text=long_date(date, config.language),
        timestamp=timestamp(date),
        language=config.language,
        keywords=list(config.keywords),
        abstract=config.abstract,
        labels=labels_for(config.language, config.labels),
        number_sections=config.number_sections,
    )


@dataclass
class ParsedSection:
    path: Path
    blocks: list[m.Block]
    footnotes: dict[str, list[m.Inline]] = field(default_factory=dict)
    footnote_sources: dict[str, str] = field(default_factory=dict)
    errors: list[ReportgenError] = field(default_factory=list)  # returned, not raised, with `keep_errors`
    unrendered: list[Unrendered] = field(default_factory=list)  # warnings: read, but not rendered as written


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
    # Front matter is the metadata stage's (metadata.py): blanked line for line, so what Pandoc
    # reads is the content alone and every line keeps its number.
    texts = [without_front_matter(text.removeprefix(BOM)) for text, _ in sections]
    locators = [SourceLocator(text, path) for text, (_, path) in zip(texts, sections)]
    refused = [_nesting_errors(locator) for locator in locators]
    if any(refused):
        errors = [e for found in refused for e in found]
        if not keep_errors:
            raise_all(errors)
        return [ParsedSection(path, [], errors=found) for (_, path), found in zip(sections, refused)]
    where = m.Location(sections[0][1]) if sections else m.Location(Path("."))
    trees = cached_pandoc([_CHUNK_FENCE.sub(_mark_chunk, text) for text in texts], where, cache)
    out = []
    for locator, tree in zip(locators, trees):
        out.append(_read_section(locator, tree, quotes))
    if not keep_errors:
        raise_all([e for parsed in out for e in parsed.errors])
    return out


def _mark_chunk(match: re.Match[str]) -> str:
    indent, fence, language = match.groups()
    return f"{indent}{fence}{{.{CHUNK_CLASS}{language}}}"


def _nesting_errors(locator: SourceLocator) -> list[ReportgenError]:
    """Nesting Pandoc's reader takes exponential time over (brackets: 16 deep took over 20 s),
    or quadratic (20,000 `>`), refused before it runs. Brackets count within a paragraph."""
    masked, path = locator.masked, locator.path
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


def _read_section(locator: SourceLocator, tree: list[Node], quotes: str) -> ParsedSection:
    text, path = locator.text, locator.path
    reader = SectionReader(path, locator, quotes, note_source=locator.note_source)
    blocks = reader.blocks(tree)
    errors = citation_errors(locator.masked, path, locator.location) + _unclosed_divs(text, path)
    return ParsedSection(path, blocks, reader.footnotes, reader.footnote_sources, errors, reader.unrendered)


def cached_pandoc(texts: list[str], where: m.Location, cache: Path | None) -> Iterator[list[Node]]:
    """`run_pandoc`, with each section's blocks kept in `cache` by the digest of its text (and
    of the Pandoc binary): a build after an edit reads only the sections edited. Each section's
    tree is decoded when it is reached, as `run_pandoc`'s are."""
    if cache is None:
        yield from run_pandoc(texts, where)
        return
    salt = f"{_pandoc()}:{CACHE_FORMAT}".encode()
    names = [f"parse-{hashlib.blake2b(text.encode() + salt, digest_size=16).hexdigest()}.json" for text in texts]
    stored: list[str | None] = []  # JSON text: a few bytes a word, where the decoded tree is hundreds
    for name in names:
        try:
            stored.append((cache / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):  # none, or not even text: read again
            stored.append(None)
    missing = [i for i, text in enumerate(stored) if text is None]
    fresh: Iterator[list[Node]] = iter(())
    if missing:
        cache.mkdir(parents=True, exist_ok=True)
        fresh = run_pandoc([texts[i] for i in missing], where)
        for old in set(cache.glob("parse-*.json")) - {cache / name for name in names}:
            old.unlink(missing_ok=True)  # sections edited or gone
    for index, (name, text) in enumerate(zip(names, stored)):
        tree = None
        if text is not None:
            try:
                tree = json.loads(text)
            except ValueError:  # a damaged entry: read that section again
                tree = next(run_pandoc([texts[index]], where))
                write_atomic(cache / name, json.dumps(tree))
        else:
            tree = next(fresh)
            write_atomic(cache / name, json.dumps(tree))
        stored[index] = None  # the text goes as its tree is read
        yield tree or []


def run_pandoc(texts: list[str], where: m.Location) -> Iterator[list[Node]]:
    """Each text's blocks, as Pandoc's `markdown` reader reads it: the sections in as few
    sandboxed runs as there are cores to use, each run a contiguous share of the text.

    Pandoc's output is kept as text and decoded one section at a time, as the caller reaches
    it: decoded at once, the whole tree of a 400-page brief took some 100 MiB, which the
    process kept (freed, but fragmented among the model's objects) and passed on to every
    process it forked afterwards."""
    if not texts:
        return iter(())
    groups = _groups([len(t) for t in texts], _runs(sum(len(t) for t in texts), len(texts)))
    with tempfile.TemporaryDirectory(prefix="reportgen-parse-") as tmp:
        folder = Path(tmp)
        (folder / "reportgen-end.md").write_text(f"::: {{#{_END}}}\n:::\n", encoding="utf-8")
        for index, text in enumerate(texts):
            (folder / f"reportgen-section-{index:04}.md").write_text(text, encoding="utf-8")
        if len(groups) == 1:
            outputs = [_read_group(folder, groups[0], where)]
        else:
            with ThreadPoolExecutor(len(groups)) as pool:  # Pandoc runs as a subprocess: threads suffice
                outputs = list(pool.map(lambda group: _read_group(folder, group, where), groups))
    return _sections(outputs, groups)


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


def _sections(outputs: list[str], groups: list[range]) -> Iterator[list[Node]]:
    """Each section's blocks, run after run."""
    for position, group in enumerate(groups):
        output, outputs[position] = outputs[position], ""  # each run's text goes once it is read
        yield from _split(_blocks(output), len(group))


def _read_group(folder: Path, group: range, where: m.Location) -> str:
    """One Pandoc run over the sections of `group`, each followed by an end marker: its JSON."""
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
    return _FILE_PREFIX.sub(r"\1", done.stdout.decode())


def _blocks(document: str) -> Iterator[Node]:
    """The top-level blocks of Pandoc's JSON `document`, decoded one at a time."""
    position = _expect(document, 0, "{")
    while True:
        key, position = _DECODER.raw_decode(document, _after_space(document, position))
        position = _expect(document, position, ":")
        if key == "blocks":
            break
        _, position = _DECODER.raw_decode(document, _after_space(document, position))
        position = _expect(document, position, ",")
    position = _expect(document, position, "[")
    if document[_after_space(document, position)] == "]":
        return
    while True:
        block, position = _DECODER.raw_decode(document, _after_space(document, position))
        yield block
        position = _after_space(document, position)
        if document[position] == "]":
            return
        position = _expect(document, position, ",")


def _expect(text: str, position: int, char: str) -> int:
    """The position after `char`, the next character after any white space."""
    position = _after_space(text, position)
    if text[position : position + 1] != char:
        raise ValueError(f"Pandoc's JSON: expected {char!r} at {position}")
    return position + 1


def _after_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\n\r":  # Pandoc writes none: one test
        position += 1
    return position


def _split(blocks: Iterable[Node], count: int) -> Iterator[list[Node]]:
    """The blocks between end markers: one list per section, yielded once it is complete."""
    section: list[Node] = []
    for block in blocks:
        if block["t"] == "Div" and block["c"][0][0] == _MARKER_ID:
            yield section
            section = []
            count -= 1
            if not count:
                return
        else:
            section.append(block)
    if count:
        yield section


def _pandoc() -> str:
    import pypandoc  # light; only for the bundled binary's path

    path: str = pypandoc.get_pandoc_path()
    return path


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
