"""The project config (`reportgen.yml`): one typed class, validated once at load.

Every field carries a docstring; pydantic's errors are translated into
`reportgen.yml:LINE: error: config key X: message` so users see where to look.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from reportgen.charts.registry import kinds, spec_class
from reportgen.charts.spec import ChartSpec
from reportgen.document.model import Location
from reportgen.errors import ReportgenError, combined, did_you_mean
from reportgen.outputs import registry
from reportgen.outputs.registry import DEFAULT_OUTPUTS
from reportgen.project.metadata import MetaValue, gather_metadata
from reportgen.project.yamlfile import YamlFile

CONFIG_NAME = "reportgen.yml"
# A BCP 47 language tag (RFC 5646 "langtag", without the rare 4-8 letter and extlang
# forms): language, script, region, variants, extensions, private use. The tag reaches the
# citation processor's locale look-up, the hyphenation dictionaries and both outputs, so
# nothing else (a path, markup) may pass.
BCP47 = re.compile(
    r"[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?(-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(-[A-WY-Za-wy-z0-9](-[A-Za-z0-9]{2,8})+)*(-[xX](-[A-Za-z0-9]{1,8})+)?"
)
_NOCITE_KEY = re.compile(r"@\{?([^\s,;\]}]+)")
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
    missing_glyphs: bool = True
    """Warn about characters no font shipped with reportgen draws (the PDF depends on the machine's)."""
    chart_glyphs: bool = True
    """Warn about chart text in characters that no chart font has (drawn as empty boxes)."""
    metadata: bool = True
    """Say which metadata in the sections reportgen.yml overrides, and what in it is not used."""
    unknown_citations: Literal["error", "warning"] = "error"
    """A citation key the bibliography lacks: an error (the default), or a warning, the key then
    printed as Pandoc prints a missing one (`?key`, in bold)."""
    quotations: bool = True
    """Warn about quotations not found in the text of the source they cite (`sources/KEY.txt`)."""
    figures: bool = True
    """Warn about figures and dates not found in the text of the sources their sentence cites."""
    copied_text: bool = True
    """Warn about runs of 12 or more words taken from a cited source's text without quotation marks."""


class LabelsConfig(_Strict):
    """The words reportgen prints around the content; by default they follow `language`."""

    contents: str | None = None
    """The table of contents' heading ("Contents")."""
    bibliography: str | None = None
    """The bibliography's heading, when reportgen adds one ("Bibliography")."""
    figure: str | None = None
    """Before a figure's number ("Figure")."""
    table: str | None = None
    """Before a table's number ("Table")."""
    section: str | None = None
    """Before a section's number in a cross-reference ("Section")."""
    equation: str | None = None
    """Before an equation's number in a cross-reference ("Equation")."""
    listing: str | None = None
    """Before a code listing's number ("Listing")."""
    key_findings: str | None = None
    """The key-findings box's heading ("Key findings")."""
    policy_brief: str | None = None
    """The kind of document, on the cover ("Policy brief")."""


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
    date: dt.date | None = None
    """The date the brief speaks as of (ISO, e.g. 2026-11-22); also fixes output timestamps.
    Without it: the day of the build (or of SOURCE_DATE_EPOCH when set)."""
    language: str = "en-US"
    """BCP 47 language tag: hyphenation, CSL locale, PDF and DOCX language, reportgen's own words."""
    keywords: list[str] = []
    """PDF and DOCX keywords."""
    abstract: str = ""
    """One or two sentences: the PDF subject and DOCX description."""
    sections: list[Path] = Field(min_length=1)
    """Markdown files in reading order, relative to the project root."""
    bibliography: list[Path] = []
    """CSL-JSON (.json), CSL-YAML (.yaml/.yml), BibLaTeX (.bib) or BibTeX (.bibtex) files: one
    path or a list."""
    references: list[dict[str, Any]] = []
    """CSL items written out here (as in Pandoc's front matter), beside the bibliography files."""
    nocite: list[str] = []
    """Keys listed in the bibliography though not cited (`@key`, or `@*` for every entry)."""
    link_citations: bool = False
    """Link each citation to its bibliography entry."""
    suppress_bibliography: bool = False
    """Leave the bibliography out."""
    reference_section_title: str = ""
    """The heading over the bibliography when reportgen places it after the text (Pandoc's
    `reference-section-title`); by default "Bibliography" for a note style, "References"
    otherwise, in the brief's language."""
    csl: str = "chicago-notes-bibliography"
    """A CSL style: a name from the packaged collection or a path to a .csl file. Note styles
    put citations in footnotes; author-date, numeric and label styles put them in the text."""
    charts: list[ChartSpec] = []
    """Charts drawn from data files; each kind's keys are its spec's (`reportgen/charts/kinds/`)."""
    data_appendix: bool = False
    """Add a data appendix: every chart's values, each with its source's note."""
    outputs: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTPUTS))
    """Formats `reportgen build` writes by default: "pdf", "docx" (`reportgen/outputs/registry.py`)."""
    output_name: str = Field(default="brief", pattern=r"^[A-Za-z0-9._-]+$")
    """Base name of the output files: build/NAME.pdf, build/NAME.docx."""
    templates: Path = Path("templates")
    """Folder whose brief.html.j2, brief.css or reference.docx replace the packaged ones."""
    reference_doc: Path = Path("templates/reference.docx")
    """Word reference document whose styles the DOCX takes (like Pandoc's --reference-doc);
    when not set, the templates folder's reference.docx, else the packaged one."""
    checks: ChecksConfig = ChecksConfig()
    """Which warnings to give: `uncited_facts`, `unused_sources`, `incomplete_sources`,
    `unknown_citations`, `chart_glyphs`, `quotations`, `figures`, `copied_text`, `missing_glyphs`."""
    number_sections: bool = True
    """Number the headings ("2.1"); `false` as Quarto's and Pandoc's `number-sections: false`."""
    metadata_files: list[Path] = []
    """YAML files of Pandoc metadata (as `pandoc --metadata-file`): a section's front matter
    and this config override what they say."""
    labels: LabelsConfig = LabelsConfig()
    """reportgen's own words ("Contents", "Figure", …) where those of `language` will not do."""

    @field_validator("charts", mode="before")
    @classmethod
    def _chart_specs(cls, charts: object) -> object:
        """Mappings validated as their kind's spec (`load_config` does it first, with locations)."""
        if not isinstance(charts, list):
            return charts
        return [_chart_spec(c) if isinstance(c, dict) else c for c in charts]

    @field_validator("outputs")
    @classmethod
    def _known_outputs(cls, outputs: list[str]) -> list[str]:
        for name in outputs:
            if name not in registry.names():
                raise ValueError(registry.unknown(name))
        return outputs

    @field_validator("bibliography", mode="before")
    @classmethod
    def _one_or_more_files(cls, value: object) -> object:
        return [value] if isinstance(value, (str, Path)) else value

    @field_validator("metadata_files", mode="before")
    @classmethod
    def _one_or_more_metadata_files(cls, value: object) -> object:
        return [value] if isinstance(value, (str, Path)) else value

    @field_validator("nocite", mode="before")
    @classmethod
    def _cited_keys(cls, value: object) -> object:
        """Pandoc's form, `"@a @b"` or `[@*]`, or a list of keys."""
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [key for v in value for key in (_NOCITE_KEY.findall(v) or [v.strip()]) if key]
        return value

    @field_validator("language")
    @classmethod
    def _language_tag(cls, language: str) -> str:
        if len(language) > 64 or not BCP47.fullmatch(language):
            raise ValueError(f"{language[:64]!r} is not a BCP 47 language tag (such as en-GB, fr, pt-BR, sr-Latn)")
        return language

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


