"""The chart-kind interface: what a kind declares and does.

A kind is one module in `reportgen/charts/kinds/` defining `KIND`, an instance of a
`ChartKind` subclass: its spec class (pydantic, validated by `config.py` through the
registry), the columns its data needs (checked and converted by `data.py`), its row limit,
how it draws (matplotlib, imported lazily), and what its alt text and data appendix say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, TypeVar

from reportgen.charts.spec import ChartSpec

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from reportgen.charts.formats import Formats
    from reportgen.project.data import Dataset, Row

ColumnType = Literal["date", "number", "text"]
S = TypeVar("S", bound=ChartSpec)


@dataclass(frozen=True)
class Column:
    """A data column a kind reads: its name in the file, its type, whether every row needs it."""

    name: str
    type: ColumnType
    required: bool = True


class ChartKind(Generic[S]):
    """A kind whose spec class is `S`."""

    name: ClassVar[str]
    spec: type[S]
    # Every row is drawn and labelled: past this the chart is unreadable and slow to draw.
    max_rows: ClassVar[int] = 200

    def columns(self, spec: S) -> list[Column]:
        """The columns each row must (or may) have, besides `source`."""
        raise NotImplementedError

    def check_row(self, spec: S, row: Row) -> str | None:
        """A problem with a converted row that its columns alone do not show, or None."""
        return None

    def check(self, spec: S, data: Dataset) -> str | None:
        """A problem with the whole data set (too many series, say), or None."""
        return None

    def draw(self, spec: S, data: Dataset, formats: Formats) -> Figure:
        """The chart as a bare matplotlib `Figure`, laid out by the caller."""
        raise NotImplementedError

    def describe(self, spec: S, data: Dataset, formats: Formats) -> str:
        """The alt text: what the chart shows, from its data."""
        raise NotImplementedError

    def appendix(self, spec: S, data: Dataset, formats: Formats) -> list[tuple[Row, str]]:
        """Each row with its values as text, for the data appendix."""
        raise NotImplementedError
