"""A wall-clock limit on each render stage.

A render that runs for ever (a pathological input that slipped past every other bound)
would hold the build lock and a CI runner until something kills it. Each render stage
(the PDF, the DOCX, in this process or in a forked child) runs under a limit instead, and
past it the build stops with a message naming the stage; the previous outputs stay.
The limit is the caller's, not the content's: `REPORTGEN_STAGE_TIMEOUT` (seconds, default
600; a 400-page brief renders in well under a minute).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reportgen.document.model import Location
from reportgen.errors import ReportgenError

DEFAULT_STAGE_TIMEOUT = 600.0
ENV = "REPORTGEN_STAGE_TIMEOUT"


class StageTimeout(ReportgenError):
    """A render stage ran past its limit."""


def stage_timeout() -> float:
    """The limit in seconds; an unusable value is an error naming the variable."""
    raw = os.environ.get(ENV, "")
    if not raw:
        return DEFAULT_STAGE_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 10**7:
        raise ReportgenError(f"{ENV}={raw!r}: expected a number of seconds above 0", Location(Path(ENV)))
    return value


class _Expired(BaseException):
    """Raised in the block by the timer: a BaseException, so that a library's broad
    `except Exception` (WeasyPrint logs and goes on after a failed fetch) cannot swallow it."""


@contextmanager
def time_limit(what: str, seconds: float, where: Location | None = None) -> Iterator[None]:
    """Raise `StageTimeout` from the block once `seconds` have passed (main thread only: a
    signal handler runs there; elsewhere the block runs unlimited)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    expired = False

    def expire(signum: int, frame: object) -> None:
        nonlocal expired
        expired = True
        signal.setitimer(signal.ITIMER_REAL, 0.25)  # and again, should something swallow it
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if expired:
        raise StageTimeout(f"{what} took longer than {seconds:g} s and was stopped (the limit is {ENV})", where)


def limited(fn: Callable[..., Any], what: str, seconds: float, where: Location | None = None) -> Callable[..., Any]:
    """`fn` run under `time_limit`: for a stage in a forked child, whose main thread it runs in."""
    def run(*args: Any) -> Any:
        with time_limit(what, seconds, where):
            return fn(*args)

    return run
