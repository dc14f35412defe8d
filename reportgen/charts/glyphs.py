"""Which characters of a chart's text no font it draws with has: the house sans, then the
fallback fonts that ship with matplotlib. Checked when the project is checked, so a missing
glyph is a warning naming the character and where it is written, not a box in the figure
and a raw matplotlib message in the build log."""

from __future__ import annotations

import unicodedata
from collections.abc import Container, Iterable
from functools import cache
from pathlib import Path

from reportgen.fonts import SANS_DIR, fallback_fonts

HOUSE = SANS_DIR / "SourceSansPro-Regular.ttf"

# Below this, every character is in DejaVu Sans (Latin, Latin-1, Latin Extended-A and -B):
# most text needs no font file read at all.
ALWAYS_COVERED = 0x250


@cache
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # WeasyPrint's dependency

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def _covered() -> frozenset[int]:
    return _cmap(HOUSE).union(*(_cmap(path) for path in fallback_fonts()))


def needs_fallback(texts: Iterable[str], house: Container[int]) -> bool:
    """Whether any character of `texts` is missing from the house font (whose character map
    is `house`). Text laid out with a fallback font list costs matplotlib about five times as
    much, so charts use the list only when they need it."""
    return any(ord(ch) >= 0x80 and ord(ch) not in house and not ch.isspace() for text in texts for ch in text)


def missing(texts: Iterable[str]) -> list[str]:
    """The characters of `texts` that no chart font draws, in order of first use."""
    rare = dict.fromkeys(ch for text in texts for ch in text if ord(ch) >= ALWAYS_COVERED and not ch.isspace())
    if not rare:
        return []
    covered = _covered()
    return [ch for ch in rare if ord(ch) not in covered and unicodedata.category(ch)[0] != "C"]


def describe(ch: str) -> str:
    """`'😀' (U+1F600 GRINNING FACE)`"""
    return f"'{ch}' (U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')})"
