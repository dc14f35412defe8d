"""TeX math -> SVG, typeset by matplotlib's mathtext, for the PDF.

matplotlib is a dependency already (the charts); its mathtext typesets the common TeX subset
(fractions, roots, sums, integrals, Greek, accents, sub- and superscripts) with its own
fonts, and `TextPath` gives the outlines. The SVG is written here, not by matplotlib's SVG
backend, so it carries no date and the same formula gives the same bytes. Imported only
when a document has math to render.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from matplotlib.font_manager import FontProperties
from matplotlib.mathtext import MathTextParser
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextPath

SIZE = 10.5  # points, the body text's size


@dataclass(frozen=True)
class MathSvg:
    svg: str  # an <svg> element, sized in points
    depth: float  # points below the baseline, for vertical-align


class MathError(ValueError):
    """TeX that mathtext cannot typeset."""


@lru_cache(maxsize=1024)
def typeset(tex: str, display: bool = False) -> MathSvg:
    """`tex` (without dollars) as an SVG; raises MathError for what mathtext does not know."""
    source = "$" + _mathtext_source(tex, display) + "$"
    prop = FontProperties(family="serif", size=SIZE * (1.15 if display else 1.0), math_fontfamily="dejavuserif")
    try:
        parsed = MathTextParser("path").parse(source, dpi=72, prop=prop)
        path = TextPath((0, 0), source, prop=prop)
    except (ValueError, RuntimeError) as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        raise MathError(lines[-1].strip() if lines else "mathtext cannot typeset it") from None
    width, height, depth = float(parsed.width), float(parsed.height), float(parsed.depth)
    d = _svg_path(path, height - depth)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="math" width="{width:.2f}pt" height="{height:.2f}pt" '
           f'viewBox="0 0 {width:.2f} {height:.2f}"><path d="{d}" fill="currentColor"/></svg>')
    return MathSvg(svg, depth)


def _mathtext_source(tex: str, display: bool) -> str:
    """TeX as mathtext reads it: one line, `\\displaystyle` is its default for fractions."""
    text = " ".join(tex.replace("\\\\", " ").split())
    for unsupported in ("\\displaystyle", "\\textstyle", "\\left", "\\right", "\\begin{aligned}", "\\end{aligned}", "&"):
        text = text.replace(unsupported, "")
    return text.replace("\\text{", "\\mathrm{").replace("\\operatorname{", "\\mathrm{")


def _svg_path(path: TextPath, baseline: float) -> str:
    """Path commands in SVG's coordinates: y down, the baseline `baseline` from the top."""
    out: list[str] = []
    for vertices, code in path.iter_segments(simplify=False, curves=True):
        points = [f"{x:.2f} {baseline - y:.2f}" for x, y in zip(vertices[::2], vertices[1::2])]
        if code == MplPath.MOVETO:
            out.append("M" + points[0])
        elif code == MplPath.LINETO:
            out.append("L" + points[0])
        elif code == MplPath.CURVE3:
            out.append("Q" + " ".join(points))
        elif code == MplPath.CURVE4:
            out.append("C" + " ".join(points))
        elif code == MplPath.CLOSEPOLY:
            out.append("Z")
    return "".join(out)
