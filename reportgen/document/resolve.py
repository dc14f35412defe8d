"""Numbering and cross-references: "Section 3", "Figure 2", "Table 1", "Equation 4".

Numbered level-1 headings get "1", "2", ...; level 2 get "1.1". Figures, tables, numbered
equations and listings are numbered in order, each kind on its own. Both families of
cross-references resolve: Quarto's `@fig-x` and pandoc-crossref's `@fig:x` (likewise `tbl`,
`eq`, `sec`, `lst`). An unknown target is an error naming the file and line of the reference.

`resolve` is the stage: it also makes the decisions both backends share (the contents'
level, the key-findings box and its title), so that neither backend decides them itself.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from reportgen.document import model as m
from reportgen.errors import Diagnostics, ReportgenError, did_you_mean, raise_all

# Each kind's word in `Meta.labels` ("Figure", "Abbildung"...: the brief's language).
KIND_LABELS = {"fig": "figure", "tbl": "table", "eq": "equation", "lst": "listing", "sec": "section"}


def resolve(doc: m.Document, found: Diagnostics) -> m.Document:
    """Number the document, resolve its cross-references (errors collected in `found`) and
    set what both backends print alike. Consumes `doc` (its blocks are changed in place, see
    `model`); returns the resolved value."""
    labels = number_document(doc)
    with found.collecting():
        resolve_cross_references(doc, labels)
    mark_boxes(doc)
    return replace(doc, labels=labels, contents_level=contents_level(doc))


def contents_level(doc: m.Document) -> int:
    """The level the contents list: the top one the writer used (1, or 2 for a text of `##`)."""
    return min((h.level for h in doc.headings(max_level=6)), default=1)


def mark_boxes(doc: m.Document) -> None:
    """A `::: {.key-findings}` div is the key-findings box; it is titled in the brief's
    language unless the writer gave it a heading of its own."""
    for block in m.walk_blocks(doc.blocks):
        if isinstance(block, m.Div) and m.KEY_FINDINGS in block.classes:
            block.key_findings = True
            own_heading = any(isinstance(b, m.Heading) for b in block.children)
            block.title = "" if own_heading else doc.meta.label("key_findings")


def kind_of(ident: str) -> str:
    """`fig-x` and `fig:x` -> "fig"; "" for an id of no cross-reference kind."""
    for kind in KIND_LABELS:
        if ident.startswith((kind + "-", kind + ":")):
            return kind
    return ""


def caption_kind(block: m.CodeBlock) -> str:
    """What a captioned code block is numbered as: a chunk's figure or table, or a listing."""
    kind = kind_of(block.id)
    return kind if kind in ("fig", "tbl") else "lst"


def unique_heading_ids(doc: m.Document) -> None:
    """Pandoc makes identifiers unique within a file; sections are read apart, so across them
    a repeated one gets Pandoc's `-1`, `-2` suffix here."""
    seen: Counter[str] = Counter()
    for block in m.walk_blocks(doc.blocks):
        if isinstance(block, m.Heading) and block.id:
            seen[block.id] += 1
            if seen[block.id] > 1:
                block.id = f"{block.id}-{seen[block.id] - 1}"


def check_unique_ids(doc: m.Document, sources: dict[Path, list[str]]) -> None:
    """An id written twice (`{#sec-x}` on two headings, a figure's id on a heading too) would
    make `@id` point at either: an error naming both places. Ids Pandoc makes from heading
    text may repeat across sections; `unique_heading_ids` numbers those, as Pandoc does.
    `sources` holds each section's lines, to tell a written id from a made one."""
    first: dict[str, m.Location | None] = {}
    errors: list[ReportgenError] = []
    for block in m.walk_blocks(doc.blocks):
        if not isinstance(block, (m.Heading, m.Figure)) or not block.id:
            continue
        if isinstance(block, m.Heading) and not _written(block, sources):
            continue
        if block.id in first:
            earlier = first[block.id]
            where = f" (first at {earlier})" if earlier else ""
            errors.append(ReportgenError(f"duplicate id '{block.id}'{where}", block.location))
        else:
            first[block.id] = block.location
    raise_all(errors)


def _written(heading: m.Heading, sources: dict[Path, list[str]]) -> bool:
    """Whether the heading's line carries its id in an attribute block (`{#id}`)."""
    where = heading.location
    lines = sources.get(where.path, []) if where is not None else []
    if where is None or not 0 < where.line <= len(lines):
        return False
    return re.search(r"\{[^}]*#" + re.escape(heading.id) + r"(?=[\s}])", lines[where.line - 1]) is not None


def number_document(doc: m.Document) -> dict[str, str]:
    """Number headings, figures, tables, equations and listings in place; return each id's
    reference text."""
    labels: dict[str, str] = {}
    counters = [0, 0, 0]
    counts: Counter[str] = Counter()

    def count(kind: str, ident: str) -> int:
        counts[kind] += 1
        if ident:
            labels[ident] = f"{doc.meta.label(KIND_LABELS[kind])} {counts[kind]}"
        return counts[kind]

    for block in m.walk_blocks(doc.blocks):
        if isinstance(block, m.Heading):
            if block.numbered and block.level <= 3 and doc.meta.number_sections:
                counters[block.level - 1] += 1
                counters[block.level :] = [0] * (3 - block.level)
                block.number = ".".join(str(n) for n in counters[: block.level])
                if block.id:
                    labels[block.id] = f"{doc.meta.label('section')} {block.number}"
            elif block.id:  # unnumbered, as Quarto refers to them: by their title
                labels[block.id] = m.plain_text(block.children)
        elif isinstance(block, m.Figure):
            block.number = count("fig", block.id)
        elif isinstance(block, m.Table) and (block.caption or block.id):
            block.number = count("tbl", block.id)
        elif isinstance(block, m.CodeBlock) and (block.caption or kind_of(block.id)):
            block.number = count(caption_kind(block), block.id)
        for inlines in m.inline_lists(block):
            for node in m.walk_inlines(inlines):
                if isinstance(node, m.Math) and node.display and node.id:
                    node.number = count("eq", node.id)
    return labels


def resolve_cross_references(doc: m.Document, labels: dict[str, str]) -> None:
    """Every `CrossRef` (author notes' too) becomes a `Ref`; an unknown target is an error."""
    errors: list[ReportgenError] = []

    def ref(node: m.Inline) -> list[m.Inline] | None:
        if not isinstance(node, m.CrossRef):
            return None
        if node.target not in labels:
            hint = did_you_mean(node.target, labels)
            errors.append(ReportgenError(f"cross-reference to unknown '{node.target}'{hint}", node.location))
            return [m.Text(node.target)]
        return [m.Ref(node.target, labels[node.target])]

    m.rewrite_inlines(doc.all_inline_lists(), ref)
    raise_all(errors)