class ConfigSource:
    """Where each config value was written: reportgen.yml, or a section's front matter or a
    Quarto project file that reportgen.yml did not override. Messages name that place."""

    def __init__(self, main: YamlFile, found: dict[str, MetaValue] | None = None) -> None:
        self.main = main
        self.found = found or {}  # config key -> the metadata value it came from
        self.notes: list[tuple[str, Location]] = []  # warnings about the metadata read
        self.metadata_files: list[Path] = []  # Quarto project files read, inputs of the build

    @property
    def path(self) -> Path:
        return self.main.path

    def origin(self, key: str) -> tuple[YamlFile, tuple[object, ...]]:
        """The file a top-level config key came from and its key path there."""
        if key in self.found:
            return self.found[key].source, self.found[key].keys
        return self.main, (key,)

    def location(self, keys: tuple[object, ...] | list[object] = (), *, of_key: bool = False) -> Location:
        if keys and keys[0] in self.found:
            meta = self.found[str(keys[0])]
            return meta.source.location(meta.keys, of_key=of_key and len(keys) == 1)
        return self.main.location(keys, of_key=of_key)


def load_config(project: Path, document: Path | None = None) -> tuple[Config, ConfigSource]:
    """Read and validate `reportgen.yml` in `project`, merged over the metadata its sections'
    front matter and Quarto's `_quarto.yml` give. With `document` (a Markdown file in
    `project`), build that file alone from its own front matter, with no reportgen.yml."""
    data, main = _config_data(project, document)
    gathered = gather_metadata(project, data, main)
    found, notes = gathered.values, gathered.warnings
    merged = {key: value.value for key, value in found.items()}
    for key in data:
        if key in found and _differs(data[key], found[key].value):
            notes.append((f"config key {key} overrides the document's metadata at {found[key].location}",
                          main.location((key,), of_key=True)))
        found.pop(key, None)
    merged.update(data)
    source = ConfigSource(main, found)
    source.notes = notes
    source.metadata_files = gathered.files
    errors: list[ReportgenError] = []
    if isinstance(merged.get("charts"), list):
        merged["charts"], errors = _validate_charts(merged["charts"], source)
        if errors:
            merged["charts"] = []  # reported: the rest of the config is still checked
    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        errors += [_config_error(error, source) for error in exc.errors()]
    if errors:
        raise combined(errors) from None
    _check_sections_once(config, source)
    return config, source


