"""Document model -> HTML for the PDF backend.

Small functions, one per node type, each returning escaped `Markup`. Notes are rendered in
place as `<span class="footnote">`: the stylesheet floats them to the page foot
(`float: footnote`), so a note always sits on the page that cites it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup, escape

from reportgen import model as m


class HtmlRenderer:
    def __init__(self, doc: m.Document, project: Path) -> None:
        self.doc = doc
        self.project = project

    # -- blocks --------------------------------------------------------------------------

    def blocks(self, blocks: list[m.Block]) -> Markup:
        return Markup("\n").join(self.block(b) for b in blocks)

    def block(self, block: m.Block) -> Markup:
        handlers: dict[type, Callable[..., Markup]] = {
            m.Heading: self.heading,
            m.Paragraph: lambda b: Markup("<p>{}</p>").format(self.inlines(b.children)),
            m.BulletList: lambda b: self.list_(b, "ul"),
            m.OrderedList: lambda b: self.list_(b, "ol"),
            m.BlockQuote: lambda b: Markup("<blockquote>{}</blockquote>").format(self.blocks(b.children)),
            m.Div: self.div,
            m.Figure: self.figure,
            m.Rule: lambda b: Markup("<hr>"),
            m.BibliographyBlock: lambda b: self.bibliography(),
        }
        return handlers[type(block)](block)

    def heading(self, heading: m.Heading) -> Markup:
        number = Markup('<span class="num">{}</span> ').format(heading.number) if heading.number else ""
        title = m.plain_text(heading.children)
        return Markup('<h{0} id="{1}" data-title="{2}">{3}{4}</h{0}>').format(
            heading.level, heading.id or None, title, number, self.inlines(heading.children)
        )

    def list_(self, block: m.BulletList | m.OrderedList, tag: str) -> Markup:
        items = Markup("").join(Markup("<li>{}</li>").format(self.item(i)) for i in block.items)
        return Markup("<{0}>{1}</{0}>").format(tag, items)

    def item(self, blocks: list[m.Block]) -> Markup:
        # Tight list items render without <p> so bullets stay compact.
        if len(blocks) == 1 and isinstance(blocks[0], m.Paragraph):
            return self.inlines(blocks[0].children)
        return self.blocks(blocks)

    def div(self, div: m.Div) -> Markup:
        classes = " ".join(div.classes)
        heading = ""
        if "key-findings" in div.classes and not any(isinstance(b, m.Heading) for b in div.children):
            heading = Markup('<h2 class="box-title">{}</h2>').format(self.doc.meta.label("key_findings"))
        return Markup('<aside class="{}">{}{}</aside>').format(classes, heading, self.blocks(div.children))

    def bibliography(self) -> Markup:
        """The entries where the writer placed them (the template prints them otherwise)."""
        return Markup('<div class="csl-bib-body">{}</div>').format(Markup("").join(
            Markup('<p class="csl-entry" id="ref-{}">{}</p>').format(e.key, self.inlines(e.children))
            for e in self.doc.bibliography))

    def figure(self, figure: m.Figure) -> Markup:
        # The stylesheet's folder is the base URL, so figures are given as absolute file URLs.
        src = (figure.svg or self.project / figure.src).resolve().as_uri()
        alt = figure.alt or m.plain_text(figure.caption)
        return Markup(
            '<figure id="{}"><img src="{}" alt="{}">'
            '<figcaption><span class="label">{} {}.</span> {}</figcaption></figure>'
        ).format(figure.id, src, alt, self.doc.meta.label("figure"), figure.number, self.inlines(figure.caption))

    # -- inlines -------------------------------------------------------------------------

    def inlines(self, inlines: list[m.Inline]) -> Markup:
        out = []
        for index, node in enumerate(inlines):
            if isinstance(node, m.NoteRef) and index and isinstance(inlines[index - 1], m.NoteRef):
                out.append(self.note(node, "footnote after-note"))
            else:
                out.append(self.inline(node))
        return Markup("").join(out)

    def note(self, node: m.NoteRef, classes: str = "footnote") -> Markup:
        # WeasyPrint restarts its footnote counter on every page; notes carry their number.
        note = self.doc.notes[node.number - 1]
        return Markup('<span class="{0}" id="note-{1}" data-n="{1}">{2}</span>').format(
            classes, node.number, self.inlines(note.children)
        )

    def inline(self, node: m.Inline) -> Markup:
        if isinstance(node, m.Text):
            return escape(node.text)
        if isinstance(node, m.NoteRef):
            return self.note(node)
        if isinstance(node, m.Link):
            return Markup('<a href="{}">{}</a>').format(node.url, self.inlines(node.children))
        if isinstance(node, m.Ref):
            return Markup('<a class="xref" href="#{}">{}</a>').format(node.target, node.text)
        if isinstance(node, m.Code):
            return Markup("<code>{}</code>").format(node.text)
        if isinstance(node, m.LineBreak):
            return Markup("<br>")
        tags = {m.Emph: "em", m.Strong: "strong", m.Superscript: "sup", m.SmallCaps: 'span class="sc"'}
        tag = tags.get(type(node))
        if tag is None:
            raise TypeError(f"unresolved node in document: {node!r}")
        return Markup("<{}>{}</{}>").format(Markup(tag), self.inlines(node.children), Markup(tag.split()[0]))  # type: ignore[union-attr]
