"""What the sources' texts support, per source: `reportgen sources report`, and what a changed
source no longer supports: `reportgen sources check --archive`.

Both run the same verification as `reportgen check` (`verify.py`) on the parsed brief and
the texts in `sources/`; nothing is rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reportgen.check import check_references
from reportgen.document.reader import read
from reportgen.document.resolve import resolve
from reportgen.errors import Diagnostics
from reportgen.project.load import Project, load
from reportgen.sources.archive import ArchiveReport, archive_sources
from reportgen.sources.texts import load_texts
from reportgen.sources.verify import FigureCheck, QuoteCheck, Verification, per_source, verify


def verification(root: Path) -> tuple[Project, Verification]:
    """The brief parsed and verified against its source texts; user errors raise."""
    found = Diagnostics()
    project = load(root, found)
    found.raise_errors()
    assert project is not None
    doc = resolve(read(project, found), found)
    check_references(project, doc, found)
    bib = project.bib
    texts = load_texts(root, sorted(bib.items), found)
    found.raise_errors()
    return project, verify(doc, root, texts, bib.items)


# --- the report --------------------------------------------------------------------------


def sources_report(root: Path) -> dict[str, Any]:
    """Per source: its text, when archived, the sentences citing it, quotations and figures."""
    project, result = verification(root)
    bib = project.bib
    rows = per_source(result, sorted(bib.items))
    for key, row in rows.items():
        url = bib.items[key].get("URL")
        rows[key] = {"key": key, "url": url if isinstance(url, str) else None, **row}
    totals = {
        "sources": len(rows),
        "with_text": sum(1 for row in rows.values() if row["text"]),
        "sentences": len(result.sentences),
        "quotations": _tally(result.quotes, ("verified", "not_found", "unverifiable")),
        "figures": _tally(result.figures, ("found", "not_found", "unverifiable")),
    }
    return {"sources": list(rows.values()), "totals": totals}


def _tally(checks: Sequence[QuoteCheck | FigureCheck], statuses: tuple[str, ...]) -> dict[str, int]:
    counts = dict.fromkeys(statuses, 0)
    for check in checks:
        if check.status in counts:
            counts[check.status] += 1
    return counts


def report_lines(data: dict[str, Any]) -> list[str]:
    rows = data["sources"]
    if not rows:
        return ["no sources in the bibliography"]
    key_width = max(len(row["key"]) for row in rows)
    out = [f"{'source':<{key_width}}  {'sentences':>9}  {'quotations ok/not found/unverifiable':>36}  "
           f"{'figures found/not found/unverifiable':>36}  archived    text"]
    for row in rows:
        q, f = row["quotations"], row["figures"]
        quotes = f"{q['verified']}/{q['not_found']}/{q['unverifiable']}"
        figures = f"{f['found']}/{f['not_found']}/{f['unverifiable']}"
        archived = (row["archived_at"] or "-")[:10]
        out.append(f"{row['key']:<{key_width}}  {len(row['sentences']):>9}  {quotes:>36}  {figures:>36}  "
                   f"{archived:<10}  {row['text'] or 'no text'}")
        out.extend(f"{'':<{key_width}}  not found: {item['location']} {item['kind']} “{item['text']}”"
                   for item in row["not_found"])
        out.extend(f"{'':<{key_width}}  copied: {item['location']} {item['words']} words “{item['text']}”"
                   for item in row["copied"])
    t = data["totals"]
    q, f = t["quotations"], t["figures"]
    out.append(f"{t['sources']} sources, {t['with_text']} with a text; {t['sentences']} cited sentences; quotations: "
               f"{q['verified']} verified, {q['not_found']} not found, {q['unverifiable']} unverifiable; figures: "
               f"{f['found']} found, {f['not_found']} not found, {f['unverifiable']} unverifiable")
    return out


# --- changed sources ---------------------------------------------------------------------


@dataclass
class Lost:
    """A quotation or figure that the source's previous text supported and its new one does not."""

    key: str
    location: str  # the sentence, path:line:col
    kind: str  # quotation | figure
    text: str

    def line(self) -> str:
        mark = f"“{self.text}”" if self.kind == "quotation" else f"'{self.text}'"
        return f"{self.location}: {self.kind} {mark} no longer in the text of {self.key}"


@dataclass
class Rechecked:
    archive: ArchiveReport
    lost: list[Lost] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"re-archived: {line}" for line in self.archive.lines()]
        if self.archive.no_network:
            return out
        out.extend(lost.line() for lost in self.lost)
        n = len({lost.location for lost in self.lost})
        out.append(f"{n} sentence{'s' if n != 1 else ''} no longer match{'es' if n == 1 else ''} "
                   "the changed sources' new texts" if n else "every quotation and figure still matches the new texts")
        return out

    def to_json(self) -> dict[str, Any]:
        return {"archived": [r.__dict__ for r in self.archive.results], "no_network": self.archive.no_network,
                "no_longer_matching": [lost.__dict__ for lost in self.lost]}


def recheck_changed(root: Path, keys: list[str], *, timeout: float = 10.0, now: datetime | None = None) -> Rechecked:
    """Re-archive the changed sources `keys`, verify again, and list what the new texts lost."""
    project, before = verification(root)
    archive = archive_sources(root, project.bib, keys=keys, timeout=timeout, now=now)
    if archive.no_network:
        return Rechecked(archive)
    _, after = verification(root)
    return Rechecked(archive, lost(before, after, keys))


def lost(before: Verification, after: Verification, keys: list[str]) -> list[Lost]:
    """Checks that fail now and did not before, in sentences citing one of `keys`."""
    checked_before: list[QuoteCheck | FigureCheck] = [*before.quotes, *before.figures]
    checked_after: list[QuoteCheck | FigureCheck] = [*after.quotes, *after.figures]
    earlier = {_identity(check): check.status for check in checked_before}
    out: list[Lost] = []
    for check in checked_after:
        if check.status != "not_found" or earlier.get(_identity(check)) == "not_found":
            continue
        for key in keys:
            if key in check.sentence.keys:
                kind, text = _kind_text(check)
                out.append(Lost(key, str(check.sentence.location), kind, text))
    return out


def _identity(check: QuoteCheck | FigureCheck) -> tuple[str, str, int, int, str]:
    kind, text = _kind_text(check)
    return kind, str(check.sentence.paragraph.path), check.sentence.paragraph.line, check.sentence.start, text


def _kind_text(check: QuoteCheck | FigureCheck) -> tuple[str, str]:
    if isinstance(check, QuoteCheck):
        return "quotation", check.quotation.text
    return "figure", check.figure.text