def _check_sections_once(config: Config, source: ConfigSource) -> None:
    """A section listed twice would print twice, with every id and note in it doubled."""
    first: dict[str, int] = {}
    errors = []
    for index, section in enumerate(config.sections):
        name = os.path.normpath(section)  # `a.md`, `./a.md` and `x/../a.md` are one file
        if name in first:
            where = source.location(("sections", first[name]))
            errors.append(ReportgenError(f"config key sections.{index}: section '{section}' is listed twice "
                                         f"(first at line {where.line})", source.location(("sections", index))))
        else:
            first[name] = index
    if errors:
        raise combined(errors)


# -- charts: each spec is its kind's class, found in the registry ---------------------------


def _chart_spec(item: dict[object, object]) -> ChartSpec:
    model = spec_class(str(item.get("kind")))
    if model is None:
        raise ValueError(f"unknown chart kind {item.get('kind')!r}")
    return model.model_validate(item)


def _validate_charts(items: list[object], source: ConfigSource) -> tuple[list[object], list[ReportgenError]]:
    """Each chart mapping validated as its kind's spec; errors located where it is written."""
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


def _config_data(project: Path, document: Path | None) -> tuple[dict[str, Any], YamlFile]:
    """reportgen.yml's mapping (a single document's: its one section, its name) and its file."""
    if document is not None:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", document.stem).strip("-.") or "document"
        display = document.relative_to(project)
        return {"sections": [display.as_posix()], "output_name": name}, YamlFile(display, "")
    path = project / CONFIG_NAME
    if not path.exists():
        raise ReportgenError(f"no {CONFIG_NAME} here; is this a reportgen project? "
                             "(to build one Markdown file alone: reportgen build FILE.md)", Location(path))
    source = YamlFile.read(path, Path(CONFIG_NAME))
    if not isinstance(source.data, dict):
        raise ReportgenError("expected a mapping of config keys", source.location())
    return dict(source.data), source


def _differs(ours: object, theirs: object) -> bool:
    if isinstance(ours, (str, dt.date)) and isinstance(theirs, (str, dt.date)):
        return str(ours).strip() != str(theirs).strip()
    if isinstance(ours, str) and isinstance(theirs, list):
        return [ours] != theirs
    return ours != theirs


def _config_error(error: ErrorDetails, source: ConfigSource, chart: type[BaseModel] | None = None) -> ReportgenError:
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        fields = list(chart.model_fields) if chart else _fields_at(loc[:-1])
        message = "unknown key" + did_you_mean(str(loc[-1]), fields)
        return ReportgenError(f"config key {key}: {message}", source.location(loc, of_key=True))
    elif error["type"] == "missing":
        return ReportgenError(f"config key {key}: required", source.location(loc[:-1]))
    if error["type"] == "value_error":  # our own validators' messages, without pydantic's prefix
        message = message.removeprefix("Value error, ")
    return ReportgenError(f"config key {key}: {message}", source.location(loc))


def _fields_at(loc: tuple[object, ...]) -> list[str]:
    """Field names valid at a config path, for did-you-mean hints."""
    model: type[BaseModel] = Config
    if loc and loc[0] == "authors":
        model = AuthorConfig
    elif loc and loc[0] == "checks":
        model = ChecksConfig
    elif loc and loc[0] == "labels":
        model = LabelsConfig
    return list(model.model_fields)
