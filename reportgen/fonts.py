"""The house fonts, shipped by packages (Source Serif Pro, Source Sans Pro) so that every
machine renders the same pages."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import font_source_sans_pro
import font_source_serif_pro

SERIF_DIR = Path(font_source_serif_pro.font_directory)
SANS_DIR = Path(font_source_sans_pro.font_directory)


@cache
def fallback_dir() -> Path:
    """matplotlib's own fonts (DejaVu), found without importing matplotlib: chart text in
    scripts the house fonts lack (Armenian, Georgian, ...) falls back to them."""
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations, "matplotlib is a dependency"
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"


def fallback_fonts() -> list[Path]:
    return [fallback_dir() / "DejaVuSans.ttf", fallback_dir() / "DejaVuSans-Bold.ttf"]


@dataclass(frozen=True)
class Face:
    family: str
    path: Path
    weight: int
    style: str  # "normal" or "italic"


def faces() -> list[Face]:
    """The faces the templates use, as @font-face rules need them."""
    serif, sans = "Source Serif Pro", "Source Sans Pro"
    return [
        Face(serif, SERIF_DIR / "SourceSerifPro-Regular.ttf", 400, "normal"),
        Face(serif, SERIF_DIR / "SourceSerifPro-It.ttf", 400, "italic"),
        Face(serif, SERIF_DIR / "SourceSerifPro-Semibold.ttf", 600, "normal"),
        Face(serif, SERIF_DIR / "SourceSerifPro-Bold.ttf", 700, "normal"),
        Face(serif, SERIF_DIR / "SourceSerifPro-BoldIt.ttf", 700, "italic"),
        Face(sans, SANS_DIR / "SourceSansPro-Regular.ttf", 400, "normal"),
        Face(sans, SANS_DIR / "SourceSansPro-It.ttf", 400, "italic"),
        Face(sans, SANS_DIR / "SourceSansPro-Semibold.ttf", 600, "normal"),
        Face(sans, SANS_DIR / "SourceSansPro-Bold.ttf", 700, "normal"),
        # The charts' fallback font, as their SVGs name it; embedded only if a chart uses it.
        Face("DejaVu Sans", fallback_fonts()[0], 400, "normal"),
        Face("DejaVu Sans", fallback_fonts()[1], 700, "normal"),
    ]


def font_dirs() -> list[Path]:
    return [SERIF_DIR, SANS_DIR, fallback_dir()]
