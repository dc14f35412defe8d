"""Reading a built PDF the way a reader would: text, note calls and note markers per page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader

_MARKER = re.compile(r"^(\d+)\. $")


@dataclass
class PageNotes:
    calls: list[int] = field(default_factory=list)  # superscript numbers in the text
    markers: list[int] = field(default_factory=list)  # "N. " at the start of each footnote


def notes_per_page(pdf: Path) -> list[PageNotes]:
    """Note calls and footnote markers on each page, told apart by the house style:
    both are Source Sans Semibold; calls are set small (65 %), markers at note size."""
    pages = []
    for page in PdfReader(pdf).pages:
        found = PageNotes()

        def visit(text: str, cm: list, tm: list, font: dict | None, size: float, found: PageNotes = found) -> None:
            name = str(font.get("/BaseFont", "")) if font else ""
            if "Semi-Bold" not in name:
                return
            calls = text.strip().split(",")  # two calls at one spot read "28,29"
            if size < 8 and all(c.isdigit() for c in calls):
                found.calls.extend(int(c) for c in calls)
            elif match := _MARKER.match(text):
                found.markers.append(int(match.group(1)))

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def flat(text: str) -> str:
    """Whitespace collapsed; the font's U+2010 hyphen read back as '-'."""
    return re.sub(r"\s+", " ", text).replace("\u2010", "-")
