"""Guards for the shipped brief itself: the real project at the repository root.

These tests do not exercise reportgen on toy input (the other test modules do); they check
that the Armenia brief as committed is sound: every citation resolves, every source is used,
every data row is sourced, every chart reaches both outputs, the length and as-of date are
right, and every paragraph that states a figure or a date carries a note.

The brief is copied once per module into a temporary folder and built there (PDF and DOCX,
~10-15 s), so that its charts, outputs and caches never land in the checkout.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
import yaml
from pypdf import PdfReader
from pypdf.generic import ArrayObject

from reportgen.document import model as m
from reportgen.document.reader import parse_file
from reportgen.errors import ReportgenError
from reportgen.pipeline.build import build
from reportgen.pipeline.results import BuildResult
from reportgen.project.bibliography import load_bibliography
from reportgen.project.config import load_config
from reportgen.project.load import Project
from reportgen.stages import load_project, resolved_document
from tests.conftest import REPO, copy_shipped
from tests.pdftext import notes_per_page

SEEDS = REPO / "content" / "seeds.yaml"
WORDS_MIN, WORDS_MAX = 3_000, 4_500
# WeasyPrint draws an SVG chart straight into the page's content stream (no XObject), glyphs
# as outlines: the chart pages of the shipped brief have 5,600-21,800 path operators, text
# pages 0-75 (footnote rules, the key-findings box, the cover).
PATH_OPERATORS = {b"m", b"l", b"c", b"v", b"y", b"h", b"re"}
MIN_CHART_PATH_OPS = 500


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def brief_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped project, built and checked in place of the checkout."""
    return copy_shipped(tmp_path_factory.mktemp("shipped") / "brief")


@pytest.fixture(scope="module")
def brief_project(brief_root: Path) -> Project:
    """The shipped project, loaded and validated (config, bibliography, chart data)."""
    return load_project(brief_root)


@pytest.fixture(scope="module")
def brief_doc(brief_project: Project) -> m.Document:
    """The fully resolved document: citations turned into notes, references numbered."""
    return resolved_document(brief_project)


@pytest.fixture(scope="module")
def brief_build(brief_root: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The brief built once, as PDF and DOCX, into a temporary folder."""
    result = build(brief_root, ["pdf", "docx"], tmp_path_factory.mktemp("brief"))
    assert [p.suffix for p in result.outputs] == [".pdf", ".docx"]
    return result


@pytest.fixture(scope="module")
def pdf(brief_build: BuildResult) -> PdfReader:
    return PdfReader(brief_build.outputs[0])


@pytest.fixture(scope="module")
def pdf_pages(pdf: PdfReader) -> list[str]:
    """Each page's extracted text (extraction takes a few seconds, so it is done once)."""
    return [page.extract_text() or "" for page in pdf.pages]


@pytest.fixture(scope="module")
def word_path(brief_build: BuildResult) -> Path:
    return brief_build.outputs[1]


# --- helpers ---------------------------------------------------------------------------


def cited_keys(doc: m.Document) -> set[str]:
    return {key for note in doc.notes for key in note.keys}


def figure_numbers(project: Project, doc: m.Document) -> dict[str, int]:
    """Chart id -> its figure number in the brief."""
    numbers = {f.id: f.number for f in doc.figures()}
    return {chart.id: numbers[chart.id] for chart in project.config.charts}


def squash(text: str) -> str:
    return " ".join(text.split())




def prose(inlines: list[m.Inline]) -> str:
    """The words a reader sees, without note calls and without cross-reference labels."""
    out: list[str] = []
    for node in inlines:
        if isinstance(node, (m.Text, m.Code)):
            out.append(node.text)
        elif isinstance(node, (m.LineBreak, m.Ref, m.NoteRef)):  # "Figure 2", "Section 9": not facts
            out.append(" ")
        elif isinstance(getattr(node, "children", None), list):
            out.append(prose(node.children))  # type: ignore[union-attr]
    return "".join(out)


def count_words(text: str) -> int:
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


@dataclass
class BodyParagraph:
    path: Path
    line: int  # 0 when it could not be placed
    paragraph: m.Paragraph

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


def body_paragraphs(project: Project, doc: m.Document) -> list[BodyParagraph]:
    """Every paragraph of the resolved document (lists and boxes included), with its file.

    `parse_document` concatenates the sections' top-level blocks in config order, so each
    section's share of `doc.blocks` is as long as that file parses to on its own.
    """
    out: list[BodyParagraph] = []
    start = 0
    for section in project.config.sections:
        count = len(parse_file(project.root / section, display=section).blocks)
        blocks = doc.blocks[start : start + count]
        start += count
        paragraphs = [b for b in m.walk_blocks(blocks) if isinstance(b, m.Paragraph)]
        lines = [p.location.line if p.location else 0 for p in paragraphs]
        out.extend(BodyParagraph(section, line, p) for line, p in zip(lines, paragraphs, strict=True))
    assert start == len(doc.blocks), "sections' blocks do not add up to the document's"
    return out


def page_graphics(page) -> tuple[list[str], int]:
    """(subtypes of the page's XObjects, number of path-construction operators drawn)."""
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else {}
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else {}
    subtypes = [str(x.get_object().get("/Subtype")) for x in xobjects.values()]
    contents = page.get("/Contents")
    if contents is None:
        return subtypes, 0
    contents = contents.get_object()
    streams = contents if isinstance(contents, ArrayObject) else [contents]
    data = b"\n".join(s.get_object().get_data() for s in streams)
    # Operators are whitespace-separated tokens; WeasyPrint writes text as hex glyph ids, so
    # no string operand can pass for an operator.
    return subtypes, sum(1 for token in data.split() if token in PATH_OPERATORS)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- 1. citations resolve --------------------------------------------------------------


def test_every_citation_key_resolves(brief_project: Project) -> None:
    """resolved_document rejects unknown keys; each note's keys must also be in the bibliography."""
    try:
        brief_doc = resolved_document(brief_project)
    except ReportgenError as exc:
        pytest.fail(f"resolved_document rejects the sections:\n{exc}", pytrace=False)
    bib = brief_project.bibliography
    assert brief_doc.notes, "the brief has no notes"
    unknown = [(n.number, k) for n in brief_doc.notes for k in n.keys if k not in bib]
    assert not unknown, f"notes cite keys missing from {bib.path}: {unknown}"
    keyless = [n.number for n in brief_doc.notes if n.kind == "citation" and not n.keys]
    assert not keyless, f"citation notes without a key: {keyless}"
    empty = [n.number for n in brief_doc.notes if not m.plain_text(n.children).strip()]
    assert not empty, f"notes that rendered empty: {empty}"
    assert [n.number for n in brief_doc.notes] == list(range(1, len(brief_doc.notes) + 1))


# --- 2. every source is cited ----------------------------------------------------------


def test_every_seed_key_is_cited(brief_project: Project, brief_doc: m.Document) -> None:
    seeds = yaml.safe_load(SEEDS.read_text(encoding="utf-8"))
    assert isinstance(seeds, dict) and seeds, f"{SEEDS} should map source documents to keys"
    cited = cited_keys(brief_doc)
    missing_from_bib, uncited = [], []
    for document, keys in seeds.items():
        assert isinstance(keys, list) and keys, f"{SEEDS}: {document} lists no keys"
        for key in keys:
            if key not in brief_project.bibliography:
                missing_from_bib.append(f"{document}: {key}")
            if key not in cited:
                uncited.append(f"{document}: {key}")
    assert not missing_from_bib, "seed keys not in the bibliography:\n" + "\n".join(missing_from_bib)
    assert not uncited, "seed keys never cited in the notes:\n" + "\n".join(uncited)


def test_every_bibliography_entry_is_cited(brief_project: Project, brief_doc: m.Document) -> None:
    bib = brief_project.bibliography
    uncited = sorted(set(bib.items) - cited_keys(brief_doc))
    assert not uncited, "uncited bibliography entries:\n" + "\n".join(f"{bib.locations[k]}: {k}" for k in uncited)
    # The printed bibliography (Pandoc lists cited works only) therefore holds every entry.
    assert {e.key for e in brief_doc.bibliography} == set(bib.items)


# --- 3. every data row is sourced ------------------------------------------------------


def test_every_data_row_source_is_in_bibliography(brief_root: Path) -> None:
    """Read the data files directly (not through reportgen's loader), then load the project."""
    config, _ = load_config(brief_root)
    bib = load_bibliography(brief_root / config.bibliography[0])
    assert config.charts, "reportgen.yml declares no charts"
    problems: list[str] = []
    for chart in config.charts:
        text = (brief_root / chart.data).read_text(encoding="utf-8")
        if chart.kind == "timeline":
            rows = yaml.safe_load(text)
            assert isinstance(rows, list) and rows, f"{chart.data}: expected a list of events"
            where = [f"{chart.data} event {n}" for n in range(1, len(rows) + 1)]
        else:
            rows = list(csv.DictReader(text.splitlines()))
            assert rows, f"{chart.data} has no rows"
            assert chart.source in rows[0], f"{chart.data}: no '{chart.source}' column"
            where = [f"{chart.data} line {n}" for n in range(2, len(rows) + 2)]
        for place, row in zip(where, rows, strict=True):
            key = str(row.get(chart.source) or "").strip()
            if key not in bib:
                problems.append(f"{place}: source {key!r} is not in the bibliography")
    assert not problems, "\n".join(problems)
    try:  # reportgen's own validation of the same rows
        project = load_project(brief_root)
    except ReportgenError as exc:
        pytest.fail(f"load_project rejects the project:\n{exc}", pytrace=False)
    assert set(project.datasets) == {chart.id for chart in config.charts}


def test_refugee_chart_dates_each_figure_by_its_report(brief_root: Path) -> None:
    """The refugee chart's own rule (its caption, Section 6): a point's date is the date of the
    report that gives it, one point per day, and the cumulative count never falls."""
    config, _ = load_config(brief_root)
    chart = next(c for c in config.charts if c.id == "fig-refugees")
    bib = load_project(brief_root).bibliography
    rows = list(csv.DictReader((brief_root / chart.data).read_text(encoding="utf-8").splitlines()))
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        parts = bib.items[row[chart.source]].get("issued", {}).get("date-parts", [[]])[0]
        issued = "-".join(f"{int(part):02d}" for part in parts)
        if issued != row[chart.x]:
            problems.append(f"{chart.data}:{line}: dated {row[chart.x]}, its source {row[chart.source]} {issued or 'undated'}")
    assert not problems, "\n".join(problems)
    dates = [row[chart.x] for row in rows]
    assert len(set(dates)) == len(dates), f"{chart.data}: more than one point on a day"
    counts = [int(row[chart.y]) for row in rows]
    assert counts == sorted(counts), f"{chart.data}: the cumulative count falls"


# --- 4. charts in the outputs ----------------------------------------------------------


def test_pdf_has_every_chart_with_its_caption(
    brief_project: Project, brief_doc: m.Document, pdf: PdfReader, pdf_pages: list[str]
) -> None:
    numbers = figure_numbers(brief_project, brief_doc)
    assert sorted(numbers.values()) == list(range(1, len(brief_project.config.charts) + 1))
    figures = {f.id: f for f in brief_doc.figures()}
    whole = squash(" ".join(pdf_pages))
    graphics = {i: page_graphics(pdf.pages[i]) for i in range(len(pdf.pages))}
    for chart_id, number in numbers.items():
        label = f"Figure {number}."
        assert label in whole, f"PDF text lacks the caption label {label!r} ({chart_id})"
        # The caption label starts a line; a cross-reference ("Figure 1 sets ...") does not.
        caption_line = re.compile(rf"(?m)^\s*Figure {number}\.\s")
        pages = [i for i, text in enumerate(pdf_pages) if caption_line.search(text)]
        assert len(pages) == 1, f"{label} caption found on pages {[i + 1 for i in pages]}, expected one"
        page = pages[0]
        words = m.plain_text(figures[chart_id].caption).split()[:3]
        assert f"{label} {' '.join(words)}" in squash(pdf_pages[page]), f"{label} caption text not on its page"
        subtypes, path_ops = graphics[page]
        drawn = any(s in ("/Image", "/Form") for s in subtypes) or path_ops >= MIN_CHART_PATH_OPS
        summary = {i + 1: (s, n) for i, (s, n) in graphics.items()}
        assert drawn, (
            f"page {page + 1} holds the {label} caption but no image, Form XObject or vector "
            f"drawing (XObjects, path operators per page: {summary})"
        )


def test_docx_embeds_one_png_per_chart_with_a_caption(brief_project: Project, brief_doc: m.Document, word_path: Path) -> None:
    charts = brief_project.config.charts
    pngs = {c.id: (brief_project.root / "figures" / f"{c.id}.png").read_bytes() for c in charts}
    with zipfile.ZipFile(word_path) as archive:
        media = {n: archive.read(n) for n in archive.namelist() if n.startswith("word/media/")}
    assert all(data.startswith(b"\x89PNG\r\n\x1a\n") for data in media.values()), sorted(media)
    assert len(media) == len(charts), f"word/media holds {sorted(media)}, expected {len(charts)} PNGs"
    assert {sha(d) for d in media.values()} == {sha(d) for d in pngs.values()}, (
        "word/media PNGs are not the charts drawn into figures/"
    )

    word = docx.Document(str(word_path))
    paragraphs = word.paragraphs
    captions = [i for i, p in enumerate(paragraphs) if p.style is not None and p.style.name == "Caption"]
    assert len(captions) == len(charts), f"{len(captions)} Caption paragraphs for {len(charts)} charts"
    figures = {f.id: f for f in brief_doc.figures()}
    by_number = {n: c for c, n in figure_numbers(brief_project, brief_doc).items()}
    for order, index in enumerate(captions, start=1):
        chart_id = by_number[order]
        text = paragraphs[index].text
        caption = " ".join(m.plain_text(figures[chart_id].caption).split()[:3])
        assert text.startswith(f"Figure {order}. {caption}"), f"Caption paragraph {order}: {text!r}"
        # The picture sits in the paragraph just above its caption, and is this chart's PNG.
        above = paragraphs[index - 1]._p
        embeds = above.xpath(".//a:blip/@r:embed")  # python-docx knows the a: and r: prefixes
        assert len(embeds) == 1, f"no picture above the caption of Figure {order}"
        blob = word.part.related_parts[embeds[0]].blob
        assert sha(blob) == sha(pngs[chart_id]), f"Figure {order} shows the wrong picture (not {chart_id})"


# --- 5. length and as-of date ----------------------------------------------------------


def test_word_count_is_within_range(brief_doc: m.Document) -> None:
    """Headings, paragraphs, list items and captions; citation keys and note numbers excluded."""
    words = sum(
        count_words(m.plain_text(inlines)) for block in m.walk_blocks(brief_doc.blocks) for inlines in m.inline_lists(block)
    )
    assert WORDS_MIN <= words <= WORDS_MAX, f"the brief has {words} words, expected {WORDS_MIN:,}–{WORDS_MAX:,}"


def test_pdf_states_the_as_of_date(brief_project: Project, pdf_pages: list[str]) -> None:
    date: dt.date = brief_project.config.date
    forms = [f"{date.day} {date:%B} {date.year}", f"{date:%B} {date.day}, {date.year}"]
    text = squash(" ".join(pdf_pages))
    assert any(form in text for form in forms), f"the PDF does not state its date as {' or '.join(forms)}"


# --- 6. facts carry notes --------------------------------------------------------------


def test_paragraphs_with_figures_or_dates_carry_a_note(brief_project: Project, brief_doc: m.Document) -> None:
    """A paragraph whose text has a digit states a figure or a date, so it needs a note call.

    Digits in cross-reference labels ("Section 9", "Figure 2") do not count.
    """
    offenders = []
    for body in body_paragraphs(brief_project, brief_doc):
        text = squash(prose(body.paragraph.children))
        if not re.search(r"\d", text):
            continue
        if not any(isinstance(node, m.NoteRef) for node in m.walk_inlines(body.paragraph.children)):
            offenders.append(f"{body.where()}: {text[:120]!r}")
    assert not offenders, "paragraphs with a figure or date but no note call:\n" + "\n".join(offenders)


def test_every_note_of_the_brief_sits_on_the_page_that_calls_it(brief_build: BuildResult, brief_doc: m.Document) -> None:
    pdf_path = next(p for p in brief_build.outputs if p.suffix == ".pdf")
    pages = notes_per_page(pdf_path)
    calls = [n for page in pages for n in page.calls]
    assert calls == list(range(1, len(brief_doc.notes) + 1))
    split = [(number, sorted(set(p.calls) ^ set(p.markers))) for number, p in enumerate(pages, start=1)
             if sorted(p.calls) != sorted(p.markers)]
    assert not split, f"pages whose note calls and notes differ: {split}"
