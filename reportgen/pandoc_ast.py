"""Pandoc JSON AST inlines -> document model inlines (for the citation processor's output)."""

from __future__ import annotations

from reportgen import model as m

_QUOTES = {"DoubleQuote": ("\u201c", "\u201d"), "SingleQuote": ("\u2018", "\u2019")}


def inlines_from_pandoc(nodes: list[dict]) -> list[m.Inline]:
    out: list[m.Inline] = []
    for node in nodes:
        for converted in _inline(node):
            if isinstance(converted, m.Text) and out and isinstance(out[-1], m.Text):
                out[-1] = m.Text(out[-1].text + converted.text)
            else:
                out.append(converted)
    return out


def _inline(node: dict) -> list[m.Inline]:
    kind, content = node["t"], node.get("c")
    if kind == "Str":
        return [m.Text(content)]
    if kind in ("Space", "SoftBreak"):
        return [m.Text(" ")]
    if kind == "LineBreak":
        return [m.LineBreak()]
    if kind == "Emph":
        return [m.Emph(inlines_from_pandoc(content))]
    if kind == "Strong":
        return [m.Strong(inlines_from_pandoc(content))]
    if kind == "SmallCaps":
        return [m.SmallCaps(inlines_from_pandoc(content))]
    if kind == "Superscript":
        return [m.Superscript(inlines_from_pandoc(content))]
    if kind == "Code":
        return [m.Code(content[1])]
    if kind == "Link":
        return [m.Link(content[2][0], inlines_from_pandoc(content[1]))]
    if kind == "Quoted":
        left, right = _QUOTES[content[0]["t"]]
        return [m.Text(left), *inlines_from_pandoc(content[1]), m.Text(right)]
    if kind in ("Span", "Underline", "Strikeout", "Subscript"):
        return inlines_from_pandoc(content[-1])
    if kind == "Cite":
        return inlines_from_pandoc(content[1])
    return []  # RawInline, Note, Math: not produced by citeproc in a note
