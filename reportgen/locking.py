"""One build of a project at a time: a lock file under PROJECT/.reportgen/.

Scheduled runs overlap when a build outlasts its interval; two builds writing the same
outputs at once would leave neither whole. The second build waits, saying so, and gives up
with a clear message after a timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from reportgen.errors import ReportgenError
from reportgen.manifest import STATE_DIR
from reportgen.model import Location

log = logging.getLogger("reportgen")


@contextmanager
def build_lock(root: Path, timeout: float) -> Iterator[None]:
    state = root / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    lock = FileLock(state / "build.lock")
    owner = state / "build.owner"
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("Waiting for another build of this project (%s) ...", _describe(owner))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise ReportgenError(f"another build of this project is still running ({_describe(owner)}); "
                                 f"gave up after {timeout:g} s", Location(root)) from None
    try:
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        owner.write_text(json.dumps({"pid": os.getpid(), "started": started}), encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


def _describe(owner: Path) -> str:
    try:
        data = json.loads(owner.read_text(encoding="utf-8"))
        return f"pid {data['pid']}, started {data['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "owner unknown"
