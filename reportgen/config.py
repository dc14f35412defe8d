"""The project config (`reportgen.yml`): one typed class, validated once at load.

Every field carries a docstring; pydantic's errors are translated into
`reportgen.yml:LINE: error: config key X: message` so users see where to look.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from reportgen.errors import ReportgenError, combined, did_you_mean
from reportgen.model import Location
from reportgen.yamlfile import YamlFile

CONFIG_NAME = "reportgen.yml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class AuthorConfig(_Strict):
    name: str
    """The author's name as printed on the cover."""
    affiliation: str = ""
    """Institution or role, printed under the name."""


class ChartConfig(_Strict):
    id: str = Field(pattern=r"^fig-[A-Za-z0-9_-]+$")
    """The figure id, as placed in Markdown: `![Caption](figures/ID.svg){#ID}`."""
    kind: Literal["line", "bar", "timeline"]
    """`line` for a dated series, `bar` for categories, `timeline` for dated events by kind."""
    data: Path
    """CSV (line, bar) or YAML (timeline) file, relative to the project root."""
    title: str = ""
    """Title drawn above the plot."""
    x: str = "date"
    """Column holding the x values (dates for `line`, labels for `bar`)."""
    y: str = "value"
    """Column holding the numeric values (`line`, `bar`)."""
    x_label: str = ""
    """Axis label for x."""
    y_label: str = ""
    """Axis label for y."""
    source: str = "source"
    """Column naming the bibliography key behind each row."""


class ChecksConfig(_Strict):
    """Warnings `reportgen check` and `reportgen build` give; each can be switched off."""

    uncited_facts: bool = True
    """Warn about paragraphs that state figures or dates but cite no source."""
    unused_sources: bool = True
    """Warn about bibliography entries that nothing cites."""
    incomplete_sources: bool = True
    """Warn about bibliography entries missing fields the citation style prints."""


class Config(_Strict):
    title: str
    """The brief's title."""
    subtitle: str = ""
    """Printed under the title."""
    short_title: str = ""
    """Running header text; defaults to the title."""
    authors: list[AuthorConfig] = []
    """Authors with their affiliations."""
    organisation: str = ""
    """The publishing organisation, on the cover."""
    date: dt.date
    """The date the brief speaks as of (ISO, e.g. 2026-11-22); also fixes output timestamps."""
    language: str = "en-GB"
    """BCP 47 language tag: hyphenation, CSL locale, PDF and DOCX language."""
    keywords: list[str] = []
    """PDF and DOCX keywords."""
    abstract: str = ""
    """One or two sentences: the PDF subject and DOCX description."""
    sections: list[Path] = Field(min_length=1)
    """Markdown files in reading order, relative to the project root."""
    bibliography: Path
    """CSL-JSON (.json) or CSL-YAML (.yaml/.yml) bibliography."""
    csl: str = "chicago-notes-bibliography"
    """A CSL style: a name from the packaged collection or a path to a .csl file."""
    charts: list[ChartConfig] = []
    """Charts drawn from data files."""
    outputs: list[Literal["pdf", "docx"]] = ["pdf", "docx"]
    """Formats `reportgen build` writes by default."""
    output_name: str = Field(default="brief", pattern=r"^[A-Za-z0-9._-]+$")
    """Base name of the output files: build/NAME.pdf, build/NAME.docx."""
    templates: Path = Path("templates")
    """Folder whose brief.html.j2, brief.css or reference.docx replace the packaged ones."""
    reference_doc: Path = Path("templates/reference.docx")
    """Word reference document whose styles the DOCX takes (like Pandoc's --reference-doc);
    when not set, the templates folder's reference.docx, else the packaged one."""
    checks: ChecksConfig = ChecksConfig()
    """Which warnings to give: `uncited_facts`, `unused_sources`, `incomplete_sources`."""

    @field_validator("charts")
    @classmethod
    def _unique_chart_ids(cls, charts: list[ChartConfig]) -> list[ChartConfig]:
        seen: set[str] = set()
        for chart in charts:
            if chart.id in seen:
                raise ValueError(f"chart id '{chart.id}' is used twice")
            seen.add(chart.id)
        return charts

    @property
    def running_title(self) -> str:
        return self.short_title or self.title


def load_config(project: Path) -> tuple[Config, YamlFile]:
    """Read and validate `reportgen.yml` in `project`."""
    path = project / CONFIG_NAME
    if not path.exists():
        raise ReportgenError(f"no {CONFIG_NAME} here; is this a reportgen project?", Location(path))
    source = YamlFile.read(path, Path(CONFIG_NAME))
    if not isinstance(source.data, dict):
        raise ReportgenError("expected a mapping of config keys", source.location())
    try:
        return Config.model_validate(source.data), source
    except ValidationError as exc:
        raise combined([_config_error(error, source) for error in exc.errors()]) from None


def _config_error(error: ErrorDetails, source: YamlFile) -> ReportgenError:
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        fields = _fields_at(loc[:-1])
        message = "unknown key" + did_you_mean(str(loc[-1]), fields)
        return ReportgenError(f"config key {key}: {message}", source.location(loc, of_key=True))
    elif error["type"] == "missing":
        return ReportgenError(f"config key {key}: required", source.location(loc[:-1]))
    return ReportgenError(f"config key {key}: {message}", source.location(loc))


def _fields_at(loc: tuple[object, ...]) -> list[str]:
    """Field names valid at a config path, for did-you-mean hints."""
    model: type[BaseModel] = Config
    if loc and loc[0] == "charts":
        model = ChartConfig
    elif loc and loc[0] == "authors":
        model = AuthorConfig
    elif loc and loc[0] == "checks":
        model = ChecksConfig
    return list(model.model_fields)
