"""An author's image that cannot be drawn is an error with its file and line, for both outputs.

Before, WeasyPrint left a silent hole in the PDF for a PNG bomb, a corrupt PNG or an SVG
with a DTD, and a text file named `.png` passed `check`. Now `check` and `build` refuse each
before rendering, and the previous outputs stay.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from reportgen.document.image_check import check_image
from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from tests.conftest import FILES, write_project


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, rows: bytes | None = None) -> bytes:
    rows = rows if rows is not None else b"".join(b"\x00" + b"\x80" * width * 3 for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def bomb() -> bytes:
    # 100,000 x 100,000 RGB: 30 GB decoded, from a file of a few KiB (rows of zeros compress well)
    side = 100_000
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side * 3 + 1)
    data = b"".join(compressor.compress(row) for _ in range(50)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def good_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(out, format="PNG")
    return out.getvalue()


CASES = [
    pytest.param("map.png", bomb(), "image 'content/map.png' has 10,000,000,000 pixels, more than the 25 million "
                 "allowed; save a smaller version", id="png-bomb"),
    pytest.param("map.png", png(6000, 5000, rows=b""), "image 'content/map.png' has 30,000,000 pixels, more than the "
                 "25 million allowed; save a smaller version", id="too-many-pixels"),
    pytest.param("map.png", good_png()[:-40], "image 'content/map.png' cannot be decoded: ", id="truncated-png"),
    pytest.param("map.png", png(4, 4, rows=b"\x07" * 80), "image 'content/map.png' cannot be decoded: ", id="corrupt-png"),
    pytest.param("map.png", b"just some text\n", "image 'content/map.png' is not an image (not PNG, JPEG, GIF, BMP, "
                 "TIFF, WebP or SVG)", id="text-as-png"),
    pytest.param("map.svg", b'<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY a "aaaaaaaaaa">\n]>\n'
                 b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>\n',
                 "content/map.svg:2: SVG image 'content/map.svg' has a document type declaration (<!DOCTYPE>), which is "
                 "not allowed", id="svg-dtd"),
    pytest.param("map.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>",
                 "content/map.svg:1:46: SVG image 'content/map.svg' is not well-formed XML: mismatched tag", id="svg-broken"),
    pytest.param("map.svg", b"<html>not svg</html>", "image 'content/map.svg' is XML but not an SVG image", id="svg-not-svg"),
]


@pytest.mark.parametrize(("name", "data", "message"), CASES)
@pytest.mark.parametrize(("command", "fmt", "exit_status"), [("check", None, 1), ("build", "pdf", 2), ("build", "docx", 2)])
@pytest.mark.timeout(120)  # unguarded, the bomb is decoded to 30 GB
def test_an_image_that_cannot_be_drawn_is_a_located_error(tmp_path: Path, run, name: str, data: bytes, message: str,
                                                          command: str, fmt: str | None, exit_status: int) -> None:
    files = dict(FILES)
    files["content/one.md"] = FILES["content/one.md"].replace("\nArmenia", f"\n![A map.](content/{name}){{#fig-map}}\n\nArmenia")
    project = write_project(tmp_path / "proj", files)
    (project / "content" / name).write_bytes(data)
    args = ["--quiet", command, "--project", str(project)] + (["--format", fmt] if fmt else [])
    status, out, err = run(*args)
    assert status == exit_status, out + err
    errors = [line for line in (out + err).splitlines() if ": error: " in line]
    if name.endswith(".svg") and (fmt == "docx" or command == "check"):
        errors = [e for e in errors if "cannot embed .svg" not in e]  # Word's own refusal, tested elsewhere
    assert len(errors) == 1 and errors[0].startswith(f"content/one.md:8:1: error: {message}"), out + err
    assert "Traceback" not in out + err
    assert not (project / "build").exists()


def test_a_truncated_image_is_refused_after_weasyprint_is_imported_too(tmp_path: Path) -> None:
    import weasyprint  # noqa: F401  (it lets Pillow load truncated images, process-wide)

    path = tmp_path / "map.png"
    path.write_bytes(good_png()[:-40])
    with pytest.raises(ReportgenError, match="cannot be decoded"):
        check_image(path, "content/map.png", Location(Path("content/one.md"), 8, 1))


def test_a_fifo_named_as_an_image_is_refused_without_blocking(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/one.md"] = FILES["content/one.md"].replace("\nArmenia", "\n![A map.](content/map.png){#fig-map}\n\nArmenia")
    project = write_project(tmp_path / "proj", files)
    os.mkfifo(project / "content" / "map.png")
    status, out, _ = run("--quiet", "check", "--project", str(project))
    assert status == 1
    assert "content/one.md:8:1: error: image 'content/map.png' is not a regular file" in out


def test_a_good_image_builds_in_both_outputs(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/one.md"] = FILES["content/one.md"].replace("\nArmenia", "\n![A map.](content/map.png){#fig-map}\n\nArmenia")
    project = write_project(tmp_path / "proj", files)
    (project / "content" / "map.png").write_bytes(good_png())
    status, _, err = run("--quiet", "build", "--project", str(project))
    assert status == 0, err


_SEEDS = {"png": good_png(), "jpeg": b"", "gif": b"", "tiff": b"", "bmp": b""}
for _kind in ("jpeg", "gif", "tiff", "bmp"):
    _out = io.BytesIO()
    Image.new("RGB", (20, 10), "navy").save(_out, format=_kind.upper())
    _SEEDS[_kind] = _out.getvalue()


@given(st.sampled_from(sorted(_SEEDS)), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
       st.integers(1, 10_000))
def test_a_damaged_image_is_checked_or_a_message(tmp_path_factory: pytest.TempPathFactory, kind: str,
                                                 flips: list[tuple[int, int]], keep: int) -> None:
    data = bytearray(_SEEDS[kind])
    for position, value in flips:
        data[position % len(data)] = value
    path = tmp_path_factory.mktemp("img") / f"map.{kind}"
    path.write_bytes(bytes(data[:keep]))
    try:
        check_image(path, f"content/map.{kind}", Location(Path("content/one.md"), 8, 1))
    except ReportgenError as exc:
        assert str(exc).startswith(f"content/one.md:8:1: error: image 'content/map.{kind}' "), str(exc)
