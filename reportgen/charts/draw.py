"""Draw stage: chart specs + data -> SVG (for the PDF) and PNG (for Word), in one house style.

matplotlib is imported here only, and only when a chart must be drawn: it costs ~0.45 s, most
of a small chart stage, and a process sets it up once (`_setup`). Charts are bare `Figure`s,
without pyplot: no figure registry to close, no global state; the house style applies per
chart through `rc_context`. What each kind draws is its module's (`kinds/`); the layout is
`style.fit`'s.

The SVG keeps text as text (`svg.fonttype: none`) in the house font, which the PDF template's
@font-face rules supply: WeasyPrint draws SVG node by node, and glyph outlines cost it 0.1-0.6 s
a chart, several times what text costs. So every string from the data is stripped of the
characters XML cannot carry. Outputs are deterministic (fixed SVG hash salt, no dates in
metadata) so that unchanged data gives unchanged files.
"""

from __future__ import annotations

import logging
import warnings
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from reportgen.atomic import atomic_path
from reportgen.charts import glyphs, style
from reportgen.charts.formats import Formats
from reportgen.charts.registry import kind_of
from reportgen.charts.spec import ChartSpec
from reportgen.fonts import SANS_DIR

if TYPE_CHECKING:
    from reportgen.project.data import Dataset


@cache
def _setup() -> ModuleType:
    """Import what drawing needs (the SVG backend is otherwise imported at the first SVG) and
    register the house fonts, once per process."""
    try:
        import matplotlib
        import matplotlib.backends.backend_agg
        import matplotlib.backends.backend_svg
        import matplotlib.figure
        from matplotlib import font_manager
    except RuntimeError as exc:
        # Ctrl-C while matplotlib defines its classes surfaces as "RuntimeError: Error calling
        # __set_name__"; let it be the interrupt it is.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            raise exc.__cause__ from None
        raise
    for name in ("Regular", "Semibold", "Bold", "It"):
        font_manager.fontManager.addfont(str(SANS_DIR / f"SourceSansPro-{name}.ttf"))
    # "Failed to find font weight semibold for DejaVu Sans": the fallback font's nearest weight is right.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    return matplotlib


@cache
def _house_charmap() -> frozenset[int]:
    """The house font's characters, from the font matplotlib has loaded anyway."""
    from matplotlib import font_manager

    return frozenset(font_manager.get_font(str(glyphs.HOUSE)).get_charmap())


def _style(chart: ChartSpec, data: Dataset) -> dict[str, object]:
    """The house style, with the fallback fonts only if the chart's text needs them."""
    texts = [chart.title, chart.x_label, chart.y_label, chart.unit]
    texts += [v for row in data.rows for v in row.values.values() if isinstance(v, str)]
    if glyphs.needs_fallback(texts, _house_charmap()):
        return style.STYLE
    return {**style.STYLE, "font.family": style.FONT_FAMILY[:1]}


def draw_chart(chart: ChartSpec, data: Dataset, out_dir: Path, language: str = "en-GB") -> tuple[Path, Path]:
    """Draw one chart; return the SVG and PNG paths."""
    matplotlib = _setup()
    out_dir.mkdir(parents=True, exist_ok=True)
    svg, png = out_dir / f"{chart.id}.svg", out_dir / f"{chart.id}.png"
    # Both files are drawn before either is replaced, so an interrupted build never leaves a
    # new SVG beside an old PNG, nor a temporary file behind.
    with atomic_path(svg) as svg_tmp, atomic_path(png) as png_tmp, \
            matplotlib.rc_context(_style(chart, data)), warnings.catch_warnings():
        # A character no font has is reported, by name, when the project is checked
        # (`fontcheck.py`); matplotlib's own warning would repeat it raw.
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        fig = kind_of(chart).draw(chart, data, Formats(language))
        if not style.is_laid_out(fig):
            style.fit(fig)
        fig.savefig(svg_tmp, format="svg", metadata={"Date": None, "Creator": None})
        # zlib level 3: for these flat colours no larger than the default 6, and faster.
        fig.savefig(png_tmp, format="png", dpi=style.PNG_DPI, metadata={"Software": None},
                    pil_kwargs={"compress_level": 3})
    return svg, png


def figure_for(chart: ChartSpec, data: Dataset, language: str = "en-GB") -> object:
    """The laid-out figure, not saved: for tests that measure what is drawn."""
    matplotlib = _setup()
    with matplotlib.rc_context(_style(chart, data)), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        fig = kind_of(chart).draw(chart, data, Formats(language))
        if not style.is_laid_out(fig):
            style.fit(fig)
        fig.canvas.draw()
    return fig
