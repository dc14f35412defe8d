"""Metadata where Pandoc and Quarto writers keep it, in reportgen's config vocabulary.

A section's YAML front matter (title, subtitle, author(s) with affiliations in Pandoc's and
Quarto's shapes, date, abstract, keywords, lang, bibliography, csl, references, nocite,
link-citations, suppress-bibliography) and a Quarto project's `_quarto.yml` (bibliography,
csl, lang) are read with line numbers and turned into config values. `config.py` merges
them under reportgen.yml, which wins. Paths are relative to the file that names them, as
Quarto reads them, and are given back relative to the project root.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from reportgen.project.yamlfile import MAX_MARKDOWN_BYTES, YamlFile, read_text

# A block opened by `---` on the first line and closed by `---` or `...`, as Pandoc reads it.
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(?P<body>(?:.*?\n)??)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
QUARTO_PROJECT = "_quarto.yml"
_QUARTO_KEYS = {"bibliography", "csl", "lang", "number-sections", "format"}
_TODAY = {"today", "now", "last-modified"}  # Quarto's words for the day of rendering


@dataclass
class MetaValue:
    """A config value found in a metadata file: the value, and where it is written."""

    value: Any
    source: YamlFile
    keys: tuple[Any, ...]

    @property
    def location(self) -> Location:
        return self.source.location(self.keys)


@dataclass
class Metadata:
    """Config values from one file, and what in it could not be used."""

    values: dict[str, MetaValue]
    warnings: list[tuple[str, Location]]


@dataclass
class Gathered:
    """The writer's metadata for a whole project, and the files it came from (build inputs)."""

    values: dict[str, MetaValue]
    warnings: list[tuple[str, Location]]
    files: list[Path]

    def add(self, found: Metadata | None, path: Path | None = None) -> None:
        """`found`'s values over those so far; `path` recorded as an input."""
        if found is not None:
            self.values.update(found.values)
            self.warnings += found.warnings
        if path is not None:
            self.files.append(path)


def gather_metadata(project: Path, config: dict[str, Any], main: YamlFile) -> Gathered:
    """What the files around reportgen.yml's raw `config` say, later over earlier: the
    config's `metadata_files` (as `pandoc --metadata-file`), Quarto project files (the
    project's, then each section folder's), each section's front matter in order (a later
    block overrides an earlier one, as in Pandoc)."""
    gathered = Gathered({}, [], [])
    root = project.resolve()
    for index, name in enumerate(_names(config.get("metadata_files"))):
        path = (project / name).resolve()
        if not path.is_relative_to(root):
            raise ReportgenError(f"path '{name}' is outside the project", main.location(("metadata_files", index)))
        gathered.add(read_metadata_file(path, Path(name), project), path)
    sections = _section_files(project, config)
    for folder in dict.fromkeys([root, *(s.parent for s in sections)]):
        quarto = folder / QUARTO_PROJECT
        if quarto.is_file():
            gathered.add(read_quarto_project(quarto, quarto.relative_to(root), project), quarto)
    for section in sections:
        gathered.add(read_front_matter(section, section.relative_to(root), project))
    return gathered


def _names(value: Any) -> list[str]:
    names = [value] if isinstance(value, str) else value
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _section_files(project: Path, config: dict[str, Any]) -> list[Path]:
    """The section files the config lists that exist inside the project (the others are
    reported when the sections are read)."""
    root = project.resolve()
    paths = [(project / name).resolve() for name in _names(config.get("sections"))]
    return [p for p in paths if p.is_relative_to(root) and p.is_file()]


def front_matter_block(text: str) -> str | None:
    """The YAML of a front matter block at the top of `text`, with the line before it kept
    blank so that line numbers in it are the file's."""
    match = _FRONT_MATTER.match(text)
    return None if match is None else "\n" + match["body"]


def without_front_matter(text: str) -> str:
    """`text` with its front matter block blanked, line for line: metadata, not content."""
    match = _FRONT_MATTER.match(text)
    return text if match is None else "\n" * match.group().count("\n") + text[match.end():]


def read_front_matter(path: Path, display: Path, root: Path) -> Metadata | None:
    """The front matter of the Markdown file `path`, if it has one. A file that cannot be read
    (too large, not UTF-8) has none here: reading the sections reports it."""
    try:
        text = front_matter_block(read_text(path, display, limit=MAX_MARKDOWN_BYTES))
    except ReportgenError:
        return None
    if text is None:
        return None
    source = YamlFile(display, text)
    if not isinstance(source.data, dict):
        return None  # `---` then a list: Pandoc reads that as a horizontal rule and text
    return translate(source, _relative_dir(path, root))


def read_quarto_project(path: Path, display: Path, root: Path) -> Metadata:
    """A Quarto project file: only the keys that change what a brief says."""
    source = YamlFile.read(path, display)
    data = source.data if isinstance(source.data, dict) else {}
    return translate(YamlFile(display, ""), Path()) if not data else translate(
        source, _relative_dir(path, root), only=_QUARTO_KEYS)


def read_metadata_file(path: Path, display: Path, root: Path) -> Metadata:
    """A YAML file of Pandoc metadata, as `pandoc --metadata-file` reads it."""
    source = YamlFile.read(path, display)
    if not isinstance(source.data, dict):
        return Metadata({}, [("expected a mapping of metadata keys; ignored", source.location())])
    return translate(source, _relative_dir(path, root))


