"""Numbering and cross-references: "Section 3", "Figure 2", "Table 1", "Equation 4".

Numbered level-1 headings get "1", "2", ...; level 2 get "1.1". Figures, tables, numbered
equations and listings are numbered in order, each kind on its own. Both families of
cross-references resolve: Quarto's `@fig-x` and pandoc-crossref's `@fig:x` (likewise `tbl`,
`eq`, `sec`, `lst`). An unknown target is an error naming the file and line of the reference.

`resolve` is the stage: a read `Document` -> a new, numbered one. It also makes the
decisions both backends share (the contents' level, the key-findings box and its title),
so that neither backend decides them itself.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from reportgen.document import model as m
from reportgen.errors import Diagnostics, ReportgenError, combined, did_you_mean, raise_all

# Each kind's word in `Meta.labels` ("Figure", "Abbildung"...: the brief's language).
KIND_LABELS = {"fig": "figure", "tbl": "table", "eq": "equation", "lst": "listing", "sec": "section"}


def resolve(doc: m.Document, found: Diagnostics) -> m.Document:
    """A new document, numbered, its cross-references resolved (errors collected in `found`)
    and the decisions both backends share made: the contents' level, the key-findings box
    and its title. `doc` is left as it was."""
    numbered, labels = number_document(doc)
    errors: list[ReportgenError] = []
    resolved = cross_referenced(numbered, labels, errors)
    if errors:
        found.add_error(combined(errors))
    return replace(resolved, labels=labels, contents_level=contents_level(resolved))


def contents_level(doc: m.Document) -> int:
    """The level the contents list: the top one the writer used (1, or 2 for a text of `##`)."""
    return min((h.level for h in doc.headings(max_level=6)), default=1)


def boxed(block: m.Block, meta: m.Meta) -> m.Block:
    """A `::: {.key-findings}` div is the key-findings box; it is titled in the brief's
    language unless the writer gave it a heading of its own."""
    if not isinstance(block, m.Div) or m.KEY_FINDINGS not in block.classes:
        return block
    own_heading = any(isinstance(b, m.Heading) for b in block.children)
    return replace(block, key_findings=True, title="" if own_heading else meta.label("key_findings"))


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


def number_document(doc: m.Document) -> tuple[m.Document, dict[str, str]]:
    """A new document with its headings, figures, tables, equations and listings numbered
    (and its key-findings box marked); and each id's reference text."""
    labels: dict[str, str] = {}
    counters = [0, 0, 0]
    counts: Counter[str] = Counter()

    def count(kind: str, ident: str) -> int:
        counts[kind] += 1
        if ident:
            labels[ident] = f"{doc.meta.label(KIND_LABELS[kind])} {counts[kind]}"
        return counts[kind]

    def block(b: m.Block) -> m.Block:
        if isinstance(b, m.Heading):
            if b.numbered and b.level <= 3 and doc.meta.number_sections:
                counters[b.level - 1] += 1
                counters[b.level :] = [0] * (3 - b.level)
                b = replace(b, number=".".join(str(n) for n in counters[: b.level]))
                if b.id:
                    labels[b.id] = f"{doc.meta.label('section')} {b.number}"
            elif b.id:  # unnumbered, as Quarto refers to them: by their title
                labels[b.id] = m.plain_text(b.children)
        elif isinstance(b, m.Figure):
            b = replace(b, number=count("fig", b.id))
        elif isinstance(b, m.Table) and (b.caption or b.id):
            b = replace(b, number=count("tbl", b.id))
        elif isinstance(b, m.CodeBlock) and (b.caption or kind_of(b.id)):
            b = replace(b, number=count(caption_kind(b), b.id))
        return boxed(b, doc.meta)

    def equation(node: m.Inline) -> list[m.Inline] | None:
        if isinstance(node, m.Math) and node.display and node.id:
            return [replace(node, number=count("eq", node.id))]
        return None

    blocks = m.map_blocks(doc.blocks, lambda run: m.map_inlines(run, equation), block)
    return replace(doc, blocks=blocks), labels


def cross_referenced(doc: m.Document, labels: dict[str, str], errors: list[ReportgenError]) -> m.Document:
    """A new document with every `CrossRef` (author notes' too) a `Ref`; an unknown target is
    an error, added to `errors`, and printed as its name."""

    def ref(node: m.Inline) -> list[m.Inline] | None:
        if not isinstance(node, m.CrossRef):
            return None
        if node.target not in labels:
            hint = did_you_mean(node.target, labels)
            errors.append(ReportgenError(f"cross-reference to unknown '{node.target}'{hint}", node.location))
            return [m.Text(node.target)]
        return [m.Ref(node.target, labels[node.target])]

    def runs(run: list[m.Inline]) -> list[m.Inline]:
        return m.map_inlines(run, ref)

    return replace(doc, blocks=m.map_blocks(doc.blocks, runs),
                   footnote_defs={label: runs(body) for label, body in doc.footnote_defs.items()})
