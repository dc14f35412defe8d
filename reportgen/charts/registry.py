"""The chart kinds, found in one place: every module of `reportgen/charts/kinds/` defines `KIND`.

Adding a kind is adding its module there, or calling `register` from elsewhere; nothing else
names it. `config.py` validates a spec with `spec_class(kind)`, `data.py` reads its columns
and row limit from `kind_of`.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from reportgen.charts import kinds as _package
from reportgen.charts.kind import ChartKind
from reportgen.charts.spec import ChartSpec


@cache
def kinds() -> dict[str, ChartKind[Any]]:
    """Every kind by name, in alphabetical order of their modules."""
    found: dict[str, ChartKind[Any]] = {}
    for info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{_package.__name__}.{info.name}")
        kind: ChartKind[Any] = module.KIND
        found[kind.name] = kind
    return found


def register(kind: ChartKind[Any]) -> None:
    """Add a kind defined elsewhere (a plugin, a test). Forked stage processes inherit it."""
    kinds()[kind.name] = kind


def unregister(name: str) -> None:
    """Remove a kind added with `register` (a test's, once it is done)."""
    kinds().pop(name, None)


def kind_of(spec: ChartSpec) -> ChartKind[Any]:
    return kinds()[spec.kind]


def spec_class(name: str) -> type[ChartSpec] | None:
    kind = kinds().get(name)
    return kind.spec if kind else None
