"""An author's image is checked before either output is rendered: it must decode, within
bounds, or the build stops with the image's file and line.

WeasyPrint draws an image it cannot read as nothing at all, and python-docx raises deep
inside the DOCX writer: a corrupt PNG, a text file named `.png` or a PNG "bomb" (a few KiB
that decode to gigapixels) left a silent hole in the PDF. Raster images are read with Pillow
(the header first, so a bomb is refused by its pixel count before anything is decoded, then
the whole image); an SVG must be well-formed XML without a DTD (no entities to expand or
fetch), by `safe_xml`.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from reportgen.safe_xml import elements, read_regular

MAX_IMAGE_BYTES = 50 * 2**20
# 25 million pixels: 5,000 x 5,000, some eight times what a full-width 300-dpi figure needs;
# decoded as RGBA that is 100 MB, the most an image may cost.
MAX_PIXELS = 25_000_000
RASTER_FORMATS = {"PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"}


def check_image(path: Path, written: str, where: Location) -> None:
    """Refuse `path` (the author wrote `written`) unless it is an image both outputs can draw."""
    what = f"image '{written}'"
    try:
        data = read_regular(path, Path(written), MAX_IMAGE_BYTES, what)
    except ReportgenError as exc:
        raise ReportgenError(exc.message, where) from None
    if path.suffix.lower() == ".svg":
        _check_svg(data, written, where)
    elif path.suffix.lower() == ".pdf":  # rasterised by poppler (images.py), which says what it cannot read
        return
    else:
        _check_raster(data, what, where)


def _check_svg(data: bytes, written: str, where: Location) -> None:
    try:
        found = elements(data, Path(written), {"svg"}, f"SVG image '{written}'")
    except ReportgenError as exc:
        # Both places matter: the line in the section that shows it, the line in the SVG.
        raise ReportgenError(f"{exc.location}: {exc.message}", where) from None
    if not found:
        raise ReportgenError(f"image '{written}' is XML but not an SVG image", where)


def _too_many_pixels(what: str, pixels: int, where: Location) -> ReportgenError:
    count = f"{pixels:,} pixels" if pixels else "more pixels"
    return ReportgenError(f"{what} has {count}, more than the {MAX_PIXELS // 1_000_000} million allowed; "
                          "save a smaller version", where)


def _check_raster(data: bytes, what: str, where: Location) -> None:
    from PIL import Image, ImageFile, UnidentifiedImageError, features

    # WeasyPrint, once imported, sets LOAD_TRUNCATED_IMAGES for the whole process (a later
    # build in `watch`, a test run): a truncated image would then pass here.
    truncated, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on damaged files ("Skipping tag…"): the load says
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                width, height = image.size
                kind = image.format or "unknown"
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels(what, width * height, where)
                if kind not in RASTER_FORMATS:
                    raise ReportgenError(f"{what} is a {kind} image; use PNG, JPEG, GIF, BMP, TIFF or WebP", where)
                if kind != "WEBP" or features.check("webp"):  # Pillow built without libwebp reads the header only
                    image.load()  # the whole image: a truncated or corrupt one fails here
    except ReportgenError:
        raise
    except UnidentifiedImageError:
        raise ReportgenError(f"{what} is not an image (not PNG, JPEG, GIF, BMP, TIFF, WebP or SVG)", where) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses far larger images itself, in its header check: its message has the count.
        count = re.search(r"\((\d+) pixels\)", str(exc))
        raise _too_many_pixels(what, int(count[1]) if count else 0, where) from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # what Pillow's decoders raise on bad data
        raise ReportgenError(f"{what} cannot be decoded: {str(exc).splitlines()[0][:160] or type(exc).__name__}",
                             where) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated
