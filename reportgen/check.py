"""`reportgen check`: every validation of a build, and some warnings, without rendering.

Errors come from loading, reading and resolving (`project/load.py`, `document/reader.py`,
`document/resolve.py`); `check_document` adds the checks on the resolved document: the
citations' keys and note calls, what the outputs cannot carry, and the warnings a careful
editor would give, each of which a project can switch off under `checks:` in reportgen.yml.
`reportgen check` and `reportgen build` both run `check_document`, once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.citations.cite import check_citations
from reportgen.document import model as m
from reportgen.document.reader import read
from reportgen.document.resolve import resolve
from reportgen.errors import Diagnostics, ReportgenError, did_you_mean
from reportgen.project.config import CONFIG_NAME
from reportgen.project.load import Project, load
from reportgen.sources.texts import load_texts, sources_dir
from reportgen.sources.verify import Verification, verify, warn

# What the packaged note styles print for each CSL type, beyond a title: the fields whose
# absence leaves a visible gap ("n.d.", a bare title with no outlet or publisher).
# "a|b" means either will do.
_NEEDS: dict[str, tuple[str, ...]] = {
    "article-journal": ("container-title", "issued"),
    "article-magazine": ("container-title", "issued"),
    "article-newspaper": ("container-title", "issued"),
    "book": ("publisher", "issued"),
    "chapter": ("container-title", "publisher", "issued"),
    "report": ("publisher|container-title", "issued"),
    "webpage": ("URL", "issued"),
    "post-weblog": ("URL", "issued"),
    "legislation": ("issued",),
    "treaty": ("issued",),
}
_DEFAULT_NEEDS = ("issued",)
_CREATORS = ("author", "editor", "container-title", "publisher", "authority")

# A figure, a percentage or a year: the marks of a claim that needs a source.
_FACT = re.compile(r"\d")


@dataclass
class CheckResult:
    project: Project | None
    doc: m.Document | None
    found: Diagnostics


def check_project(root: Path, document: Path | None = None) -> CheckResult:
    """Load, read, resolve and check `root` (or `document` alone in it); nothing is rendered
    or written."""
    found = Diagnostics()
    project = load(root, found, document)
    if project is None:
        return CheckResult(None, None, found)
    doc = resolve(read(project, found), found)
    check_document(project, doc, project.config.outputs, found, open_reference=True)
    return CheckResult(project, doc, found)


def check_document(project: Project, doc: m.Document, formats: Sequence[str], found: Diagnostics, *,
                   open_reference: bool = False) -> None:
    """Every check on the resolved document, run once by `check` and by `build` (before
    anything is drawn, cited or written): its citations, what the `formats` to be built
    cannot carry, and the editor's warnings. `open_reference`: see `check_outputs`."""
    _check_math(doc, found)
    check_references(project, doc, found)
    check_outputs(project, doc, formats, found, open_reference=open_reference)
    lint(project, doc, found)


def check_references(project: Project, doc: m.Document, found: Diagnostics) -> None:
    """Every cited key (and every `nocite` key) is in the bibliography; every note call has
    its note. What the cite stage counts on."""
    if project.bibliography is None:
        return  # it failed to load, and said so
    with found.collecting():
        for message, where in check_citations(doc, project.bibliography, project.config.checks.unknown_citations):
            found.warn(message, where, "unknown_citations")
    with found.collecting():
        _check_nocite(project, found)


def _check_nocite(project: Project, found: Diagnostics) -> None:
    """A key `nocite` lists must be in the bibliography too."""
    unknown = [key for key in project.config.nocite if key != "*" and key not in project.bib]
    where = project.source.location(("nocite",))
    for key in unknown:
        message = f"unknown citation key '{key}' in nocite{did_you_mean(key, project.bib.items)}"
        if project.config.checks.unknown_citations == "warning":
            found.warn(message, where, "unknown_citations")
        else:
            found.add_error(ReportgenError(message, where))


def _check_math(doc: m.Document, found: Diagnostics) -> None:
    """Math the PDF's typesetter cannot set is shown there as TeX: say which."""
    formulas = [(node, inlines) for inlines in doc.all_inline_lists() for node in m.walk_inlines(inlines)
                if isinstance(node, m.Math)]
    if not formulas:
        return
    from reportgen.document.math_svg import MathError, typeset  # matplotlib, only for documents with math

    where = {id(node): block_location for block_location, node in _math_locations(doc)}
    for node, _ in formulas:
        try:
            typeset(node.tex, node.display)
        except MathError as exc:
            found.warn(f"math '{node.tex.strip()[:40]}' cannot be typeset in the PDF ({exc}); it is shown as TeX",
                       where.get(id(node)), "unrendered")


