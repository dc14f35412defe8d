"""Everything a build writes stays inside the project.

A project's `build/`, `figures/` and `.reportgen/` may arrive from a repository, and a
repository can hold symlinks: `build -> /home/ci/.ssh` would have the build write outside
the project it was asked to build. Before anything is written, each folder a build writes
into, and each file it writes in place (rather than renaming over), must resolve to a path
inside the project; otherwise the build stops with a message and writes nothing. An output
folder given with `--out` outside the project is the caller's own choice and is allowed.
Staged outputs that a killed build left behind are removed by the next build.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from reportgen.pipeline.manifest import STATE_DIR

_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR,
                 errno.EEXIST, errno.ENOTEMPTY}
# Files the build and its services write in place under .reportgen/ (the rest is renamed over).
STATE_FILES = ("build.lock", "build.owner", "history.jsonl", "schedule.log", "cache")


def output_dir(root: Path, out: Path | None) -> Path:
    """The folder the documents go to, resolved; refused if the project's own folder (or an
    `--out` folder inside the project) leads outside it."""
    root = root.resolve()
    given = out if out is not None else root / "build"
    lexical = Path(os.path.abspath(given))
    if out is not None and not lexical.is_relative_to(root):
        return _folder(root, lexical, lexical.resolve())  # the caller asked for a folder elsewhere
    return _folder(root, lexical, _inside(root, lexical))


def check_state_and_figures(root: Path) -> None:
    """`.reportgen/`, its files written in place, and `figures/` resolve inside the project."""
    root = root.resolve()
    state = _folder(root, root / STATE_DIR, _inside(root, root / STATE_DIR))
    for name in STATE_FILES:
        _inside(root, state / name)
    _folder(root, state / "cache", state / "cache")
    _folder(root, root / "figures", _inside(root, root / "figures"))


def check_chart_files(root: Path, chart_ids: list[str]) -> None:
    """Chart files are written by matplotlib, which follows a symlink in their place."""
    root = root.resolve()
    for chart_id in chart_ids:
        for suffix in (".svg", ".png"):
            path = _inside(root, root / "figures" / f"{chart_id}{suffix}")
            if path.exists() and not path.is_file():
                raise ReportgenError(f"is not a file; reportgen draws chart '{chart_id}' there, remove it",
                                     Location(_shown(root, root / "figures" / f"{chart_id}{suffix}")))


@contextmanager
def writing(path: Path, root: Path) -> Iterator[None]:
    """A failure to write `path` (disk full, a read-only folder, a file size limit) as a user
    error naming it, not a traceback."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _WRITE_ERRORS:
            raise
        raise ReportgenError(f"cannot write: {exc.strerror}", Location(_shown(root.resolve(), path))) from None


def remove(path: Path) -> None:
    """Remove a temporary file if it is there; on a read-only or vanished folder there is
    nothing to remove, and the error that matters is the one already being raised."""
    with suppress(OSError):
        path.unlink(missing_ok=True)


def _folder(root: Path, path: Path, resolved: Path) -> Path:
    """`resolved`, which the build makes a folder: something else of that name is an error."""
    if resolved.exists() and not resolved.is_dir():
        raise ReportgenError("is a file, not a folder; reportgen writes into a folder of that name, "
                             "remove or rename the file", Location(_shown(root, path)))
    return resolved


def _inside(root: Path, path: Path) -> Path:
    """`path` resolved (following every symlink, existing or dangling); an error if that
    leaves `root`."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ReportgenError(f"cannot write here: {exc}", Location(_shown(root, path))) from None
    if not resolved.is_relative_to(root):
        raise ReportgenError(f"leads outside the project (to {resolved}); reportgen writes only inside the project, "
                             "remove the link", Location(_shown(root, path)))
    return resolved


def _shown(root: Path, path: Path) -> Path:
    return path.relative_to(root) if path.is_relative_to(root) else path


def remove_stale_staged(out_dir: Path, output_name: str) -> list[Path]:
    """Staged outputs (`.NAME.pdf.PID.staged`, and their `.tmp` files) of builds that are no
    longer running: left by a `kill -9`. Builds of a project never overlap (the lock), so
    only a file whose process is gone is removed."""
    # `.NAME.pdf.PID.staged`, and the temporary files beside it: the renderers'
    # `..NAME.pdf.PID.staged.PID2.tmp`, `..NAME.docx.PID.staged.PID2.tmp`, the reference document's
    # `.NAME.docx.PID.staged.reference.tmp`.
    pattern = re.compile(rf"\.\.?{re.escape(output_name)}\.(?:pdf|docx)\.(\d+)\.staged(?:\.\d+|\.reference)?(?:\.tmp)?")
    removed = []
    try:
        entries = list(out_dir.iterdir())
    except OSError:
        return []
    for path in entries:
        match = pattern.fullmatch(path.name)
        if match and not _alive(int(match.group(1))) and not path.is_dir():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2**22  # exists under another user; an absurd number does not
    return True
