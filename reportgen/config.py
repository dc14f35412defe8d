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

from reportgen.charts.registry import kinds, spec_class
from reportgen.charts.spec import ChartSpec
from reportgen.errors import ReportgenError, combined, did_you_mean
from reportgen.model import Location
from reportgen.yamlfile import YamlFile

CONFIG_NAME = "reportgen.yml"
ChartConfig = ChartSpec  # every kind's spec derives from it (`reportgen/charts/kinds/`)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class AuthorConfig(_Strict):
    name: str
    """The author's name as printed on the cover."""
    affiliation: str = ""
    """Institution or role, printed under the name."""


class ChecksConfig(_Strict):
    """Warnings `reportgen check` and `reportgen build` give; each can be switched off."""

    uncited_facts: bool = True
    """Warn about paragraphs that state figures or dates but cite no source."""
    unused_sources: bool = True
    """Warn about bibliography entries that nothing cites."""
    incomplete_sources: bool = True
    """Warn about bibliography entries missing fields the citation style prints."""
    chart_glyphs: bool = True
    """Warn about chart text in characters that no chart font has (drawn as empty boxes)."""


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
    charts: list[ChartSpec] = []
    """Charts drawn from data files; each kind's keys are its spec's (`reportgen/charts/kinds/`)."""
    data_appendix: bool = False
    """Add a data appendix: every chart's values, each with its source's note."""
    outputs: list[Literal["pdf", "docx"]] = ["pdf", "docx"]
    """Formats `reportgen build` writes by default."""
    output_name: str = Field(default="brief", pattern=r"^[A-Za-z0-9._-]+$")
    """Base name of the output files: build/NAME.pdf, build/NAME.docx."""
    templates: Path = Path("templates")
    """Folder with brief.html.j2 and brief.css for the PDF."""
    reference_doc: Path = Path("templates/reference.docx")
    """Word reference document whose styles the DOCX takes (like Pandoc's --reference-doc)."""
    checks: ChecksConfig = ChecksConfig()
    """Which warnings to give: `uncited_facts`, `unused_sources`, `incomplete_sources`, `chart_glyphs`."""

    @field_validator("charts", mode="before")
    @classmethod
    def _chart_specs(cls, charts: object) -> object:
        """Mappings validated as their kind's spec (`load_config` does it first, with locations)."""
        if not isinstance(charts, list):
            return charts
        return [_chart_spec(c) if isinstance(c, dict) else c for c in charts]

    @field_validator("charts")
    @classmethod
    def _unique_chart_ids(cls, charts: list[ChartSpec]) -> list[ChartSpec]:
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
    data = dict(source.data)
    errors: list[ReportgenError] = []
    if isinstance(data.get("charts"), list):
        data["charts"], errors = _validate_charts(data["charts"], source)
        if errors:
            data["charts"] = []  # reported: the rest of the config is still checked
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        errors += [_config_error(error, source) for error in exc.errors()]
    if errors:
        raise combined(errors) from None
    return config, source


# -- charts: each spec is its kind's class, found in the registry ---------------------------


def _chart_spec(item: dict[object, object]) -> ChartSpec:
    model = spec_class(str(item.get("kind")))
    if model is None:
        raise ValueError(f"unknown chart kind {item.get('kind')!r}")
    return model.model_validate(item)


def _validate_charts(items: list[object], source: YamlFile) -> tuple[list[object], list[ReportgenError]]:
    """Each chart mapping validated as its kind's spec; errors located in `reportgen.yml`."""
    specs: list[object] = []
    errors: list[ReportgenError] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(ReportgenError(f"config key charts.{index}: expected a mapping (id, kind, data, ...)",
                                         source.location(("charts", index))))
            continue
        name = item.get("kind")
        model = spec_class(str(name)) if isinstance(name, str) else None
        if model is None:
            known = ", ".join(sorted(kinds()))
            hint = did_you_mean(str(name), kinds()) if name is not None else ""
            what = "required" if name is None else f"unknown chart kind '{name}'{hint} (one of {known})"
            errors.append(ReportgenError(f"config key charts.{index}.kind: {what}",
                                         source.location(("charts", index, "kind") if name is not None else ("charts", index))))
            continue
        try:
            specs.append(model.model_validate(item))
        except ValidationError as exc:
            errors += [_config_error({**e, "loc": ("charts", index, *e["loc"])}, source, model) for e in exc.errors()]
    return specs, errors


def _config_error(error: ErrorDetails, source: YamlFile, chart: type[BaseModel] | None = None) -> ReportgenError:
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        fields = list(chart.model_fields) if chart else _fields_at(loc[:-1])
        message = "unknown key" + did_you_mean(str(loc[-1]), fields)
        return ReportgenError(f"config key {key}: {message}", source.location(loc, of_key=True))
    elif error["type"] == "missing":
        return ReportgenError(f"config key {key}: required", source.location(loc[:-1]))
    return ReportgenError(f"config key {key}: {message}", source.location(loc))


def _fields_at(loc: tuple[object, ...]) -> list[str]:
    """Field names valid at a config path, for did-you-mean hints."""
    model: type[BaseModel] = Config
    if loc and loc[0] == "authors":
        model = AuthorConfig
    elif loc and loc[0] == "checks":
        model = ChecksConfig
    return list(model.model_fields)
