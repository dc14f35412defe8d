"""Low-level WordprocessingML for the DOCX writer: runs, fields, bookmarks, hyperlinks,
list numbering and the settings/style defaults the writer touches.

python-docx has no API for fields, bookmarks, internal links, runs inside a hyperlink or
restarted numbering, so these build the elements Word itself writes. They only assemble XML; choosing styles and
walking the document model is `docx_writer`'s job.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.numbering import CT_Numbering
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.run import CT_R
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.text.run import Run
from lxml.etree import _Element

from reportgen.outputs.docx.oxml import settings_after


@dataclass(frozen=True)
class RunFormat:
    """What a run inherits from the inlines around it: content emphasis, not looks."""

    italic: bool = False
    bold: bool = False
    small_caps: bool = False
    superscript: bool = False
    subscript: bool = False
    strike: bool = False
    underline: bool = False
    style_id: str | None = None  # a character style, e.g. "Hyperlink"


PLAIN = RunFormat()


def make_run(text: str, fmt: RunFormat = PLAIN) -> CT_R:
    """A `w:r` holding `text` (tabs and newlines become `w:tab`/`w:br`, as python-docx does)."""
    r = _new_run()
    _apply_format(r, fmt)
    if "\t" in text or "\n" in text or "\r" in text:
        r.text = text
    elif text:  # one w:t, as `r.text = text` writes it, without its per-character loop
        r.add_t(text)
    return r


def _new_run() -> CT_R:
    return cast(CT_R, OxmlElement("w:r"))  # python-docx's parser makes every w:r a CT_R


def make_break(fmt: RunFormat = PLAIN) -> CT_R:
    r = _new_run()
    _apply_format(r, fmt)
    r.add_br()
    return r


def make_page_break() -> CT_R:
    """What Ctrl+Enter inserts in Word: a run holding a page break."""
    r = _new_run()
    r.append(OxmlElement("w:br", attrs={qn("w:type"): "page"}))
    return r


def _apply_format(r: CT_R, fmt: RunFormat) -> None:
    if fmt == PLAIN:
        return
    if fmt.style_id:
        r.get_or_add_rPr().style = fmt.style_id
    run = Run(r, None)  # type: ignore[arg-type]  # the proxy only edits rPr here
    if fmt.bold:
        run.bold = True
    if fmt.italic:
        run.italic = True
    if fmt.small_caps:
        run.font.small_caps = True
    if fmt.superscript:
        run.font.superscript = True
    if fmt.subscript:
        run.font.subscript = True
    if fmt.strike:
        run.font.strike = True
    if fmt.underline:
        run.underline = True


# --- fields ----------------------------------------------------------------------------


def field_runs(instruction: str, result: str, fmt: RunFormat = PLAIN) -> list[CT_R]:
    """A complex field (begin, instruction, separate, cached result, end) as Word writes it.

    The cached result is what readers that do not update fields (pandoc, previews) show.
    """
    return [*field_start(instruction, fmt), make_run(result, fmt), field_end(fmt)]


def field_start(instruction: str, fmt: RunFormat = PLAIN) -> list[CT_R]:
    """A complex field's begin, instruction and separator; its cached result follows, then
    `field_end()`, possibly several paragraphs later (a TOC's result is one per entry)."""
    instr = OxmlElement("w:instrText", attrs={qn("xml:space"): "preserve"})
    instr.text = f" {instruction} "
    return [_fld_char("begin", fmt), _run_with(instr, fmt), _fld_char("separate", fmt)]


def field_end(fmt: RunFormat = PLAIN) -> CT_R:
    return _fld_char("end", fmt)


def _fld_char(kind: str, fmt: RunFormat) -> CT_R:
    return _run_with(OxmlElement("w:fldChar", attrs={qn("w:fldCharType"): kind}), fmt)


def _run_with(child: _Element, fmt: RunFormat) -> CT_R:
    r = _new_run()
    _apply_format(r, fmt)
    r.append(child)
    return r


def has_page_field(element: BaseOxmlElement) -> bool:
    """Whether a header/footer already shows the page number (simple or complex field)."""
    instructions = element.xpath(".//w:instrText/text() | .//w:fldSimple/@w:instr")
    return any(str(i).split()[:1] == ["PAGE"] for i in instructions)


# --- bookmarks and links ----------------------------------------------------------------

_BOOKMARK_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_BOOKMARK_MAX = 40  # Word drops longer bookmark names


@dataclass
class Bookmarks:
    """Word bookmark names and ids for model ids.

    Word accepts only letters, digits and underscores, at most 40 characters, starting with
    a letter (a leading underscore would hide it), so `sec-data` becomes `sec_data`. The
    mapping is deterministic and collision-free, so a `Ref` finds its target's bookmark.
    """

    names: dict[str, str] = field(default_factory=dict)
    _next_id: int = 0

    def name(self, model_id: str) -> str:
        if model_id not in self.names:
            self.names[model_id] = self._unique(_bookmark_name(model_id))
        return self.names[model_id]

    def _unique(self, name: str) -> str:
        taken = set(self.names.values())
        candidate, n = name, 2
        while candidate in taken:
            suffix = f"_{n}"
            candidate, n = name[: _BOOKMARK_MAX - len(suffix)] + suffix, n + 1
        return candidate

    def pair(self, model_id: str) -> tuple[_Element, _Element]:
        """A bookmarkStart/bookmarkEnd pair named after `model_id`, to put around its text."""
        bid = str(self._next_id)
        self._next_id += 1
        start = OxmlElement("w:bookmarkStart", attrs={qn("w:id"): bid, qn("w:name"): self.name(model_id)})
        return start, OxmlElement("w:bookmarkEnd", attrs={qn("w:id"): bid})


def _bookmark_name(model_id: str) -> str:
    name = _BOOKMARK_UNSAFE.sub("_", model_id)
    if not name[:1].isalpha():
        name = "x" + name
    if len(name) > _BOOKMARK_MAX:
        digest = hashlib.sha1(model_id.encode()).hexdigest()[:8]
        name = f"{name[: _BOOKMARK_MAX - 9]}_{digest}"
    return name


def internal_hyperlink(anchor: str) -> _Element:
    """A `w:hyperlink` to a bookmark; the caller appends its runs."""
    return OxmlElement("w:hyperlink", attrs={qn("w:anchor"): anchor, qn("w:history"): "1"})


def external_hyperlink(r_id: str) -> _Element:
    """A `w:hyperlink` to the external relationship `r_id` of the part it will live in."""
    return OxmlElement("w:hyperlink", attrs={qn("r:id"): r_id, qn("w:history"): "1"})


def content_control(gallery: str, children: Iterable[_Element]) -> _Element:
    """A building-block content control (`w:sdt`), as Word wraps its table of contents."""
    sdt = OxmlElement("w:sdt")
    props = OxmlElement("w:sdtPr")
    part_obj = OxmlElement("w:docPartObj")
    part_obj.append(OxmlElement("w:docPartGallery", attrs={qn("w:val"): gallery}))
    part_obj.append(OxmlElement("w:docPartUnique"))
    props.append(part_obj)
    content = OxmlElement("w:sdtContent")
    content.extend(children)
    sdt.extend([props, content])
    return sdt


# --- list numbering -------------------------------------------------------------------------


def style_numbering(style: BaseOxmlElement) -> tuple[int, int] | None:
    """The (numId, ilvl) a `w:style` carries, when its bullets or numbers come from numbering."""
    p_pr = style.find(qn("w:pPr"))
    num_pr = p_pr.find(qn("w:numPr")) if p_pr is not None else None
    num_id = num_pr.find(qn("w:numId")) if num_pr is not None else None
    if num_pr is None or num_id is None:
        return None
    ilvl = num_pr.find(qn("w:ilvl"))
    return int(num_id.get(qn("w:val"), "")), int(ilvl.get(qn("w:val"), "")) if ilvl is not None else 0


def restart_numbering(numbering: CT_Numbering, num_id: int, ilvl: int, start: int) -> tuple[int, int]:
    """A new `w:num` on `num_id`'s list definition counting from `start`, as Word makes for
    "Restart numbering"; returns its (numId, ilvl)."""
    abstract_id = numbering.num_having_numId(num_id).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=ilvl).add_startOverride(start)
    return num.numId, ilvl


