"""Reading XML a contributor brings (a CSL style, an SVG image) without trusting it.

A document type declaration is refused outright: it is where entity bombs ("billion laughs")
and external entities (`<!ENTITY x SYSTEM "file:///etc/passwd">`) live, and neither a CSL
style nor an SVG for a brief needs one. This is defusedxml's policy, applied with the
standard library's expat directly so that each refusal, and each element a caller asks
about, keeps its line number for the message.
"""

from __future__ import annotations

import os
import stat
import xml.parsers.expat
from dataclasses import dataclass
from pathlib import Path

from reportgen.document.model import Location
from reportgen.errors import ReportgenError


@dataclass(frozen=True)
class Element:
    """A start tag: its local name, attributes and line."""

    name: str
    attrs: dict[str, str]
    line: int
    col: int


class _Refused(Exception):
    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.line, self.col = line, col


def read_regular(path: Path, shown: Path, limit: int, what: str) -> bytes:
    """The bytes of `path`, refusing a FIFO or device (never opened for reading, so nothing
    blocks) and a file over `limit` bytes (without reading past it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ReportgenError(f"cannot read {what}: {exc.strerror}", Location(shown)) from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ReportgenError(f"{what} is not a regular file", Location(shown))
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ReportgenError(f"{what} is larger than {limit // 2**20} MiB", Location(shown))
    return data


def elements(data: bytes, shown: Path, names: set[str], what: str) -> list[Element]:
    """The start tags named in `names` (local names, any namespace), in document order; a DTD,
    an entity declaration or malformed XML is a user error at its line."""
    found: list[Element] = []
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local in names:
            plain = {key.rsplit(" ", 1)[-1]: value for key, value in attrs.items()}
            found.append(Element(local, plain, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1))

    def doctype(*_: object) -> None:
        # expat reports it once the internal subset starts: a line, not a column, is meaningful
        raise _Refused(f"{what} has a document type declaration (<!DOCTYPE>), which is not allowed",
                       parser.CurrentLineNumber, 0)

    def entity(*_: object) -> None:
        raise _Refused(f"{what} declares an entity, which is not allowed", parser.CurrentLineNumber, 0)

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = lambda *_: 0  # never fetched
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise ReportgenError(str(exc), Location(shown, exc.line, exc.col)) from None
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.errors.messages[exc.code]
        raise ReportgenError(f"{what} is not well-formed XML: {message}", Location(shown, exc.lineno, exc.offset + 1)) from None
    return found