def _relative_dir(path: Path, root: Path) -> Path:
    return Path(os.path.relpath(path.resolve().parent, root.resolve()))


def translate(source: YamlFile, base: Path, only: set[str] | None = None) -> Metadata:
    """Pandoc/Quarto metadata keys -> config keys; `base` is the file's folder in the project."""
    data: dict[str, Any] = source.data
    found = Metadata({}, [])
    for key, value in data.items():
        if not isinstance(key, str) or (only is not None and key not in only) or key not in _KEYS:
            continue
        name, convert = _KEYS[key]
        try:
            converted = convert(value, data, base)
        except ValueError as exc:
            found.warnings.append((f"front matter '{key}': {exc}; ignored", source.location((key,))))
            continue
        if converted is not None:
            found.values[name] = MetaValue(converted, source, (key,))
    return found


def _text(value: Any, data: dict[str, Any], base: Path) -> str:
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    raise ValueError("expected text")


def _flag(value: Any, data: dict[str, Any], base: Path) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError("expected true or false")


def _date(value: Any, data: dict[str, Any], base: Path) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip().lower() in _TODAY:
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a date as YYYY-MM-DD; the build's date is printed") from None


def _keywords(value: Any, data: dict[str, Any], base: Path) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list):
        return [str(k) for k in value if isinstance(k, (str, int, float))]
    raise ValueError("expected a list of words")


def _paths(value: Any, data: dict[str, Any], base: Path) -> list[str]:
    files = [value] if isinstance(value, str) else value
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ValueError("expected a file name or a list of them")
    return [_in_project(f, base) for f in files]


def _in_project(name: str, base: Path) -> str:
    return os.path.normpath(base / name).replace(os.sep, "/")


def _csl(value: Any, data: dict[str, Any], base: Path) -> str:
    name = _text(value, data, base)
    return _in_project(name, base) if name.endswith(".csl") else name


def _as_is(value: Any, data: dict[str, Any], base: Path) -> Any:
    return value


def _numbering_in_formats(value: Any, data: dict[str, Any], base: Path) -> bool | None:
    """Quarto's `format: {html: {number-sections: true}}`: the first format that says."""
    for options in value.values() if isinstance(value, dict) else []:
        if isinstance(options, dict) and isinstance(numbered := options.get("number-sections"), bool):
            return numbered
    return None


def _authors(value: Any, data: dict[str, Any], base: Path) -> list[dict[str, str]]:
    """Pandoc's `author: Name` or list of names; Quarto's `author:` list of {name, affiliations}
    with a top-level `affiliations:` to refer to; pandoc-scholar's `- Name: {institute: key}`
    with a top-level `institute:` list."""
    named = _affiliation_names(data)
    people = value if isinstance(value, list) else [value]
    authors = []
    for person in people:
        if isinstance(person, str):
            authors.append({"name": person})
        elif isinstance(person, dict) and ("name" in person or len(person) != 1):
            authors.append(_author_entry(_person_name(person.get("name", "")), person, named))
        elif isinstance(person, dict):  # pandoc-scholar: {Name: {institute: ...}}
            (name, details), = person.items()
            authors.append(_author_entry(str(name), details if isinstance(details, dict) else {}, named))
    return [a for a in authors if a["name"]]


def _person_name(name: Any) -> str:
    if isinstance(name, dict):  # Quarto: {given, family} or {literal}
        return str(name.get("literal") or " ".join(str(name[k]) for k in ("given", "family") if name.get(k)))
    return str(name)


def _author_entry(name: str, person: dict[str, Any], named: dict[str, str]) -> dict[str, str]:
    places = []
    for key in ("affiliation", "affiliations", "institute"):
        given = person.get(key)
        for place in given if isinstance(given, list) else [given] if given else []:
            if isinstance(place, dict):
                ref = place.get("ref") or place.get("id")
                places.append(str(place.get("name") or named.get(str(ref), "")))
            else:
                places.append(named.get(str(place), str(place)))
    return {"name": name.strip(), "affiliation": "; ".join(p for p in places if p)}


def _affiliation_names(data: dict[str, Any]) -> dict[str, str]:
    """id -> name of Quarto's top-level `affiliations:` and pandoc-scholar's `institute:`."""
    names: dict[str, str] = {}
    entries = [e for key in ("affiliations", "institute") if isinstance(data.get(key), list) for e in data[key]]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if "id" in entry:
            names[str(entry["id"])] = str(entry.get("name", ""))
        elif len(entry) == 1:
            (key, details), = entry.items()
            names[str(key)] = str(details.get("name", "")) if isinstance(details, dict) else str(details)
    return names


_Convert = Callable[[Any, dict[str, Any], Path], Any]
_KEYS: dict[str, tuple[str, _Convert]] = {
    "title": ("title", _text),
    "subtitle": ("subtitle", _text),
    "author": ("authors", _authors),
    "authors": ("authors", _authors),
    "date": ("date", _date),
    "abstract": ("abstract", _text),
    "keywords": ("keywords", _keywords),
    "lang": ("language", _text),
    "bibliography": ("bibliography", _paths),
    "csl": ("csl", _csl),
    "references": ("references", _as_is),
    "nocite": ("nocite", _as_is),
    "link-citations": ("link_citations", _flag),
    "suppress-bibliography": ("suppress_bibliography", _flag),
    "reference-section-title": ("reference_section_title", _text),
    "number-sections": ("number_sections", _flag),
    "format": ("number_sections", _numbering_in_formats),
}
