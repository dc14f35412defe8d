"""Cite stage: citation clusters -> numbered notes and a bibliography, formatted by CSL.

The CSL processor is Pandoc's citeproc (from the pinned `pypandoc-binary` package), run once
per build. citeproc-py, the Python alternative, crashes on locators with the packaged Chicago
style, initialises given names and misplaces locators; Pandoc's processor is the reference
implementation users compare against. We give it only the citation clusters, one paragraph
per note in document order, never the prose: parsing and rendering stay ours, and the notes
come back as Pandoc AST that `pandoc_ast` turns into model inlines.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reportgen import model as m
from reportgen.bibliography import Bibliography
from reportgen.errors import ReportgenError, did_you_mean, raise_all
from reportgen.manifest import write_atomic
from reportgen.pandoc_ast import inlines_from_pandoc

_XREF = re.compile(r"@((?:fig|sec|tbl)-[\w-]+)")
_PUNCTUATION = ".,;:!?"


@dataclass
class _NoteSlot:
    """One note in document order: a citation cluster or an author footnote."""

    number: int
    cite: m.Cite | None = None
    footnote: m.FootnoteRef | None = None
    inner: tuple[m.Cite, ...] = ()
    source: str = ""  # an author note's Markdown

    def markdown(self) -> str:
        if self.cite is not None:
            return self.cite.source if self.cite.in_text else _cluster_markdown(self.cite)
        return f"X^[{self.source}]"


def _cluster_markdown(cite: m.Cite) -> str:
    parts = []
    for item in cite.items:
        prefix = f"{item.prefix} " if item.prefix else ""
        minus = "-" if item.suppress_author else ""
        parts.append(f"{prefix}{minus}@{{{item.key}}}{item.suffix}")
    return "[" + "; ".join(parts) + "]"


def resolve_citations(doc: m.Document, bib: Bibliography, csl: Path, labels: dict[str, str] | None = None,
                      cache: Path | None = None) -> None:
    """Replace every Cite and FootnoteRef in `doc` with NoteRefs; fill notes and bibliography.

    `labels` maps cross-reference targets to their text ("Figure 2"), for author notes.
    `cache` is a folder where the processor's last answer is kept: an edit to the prose that
    leaves every citation as it was does not run the processor again.
    """
    check_citations(doc, bib)
    slots = list(_note_slots(doc, labels or {}))
    if not slots:
        return
    output = cached_citeproc("\n\n".join(s.markdown() for s in slots), bib, csl, doc.meta.language, cache)
    paragraphs = [b for b in output["blocks"] if b["t"] == "Para"]
    if len(paragraphs) != len(slots):
        raise RuntimeError(f"citeproc returned {len(paragraphs)} notes for {len(slots)}")
    formatted = {id(s): p["c"] for s, p in zip(slots, paragraphs)}
    doc.notes = [_make_note(slot, formatted[id(slot)], doc) for slot in slots]
    _replace_calls(doc, slots, formatted)
    doc.bibliography = _bibliography(output)


def _note_slots(doc: m.Document, labels: dict[str, str]) -> Iterator[_NoteSlot]:
    number = 0
    for inlines in _all_inline_lists(doc.blocks):
        for node in m.walk_inlines(inlines):
            if isinstance(node, m.Cite):
                number += 1
                yield _NoteSlot(number, cite=node)
            elif isinstance(node, m.FootnoteRef):
                number += 1
                body = doc.footnote_defs[node.label]
                inner = tuple(n for n in m.walk_inlines(body) if isinstance(n, m.Cite))
                source = _XREF.sub(lambda x: labels.get(x.group(1), x.group(0)), doc.footnote_sources[node.label])
                yield _NoteSlot(number, footnote=node, inner=inner, source=source)


def _all_inline_lists(blocks: list[m.Block]) -> Iterator[list[m.Inline]]:
    for block in m.walk_blocks(blocks):
        yield from m.inline_lists(block)




def check_citations(doc: m.Document, bib: Bibliography) -> None:
    """Every cited key is in the bibliography; every note call has its note."""
    errors = []
    for node in (n for inlines in doc.all_inline_lists() for n in m.walk_inlines(inlines)):
        if isinstance(node, m.Cite):
            for item in node.items:
                if item.key not in bib:
                    hint = did_you_mean(item.key, bib.items)
                    errors.append(ReportgenError(f"unknown citation key '{item.key}'{hint}", node.location))
        elif isinstance(node, m.FootnoteRef) and node.label not in doc.footnote_defs:
            errors.append(ReportgenError("footnote has no definition", node.location))
    raise_all(errors)


def pandoc_path() -> str:
    import pypandoc  # light import; only for the bundled binary's path

    return pypandoc.get_pandoc_path()


def cached_citeproc(markdown: str, bib: Bibliography, csl: Path, language: str, cache: Path | None) -> dict:
    """`run_citeproc`, answered from `cache` when the clusters, sources and style are the same."""
    if cache is None:
        return run_citeproc(markdown, bib, csl, language)
    bib_bytes = json.dumps(bib.items, sort_keys=True, default=str).encode()
    key = hashlib.blake2b(digest_size=16)
    for part in (markdown.encode(), bib_bytes, csl.read_bytes(), language.encode(), pandoc_path().encode()):
        key.update(hashlib.blake2b(part, digest_size=16).digest())
    entry = cache / f"citeproc-{key.hexdigest()}.json"
    try:
        return json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    output = run_citeproc(markdown, bib, csl, language)
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob("citeproc-*.json"):  # one entry per project is all an edit needs
        old.unlink(missing_ok=True)
    write_atomic(entry, json.dumps(output))
    return output


def run_citeproc(markdown: str, bib: Bibliography, csl: Path, language: str) -> dict:
    """Run Pandoc's citeproc over `markdown` and return the Pandoc JSON AST."""
    with tempfile.TemporaryDirectory(prefix="reportgen-cite-") as tmp:
        refs = bib.pandoc_file or Path(tmp) / "references.json"
        if bib.pandoc_file is None:  # a bare YAML list: hand Pandoc the same items as CSL-JSON
            refs.write_text(json.dumps(list(bib.items.values()), ensure_ascii=False, default=str), encoding="utf-8")
        command = [  # --sandbox: Pandoc reads only the files named here and fetches nothing
            pandoc_path(), "--sandbox", "--from=markdown-yaml_metadata_block", "--to=json", "--citeproc",
            f"--bibliography={refs}", f"--csl={csl}", f"--metadata=lang:{language}",
        ]
        done = subprocess.run(command, input=markdown.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise ReportgenError(f"the citation processor failed: {pandoc_message(done.stderr)}", m.Location(csl))
    return json.loads(done.stdout)


def pandoc_message(stderr: bytes, limit: int = 200) -> str:
    """Pandoc's error, its first line only and shortened: an XML error quotes the text it
    could not parse, which must not be echoed into a log."""
    lines = stderr.decode(errors="replace").strip().splitlines() or ["no message"]
    first = re.sub(r"\s*\(?(ContentText|EventContent)\b.*", " (content not shown)", lines[0])
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _unwrap_cites(nodes: list[dict]) -> list[dict]:
    """Pandoc keeps the formatted text inside each Cite node; we want the text alone."""
    out: list[dict] = []
    for node in nodes:
        out.extend(_unwrap_cites(node["c"][1]) if node["t"] == "Cite" else [node])
    return out


def _note_content(para: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split a returned paragraph into (inlines before the note, the note's inlines)."""
    para = _unwrap_cites(para)
    for index, node in enumerate(para):
        if node["t"] == "Note":
            blocks = [b["c"] for b in node["c"] if b["t"] in ("Para", "Plain")]
            inner: list[dict] = []
            for number, block in enumerate(blocks):
                inner += ([{"t": "LineBreak"}] if number else []) + _unwrap_cites(block)
            return para[:index], inner
    return para, []


def _make_note(slot: _NoteSlot, para: list[dict], doc: m.Document) -> m.Note:
    _, content = _note_content(para)
    if slot.cite is not None:
        keys = [item.key for item in slot.cite.items]
        return m.Note(slot.number, inlines_from_pandoc(content), "citation", keys)
    keys = [item.key for cite in slot.inner for item in cite.items]
    return m.Note(slot.number, inlines_from_pandoc(content), "author", keys)


def _replace_calls(doc: m.Document, slots: list[_NoteSlot], formatted: dict[int, list[dict]]) -> None:
    by_node = {id(s.cite or s.footnote): s for s in slots}
    for inlines in _all_inline_lists(doc.blocks):
        inlines[:] = _calls_in(inlines, by_node, formatted)


def _calls_in(inlines: list[m.Inline], by_node: dict[int, _NoteSlot], formatted: dict[int, list[dict]]) -> list[m.Inline]:
    out: list[m.Inline] = []
    for node in inlines:
        slot = by_node.get(id(node))
        if slot is None:
            children = getattr(node, "children", None)
            if isinstance(children, list):
                node.children = _calls_in(children, by_node, formatted)  # type: ignore[union-attr]
            out.append(node)
            continue
        before, _ = _note_content(formatted[id(slot)])
        if slot.cite is not None and slot.cite.in_text:
            out.extend(inlines_from_pandoc(before))  # the author's name stays in the sentence
        out.append(m.NoteRef(slot.number))
    return _notes_after_punctuation(out)


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



def _bibliography(output: dict) -> list[m.BibEntry]:
    entries = []
    for block in output["blocks"]:
        if block["t"] != "Div" or block["c"][0][0] != "refs":
            continue
        for entry in block["c"][1]:
            key = entry["c"][0][0].removeprefix("ref-")
            inlines = [n for b in entry["c"][1] if b["t"] in ("Para", "Plain") for n in b["c"]]
            entries.append(m.BibEntry(key, inlines_from_pandoc(inlines)))
    return entries
