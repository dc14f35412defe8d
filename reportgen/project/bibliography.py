"""Load the bibliography: CSL-JSON, CSL-YAML, BibTeX and BibLaTeX files, and `references:` lists.

Several files may be given at once; a key found in two of them is an error naming both
places. BibTeX and BibLaTeX are read by the pinned Pandoc (`pandoc -f biblatex -t csljson`,
sandboxed), the same reader `pandoc --citeproc` uses, so the entries mean here what they
mean there; a file Pandoc cannot read is reported at the entry where it stopped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.document.model import Location
from reportgen.errors import ReportgenError, raise_all
from reportgen.pandoc_process import PandocError, run_pandoc
from reportgen.project.csl_dates import date_problems
from reportgen.project.yamlfile import YamlFile, read_text

BIBTEX_SUFFIXES = {".bib": "biblatex", ".bibtex": "bibtex"}  # as Pandoc's --bibliography reads them
# `@article{key,` at the start of a line; @string, @preamble and @comment define no entry.
_BIB_ENTRY = re.compile(r"^[ \t]*@[ \t]*(?P<type>\w+)[ \t]*[{(][ \t]*(?P<key>[^,\s]*)", re.M)
_NOT_ENTRIES = {"string", "preamble", "comment"}
# A whole Zotero library exported runs to a few MiB; Pandoc reads some 0.3-0.7 MiB of
# BibLaTeX a second (24,000 entries, 5 MiB: 8 s of CPU), so 4 MiB stays inside its timeout.
MAX_BIBTEX_BYTES = 4 * 2**20
_PANDOC_POSITION = re.compile(r"line (\d+), column (\d+)")


@dataclass
class BibSource:
    """One bibliography as the citation processor is given it."""

    # The user's file when Pandoc reads it as it is (CSL-JSON, CSL-YAML under `references:`,
    # .bib): Pandoc reads Markdown inside CSL-YAML fields and BibTeX markup, not in CSL-JSON.
    path: Path | None
    items: list[dict[str, Any]]
    # For items with no such file: True writes them as CSL-YAML (front matter `references:`,
    # whose fields Pandoc reads as Markdown), False as CSL-JSON (a bare YAML list).
    markdown: bool = False


@dataclass
class Bibliography:
    path: Path  # the first file, as the user wrote it (or the file whose `references:` these are)
    items: dict[str, dict[str, Any]]
    locations: dict[str, Location]
    sources: list[BibSource] = field(default_factory=list)

    def __contains__(self, key: str) -> bool:
        return key in self.items


def load_bibliography(path: Path, display: Path | None = None) -> Bibliography:
    """One file: CSL-JSON, CSL-YAML, or BibTeX/BibLaTeX by its suffix."""
    return load_bibliographies([(path, display or path)])


def load_bibliographies(files: list[tuple[Path, Path]], references: Sequence[tuple[YamlFile, tuple[Any, ...]]] = (),
                        ) -> Bibliography:
    """Every (path, display) file, then each `references:` list (a YAML file and the key path to
    the list in it), merged; a key defined twice is an error naming both places."""
    bib = Bibliography(files[0][1] if files else (references[0][0].path if references else Path(".")), {}, {})
    errors: list[ReportgenError] = []
    parts: list[tuple[BibSource, list[tuple[str, dict[str, Any], Location]]]] = []
    for path, display in files:
        try:
            parts.append(_load_file(path, display))
        except ReportgenError as exc:
            errors.append(exc)
    for yaml_file, keys in references:
        try:
            parts.append(_load_references(yaml_file, keys))
        except ReportgenError as exc:
            errors.append(exc)
    for source, entries in parts:
        bib.sources.append(source)
        for key, item, where in entries:
            if key in bib.items:
                first = bib.locations[key]
                place = f"line {first.line}" if first.path == where.path else str(first)
                errors.append(ReportgenError(f"duplicate bibliography key '{key}' (first at {place})", where))
                continue
            bib.items[key] = item
            bib.locations[key] = where
    raise_all(errors)
    return bib


def _load_file(path: Path, display: Path) -> tuple[BibSource, list[tuple[str, dict[str, Any], Location]]]:
    if path.suffix.lower() in BIBTEX_SUFFIXES:
        return _load_bibtex(path, display)
    # CSL-JSON is valid YAML, so one loader with line tracking serves both formats.
    source = YamlFile.read(path, display)
    data = source.data
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict) and "references" in data:
        data, prefix = data["references"], ("references",)
    if not isinstance(data, list):
        raise ReportgenError("expected a list of CSL items (or a 'references:' list)", source.location())
    entries = _csl_entries(source, data, prefix)
    readable = bool(prefix) or path.suffix.lower() == ".json"
    items = [item for _, item, _ in entries]
    return BibSource(path.resolve() if readable else None, items), entries


def _load_references(source: YamlFile, keys: tuple[Any, ...]) -> tuple[BibSource, list[tuple[str, dict[str, Any], Location]]]:
    data = source.data
    for key in keys:
        data = data[key]
    if not isinstance(data, list):
        raise ReportgenError("'references' must be a list of CSL items", source.location(keys))
    entries = _csl_entries(source, data, keys)
    return BibSource(None, [item for _, item, _ in entries], markdown=True), entries


def _csl_entries(source: YamlFile, data: list[Any], prefix: tuple[Any, ...]) -> list[tuple[str, dict[str, Any], Location]]:
    """(key, item, where) for each CSL item; an item without an `id` is an error."""
    entries = []
    errors: list[ReportgenError] = []
    for index, item in enumerate(data):
        where = source.location((*prefix, index))
        if not isinstance(item, dict) or not isinstance(item.get("id"), (str, int)):
            errors.append(ReportgenError("bibliography entry without an 'id'", where))
            continue
        key = str(item["id"])
        for name, problem in date_problems(item):
            errors.append(ReportgenError(f"source '{key}': {problem}", source.location((*prefix, index, name, "date-parts"))))
        entries.append((key, item, where))
    raise_all(errors)
    return entries


def _load_bibtex(path: Path, display: Path) -> tuple[BibSource, list[tuple[str, dict[str, Any], Location]]]:
    """A .bib file through Pandoc's BibLaTeX reader (.bibtex: its BibTeX reader), as CSL items."""
    text = read_text(path, display, limit=MAX_BIBTEX_BYTES, kind="a BibTeX or BibLaTeX file")
    starts = _entry_starts(text)
    reader = BIBTEX_SUFFIXES[path.suffix.lower()]
    try:
        output = run_pandoc([f"--from={reader}", "--to=csljson"], text.encode(), Location(display),
                            f"reading {reader} with Pandoc")
    except PandocError as exc:
        raise _bibtex_error(exc, starts, display) from None
    lines = {key: line for line, key in starts}
    entries = []
    for item in json.loads(output):
        key = str(item.get("id", ""))
        entries.append((key, item, Location(display, lines.get(key, 0), 1 if key in lines else 0)))
    return BibSource(path.resolve(), [item for _, item, _ in entries]), entries


