"""The build history: one JSON line per build in PROJECT/.reportgen/history.jsonl.

Scheduled builds run unattended; the history says afterwards what changed, what was
rebuilt, how long it took, what failed, and which cited sources were flagged for review.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.errors import ReportgenError
from reportgen.pipeline.manifest import STATE_DIR

if TYPE_CHECKING:
    from reportgen.pipeline.results import BuildResult

HISTORY_NAME = "history.jsonl"
MAX_HISTORY_BYTES = 64 * 2**20  # some 200,000 builds; only the end of a longer file is read

log = logging.getLogger("reportgen")

# The fields an entry may have and the types each may take; a line with others is damaged.
_FIELDS: dict[str, tuple[type, ...]] = {
    "time": (str,), "kind": (str,), "status": (str,), "seconds": (int, float, type(None)), "changed": (list,),
    "rebuilt": (list,), "outputs": (list,), "flagged": (list,), "warnings": (int,), "error": (str,), "counts": (dict,),
}
_LISTS_OF_TEXT = ("changed", "rebuilt", "outputs", "flagged")


def history_path(root: Path) -> Path:
    return root / STATE_DIR / HISTORY_NAME


def append(root: Path, entry: dict[str, Any]) -> None:
    """Append one entry; a line is written in one call, so concurrent readers see whole lines.

    The history is a record, not an input: when it cannot be written the build goes on.
    """
    path = history_path(root)
    entry = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **entry}
    line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+b") as f:
            if f.seek(0, 2) > 0:
                f.seek(-1, 2)
                if f.read(1) != b"\n":  # a line cut short by a crash: keep the new one whole
                    line = b"\n" + line
            f.write(line)
    except OSError as exc:
        log.warning("%s/%s: warning: could not record this run in the history: %s",
                    path.parent.name, path.name, exc.strerror or exc)


def record_build(root: Path, result: BuildResult, seconds: float, error: BaseException | None = None) -> None:
    if error is None:
        status = "rebuilt" if result.rebuilt else "up-to-date"
    elif isinstance(error, ReportgenError):
        status = "failed"
    else:
        status = "interrupted" if isinstance(error, KeyboardInterrupt) else "crashed"
    entry: dict[str, Any] = {
        "kind": "build",
        "status": status,
        "seconds": round(seconds, 3),
        "changed": result.changed,
        "rebuilt": result.rebuilt,
        "outputs": [str(p) for p in result.outputs],
        "warnings": len(result.warnings),
    }
    if error is not None:
        entry["error"] = str(error) or type(error).__name__
    append(root, entry)


def read(root: Path, last: int | None = None) -> list[dict[str, Any]]:
    """The recorded entries, oldest first; damaged lines (a crash mid-write, an edit) are skipped."""
    entries, _ = read_entries(root)
    return entries[-last:] if last else entries


def read_entries(root: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """The entries of the history, and the numbers of the lines skipped as damaged."""
    path = history_path(root)
    try:
        if not path.is_file():  # none yet, or a FIFO or folder in its place
            return [], []
        with path.open("rb") as f:
            size = f.seek(0, 2)
            f.seek(max(0, size - MAX_HISTORY_BYTES))
            data = f.read()
        if size > MAX_HISTORY_BYTES:
            data = data[data.find(b"\n") + 1:]  # from the first whole line
    except OSError:
        return [], []
    entries, damaged = [], []
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        entry = _entry(raw)
        if entry is None:
            damaged.append(number)
        else:
            entries.append(entry)
    return entries, damaged


def _entry(raw: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("time"), str):
        return None
    if any(name in entry and not isinstance(entry[name], types) for name, types in _FIELDS.items()):
        return None
    if any(not all(isinstance(x, str) for x in entry.get(name, [])) for name in _LISTS_OF_TEXT):
        return None
    return entry
