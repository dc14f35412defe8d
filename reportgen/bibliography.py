"""Load a CSL-JSON or CSL-YAML bibliography (the formats Zotero and Better BibTeX export)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.csl_dates import date_problems
from reportgen.errors import ReportgenError, raise_all
from reportgen.model import Location
from reportgen.yamlfile import YamlFile


@dataclass
class Bibliography:
    path: Path
    items: dict[str, dict[str, Any]]
    locations: dict[str, Location]
    # Pandoc reads Markdown inside CSL-YAML fields but not inside CSL-JSON, so the citation
    # processor is given the user's own file whenever it is in a form Pandoc reads.
    pandoc_file: Path | None = None

    def __contains__(self, key: str) -> bool:
        return key in self.items


def load_bibliography(path: Path, display: Path | None = None) -> Bibliography:
    """Read the entries, keyed by `id`; duplicate or missing ids are errors."""
    # CSL-JSON is valid YAML, so one loader with line tracking serves both formats.
    source = YamlFile.read(path, display)
    data, prefix = source.data, ()
    if isinstance(data, dict) and "references" in data:
        data, prefix = data["references"], ("references",)
    if not isinstance(data, list):
        raise ReportgenError("expected a list of CSL items (or a 'references:' list)", source.location())
    items: dict[str, dict[str, Any]] = {}
    locations: dict[str, Location] = {}
    errors: list[ReportgenError] = []
    for index, item in enumerate(data):
        where = source.location((*prefix, index))
        if not isinstance(item, dict) or not isinstance(item.get("id"), (str, int)):
            errors.append(ReportgenError("bibliography entry without an 'id'", where))
            continue
        key = str(item["id"])
        if key in items:
            errors.append(ReportgenError(f"duplicate bibliography key '{key}' (first at line {locations[key].line})", where))
            continue
        items[key] = item
        locations[key] = where
        for name, problem in date_problems(item):
            errors.append(ReportgenError(f"source '{key}': {problem}", source.location((*prefix, index, name, "date-parts"))))
    raise_all(errors)
    readable = bool(prefix) or path.suffix == ".json"
    return Bibliography(display or path, items, locations, path.resolve() if readable else None)
