"""The fonts of the PDF, all shipped by installed packages so that every machine renders the
same glyphs: the house fonts (Source Serif Pro, Source Sans Pro), then DejaVu Serif and Sans
from matplotlib's own font folder for the scripts the house fonts lack (Armenian, Georgian,
Hebrew, Arabic, many symbols). Source covers Latin, Greek and Cyrillic.

The fallback faces are registered under family names of their own ("reportgen DejaVu
Serif"), so that a DejaVu installed on the machine never stands in for them, and the
stylesheet lists them after the house fonts. `uncovered_characters` finds what no shipped
face has, for a warning before the PDF is rendered.
"""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import font_source_sans_pro
import font_source_serif_pro

SERIF_DIR = Path(font_source_serif_pro.font_directory)
SANS_DIR = Path(font_source_sans_pro.font_directory)
SERIF, SANS = "Source Serif Pro", "Source Sans Pro"
FALLBACK_SERIF, FALLBACK_SANS = "reportgen DejaVu Serif", "reportgen DejaVu Sans"
# Characters that are no glyph of their own: spaces, line and format controls.
_NOT_DRAWN = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Blocks the shipped faces cover whole (tests/test_fonts.py checks): text in them alone needs
# no look-up in the fonts' tables, which costs a tenth of a second.
SURELY_COVERED = ((0x00A0, 0x017F), (0x0400, 0x045F), (0x2010, 0x2027), (0x2030, 0x205E))


@dataclass(frozen=True)
class Face:
    family: str
    path: Path
    weight: int
    style: str  # "normal" or "italic"


@functools.cache
def fallback_dir() -> Path:
    """matplotlib's bundled TrueType folder (DejaVu), found without importing matplotlib (slow);
    chart text in scripts the house fonts lack falls back to these fonts too."""
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations, "matplotlib is a dependency"
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def fallback_fonts() -> list[Path]:
    """The charts' fallback faces (regular, bold), as matplotlib draws with them."""
    return [fallback_dir() / "DejaVuSans.ttf", fallback_dir() / "DejaVuSans-Bold.ttf"]


def faces() -> list[Face]:
    """The faces the templates use, house fonts first, as @font-face rules need them."""
    dejavu = fallback_dir()
    return [
        Face(SERIF, SERIF_DIR / "SourceSerifPro-Regular.ttf", 400, "normal"),
        Face(SERIF, SERIF_DIR / "SourceSerifPro-It.ttf", 400, "italic"),
        Face(SERIF, SERIF_DIR / "SourceSerifPro-Semibold.ttf", 600, "normal"),
        Face(SERIF, SERIF_DIR / "SourceSerifPro-Bold.ttf", 700, "normal"),
        Face(SERIF, SERIF_DIR / "SourceSerifPro-BoldIt.ttf", 700, "italic"),
        Face(SANS, SANS_DIR / "SourceSansPro-Regular.ttf", 400, "normal"),
        Face(SANS, SANS_DIR / "SourceSansPro-It.ttf", 400, "italic"),
        Face(SANS, SANS_DIR / "SourceSansPro-Semibold.ttf", 600, "normal"),
        Face(SANS, SANS_DIR / "SourceSansPro-Bold.ttf", 700, "normal"),
        Face(FALLBACK_SERIF, dejavu / "DejaVuSerif.ttf", 400, "normal"),
        Face(FALLBACK_SERIF, dejavu / "DejaVuSerif-Italic.ttf", 400, "italic"),
        Face(FALLBACK_SERIF, dejavu / "DejaVuSerif-Bold.ttf", 700, "normal"),
        Face(FALLBACK_SERIF, dejavu / "DejaVuSerif-BoldItalic.ttf", 700, "italic"),
        Face(FALLBACK_SANS, dejavu / "DejaVuSans.ttf", 400, "normal"),
        Face(FALLBACK_SANS, dejavu / "DejaVuSans-Oblique.ttf", 400, "italic"),
        Face(FALLBACK_SANS, dejavu / "DejaVuSans-Bold.ttf", 700, "normal"),
        Face(FALLBACK_SANS, dejavu / "DejaVuSans-BoldOblique.ttf", 700, "italic"),
        # The charts' fallback font, as their SVGs name it; embedded only if a chart uses it.
        Face("DejaVu Sans", fallback_fonts()[0], 400, "normal"),
        Face("DejaVu Sans", fallback_fonts()[1], 700, "normal"),
    ]


def font_dirs() -> list[Path]:
    """The folders the PDF renderer may load fonts from."""
    return [SERIF_DIR, SANS_DIR, fallback_dir()]


@functools.cache
def covered() -> frozenset[int]:
    """The code points some shipped regular face has a glyph for (bold and italic cover the same)."""
    from fontTools.ttLib import TTFont  # a dependency of WeasyPrint; needed only here

    points: set[int] = set()
    for face in faces():
        if face.weight == 400 and face.style == "normal":
            with TTFont(face.path, lazy=True) as font:
                points.update(font.getBestCmap())
    return frozenset(points)


def uncovered_characters(text: str) -> list[str]:
    """The distinct characters of `text` that no shipped face draws, in order of first use."""
    wanted = dict.fromkeys(c for c in text if not c.isascii() and not _surely_covered(ord(c)))
    if not wanted:
        return []
    have = covered()
    return [c for c in wanted if ord(c) not in have and unicodedata.category(c) not in _NOT_DRAWN]


def _surely_covered(point: int) -> bool:
    return any(first <= point <= last for first, last in SURELY_COVERED)


def describe(char: str) -> str:
    """'ꙮ' (U+A66E CYRILLIC LETTER MULTIOCULAR O)."""
    name = unicodedata.name(char, "")
    return f"'{char}' (U+{ord(char):04X}{' ' + name if name else ''})"


def missing_glyphs(files: Iterable[tuple[Path, str]]) -> list[tuple[str, Path, int, int]]:
    """(character, file, line, column) of the first use of each character no shipped face has,
    over `files` given as (display path, text)."""
    found: dict[str, tuple[str, Path, int, int]] = {}
    for display, text in files:
        for char in uncovered_characters(text):
            if char not in found:
                offset = text.index(char)
                line = text.count("\n", 0, offset) + 1
                found[char] = (char, display, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)
    return list(found.values())
