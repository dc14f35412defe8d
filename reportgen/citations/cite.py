"""Cite stage: citation clusters -> formatted citations, notes and a bibliography, by CSL.

The CSL processor is Pandoc's citeproc (from the pinned `pypandoc-binary` package), run once
per build. citeproc-py, the Python alternative, crashes on locators with the packaged Chicago
style, initialises given names and misplaces locators; Pandoc's processor is the reference
implementation users compare against. We give it only the citation clusters, one paragraph
per note in document order, never the prose: parsing and rendering stay ours, and the notes
come back as Pandoc AST that `pandoc_ast` turns into model inlines.

A note style (`<style class="note">`, `<category citation-format="note"/>`) puts each
citation in a footnote; an author-date, numeric or label style puts it in the text, and only
the writer's own notes become footnotes (citations inside them stay in the note). The bibliography goes where the
writer put `::: {#refs}`, else under a final References or Bibliography heading, else after
the text under a heading of reportgen's.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

import yaml

from reportgen.atomic import write_atomic
from reportgen.document import model as m
from reportgen.document.pandoc_ast import Node, PandocDocument, inlines_from_pandoc
from reportgen.errors import ReportgenError, did_you_mean, raise_all
from reportgen.pandoc_process import pandoc_path, run_pandoc
from reportgen.pipeline.manifest import STATE_DIR
from reportgen.project.bibliography import Bibliography

if TYPE_CHECKING:
    from reportgen.project.load import Project

__all__ = ["CiteOptions", "check_citations", "citation_format", "cite_document", "pandoc_path", "resolve_citations"]

_XREF = re.compile(r"@((?:fig|sec|tbl|eq|lst)[-:]\w(?:[\w-]|:(?=\w))*)")
_PUNCTUATION = ".,;:!?"
_CATEGORY = re.compile(r"<category\b[^>]*\bcitation-format=[\"']([\w-]+)[\"']")
_STYLE_CLASS = re.compile(r"<style\b[^>]*\bclass=[\"'](note|in-text)[\"']")
_STYLE_HEAD_BYTES = 64 * 1024  # a style's <info> comes first
# Headings under which a writer leaves the bibliography to be printed (any language's word
# from terms.py counts too).
_REFERENCE_HEADINGS = {"references", "bibliography"}


@dataclass(frozen=True)
class CiteOptions:
    """What the config and front matter say about citations beyond the style."""

    link_citations: bool = False
    nocite: tuple[str, ...] = ()
    suppress_bibliography: bool = False
    unknown_citations: str = "error"  # or "warning": printed as Pandoc prints a missing key
    bibliography_title: str = "Bibliography"


def _style_head(csl: Path) -> str:
    with csl.open("rb") as file:
        return file.read(_STYLE_HEAD_BYTES).decode("utf-8", errors="replace")


def citation_format(csl: Path) -> str:
    """The style's `citation-format`: note, author-date, numeric, label or author. The root
    element's `class` ("note" or "in-text") is what Pandoc's citeproc goes by, so it decides
    whether citations are notes; the category says which kind of in-text style it is."""
    head = _style_head(csl)
    shape = _STYLE_CLASS.search(head)
    category = _CATEGORY.search(head)
    if shape and shape[1] == "note":
        return "note"
    if category and category[1] != "note":
        return category[1]
    return "author-date" if shape else (category[1] if category else "author-date")


@dataclass
class _NoteSlot:
    """One citation or note in document order: a citation cluster or an author footnote.
    `number` is the note's; 0 for a citation that an in-text style prints in the text."""

    number: int
    cite: m.Cite | None = None
    footnote: m.FootnoteRef | None = None
    inner: tuple[m.Cite, ...] = ()
    source: str = ""  # an author note's Markdown

    def markdown(self) -> str:
        if self.cite is not None:
            return self.cite.source if self.cite.in_text else _cluster_markdown(self.cite)
        # A note of its own, defined below its call: it may hold several paragraphs.
        body = self.source.replace("\n", "\n    ")
        return f"X[^n{self.number}]\n\n[^n{self.number}]: {body}"


def _cluster_markdown(cite: m.Cite) -> str:
    parts = []
    for item in cite.items:
        prefix = f"{item.prefix} " if item.prefix else ""
        minus = "-" if item.suppress_author else ""
        parts.append(f"{prefix}{minus}@{{{item.key}}}{item.suffix}")
    return "[" + "; ".join(parts) + "]"


