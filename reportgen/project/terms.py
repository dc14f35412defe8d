"""reportgen's own words in the brief's language: "Contents", "Figure", the cover date, ….

Pandoc's translations (the files its writers use, read from the bundled binary) give
Contents, Bibliography, References, Figure, Table and (for some languages) Listing; the few
words Pandoc has no term for (Section, Equation, Key findings, Policy brief) come from the
table below, for the languages it covers, else in English. Babel writes the date as the language does. reportgen.yml's
`labels:` overrides any of them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportgen.project.config import LabelsConfig

# label -> the key of Pandoc's translations file
_PANDOC_TERMS = {"contents": "Contents", "bibliography": "Bibliography", "references": "References",
                 "figure": "Figure", "table": "Table", "listing": "Listing"}
ENGLISH = {"contents": "Contents", "bibliography": "Bibliography", "references": "References", "figure": "Figure",
            "table": "Table", "section": "Section", "key_findings": "Key findings", "policy_brief": "Policy Brief",
            "equation": "Equation", "listing": "Listing"}
_OURS: dict[str, dict[str, str]] = {
    "fr": {"section": "Section", "key_findings": "Points clés", "policy_brief": "Note d’orientation",
           "equation": "Équation", "listing": "Listing"},
    "de": {"section": "Abschnitt", "key_findings": "Kernaussagen", "policy_brief": "Policy Brief",
           "equation": "Gleichung", "listing": "Auflistung"},
    "es": {"section": "Sección", "key_findings": "Conclusiones clave", "policy_brief": "Informe de políticas",
           "equation": "Ecuación", "listing": "Listado"},
    "ru": {"section": "Раздел", "key_findings": "Основные выводы", "policy_brief": "Аналитическая записка",
           "equation": "Уравнение", "listing": "Листинг"},
    "it": {"section": "Sezione", "key_findings": "Punti chiave", "policy_brief": "Nota di sintesi",
           "equation": "Equazione", "listing": "Listato"},
    "pt": {"section": "Secção", "key_findings": "Principais conclusões", "policy_brief": "Nota de política",
           "equation": "Equação", "listing": "Listagem"},
}
_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def labels_for(language: str, overrides: LabelsConfig | None = None) -> dict[str, str]:
    """Every label in `language`; a label set in reportgen.yml wins. `bibliography` is the
    heading reportgen adds, so an override of it serves for `references` too."""
    base = language.split("-")[0].lower()
    words = dict(ENGLISH)
    words.update(_OURS.get(base, {}))
    pandoc = {} if base == "en" else _pandoc_translations(language)  # English is Pandoc's en.yaml already
    words.update({label: word for label, key in _PANDOC_TERMS.items() if isinstance(word := pandoc.get(key), str)})
    if overrides is not None:
        chosen = {k: v for k, v in overrides.model_dump().items() if v}
        if "bibliography" in chosen:
            chosen.setdefault("references", chosen["bibliography"])
        words.update(chosen)
    return words


def long_date(date: dt.date, language: str) -> str:
    """The date as the language writes it: "22 November 2026", "November 22, 2026", "22 novembre 2026"."""
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date

    for tag in (language.replace("-", "_"), language.split("-")[0], "en"):
        try:
            return format_date(date, "long", locale=Locale.parse(tag))
        except (UnknownLocaleError, ValueError):
            continue
    return date.isoformat()


@functools.lru_cache(maxsize=8)
def _pandoc_translations(language: str) -> dict[str, object]:
    """Pandoc's translations for `language` (`fr-CA`, else `fr`); empty when it has none."""
    from reportgen.pandoc_process import pandoc_path

    if not _TAG.match(language):
        return {}
    parts = language.split("-")
    for tag in dict.fromkeys([f"{parts[0].lower()}-{parts[1].upper()}" if len(parts) > 1 else "", parts[0].lower()]):
        if not tag:
            continue
        done = subprocess.run([pandoc_path(), "--print-default-data-file", f"translations/{tag}.yaml"],
                              capture_output=True, check=False, timeout=30)
        if done.returncode == 0:
            import yaml

            data = yaml.safe_load(done.stdout.decode("utf-8", errors="replace"))
            return data if isinstance(data, dict) else {}
    return {}
