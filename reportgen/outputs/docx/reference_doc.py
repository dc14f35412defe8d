"""The Word reference document, checked before the DOCX writer opens it.

python-docx reads every part of the package into memory and copies what the writer does
not replace into the output. So a `reference_doc` is refused, with its path, when it is not
a zip package with a `word/document.xml`, or when a part declares more bytes than a style
template needs (a 2 GB image part fits in a 2 MB file); the declared size is what zipfile
reads at most, so nothing is read past it. An external `attachedTemplate` (the template Word
made the file from, often a path on the author's machine or a server) is removed from the
copy the writer starts from; any other external link a part holds, which Word would fetch
when the brief is opened, is refused.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.document import links
from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from reportgen.safe_xml import read_regular

if TYPE_CHECKING:
    from lxml import etree

MAX_FILE_BYTES = 50 * 2**20
MAX_PART_BYTES = 20 * 2**20
MAX_TOTAL_BYTES = 100 * 2**20
MAX_PARTS = 2000
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TEMPLATE = "/attachedTemplate"
_HYPERLINK = "/hyperlink"


def read_reference_doc(path: Path, shown: Path) -> bytes:
    """The reference document's bytes as the writer should start from them: checked, and
    without an external attached template. A problem is a user error at `shown`."""
    data = read_regular(path, shown, MAX_FILE_BYTES, "reference document")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
            _check_sizes(infos, shown)
            names = {info.filename for info in infos}
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise ReportgenError("not a Word document (no word/document.xml in the package)", Location(shown))
            rels = {name: package.read(name) for name in names if name.endswith(".rels")}
            changed = _external_links(rels, package, shown)
            if not changed:
                return data
            return _rewritten(package, changed)
    except zipfile.BadZipFile:
        raise ReportgenError("not a Word document (not a zip package); save it from Word as .docx",
                             Location(shown)) from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError, KeyError,
            ValueError) as exc:  # encrypted, a part missing, XML that does not parse (lxml's errors are ValueErrors)
        raise ReportgenError(f"unreadable Word document: {str(exc).splitlines()[0][:160]}", Location(shown)) from None


def check_reference_doc(path: Path, shown: Path, *, open_it: bool = True) -> bytes:
    """`read_reference_doc`; with `open_it`, python-docx then opens it as the writer will."""
    data = read_reference_doc(path, shown)
    if not open_it:
        return data
    import docx

    try:
        docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors... on a damaged package
        message = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ReportgenError(f"unreadable Word document: {message}", Location(shown)) from None
    return data


def _check_sizes(infos: list[zipfile.ZipInfo], shown: Path) -> None:
    if len(infos) > MAX_PARTS:
        raise ReportgenError(f"has {len(infos)} parts, more than a reference document needs ({MAX_PARTS})",
                             Location(shown))
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            raise ReportgenError(f"part '{info.filename}' is {info.file_size:,} bytes once unpacked, more than the "
                                 f"{MAX_PART_BYTES // 2**20} MiB a part may have", Location(shown))
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise ReportgenError(f"unpacks to {total:,} bytes, more than {MAX_TOTAL_BYTES // 2**20} MiB", Location(shown))


def _external_links(rels: dict[str, bytes], package: zipfile.ZipFile, shown: Path) -> dict[str, bytes]:
    """The parts to rewrite (without an attached template); other external links are errors."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    changed: dict[str, bytes] = {}
    for name, data in sorted(rels.items()):
        root = etree.fromstring(data, parser)
        for rel in list(root):
            if rel.get("TargetMode") != "External":
                continue
            kind, target = rel.get("Type", ""), rel.get("Target", "")
            if kind.endswith(_TEMPLATE) and name == "word/_rels/settings.xml.rels":
                root.remove(rel)
                changed[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                changed.update(_without_template_element(package, rel.get("Id", ""), parser))
            elif not (kind.endswith(_HYPERLINK) and links.allowed(target)):
                raise ReportgenError(f"part '{name}' links to '{links.shown(target)}' outside the document "
                                     f"({kind.rsplit('/', 1)[-1]}), which Word would load when the brief is opened; "
                                     "remove it", Location(shown))
    return changed


def _without_template_element(package: zipfile.ZipFile, r_id: str, parser: etree.XMLParser) -> dict[str, bytes]:
    from lxml import etree

    settings = etree.fromstring(package.read("word/settings.xml"), parser)
    for element in settings.findall(f"{{{_W_NS}}}attachedTemplate"):
        if element.get(f"{{{_R_NS}}}id") == r_id:
            settings.remove(element)
    return {"word/settings.xml": etree.tostring(settings, xml_declaration=True, encoding="UTF-8", standalone=True)}


def _rewritten(package: zipfile.ZipFile, changed: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in package.infolist():
            copy.writestr(info, changed.get(info.filename, package.read(info.filename)))
    return out.getvalue()