def cite_document(project: Project, doc: m.Document) -> m.ResolvedDocument:
    """The cite stage: a new document with every citation and note formatted with the
    project's CSL style and the bibliography placed. `doc` must have passed `check_citations`
    (`check.check_document` runs it, once per build)."""
    assert project.csl is not None, "the CSL style failed to load"
    config = project.config
    in_text = citation_format(project.csl) != "note"
    options = CiteOptions(
        link_citations=config.link_citations, nocite=tuple(config.nocite),
        suppress_bibliography=config.suppress_bibliography, unknown_citations=config.checks.unknown_citations,
        bibliography_title=config.reference_section_title or doc.meta.label("references" if in_text else "bibliography"))
    return resolve_citations(doc, project.bib, project.csl, cache=project.root / STATE_DIR / "cache", options=options)


def resolve_citations(doc: m.Document, bib: Bibliography, csl: Path, cache: Path | None = None,
                      options: CiteOptions | None = None) -> m.ResolvedDocument:
    """A new document, `doc`'s with every Cite and FootnoteRef replaced by its formatted text
    or a NoteRef, its notes and bibliography filled: the document the backends take. `doc` is
    left as it was.

    `cache` is a folder where the processor's last answer is kept: an edit to the prose that
    leaves every citation as it was does not run the processor again.
    """
    options = options or CiteOptions()
    slots = list(_note_slots(doc, doc.labels, in_text=citation_format(csl) != "note"))
    if not slots and not options.nocite:
        return m.ResolvedDocument(doc.meta, m.copied(doc.blocks), bibliography_title="",
                                  contents_level=doc.contents_level)
    markdown = "\n\n".join(s.markdown() for s in slots) or "."
    output = cached_citeproc(markdown, bib, csl, doc.meta.language, cache, options)
    paragraphs = [b for b in output["blocks"] if b["t"] == "Para"][: len(slots)]
    if len(paragraphs) != len(slots):
        raise RuntimeError(f"citeproc returned {len(paragraphs)} notes for {len(slots)}")
    formatted = {id(s): p["c"] for s, p in zip(slots, paragraphs)}
    notes = [_make_note(slot, formatted[id(slot)]) for slot in slots if slot.number]
    blocks = _replace_calls(doc, slots, formatted)
    bibliography = [] if options.suppress_bibliography else _bibliography(output)
    title = ""
    if bibliography:
        blocks, title = _place_bibliography(blocks, doc.meta, options.bibliography_title)
    return m.ResolvedDocument(doc.meta, blocks, notes, bibliography, title, doc.contents_level)


def _note_slots(doc: m.Document, labels: dict[str, str], *, in_text: bool) -> Iterator[_NoteSlot]:
    number = 0
    for inlines in _all_inline_lists(doc.blocks):
        for node in m.walk_inlines(inlines):
            if isinstance(node, m.Cite) and in_text:
                yield _NoteSlot(0, cite=node)
            elif isinstance(node, m.Cite):
                number += 1
                yield _NoteSlot(number, cite=node)
            elif isinstance(node, m.FootnoteRef):
                number += 1
                body = doc.footnote_defs[node.label]
                inner = tuple(n for n in m.walk_inlines(body) if isinstance(n, m.Cite))
                source = _XREF.sub(lambda x: labels.get(x.group(1), x.group(0)), doc.footnote_sources[node.label])
                yield _NoteSlot(number, footnote=node, inner=inner, source=source)


def _place_bibliography(blocks: list[m.Block], meta: m.Meta, title: str) -> tuple[list[m.Block], str]:
    """In the writer's `::: {#refs}`; else after a final References heading; else after the
    text, under `title`. Returns the blocks and the title the backends print the bibliography
    under ("" for the first two)."""
    if any(isinstance(b, m.Div) and b.id == "refs" for b in m.walk_blocks(blocks)):
        placed: list[bool] = []

        def into_refs(block: m.Block) -> m.Block:
            if isinstance(block, m.Div) and block.id == "refs" and not placed:
                placed.append(True)
                return replace(block, children=[*block.children, m.BibliographyBlock()])
            return block

        return m.map_blocks(blocks, list, into_refs), ""
    headings = [b for b in m.walk_blocks(blocks) if isinstance(b, m.Heading)]
    names = _REFERENCE_HEADINGS | {meta.label(k).casefold() for k in ("references", "bibliography")}
    if headings and m.plain_text(headings[-1].children).strip().casefold() in names:
        return [*blocks, m.BibliographyBlock()], ""
    return blocks, title