def _math_locations(doc: m.Document) -> list[tuple[m.Location | None, m.Math]]:
    out: list[tuple[m.Location | None, m.Math]] = []
    for block in m.walk_blocks(doc.blocks):
        location = getattr(block, "location", None)
        for inlines in m.inline_lists(block):
            out += [(location, n) for n in m.walk_inlines(inlines) if isinstance(n, m.Math)]
    return out


# What python-docx can embed (it reads the header; the suffix says what the file claims to be).
WORD_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff"}


def check_outputs(project: Project, doc: m.Document, formats: Sequence[str], found: Diagnostics, *,
                  open_reference: bool = False) -> None:
    """What the outputs to be built cannot carry: a template that does not render, a reference
    document that is not one, a Word document that takes no SVG or WebP image, a character no
    shipped font draws in the PDF.
    `open_reference`: also open the reference document with python-docx (`check` does; a
    build does it in the DOCX stage, off the PDF's path)."""
    try:
        project.template_folders()  # both outputs take files from there: said once
    except ReportgenError as exc:
        found.add_error(exc)
        return
    if "pdf" in formats:
        from reportgen.outputs.pdf.writer import check_template

        with found.collecting():
            keys = list(project.bibliography.items) if project.bibliography is not None else []
            check_template(doc, project.root, project.template_folders().override, keys)
        if project.config.checks.missing_glyphs:
            _missing_glyphs(project, found)
    if "docx" not in formats:
        return
    with found.collecting():
        from reportgen.outputs.docx.reference_doc import check_reference_doc

        reference = project.reference_doc()  # inside the project, as the build requires
        check_reference_doc(reference, _shown(reference, project.root), open_it=open_reference)
    charts = {chart.id for chart in project.config.charts}  # drawn as PNG for Word
    for figure in doc.figures():
        suffix = Path(figure.png or figure.src).suffix.lower()  # PDF and SVG figures are drawn as PNG
        if suffix == ".svg":
            continue  # its drawing failed, and said so
        # A `chart:` link names a chart, drawn as PNG (an unknown one is reported when placing).
        if figure.id not in charts and not figure.src.startswith("chart:") and suffix not in WORD_IMAGE_SUFFIXES:
            found.add_error(ReportgenError(
                f"image '{figure.src}': a Word document cannot embed {suffix or 'this kind of'} images; "
                "save a PNG or JPEG version, or build the PDF alone (--format pdf)", figure.location))


def _missing_glyphs(project: Project, found: Diagnostics) -> None:
    """One warning per character of the text that no shipped font has, at its first use."""
    from reportgen.fonts import describe, missing_glyphs
    from reportgen.project.yamlfile import MAX_MARKDOWN_BYTES, read_text

    config = project.config
    names = [Path(CONFIG_NAME), *config.sections, *config.bibliography]
    files = []
    for name in names:
        try:  # through `project.path`: a file outside the project is never read
            files.append((name, read_text(project.path(name, ()), name, limit=MAX_MARKDOWN_BYTES)))
        except ReportgenError:
            continue  # reported where the file is loaded
    for char, path, line, col in missing_glyphs(files):
        found.warn(f"no shipped font has {describe(char)}: the PDF shows it in whatever font the machine has, "
                   "or as a box", m.Location(path, line, col), "missing_glyphs")


def _shown(path: Path, root: Path) -> Path:
    root = root.resolve()
    return path.relative_to(root) if path.is_relative_to(root) else path


def lint(project: Project, doc: m.Document, found: Diagnostics) -> None:
    from reportgen.document.links import link_warnings

    found.items.extend(link_warnings(doc))  # the build removes them, after citing
    checks = project.config.checks
    if checks.uncited_facts:
        _uncited_facts(doc, found)
    if checks.chart_glyphs:
        _chart_glyphs(project, found)
    if project.bibliography is None:
        return
    if checks.unused_sources:
        _unused_sources(project, doc, found)
    if checks.incomplete_sources:
        _incomplete_sources(project, found)
    if checks.quotations or checks.figures or checks.copied_text:
        verify_against_sources(project, doc, found)


