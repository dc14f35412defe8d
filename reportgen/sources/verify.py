"""The brief against its sources' texts: every quotation and figure of every cited sentence.

`verify` walks the cited sentences (`sentences.py`), and for each compares its quotations
(`quotations.py`) and figures (`figures.py`) with the texts of the sources it cites
(`source_texts.py`). The result feeds three readers: `reportgen check` (warnings),
`reportgen sources report` (counts per source) and `reportgen sources check --archive`
(what a changed source no longer supports).

Statuses. A quotation is `verified` when one of the cited sources' texts has it,
`not_found` when none does (a warning), `unverifiable` when no cited source has a text,
and `title` when it is the title of a cited source (a title is not a quotation). A figure
is `found`, `not_found` (a warning, only when every cited source has a text: a figure may
come from the one without) or `unverifiable`. A run of twelve or more words shared with a
cited source's text outside quotation marks is a copy (`copied.py`), a warning too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.document import model as m
from reportgen.errors import Diagnostics
from reportgen.sources.copied import Run, copied_runs, shingles
from reportgen.sources.figures import Figure, Stated, figures_in, is_stated, stated
from reportgen.sources.quotations import Closest, closest, is_in
from reportgen.sources.sentences import MARK, XREF, Quotation, Sentence, cited_sentences
from reportgen.sources.textnorm import Normalised, normalise
from reportgen.sources.texts import SOURCES_DIR, SourceText


@dataclass
class QuoteCheck:
    sentence: Sentence
    quotation: Quotation
    status: str  # verified | not_found | unverifiable | title
    checked: list[str]  # the cited keys whose texts were searched
    closest: Closest | None = None
    closest_key: str = ""

    @property
    def location(self) -> m.Location | None:
        offset = self.quotation.start + (self.closest.differs_at if self.closest else -1)
        return self.sentence.paragraph.location(max(offset, 0))


@dataclass
class FigureCheck:
    sentence: Sentence
    figure: Figure
    status: str  # found | not_found | unverifiable
    checked: list[str]

    @property
    def location(self) -> m.Location | None:
        return self.sentence.paragraph.location(self.sentence.start + self.figure.start)


@dataclass
class CopyCheck:
    """A run of words the sentence shares with a source's text, outside quotation marks."""

    sentence: Sentence
    key: str
    run: Run

    @property
    def location(self) -> m.Location | None:
        return self.sentence.paragraph.location(self.sentence.start + self.run.start)

    @property
    def text(self) -> str:
        raw = self.sentence.raw[self.run.start : self.run.end]
        return " ".join(raw.replace(MARK, " ").replace(XREF, " ").split())


@dataclass
class Verification:
    sentences: list[Sentence]
    quotes: list[QuoteCheck] = field(default_factory=list)
    figures: list[FigureCheck] = field(default_factory=list)
    copies: list[CopyCheck] = field(default_factory=list)
    texts: dict[str, SourceText] = field(default_factory=dict)


class _Source:
    """A source's text prepared once: normalised for quotations, what it states for figures,
    its word runs for copies."""

    def __init__(self, text: SourceText, item: dict[str, Any]) -> None:
        self.text = text
        self.norm: Normalised = normalise(text.text)
        # What the bibliography says of a source (its title, its date) is not the brief's
        # claim to check against the text: "In its January 2024 piece" cites the metadata.
        self.stated: Stated = stated(f"{text.text}\n{_metadata(item)}")
        self.shingles = shingles(text.text)


def verify(doc: m.Document, root: Path, texts: dict[str, SourceText], items: dict[str, dict[str, Any]]) -> Verification:
    result = Verification(cited_sentences(doc, root), texts=texts)
    sources = {key: _Source(text, items.get(key, {})) for key, text in texts.items()}
    for sentence in result.sentences:
        result.quotes.extend(_check_quotes(sentence, sources, items))
        result.figures.extend(_check_figures(sentence, sources))
        result.copies.extend(_check_copies(sentence, sources))
    return result


def _check_copies(sentence: Sentence, sources: dict[str, _Source]) -> list[CopyCheck]:
    text = _without_quotations(sentence)
    out: list[CopyCheck] = []
    for key in sentence.keys:
        if key in sources:
            out.extend(CopyCheck(sentence, key, run) for run in copied_runs(text, sources[key].shingles))
    return out


def _check_quotes(sentence: Sentence, sources: dict[str, _Source], items: dict[str, dict[str, Any]]) -> list[QuoteCheck]:
    out = []
    held = [key for key in sentence.keys if key in sources]
    for quotation in sentence.quotations:
        if _is_title(quotation.text, sentence.keys, items):
            out.append(QuoteCheck(sentence, quotation, "title", []))
        elif not held:
            out.append(QuoteCheck(sentence, quotation, "unverifiable", []))
        elif any(is_in(quotation.text, sources[key].norm) for key in held):
            out.append(QuoteCheck(sentence, quotation, "verified", held))
        else:
            near = [(closest(quotation.text, sources[key].norm), key) for key in held]
            best, key = max(near, key=lambda pair: pair[0].score if pair[0] else -1)
            out.append(QuoteCheck(sentence, quotation, "not_found", held, best, key))
    return out


def _is_title(quoted: str, keys: list[str], items: dict[str, dict[str, Any]]) -> bool:
    text = normalise(quoted).text.lower().rstrip(".,;:")
    return bool(text) and any(text == normalise(str(items.get(key, {}).get("title") or "")).text.lower()
                              for key in keys)


