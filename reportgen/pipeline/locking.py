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
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

from reportgen.atomic import write_atomic
from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from reportgen.pipeline.manifest import STATE_DIR

log = logging.getLogger("reportgen")


@contextmanager
def build_lock(root: Path, timeout: float) -> Iterator[None]:
    state = root / STATE_DIR
    lock = FileLock(state / "build.lock")
    owner = state / "build.owner"
    try:
        state.mkdir(parents=True, exist_ok=True)
        _acquire(lock, owner, timeout, root)
    except OSError as exc:  # a folder or a read-only file where the lock file goes, ...
        where = Location(Path(STATE_DIR, "build.lock"))
        raise ReportgenError(f"cannot take the build lock: {exc.strerror or exc}", where) from None
    try:
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with suppress(OSError):  # only informs a waiting build; a build goes on without it
            # Replaced, not opened: a FIFO left in its place would block the write forever.
            write_atomic(owner, json.dumps({"pid": os.getpid(), "started": started}))
        yield
    finally:
        with suppress(OSError):
            owner.unlink(missing_ok=True)
        lock.release()


def _acquire(lock: FileLock, owner: Path, timeout: float, root: Path) -> None:
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("Waiting for another build of this project (%s) ...", _describe(owner))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise ReportgenError(f"another build of this project is still running ({_describe(owner)}); "
                                 f"gave up after {timeout:g} s", Location(root)) from None


def _describe(owner: Path) -> str:
    try:
        if not owner.is_file():  # gone, or a FIFO that would block the read
            return "owner unknown"
        data = json.loads(owner.read_text(encoding="utf-8"))
        return f"pid {data['pid']}, started {data['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "owner unknown"
