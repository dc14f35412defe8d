"""Document model -> HTML for the PDF backend.

Small functions, one per node type, each returning escaped `Markup`. Notes are rendered in
place as `<span class="footnote">`: the stylesheet floats them to the page foot
(`float: footnote`), so a note always sits on the page that cites it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup, escape

from reportgen.document import model as m
from reportgen.document.resolve import KIND_LABELS, caption_kind
from reportgen.outputs.pdf.backend import IMAGE_FORMAT

_LIST_STYLES = {"LowerAlpha": "lower-alpha", "UpperAlpha": "upper-alpha", "LowerRoman": "lower-roman",
                "UpperRoman": "upper-roman"}


class HtmlRenderer:
    def __init__(self, doc: m.ResolvedDocument, project: Path) -> None:
        if not isinstance(doc, m.ResolvedDocument):  # a Cite or CrossRef could be in it
            raise TypeError(f"the PDF backend renders a ResolvedDocument (the cite stage's), not {type(doc).__name__}")
        self.doc = doc
        self.project = project
        self.math_failures: list[tuple[str, str]] = []  # (TeX, why): shown as TeX, named in a warning

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
            m.Table: self.table,
            m.CodeBlock: self.code_block,
            m.DefinitionList: self.definition_list,
            m.LineBlock: lambda b: Markup('<div class="line-block">{}</div>').format(
                Markup("<br>").join(self.inlines(line) for line in b.lines)),
            m.BibliographyBlock: lambda b: self.bibliography(),
        }
        return handlers[type(block)](block)

    def heading(self, heading: m.Heading) -> Markup:
        number = Markup('<span class="num">{}</span> ').format(heading.number) if heading.number else ""
        title = m.plain_text(heading.children)
        classes = "" if heading.number or not heading.numbered else Markup(' class="unnumbered"')
        return Markup('<h{0}{1} data-title="{2}"{5}>{3}{4}</h{0}>').format(
            heading.level, _id(heading.id), title, number, self.inlines(heading.children), classes
        )

    def list_(self, block: m.BulletList | m.OrderedList, tag: str) -> Markup:
        items = Markup("").join(Markup("<li>{}</li>").format(self.item(i)) for i in block.items)
        if isinstance(block, m.OrderedList):
            style = _LIST_STYLES.get(block.style, "decimal")
            # WeasyPrint ignores `start`; the counter it numbers items with is set instead.
            return Markup('<ol start="{0}" style="list-style-type: {1}; counter-reset: list-item {2}">{3}</ol>').format(
                block.start, style, block.start - 1, items)
        return Markup("<{0}>{1}</{0}>").format(tag, items)

    def definition_list(self, block: m.DefinitionList) -> Markup:
        parts = []
        for term, definitions in block.items:
            parts.append(Markup("<dt>{}</dt>").format(self.inlines(term)))
            parts.extend(Markup("<dd>{}</dd>").format(self.item(d)) for d in definitions)
        return Markup("<dl>{}</dl>").format(Markup("").join(parts))

    def code_block(self, block: m.CodeBlock) -> Markup:
        code = Markup('<pre class="code"><code>{}</code></pre>').format(block.text)
        if not block.number:
            return code
        label = self.doc.meta.label(KIND_LABELS[caption_kind(block)])
        caption = Markup('<figcaption><span class="label">{} {}.</span> {}</figcaption>').format(
            label, block.number, self.inlines(block.caption))
        return Markup('<figure class="listing"{}>{}{}</figure>').format(_id(block.id), caption, code)

    def table(self, table: m.Table) -> Markup:
        caption = ""
        if table.caption or table.number:
            label = Markup('<span class="label">{} {}.</span> ').format(
                self.doc.meta.label("table"), table.number) if table.number else ""
            caption = Markup("<caption>{}{}</caption>").format(label, self.inlines(table.caption))
        cols = ""
        if any(table.widths):
            cols = Markup("<colgroup>{}</colgroup>").format(Markup("").join(
                Markup('<col style="width: {:.1f}%">').format(w * 100) if w else Markup("<col>") for w in table.widths))
        head = self.rows(table.head, table.aligns, "th")
        body = self.rows(table.body, table.aligns, "td")
        foot = self.rows(table.foot, table.aligns, "td")
        return Markup('<table{}>{}{}<thead>{}</thead><tbody>{}</tbody><tfoot>{}</tfoot></table>').format(
            _id(table.id), caption, cols, head, body, foot)

    def rows(self, rows: list[list[m.TableCell]], aligns: list[str], tag: str) -> Markup:
        out = []
        for row in rows:
            cells, column = [], 0
            for cell in row:
                align = cell.align or (aligns[column] if column < len(aligns) else "")
                spans = Markup("").join([
                    Markup(' colspan="{}"').format(cell.colspan) if cell.colspan > 1 else Markup(""),
                    Markup(' rowspan="{}"').format(cell.rowspan) if cell.rowspan > 1 else Markup(""),
                    Markup(' style="text-align: {}"').format(align) if align else Markup("")])
                cells.append(Markup("<{0}{1}>{2}</{0}>").format(Markup(tag), spans, self.item(cell.blocks)))
                column += cell.colspan
            out.append(Markup("<tr>{}</tr>").format(Markup("").join(cells)))
        return Markup("").join(out)

    def item(self, blocks: list[m.Block]) -> Markup:
        # Tight list items render without <p> so bullets stay compact.
        if len(blocks) == 1 and isinstance(blocks[0], m.Paragraph):
            return self.inlines(blocks[0].children)
        return self.blocks(blocks)

    def div(self, div: m.Div) -> Markup:
        classes = " ".join(div.classes)
        heading = Markup('<h2 class="box-title">{}</h2>').format(div.title) if div.title else ""
        return Markup('<aside class="{}">{}{}</aside>').format(classes, heading, self.blocks(div.children))

    def bibliography(self) -> Markup:
        """The entries where the writer placed them (the template prints them otherwise)."""
        return Markup('<div class="csl-bib-body">{}</div>').format(Markup("").join(
            Markup('<p class="csl-entry" id="ref-{}">{}</p>').format(e.key, self.inlines(e.children))
            for e in self.doc.bibliography))

    def figure(self, figure: m.Figure) -> Markup:
        # The stylesheet's folder is the base URL, so figures are given as absolute file URLs.
        src = figure.images.get(IMAGE_FORMAT, self.project / figure.src).resolve().as_uri()
        alt = figure.alt or m.plain_text(figure.caption)
        size = _size_style(figure.width, figure.height)
        return Markup(
            '<figure{}><img src="{}" alt="{}"{}>'
            '<figcaption><span class="label">{} {}.</span> {}</figcaption></figure>'
        ).format(_id(figure.id), src, alt, size, self.doc.meta.label("figure"), figure.number, self.inlines(figure.caption))

    def image(self, image: m.Image) -> Markup:
        src = (image.path or self.project / image.src).resolve().as_uri()
        return Markup('<img class="inline" src="{}" alt="{}"{}>').format(
            src, image.alt, _size_style(image.width, image.height))

    def math(self, math: m.Math) -> Markup:
        from reportgen.document.math_svg import MathError, typeset  # matplotlib: only for documents with math

        try:
            typeset_math = typeset(math.tex, math.display)
        except MathError as exc:
            self.math_failures.append((math.tex, str(exc)))
            return Markup('<code class="math">{}</code>').format(math.tex)
        svg = Markup(typeset_math.svg)
        if not math.display:
            return Markup('<span class="math inline" style="vertical-align: -{:.2f}pt">{}</span>').format(
                typeset_math.depth, svg)
        number = Markup('<span class="eq-number">({})</span>').format(math.number) if math.number else ""
        return Markup('<span class="math display"{}>{}{}</span>').format(_id(math.id), svg, number)

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
        if isinstance(node, m.ParagraphBreak):
            return Markup('<span class="para-break"></span>')
        if isinstance(node, m.Math):
            return self.math(node)
        if isinstance(node, m.Image):
            return self.image(node)
        tags = {m.Emph: "em", m.Strong: "strong", m.Superscript: "sup", m.SmallCaps: 'span class="sc"',
                m.Subscript: "sub", m.Strikeout: "s", m.Underline: "u"}
        tag = tags.get(type(node))
        if tag is None:
            raise TypeError(f"unresolved node in document: {node!r}")
        # The kinds in `tags` are the wrappers with children.
        return Markup("<{}>{}</{}>").format(Markup(tag), self.inlines(node.children), Markup(tag.split()[0]))  # type: ignore[union-attr]


def _size_style(width: str, height: str) -> Markup:
    """`{width=50%}`, `{height=3cm}`: a bare number is pixels, as in Pandoc."""
    rules = [f"{name}: {value}{'px' if value.replace('.', '', 1).isdigit() else ''}"
             for name, value in (("width", width), ("height", height)) if value]
    if height and not width:
        rules.append("width: auto")
    return Markup(' style="{}"').format("; ".join(rules)) if rules else Markup("")


def _id(ident: str) -> Markup:
    """An `id` attribute, or nothing for an element without one."""
    return Markup(' id="{}"').format(ident) if ident else Markup("")