def set_numbering(p: CT_P, num_id: int, ilvl: int) -> None:
    """Put paragraph `p` in list `num_id` at level `ilvl`."""
    num_pr = p.get_or_add_pPr().get_or_add_numPr()  # type: ignore[attr-defined]  # made by python-docx's metaclass, not declared
    num_pr.get_or_add_ilvl().val = ilvl
    num_pr.get_or_add_numId().val = num_id


# --- settings and style defaults ----------------------------------------------------------

def set_update_fields(settings: BaseOxmlElement) -> None:
    """`<w:updateFields w:val="true"/>`: Word offers to update the TOC and SEQ fields on open."""
    for old in settings.findall(qn("w:updateFields")):
        settings.remove(old)
    element = OxmlElement("w:updateFields", attrs={qn("w:val"): "true"})
    _insert_before(settings, element, settings_after("w:updateFields"))


# Run properties that follow w:lang in CT_RPr.
_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")


def set_default_language(styles: BaseOxmlElement, language: str) -> None:
    """Set w:lang in the document defaults, so spelling and hyphenation use `language`."""
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    rpr_default = _child(defaults, "w:rPrDefault", first=True)
    rpr = _child(rpr_default, "w:rPr")
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        _insert_before(rpr, lang, _AFTER_LANG)
    lang.set(qn("w:val"), language)


def _child(parent: _Element, tag: str, *, first: bool = False) -> _Element:
    found = parent.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        parent.insert(0, found) if first else parent.append(found)
    return found


def _insert_before(parent: _Element, element: _Element, successors: tuple[str, ...]) -> None:
    tags = {qn(t) for t in successors}
    for i, child in enumerate(parent):
        if child.tag in tags:
            parent.insert(i, element)
            return
    parent.append(element)
