"""Which characters of a chart's text no font it draws with has: the house sans, then the
fallback fonts that ship with matplotlib. Checked when the project is checked, so a missing
glyph is a warning naming the character and where it is written, not a box in the figure
and a raw matplotlib message in the build log."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

from reportgen.fonts import SANS_DIR, fallback_fonts

# Below this, every character is in DejaVu Sans (Latin, Latin-1, Latin Extended-A and -B):
# most text needs no font file read at all.
ALWAYS_COVERED = 0x250


@cache
def _covered() -> frozenset[int]:
    from fontTools.ttLib import TTFont  # WeasyPrint's dependency

    points: set[int] = set()
    for path in (SANS_DIR / "SourceSansPro-Regular.ttf", *fallback_fonts()):
        with TTFont(str(path), lazy=True) as font:
            points.update(font.getBestCmap())
    return frozenset(points)


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
