"""Numbering and cross-references: "Section 3", "Figure 2".

Numbered level-1 headings get "1", "2", ...; level 2 get "1.1". Figures are numbered in
order. `@fig-x` and `@sec-x` become `Ref`s with that text; an unknown target is an error
that names the file and line of the reference.
"""

from __future__ import annotations

from reportgen import model as m
from reportgen.errors import ReportgenError, did_you_mean, raise_all


def number_document(doc: m.Document) -> dict[str, str]:
    """Number headings and figures in place; return each id's reference text."""
    labels: dict[str, str] = {}
    counters = [0, 0, 0]
    figures = 0
    for block in m.walk_blocks(doc.blocks):
        if isinstance(block, m.Heading) and block.numbered and block.level <= 3 and not doc.meta.number_sections:
            if block.id:  # unnumbered, as Quarto refers to them: by their title
                labels[block.id] = m.plain_text(block.children)
        elif isinstance(block, m.Heading) and block.numbered and block.level <= 3:
            counters[block.level - 1] += 1
            counters[block.level :] = [0] * (3 - block.level)
            block.number = ".".join(str(n) for n in counters[: block.level])
            if block.id:
                labels[block.id] = f"{doc.meta.label('section')} {block.number}"
        elif isinstance(block, m.Figure):
            figures += 1
            block.number = figures
            if block.id:
                labels[block.id] = f"{doc.meta.label('figure')} {figures}"
    return labels


def resolve_cross_references(doc: m.Document, labels: dict[str, str]) -> None:
    errors: list[ReportgenError] = []
    for block in m.walk_blocks(doc.blocks):
        for inlines in m.inline_lists(block):
            inlines[:] = [_resolve(node, labels, errors) for node in inlines]
    for inlines in doc.footnote_defs.values():
        inlines[:] = [_resolve(node, labels, errors) for node in inlines]
    raise_all(errors)


def _resolve(node: m.Inline, labels: dict[str, str], errors: list[ReportgenError]) -> m.Inline:
    if isinstance(node, m.CrossRef):
        if node.target not in labels:
            hint = did_you_mean(node.target, labels)
            errors.append(ReportgenError(f"cross-reference to unknown '{node.target}'{hint}", node.location))
            return m.Text(node.target)
        return m.Ref(node.target, labels[node.target])
    children = getattr(node, "children", None)
    if isinstance(children, list):
        children[:] = [_resolve(child, labels, errors) for child in children]
    return node