def _all_inline_lists(blocks: list[m.Block]) -> Iterator[list[m.Inline]]:
    for block in m.walk_blocks(blocks):
        yield from m.inline_lists(block)


def check_citations(doc: m.Document, bib: Bibliography, unknown: str = "error") -> list[tuple[str, m.Location]]:
    """Every cited key is in the bibliography; every note call has its note. With `unknown`
    "warning", a missing key is returned as a warning instead of raised."""
    errors, warnings = [], []
    for node in (n for inlines in doc.all_inline_lists() for n in m.walk_inlines(inlines)):
        if isinstance(node, m.Cite):
            for item in node.items:
                if item.key not in bib:
                    message = f"unknown citation key '{item.key}'{did_you_mean(item.key, bib.items)}"
                    if unknown == "warning":
                        warnings.append((f"{message}; printed in bold as {item.key}?, as Pandoc prints it", node.location))
                    else:
                        errors.append(ReportgenError(message, node.location))
        elif isinstance(node, m.FootnoteRef) and node.label not in doc.footnote_defs:
            errors.append(ReportgenError("footnote has no definition", node.location))
    raise_all(errors)
    return warnings


def cached_citeproc(markdown: str, bib: Bibliography, csl: Path, language: str, cache: Path | None,
                    options: CiteOptions | None = None) -> PandocDocument:
    """`run_citeproc`, answered from `cache` when the clusters, sources, style and options are the same."""
    options = options or CiteOptions()
    if cache is None:
        return run_citeproc(markdown, bib, csl, language, options)
    bib_bytes = json.dumps([[str(s.path), s.items] for s in bib.sources], sort_keys=True, default=str).encode()
    key = hashlib.blake2b(digest_size=16)
    for part in (markdown.encode(), bib_bytes, csl.read_bytes(), _metadata(language, options).encode(),
                 pandoc_path().encode()):
        key.update(hashlib.blake2b(part, digest_size=16).digest())
    entry = cache / f"citeproc-{key.hexdigest()}.json"
    cached = _cached_answer(entry)
    if cached is not None:
        return cached
    output = run_citeproc(markdown, bib, csl, language, options)
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob("citeproc-*.json"):  # one entry per project is all an edit needs
        old.unlink(missing_ok=True)
    write_atomic(entry, json.dumps(output))
    return output


def _cached_answer(entry: Path) -> PandocDocument | None:
    """The processor's cached answer, or None when it is missing, not a regular file (a FIFO
    would block), or not of the shape Pandoc writes: a damaged cache is redone, never trusted."""
    try:
        if not entry.is_file():
            return None
        data = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    blocks = data.get("blocks") if isinstance(data, dict) else None
    if not isinstance(blocks, list) or not all(isinstance(b, dict) and "t" in b for b in blocks):
        return None
    return cast(PandocDocument, data)  # checked above: its blocks are nodes


def _metadata(language: str, options: CiteOptions) -> str:
    """What Pandoc reads beside the citations, as a metadata file (so `nocite` is read as citations)."""
    data: dict[str, object] = {"lang": language, "link-citations": options.link_citations,
                               "suppress-bibliography": options.suppress_bibliography}
    if options.nocite:
        data["nocite"] = " ".join(f"@{{{key}}}" if key != "*" else "@*" for key in options.nocite)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def run_citeproc(markdown: str, bib: Bibliography, csl: Path, language: str,
                 options: CiteOptions | None = None) -> PandocDocument:
    """Run Pandoc's citeproc over `markdown` and return the Pandoc JSON AST."""
    options = options or CiteOptions()
    with tempfile.TemporaryDirectory(prefix="reportgen-cite-") as tmp:
        args = ["--from=markdown-yaml_metadata_block", "--to=json", "--citeproc", f"--csl={csl}"]
        for index, source in enumerate(bib.sources):
            path = source.path
            if path is None:  # items with no file Pandoc reads: written out as CSL-YAML or CSL-JSON
                path = Path(tmp) / f"references-{index}.{'yaml' if source.markdown else 'json'}"
                text = (yaml.safe_dump({"references": source.items}, allow_unicode=True, sort_keys=False)
                        if source.markdown else json.dumps(source.items, ensure_ascii=False, default=str))
                path.write_text(text, encoding="utf-8")
            args.append(f"--bibliography={path}")
        metadata = Path(tmp) / "metadata.json"  # JSON is YAML
        metadata.write_text(_metadata(language, options), encoding="utf-8")
        args.append(f"--metadata-file={metadata}")
        output = run_pandoc(args, markdown.encode(), m.Location(csl), "the citation processor")
    return cast(PandocDocument, json.loads(output))  # what `--to=json` writes


