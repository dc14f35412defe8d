"""One exception type for everything a user can fix: bad config, content, data or citations.

The CLI prints these as `path:line:col: error: message` and exits with status 2; anything
else is a bug in reportgen and keeps its traceback. `Diagnostics` collects errors and
warnings over a whole project, so `reportgen check` reports every problem in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from reportgen.document.model import Location


class InterruptedAfterWriting(KeyboardInterrupt):
    """Ctrl-C that arrived while a build put its outputs in place: held off until they were
    all replaced and recorded, so the new outputs are complete, not the previous ones kept."""


class ReportgenError(Exception):
    """A problem in the user's project, located at a file and line where one is known."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}error: {self.message}"


class ReportgenErrors(ReportgenError):
    """Several problems found in one pass, reported together."""

    def __init__(self, errors: list[ReportgenError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass(frozen=True)
class Diagnostic:
    """One finding: an error stops a build, a warning does not."""

    severity: Literal["error", "warning"]
    message: str
    location: Location | None = None
    rule: str = ""  # a warning's switch in the config's `checks:` section

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message}"

    def to_json(self) -> dict[str, object]:
        loc = self.location
        return {
            "path": str(loc.path) if loc else None,
            "line": loc.line if loc and loc.line else None,
            "col": loc.col if loc and loc.col else None,
            "severity": self.severity,
            "message": self.message,
            "rule": self.rule or None,
        }


class Diagnostics:
    """Errors and warnings gathered across stages, in the order found."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add_error(self, exc: ReportgenError) -> None:
        for error in exc.errors if isinstance(exc, ReportgenErrors) else [exc]:
            self.items.append(Diagnostic("error", error.message, error.location))

    def warn(self, message: str, location: Location | None, rule: str) -> None:
        self.items.append(Diagnostic("warning", message, location, rule))

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """Record a user error raised in the block and carry on after it."""
        try:
            yield
        except ReportgenError as exc:
            self.add_error(exc)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def raise_errors(self) -> None:
        """Raise every error found so far as one exception, if there is any."""
        raise_all([ReportgenError(d.message, d.location) for d in self.errors])


def combined(errors: list[ReportgenError]) -> ReportgenError:
    """One exception for one or more errors."""
    return errors[0] if len(errors) == 1 else ReportgenErrors(errors)


def raise_all(errors: list[ReportgenError]) -> None:
    """Raise the collected errors, if any, as one exception."""
    if errors:
        raise combined(errors)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` hint, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