def _check_figures(sentence: Sentence, sources: dict[str, _Source]) -> list[FigureCheck]:
    held = [key for key in sentence.keys if key in sources]
    raw = _without_quotations(sentence)
    out = []
    for figure in figures_in(raw):
        if not held:
            status = "unverifiable"
        elif any(is_stated(figure, sources[key].stated) for key in held):
            status = "found"
        else:
            status = "not_found" if len(held) == len(sentence.keys) else "unverifiable"
        out.append(FigureCheck(sentence, figure, status, held))
    return out


def _without_quotations(sentence: Sentence) -> str:
    """The sentence's text with its quotations blanked out (offsets kept), and citations too."""
    chars = list(sentence.raw.replace(MARK, " ").replace(XREF, " "))
    for quotation in sentence.quotations:
        start = quotation.start - sentence.start
        for i in range(max(start, 0), min(start + len(quotation.text), len(chars))):
            chars[i] = " "
    return "".join(chars)


def _metadata(item: dict[str, Any]) -> str:
    parts = [str(item.get("title") or "")]
    for name in ("issued", "accessed"):
        value = item.get(name)
        if isinstance(value, dict):
            for date in value.get("date-parts") or []:
                if isinstance(date, list) and date:
                    parts.append("-".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(date[:3])))
                    parts.append(str(date[0]))
        elif value:
            parts.append(str(value))
    return "\n".join(parts)


# --- warnings ----------------------------------------------------------------------------


def warn(result: Verification, found: Diagnostics, *, quotations: bool, figures: bool, has_folder: bool,
         copied_text: bool = True) -> None:
    """The warnings `reportgen check` gives for a verification."""
    if copied_text:
        for copy in result.copies:
            found.warn(f"{copy.run.words} words in a row are {copy.key}'s own ({result.texts[copy.key].path}), "
                       f"without quotation marks: “{_short(copy.text, 160)}”", copy.location, "copied_text")
    if quotations:
        for check in result.quotes:
            if check.status == "not_found":
                found.warn(_quote_message(check, result.texts), check.location, "quotations")
        if has_folder:
            _unverifiable_sources(result, found)
    if figures:
        for fig in result.figures:
            if fig.status == "not_found":
                names = ", ".join(f"{key} ({result.texts[key].path})" for key in fig.checked)
                found.warn(f"figure '{fig.figure.text}' appears nowhere in the text of {names}", fig.location, "figures")


def _quote_message(check: QuoteCheck, texts: dict[str, SourceText]) -> str:
    names = " or ".join(f"{key} ({texts[key].path})" for key in check.checked)
    message = f"quotation “{_short(check.quotation.text)}” is not in the text of {names}"
    missing = [key for key in check.sentence.keys if key not in texts]
    if missing:
        message += f"; {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no text"
    if check.closest and check.closest.score >= 50:
        message += f"; closest passage: “{_short(check.closest.passage, 160)}”"
    return message


def _unverifiable_sources(result: Verification, found: Diagnostics) -> None:
    """Quoted sources with no text, in one warning: the per-source detail is in the report."""
    counts: dict[str, int] = {}
    for check in result.quotes:
        if check.status in ("unverifiable", "not_found"):
            for key in check.sentence.keys:
                if key not in result.texts:
                    counts[key] = counts.get(key, 0) + 1
    if not counts:
        return
    listed = ", ".join(f"{key} ({n})" for key, n in counts.items())
    total = sum(1 for c in result.quotes if c.status == "unverifiable")
    found.warn(f"{len(counts)} quoted source{'s have' if len(counts) > 1 else ' has'} no text in sources/, "
               f"so {total} quotation{'s' if total != 1 else ''} cannot be checked: {listed} "
               "(add sources/KEY.txt or run `reportgen sources archive`; `reportgen sources report` lists them)",
               m.Location(Path(SOURCES_DIR)), "quotations")


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- per source --------------------------------------------------------------------------


def per_source(result: Verification, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Counts for each source: citing sentences, quotations and figures by status."""
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        sentences = [s for s in result.sentences if key in s.keys]
        quotes = [q for q in result.quotes if key in q.sentence.keys and q.status != "title"]
        figs = [f for f in result.figures if key in f.sentence.keys]
        checks: list[QuoteCheck | FigureCheck] = [*quotes, *figs]
        text = result.texts.get(key)
        out[key] = {
            "text": str(text.path) if text else None,
            "archived_at": text.archived_at if text and text.archived_at else None,
            "sentences": [str(s.location) for s in sentences],
            "quotations": _counts(quotes, key, ("verified", "not_found", "unverifiable")),
            "figures": _counts(figs, key, ("found", "not_found", "unverifiable")),
            "not_found": [
                {"location": str(c.location), "kind": "quotation" if isinstance(c, QuoteCheck) else "figure",
                 "text": c.quotation.text if isinstance(c, QuoteCheck) else c.figure.text}
                for c in checks if c.status == "not_found" and key in c.checked
            ],
            "copied": [{"location": str(c.location), "words": c.run.words, "text": c.text}
                       for c in result.copies if c.key == key],
        }
    return out


def _counts(checks: Sequence[QuoteCheck | FigureCheck], key: str, statuses: tuple[str, ...]) -> dict[str, int]:
    """Per status; a check that searched other sources but not this one is unverifiable here."""
    counts = dict.fromkeys(statuses, 0)
    for check in checks:
        status = check.status
        if status in ("verified", "found", "not_found") and key not in check.checked:
            status = "unverifiable"
        counts[status] += 1
    return counts
