"""One exception type for everything a user can fix: bad config, content, data or citations.

The CLI prints these as `path:line: error: message` and exits with status 2; anything else
is a bug in reportgen and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from reportgen.model import Location


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


def raise_all(errors: list[ReportgenError]) -> None:
    """Raise the collected errors, if any, as one exception."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ReportgenErrors(errors)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` hint, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
