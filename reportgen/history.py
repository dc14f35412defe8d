"""The build history: one JSON line per build in PROJECT/.reportgen/history.jsonl.

Scheduled builds run unattended; the history says afterwards what changed, what was
rebuilt, how long it took, what failed, and which cited sources were flagged for review.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.errors import ReportgenError
from reportgen.manifest import STATE_DIR

if TYPE_CHECKING:
    from reportgen.pipeline import BuildResult

HISTORY_NAME = "history.jsonl"


def history_path(root: Path) -> Path:
    return root / STATE_DIR / HISTORY_NAME


def append(root: Path, entry: dict[str, Any]) -> None:
    """Append one entry; a line is written in one call, so concurrent readers see whole lines."""
    path = history_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **entry}
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")


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
    """The recorded entries, oldest first; damaged lines (a crash mid-write) are skipped."""
    try:
        lines = history_path(root).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries[-last:] if last else entries