def verify_against_sources(project: Project, doc: m.Document, found: Diagnostics) -> Verification | None:
    """Quotations and figures against the cited sources' texts in `sources/`, when there are any."""
    if not sources_dir(project.root).is_dir():
        return None  # no source texts: nothing to compare with, nothing to say
    bib = project.bib
    texts = load_texts(project.root, sorted(bib.items), found)
    result = verify(doc, project.root, texts, bib.items)
    checks = project.config.checks
    warn(result, found, quotations=checks.quotations, figures=checks.figures, has_folder=True,
         copied_text=checks.copied_text)
    return result


def _chart_glyphs(project: Project, found: Diagnostics) -> None:
    """Chart text (spec or data) in characters no chart font has, each named where it is written."""
    from reportgen.charts import glyphs

    for index, chart in enumerate(project.config.charts):
        for key in ("title", "x_label", "y_label", "unit"):
            for ch in glyphs.missing([getattr(chart, key)]):
                found.warn(f"chart text: no font draws {glyphs.describe(ch)}; it will show as a box",
                           project.source.location(("charts", index, key)), "chart_glyphs")
        dataset = project.datasets.get(chart.id)
        for row in dataset.rows if dataset else []:
            texts = [v for k, v in row.values.items() if isinstance(v, str) and k != chart.source]
            for ch in glyphs.missing(texts):
                found.warn(f"chart text: no font draws {glyphs.describe(ch)}; it will show as a box", row.location,
                           "chart_glyphs")


def _uncited_facts(doc: m.Document, found: Diagnostics) -> None:
    """Paragraphs with figures or dates and no note: likely a claim without its source. A
    table counts as one: a note in its caption or any cell sources it."""
    in_tables = {id(b) for t in m.walk_blocks(doc.blocks) if isinstance(t, m.Table) for b in m.walk_blocks(m.child_blocks(t))}
    for block in m.walk_blocks(doc.blocks):
        if isinstance(block, m.Paragraph) and id(block) not in in_tables and _states_uncited_facts([block.children]):
            found.warn("paragraph states figures or dates but cites no source", block.location, "uncited_facts")
        elif isinstance(block, m.Table):
            runs = [block.caption, *(il for b in m.walk_blocks(m.child_blocks(block)) for il in m.inline_lists(b))]
            if _states_uncited_facts(runs):
                found.warn("table states figures or dates but cites no source", block.location, "uncited_facts")


def _states_uncited_facts(runs: list[list[m.Inline]]) -> bool:
    nodes = [n for run in runs for n in m.walk_inlines(run)]
    if any(isinstance(n, (m.Cite, m.FootnoteRef, m.NoteRef)) for n in nodes):
        return False
    return bool(_FACT.search("".join(n.text for n in nodes if isinstance(n, m.Text))))


def _unused_sources(project: Project, doc: m.Document, found: Diagnostics) -> None:
    bib = project.bib
    if "*" in project.config.nocite:
        return  # every entry is listed on purpose
    cited = {item.key for cite in _cites(doc) for item in cite.items} | set(project.config.nocite)
    for chart in project.config.charts:
        if chart.id in project.datasets:
            cited.update(project.datasets[chart.id].sources(chart.source))
    for key in bib.items:
        if key not in cited:
            found.warn(f"source '{key}' is never cited", bib.locations[key], "unused_sources")


def _cites(doc: m.Document) -> list[m.Cite]:
    return [n for inlines in doc.all_inline_lists() for n in m.walk_inlines(inlines) if isinstance(n, m.Cite)]


def _incomplete_sources(project: Project, found: Diagnostics) -> None:
    bib = project.bib
    for key, item in bib.items.items():
        kind = str(item.get("type", ""))
        needs = ("title", *_NEEDS.get(kind, _DEFAULT_NEEDS))
        missing = [n.replace("|", " or ") for n in needs if not any(item.get(f) for f in n.split("|"))]
        if not any(item.get(f) for f in _CREATORS):
            missing.append("author")
        if missing:
            found.warn(f"source '{key}' ({kind or 'no type'}) has no {', '.join(missing)}; its note will show the gap",
                       bib.locations[key], "incomplete_sources")
