"""Small OXML helpers python-docx lacks: get-or-create styles, and real hyperlinks.

Everything works through python-docx proxies and its lxml element layer, so the result is
ordinary WordprocessingML that Word, LibreOffice and Pandoc all read.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, cast

from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.settings import CT_Settings
from docx.shared import RGBColor
from docx.styles.style import StyleFactory

if TYPE_CHECKING:
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.styles.style import BaseStyle, CharacterStyle
    from docx.styles.styles import Styles
    from docx.text.paragraph import Paragraph

HYPERLINK_STYLE_ID = "Hyperlink"
HYPERLINK_STYLE_NAME = "Hyperlink"



@cache
def settings_after(tag: str) -> tuple[str, ...]:
    """The `w:settings` children the schema puts after `tag` (Word rejects them out of order).

    python-docx's CT_Settings holds the order, from w:evenAndOddHeaders on, as the successors
    its inserter for that element uses; a python-docx that keeps it elsewhere fails here."""
    insert = CT_Settings._insert_evenAndOddHeaders  # type: ignore[attr-defined]  # made by python-docx's metaclass
    inserter = inspect.getclosurevars(insert).nonlocals["self"]
    order: tuple[str, ...] = ("w:evenAndOddHeaders", *inserter._successors)
    return order[order.index(tag) + 1 :]


# Paragraph styles are CharacterStyle subclasses in python-docx, so this covers both.
StyleDefaults = Callable[["CharacterStyle"], None]


def find_style(styles: Styles, style_id: str, name: str, style_type: WD_STYLE_TYPE) -> CharacterStyle | None:
    """The `style_type` style with `style_id`, else the one named `name` (any case).

    The name fallback catches documents saved by a localised Word, where built-in styles
    keep their English name but get a translated id (e.g. "Funotentext").
    """
    element = styles.element.get_by_id(style_id)
    if element is not None and element.type == style_type:
        return cast("CharacterStyle", StyleFactory(element))
    wanted = name.lower()
    for style in styles:
        if style.type == style_type and (style.element.name_val or "").lower() == wanted:
            return cast("CharacterStyle", style)
    return None


class StyleIds:
    """The style id python-docx's style setters would write for a style, worked out once.

    `paragraph.style = style` (and `add_paragraph(style=...)`, `add_run(style=...)`) scans
    the whole styles part for the type's default style on every call, to leave the default's
    id out; thousands of paragraphs and note marks made that most of the DOCX stage. Setting
    `w:pStyle`/`w:rStyle` with the cached id writes the same XML. Styles added later cannot
    change an answer: python-docx never adds a style as a type's default.
    """

    def __init__(self, styles: Styles) -> None:
        self._styles = styles
        self._ids: dict[tuple[BaseOxmlElement, WD_STYLE_TYPE], str | None] = {}

    def of(self, style: BaseStyle, style_type: WD_STYLE_TYPE) -> str | None:
        """`style`'s id, or None for the document's default `style_type` style (as
        `Styles.get_style_id`, which also raises ValueError for a style of another type)."""
        key = (style.element, style_type)  # the element, not the proxy: proxies are per call
        if key not in self._ids:
            self._ids[key] = self._styles.get_style_id(style, style_type)
        return self._ids[key]


def ensure_style(
    styles: Styles,
    style_id: str,
    name: str,
    style_type: WD_STYLE_TYPE,
    defaults: StyleDefaults | None = None,
) -> CharacterStyle:
    """Return the document's style `style_id`/`name`, adding it only if it is missing.

    An existing definition (e.g. from reference.docx) always wins; `defaults` only shapes a
    newly added style, which is marked built-in and based on the type's default style.
    """
    existing = find_style(styles, style_id, name, style_type)
    if existing is not None:
        return existing
    style = cast("CharacterStyle", styles.add_style(name, style_type, builtin=True))
    style.style_id = style_id  # python-docx would derive "footnotetext" from the name
    base = styles.default(style_type)
    if base is not None:
        style.base_style = base
    style.priority = 99
    style.unhide_when_used = True
    if defaults is not None:
        defaults(style)
    return style


def _hyperlink_defaults(style: CharacterStyle) -> None:
    # Word's own default look, used only when the document has no Hyperlink style.
    style.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    style.font.underline = True


def hyperlink_style(styles: Styles) -> CharacterStyle:
    """The document's "Hyperlink" character style, created with Word's defaults if absent."""
    return ensure_style(styles, HYPERLINK_STYLE_ID, HYPERLINK_STYLE_NAME, WD_STYLE_TYPE.CHARACTER, _hyperlink_defaults)


def add_hyperlink(paragraph: Paragraph, url: str, text: str, *, italic: bool = False) -> None:
    """Append a clickable `w:hyperlink` to `url` showing `text` at the end of `paragraph`.

    The external relationship goes on `paragraph.part`, i.e. the part holding the paragraph
    (document, footnotes, header...): an r:id only resolves in its own part's .rels.
    """
    part = paragraph.part
    r_id = part.relate_to(url, RT.HYPERLINK, is_external=True)
    styles = part.package.main_document_part.styles
    # Build the run with the public API, then wrap it: python-docx has no hyperlink factory.
    run = paragraph.add_run(text, style=hyperlink_style(styles))
    if italic:
        run.italic = True
    hyperlink = OxmlElement("w:hyperlink", {qn("r:id"): r_id})
    run.element.addprevious(hyperlink)
    hyperlink.append(run.element)
