"""Writing a file so that a reader never sees half of it: a temporary file beside it, then a rename.

The temporary file is in the same folder (a rename is atomic only within one file system)
and named after the writing process, so two processes never write the same one.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` (text is written as UTF-8) in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())  # the rename must not reach the disk before the bytes do
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
