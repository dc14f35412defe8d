"""Writing a file so that a reader never sees half of it: a temporary file beside it, then a rename.

Every file reportgen writes goes through here. The temporary file is in the same folder (a
rename is atomic only within one file system), named after the writing process so two
processes never write the same one, and created afresh (never written through a symlink
left in its place). Its bytes are flushed to disk before the rename, and the folder after
it, so that a crash or power cut leaves the old file or the new one, not an empty one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` (text is written as UTF-8) in one step."""
    with atomic_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        with os.fdopen(fd, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path for a writer that needs a file name (a renderer, a plotting library):
    what it writes there replaces `path` when the block ends, or is removed if the block fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # a leftover of a killed process with this pid, or a planted symlink
    try:
        yield tmp
        _fsync(tmp)  # the rename must not reach the disk before the bytes do
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    finally:
        with contextlib.suppress(OSError):  # a read-only folder: the error that matters is being raised
            tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable. Some file systems refuse to sync a folder (EINVAL):
    the rename is then as durable as they make it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
