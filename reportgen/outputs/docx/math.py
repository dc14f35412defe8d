"""TeX math -> Office Math (OMML), Word's own editable equations, written by Pandoc.

Pandoc's DOCX writer turns TeX into OMML (through texmath). Every formula of a document
goes through one sandboxed Pandoc run, one paragraph each; the `m:oMath` elements are then
taken from the DOCX it wrote, in order, and placed where the formulas stand.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import zipfile
from pathlib import Path

from docx.oxml import parse_xml
from docx.oxml.ns import qn
from lxml.etree import _Element

from reportgen.document.reader import PANDOC_RTS, PANDOC_SECONDS, _pandoc

_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"


def omml(formulas: list[str]) -> list[_Element | None]:
    """One `m:oMath` per TeX formula (inline form), or None for one Pandoc could not convert."""
    if not formulas:
        return []
    # A marker paragraph between formulas keeps the count right if one converts to nothing.
    markdown = "\n\n".join(f"${_one_line(tex)}$\n\nreportgen-math-end" for tex in formulas)
    with tempfile.TemporaryDirectory(prefix="reportgen-math-") as tmp:
        out = Path(tmp) / "math.docx"
        command = [_pandoc(), *PANDOC_RTS, "--sandbox", "--from=markdown", "--to=docx",
                   f"--output={out}"]
        done = subprocess.run(command, input=markdown.encode(), capture_output=True, timeout=PANDOC_SECONDS,
                              check=False, cwd=tmp)
        if done.returncode != 0:
            return [None] * len(formulas)
        data = out.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        body = parse_xml(package.read("word/document.xml")).find(qn("w:body"))
    assert body is not None  # a document.xml has its body
    found: list[_Element | None] = []
    current: _Element | None = None
    for paragraph in body.iterchildren(qn("w:p")):
        text = "".join(t.text or "" for t in paragraph.iter(qn("w:t"))
                       if (run := t.getparent()) is not None and run.getparent() is paragraph)
        if text.strip() == "reportgen-math-end":
            found.append(current)
            current = None
            continue
        math = paragraph.find(f"{{{_M}}}oMath")
        if math is not None:
            current = math
    return (found + [None] * len(formulas))[: len(formulas)]


def display(math: _Element) -> _Element:
    """An equation on a line of its own: `m:oMathPara` around the `m:oMath`."""
    para = parse_xml(f'<m:oMathPara xmlns:m="{_M}"/>')
    para.append(math)
    return para


def _one_line(tex: str) -> str:
    """A formula inside `$...$`: no blank line (it would end the paragraph), no edge spaces."""
    return " ".join(tex.split())
