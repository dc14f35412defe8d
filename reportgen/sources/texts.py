"""Source texts: what each cited source actually says, read from `sources/` beside the config.

A source's text is `sources/<key>.txt` (or `.md`, `.html`, `.pdf`), written by hand or by
`reportgen sources archive`. HTML is reduced to its main text with trafilatura, PDF to its
text with pypdf. The quotation and figure checks compare the brief with these texts.

Like every content file, a source text is untrusted: it must be a regular file inside the
project (no symlink out, no FIFO), within a size limit, and PDF extraction stops after a
page limit.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.document.model import Location
from reportgen.errors import Diagnostics, ReportgenError, did_you_mean

SOURCES_DIR = "sources"
ARCHIVE_DIR = "archive"  # sources/archive/<key>.warc.gz and <key>.json
SUFFIXES = (".txt", ".md", ".html", ".pdf")  # looked for in this order
MAX_TEXT_BYTES = 2 * 2**20  # a long book's text; checking one takes a few seconds
MAX_PDF_BYTES = 50 * 2**20
MAX_PDF_PAGES = 500


@dataclass(frozen=True)
class SourceText:
    key: str
    path: Path  # relative to the project root, for messages
    text: str
    archived_at: str = ""  # when `sources archive` fetched it (ISO 8601 UTC); "" for a hand-made text


def sources_dir(root: Path) -> Path:
    return root / SOURCES_DIR


def usable_key(key: str) -> bool:
    """A citation key that can name a file in sources/: no separators, no `..`."""
    return bool(re.fullmatch(r"\w[\w.:+-]*", key)) and ".." not in key


def text_file(root: Path, key: str) -> Path | None:
    """The file holding `key`'s text, if there is one (not checked yet)."""
    if not usable_key(key):
        return None
    folder = sources_dir(root)
    for suffix in SUFFIXES:
        path = folder / f"{key}{suffix}"
        if path.is_symlink() or path.exists():
            return path
    return None


def load_texts(root: Path, keys: list[str], found: Diagnostics) -> dict[str, SourceText]:
    """The texts of the sources in `keys` that have one; bad files are errors in `found`."""
    texts: dict[str, SourceText] = {}
    if not sources_dir(root).is_dir():
        return texts
    for key in keys:
        path = text_file(root, key)
        if path is None:
            continue
        with found.collecting():
            texts[key] = read_source_text(root, key, path)
    _strays(root, set(keys), found)
    return texts


def _strays(root: Path, keys: set[str], found: Diagnostics) -> None:
    """A text whose name is no citation key (a typo) would never be read: say so."""
    for path in sorted(sources_dir(root).iterdir()):
        if path.suffix.lower() in SUFFIXES and path.stem not in keys and not path.name.startswith("."):
            found.warn(f"no source with key '{path.stem}'{did_you_mean(path.stem, keys)}; this text is not used",
                       Location(path.relative_to(root)), "quotations")


def read_source_text(root: Path, key: str, path: Path) -> SourceText:
    display = path.relative_to(root)
    data = _read_bytes(root, path, display)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = pdf_text(data, display)
    else:
        text = _decode(data, display)
        if suffix == ".html":
            text = html_text(text)
    # What a PDF or a page yields is held to the same bound as a text file.
    return SourceText(key, display, text[:MAX_TEXT_BYTES], archived_at(root, key))


def _read_bytes(root: Path, path: Path, display: Path) -> bytes:
    where = Location(display)
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise ReportgenError("source text is outside the project (a symlink out?)", where)
    limit = MAX_PDF_BYTES if path.suffix.lower() == ".pdf" else MAX_TEXT_BYTES
    try:
        # O_NONBLOCK: a FIFO put in place between the check and the open must not hang us.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ReportgenError(f"cannot read the source text: {exc.strerror or exc}", where) from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ReportgenError("source text is not a regular file", where)
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ReportgenError(f"source text is larger than {limit // 2**20} MiB", where)
    return data


def _decode(data: bytes, display: Path) -> str:
    try:
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
    except UnicodeDecodeError as exc:
        raise ReportgenError(f"source text is not UTF-8 ({exc.reason})", Location(display)) from None


def html_text(html: str) -> str:
    """A web page's main text (trafilatura), without navigation, ads and comments."""
    import trafilatura  # imported here: only projects with HTML sources pay for it

    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    return text or ""


def pdf_text(data: bytes, display: Path) -> str:
    """A PDF's text, page by page, up to MAX_PDF_PAGES pages."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages[:MAX_PDF_PAGES]
        return "\n\n".join(page.extract_text() or "" for page in pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ReportgenError(f"unreadable PDF: {exc}", Location(display)) from None


def archive_meta_path(root: Path, key: str) -> Path:
    return sources_dir(root) / ARCHIVE_DIR / f"{key}.json"


def read_archive_meta(root: Path, key: str) -> dict[str, Any]:
    """What `sources archive` recorded for `key` (URL, date fetched, validators); {} if none."""
    path = archive_meta_path(root, key)
    try:
        if path.is_symlink() or not path.is_file():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def archived_at(root: Path, key: str) -> str:
    return str(read_archive_meta(root, key).get("fetched_at") or "")