def _entry_starts(text: str) -> list[tuple[int, str]]:
    """(line, key) of every entry, in file order."""
    starts = []
    line, counted = 1, 0
    for match in _BIB_ENTRY.finditer(text):
        line += text.count("\n", counted, match.start())  # from the previous entry on: linear in the file
        counted = match.start()
        if match["type"].lower() not in _NOT_ENTRIES:
            starts.append((line, match["key"]))
    return starts


def _bibtex_error(exc: PandocError, starts: list[tuple[int, str]], display: Path) -> ReportgenError:
    """Pandoc names where it stopped; the broken entry is the last one that starts before that."""
    position = _PANDOC_POSITION.search(exc.stderr)
    if position is None:
        return exc
    line, col = int(position[1]), int(position[2])
    # Pandoc's message: `Error at "stdin" (line L, column C):`, the reason, then the source line.
    reason = "; ".join(exc.stderr[position.end():].strip(" ):\n").splitlines()[:1]) or "unreadable"
    stopped = f"Pandoc's reader stopped at line {line}, column {col}: {reason}"
    before = [(start, key) for start, key in starts if start < line or (start == line and col > 1)]
    if not before:
        return ReportgenError(stopped, Location(display, line, col))
    start, key = before[-1]
    return ReportgenError(f"entry '{key}' does not parse ({stopped})", Location(display, start, 1))
