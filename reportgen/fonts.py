"""The house fonts, shipped by packages (Source Serif Pro, Source Sans Pro) so that every
machine renders the same pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import font_source_sans_pro
import font_source_serif_pro

SERIF_DIR = Path(font_source_serif_pro.font_directory)
SANS_DIR = Path(font_source_sans_pro.font_directory)


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
    ]


def font_dirs() -> list[Path]:
    return [SERIF_DIR, SANS_DIR]
