"""Images a renderer cannot take as they are: a PDF figure becomes a PNG of its first page.

WeasyPrint draws PNG, JPEG, GIF and SVG, Word raster images only; a PDF figure (what LaTeX
writers keep their plots in) is rasterised once with poppler's `pdftoppm`, at print
resolution, into the project's cache, and both outputs embed that PNG.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from reportgen.atomic import atomic_path, write_atomic
from reportgen.document.model import Location
from reportgen.errors import ReportgenError

DPI = 200
SECONDS = 60
MAX_BYTES = 20 * 2**20  # an SVG is drawn in-process: its size bounds the time it takes


def _read(image: Path, where: Location) -> bytes:
    if image.stat().st_size > MAX_BYTES:
        raise ReportgenError(f"image '{image.name}' is larger than {MAX_BYTES // 2**20} MiB, the limit for a "
                             "PDF or SVG image", where)
    return image.read_bytes()


def raster_of_pdf(pdf: Path, cache: Path, where: Location) -> Path:
    """The first page of `pdf` as a PNG in `cache`, made once per content."""
    digest = hashlib.blake2b(_read(pdf, where), digest_size=12).hexdigest()
    out = cache / f"image-{digest}.png"
    if out.is_file():
        return out
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise ReportgenError(f"image '{pdf.name}' is a PDF; rasterising it needs pdftoppm (poppler-utils)", where)
    try:  # without an output name, pdftoppm writes the PNG to its standard output
        done = subprocess.run([tool, "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile", str(pdf)],
                              capture_output=True, timeout=SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise ReportgenError(f"image '{pdf.name}': rasterising took over {SECONDS} s", where) from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise ReportgenError(f"image '{pdf.name}' is not a PDF that can be drawn: {message[-1] if message else ''}", where)
    write_atomic(out, done.stdout)
    return out


def raster_of_svg(svg: Path, cache: Path, where: Location) -> Path:
    """`svg` as a PNG for Word, 1,600 px wide, made once per content. CairoSVG loads nothing
    the SVG names (other files, URLs): content is untrusted."""
    from cairosvg.surface import PNGSurface  # only for a document with an SVG image

    data = _read(svg, where)
    digest = hashlib.blake2b(data, digest_size=12).hexdigest()
    out = cache / f"image-{digest}.png"
    if out.is_file():
        return out
    try:
        with atomic_path(out) as tmp:
            # `convert` hands `url_fetcher` to the SVG tree; `svg2png` does not take it.
            PNGSurface.convert(bytestring=data, write_to=str(tmp), output_width=WORD_PIXELS, url_fetcher=_refuse,
                               unsafe=False)
    except Exception as exc:  # CairoSVG raises what its XML and CSS parsers raise
        raise ReportgenError(f"image '{svg.name}' is not an SVG that can be drawn: {exc}", where) from None
    return out


WORD_PIXELS = 1600


def _refuse(url: str, *args: object, **kwargs: object) -> bytes:
    """Nothing for whatever the SVG names: CairoSVG then leaves that part out."""
    return b""
