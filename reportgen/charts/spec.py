"""What every chart spec in `reportgen.yml` has, whatever its kind; each kind adds its own keys.

Kept free of matplotlib and of the rest of the config, so that validating `reportgen.yml`
imports only pydantic and the kind modules' spec classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# A chart is a figure on a page: text longer than this is a mistake (or an attack), not a label.
MAX_TEXT = 300


class ChartSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    id: str = Field(pattern=r"^fig-[A-Za-z0-9_-]+$", max_length=100)
    """The figure id, as placed in Markdown: `![Caption](chart:ID)`."""
    kind: str
    """The chart kind: line, bar, area, scatter, range, timeline, table."""
    data: Path
    """CSV or YAML (a list of mappings) file, relative to the project root."""
    title: str = Field("", max_length=MAX_TEXT)
    """Title drawn above the plot."""
    x_label: str = Field("", max_length=MAX_TEXT)
    """Axis label for x."""
    y_label: str = Field("", max_length=MAX_TEXT)
    """Axis label for y (for horizontal bars and range plots: the value axis)."""
    unit: str = Field("", max_length=40)
    """Unit of the values, added to the value axis label: `Level (m)`."""
    source: str = "source"
    """Column naming the bibliography key behind each row."""

    def value_label(self) -> str:
        """The value axis label with its unit."""
        if self.unit and self.y_label:
            return f"{self.y_label} ({self.unit})"
        return self.y_label or self.unit


class XYSpec(ChartSpec):
    """Keys of the kinds that plot values against dates or categories."""

    x: str = "date"
    """Column holding the x values (dates for line and area, categories for bar)."""
    y: str | Annotated[list[str], Field(max_length=20)] = "value"
    """Column(s) holding the values; several columns are several series."""
    series: str | None = None
    """A column naming each row's series (long data), instead of several y columns."""

    def y_columns(self) -> list[str]:
        return [self.y] if isinstance(self.y, str) else list(self.y)


ValueLabels = Literal["none", "last", "all"]