def _unwrap_cites(nodes: list[Node]) -> list[Node]:
    """Pandoc keeps the formatted text inside each Cite node; we want the text alone."""
    out: list[Node] = []
    for node in nodes:
        out.extend(_unwrap_cites(node["c"][1]) if node["t"] == "Cite" else [node])
    return out


def _note_content(para: list[Node]) -> tuple[list[Node], list[Node]]:
    """Split a returned paragraph into (inlines before the note, the note's inlines)."""
    para = _unwrap_cites(para)
    for index, node in enumerate(para):
        if node["t"] == "Note":
            blocks = [b["c"] for b in node["c"] if b["t"] in ("Para", "Plain")]
            inner: list[Node] = []
            for number, block in enumerate(blocks):
                paragraph_break: list[Node] = [{"t": "ParagraphBreak"}] if number else []
                inner += paragraph_break + _unwrap_cites(block)
            return para[:index], inner
    return para, []


def _make_note(slot: _NoteSlot, para: list[Node]) -> m.Note:
    _, content = _note_content(para)
    if slot.cite is not None:
        keys = [item.key for item in slot.cite.items]
        return m.Note(slot.number, inlines_from_pandoc(content), "citation", keys)
    keys = [item.key for cite in slot.inner for item in cite.items]
    return m.Note(slot.number, inlines_from_pandoc(content), "author", keys)


def _replace_calls(doc: m.Document, slots: list[_NoteSlot], formatted: dict[int, list[Node]]) -> list[m.Block]:
    """`doc`'s blocks, copied with each citation and note call replaced."""
    by_node = {id(s.cite or s.footnote): s for s in slots}

    def call(node: m.Inline) -> list[m.Inline] | None:
        slot = by_node.get(id(node))
        if slot is None:
            return None
        out: list[m.Inline] = []
        before, _ = _note_content(formatted[id(slot)])
        if slot.cite is not None and (slot.cite.in_text or not slot.number):
            out.extend(inlines_from_pandoc(before))  # the author's name (or the whole citation) in the sentence
        if slot.number:
            out.append(m.NoteRef(slot.number))
        return out

    return m.map_blocks(doc.blocks, lambda run: m.map_inlines(run, call, _notes_after_punctuation))


def _notes_after_punctuation(inlines: list[m.Inline]) -> list[m.Inline]:
    """Chicago's (and Pandoc's) placement: 'text.¹' not 'text ¹.'."""
    out: list[m.Inline] = []
    for node in inlines:
        if isinstance(node, m.NoteRef):
            if out and isinstance(out[-1], m.Text):
                out[-1] = m.Text(out[-1].text.rstrip())
            out.append(node)
            continue
        if isinstance(node, m.Text) and out and isinstance(out[-1], m.NoteRef):
            moved = len(node.text) - len(node.text.lstrip(_PUNCTUATION))
            if moved:
                out.insert(len(out) - 1, m.Text(node.text[:moved]))
                node = m.Text(node.text[moved:])
        out.append(node)
    return m.merge_text(out)


def _bibliography(output: PandocDocument) -> list[m.BibEntry]:
    entries = []
    for block in output["blocks"]:
        if block["t"] != "Div" or block["c"][0][0] != "refs":
            continue
        for entry in block["c"][1]:
            key = entry["c"][0][0].removeprefix("ref-")
            inlines = [n for b in entry["c"][1] if b["t"] in ("Para", "Plain") for n in b["c"]]
            entries.append(m.BibEntry(key, inlines_from_pandoc(_spaced_label(inlines))))
    return entries


def _spaced_label(inlines: list[Node]) -> list[Node]:
    """A numeric style's entry starts with its label in a margin span ("[1]"): a space after it,
    as Pandoc's plain-text writer puts, where the HTML would use a column."""
    out: list[Node] = []
    for node in inlines:
        out.append(node)
        if node["t"] == "Span" and "csl-left-margin" in node["c"][0][1]:
            out.append({"t": "Space"})
    return out
