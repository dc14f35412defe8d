"""Rebuild a project whenever its sources change: `reportgen watch`.

Uses watchfiles (Rust `notify`): it watches the project folder recursively and yields one
batch of changes per burst of edits. A change starts a build only if it is to an input:
a file the config names or the last build read (the manifest's inputs), or any file in a
folder below the root that holds one (a new image in content/). A file in the root itself
counts only when named, so `reportgen watch | tee watch.out` cannot make a build start
another. Whatever the inputs, never watched: the output folder, figures/, the .reportgen
state, `*.log` files, editor droppings, and the files the watcher's own output goes to
(`reportgen watch > watch.txt`), recognised by device and inode whatever their name. When
neither the config nor a manifest can say what the inputs are, every other change counts.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Set
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import watchfiles
from watchfiles import Change, DefaultFilter

from reportgen.errors import ReportgenError
from reportgen.pipeline.manifest import Manifest
from reportgen.project.config import CONFIG_NAME, load_config

# Editor droppings on top of watchfiles' defaults (which cover .git, *.swp, *~, .#*):
# Vim's write test file, Emacs autosaves, GIO's atomic-save temporaries.
_IGNORE_NAMES = (r"^4913$", r"^#.*#$", r"^\.goutputstream-")
_IGNORE_DIRS = (".reportgen",)
# Logs, such as `reportgen watch 2> watch.log` or a scheduler's, are written to, never read.
_IGNORE_SUFFIXES = (".log",)

# A batch is yielded once no new change has arrived for this long (watchfiles' `step`).
_QUIET_MS = 50
# How long the watcher waits before its first, empty, yield: the cue for the first build,
# which thus runs with the watcher already started and misses no edit made meanwhile.
_START_MS = 100


@dataclass(frozen=True)
class Inputs:
    """What a build of the project reads: named files, and folders any file of which counts."""

    files: frozenset[Path]
    folders: frozenset[Path]

    def __contains__(self, path: Path) -> bool:
        return path in self.files or any(path.is_relative_to(folder) for folder in self.folders)


def project_inputs(root: Path) -> Inputs | None:
    """The inputs the config names and the last build's manifest records; None if neither can tell."""
    files = {root / CONFIG_NAME}
    folders: set[Path] = set()
    try:
        config, source = load_config(root)
    except ReportgenError:
        config = None
    if config is not None:
        files.update(root / path for path in source.metadata_files)  # a `_quarto.yml` read for metadata
        named = [*config.sections, *config.bibliography, *config.metadata_files, *(chart.data for chart in config.charts),
                 config.reference_doc]
        files.update(root / path for path in named)
        if config.csl.endswith(".csl"):
            files.add(root / config.csl)
        folders.add(root / config.templates)
    manifest = Manifest.load(root)
    for target in manifest.targets.values():
        # Project files are keyed by relative path; "@…" keys are parameters, absolute
        # ones the packages' fonts and templates.
        files.update(root / key for key in target.inputs if not key.startswith("@") and not os.path.isabs(key))
    if config is None and not manifest.targets:
        return None
    files |= {_resolved(path) for path in files}  # events name a symlink, or what it points to
    folders = {_resolved(path) for path in folders} | {path.parent for path in files if path.parent != root}
    return Inputs(frozenset(files), frozenset(folder for folder in folders if folder != root))


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop, say: kept as written
        return path


_Result = TypeVar("_Result")
_Result_co = TypeVar("_Result_co", covariant=True)


@dataclass(frozen=True)
class WatchEvent(Generic[_Result_co]):
    """One build run by the watcher."""

    changed: tuple[str, ...]  # project-relative POSIX paths; empty for the initial build
    duration: float  # seconds
    initial: bool = False
    error: ReportgenError | None = None
    result: _Result_co | None = None  # what `rebuild` returned, e.g. a BuildResult

    @property
    def ok(self) -> bool:
        return self.error is None


def watch(
    root: Path,
    rebuild: Callable[[], _Result],
    *,
    out: Path | None = None,
    debounce_ms: int = 300,
    stop_event: threading.Event | None = None,
    on_event: Callable[[WatchEvent[_Result]], None] | None = None,
    ignore: Iterable[Path] = (),
    inputs: Callable[[Path], Inputs | None] = project_inputs,
) -> None:
    """Build once, then call `rebuild()` after each batch of changes to the inputs under `root`.

    `out` is the build's output folder (default `root/build`); it, `root/build`,
    `root/figures` and `ignore` are not watched. `inputs(root)` says which files count; it
    is asked again after every build, since a build may name new ones. A `ReportgenError`
    from `rebuild` is reported and watching goes on; any other exception is a bug and
    propagates. Returns when `stop_event` is set or on KeyboardInterrupt. `debounce_ms` caps
    how long a burst of changes is collected before the rebuild starts.
    """
    root = root.resolve()
    if not root.is_dir():
        raise ReportgenError(f"project folder '{root}' not found")
    skipped = [root / "build", root / "figures", *([out] if out else []), *ignore]
    report = on_event or print_event
    known: list[Inputs | None] = [inputs(root)]  # refreshed after each build
    batches = watchfiles.watch(
        root,
        watch_filter=project_filter(root, skipped, own_output_files(), lambda: known[0]),
        debounce=debounce_ms,
        step=_QUIET_MS,
        stop_event=stop_event,
        rust_timeout=_START_MS,
        yield_on_timeout=True,
        raise_interrupt=False,
    )
    initial = True
    try:
        with closing(batches):
            for batch in batches:
                if batch or initial:
                    report(_run(rebuild, _relative(root, batch), initial))
                    known[0] = inputs(root)
                    initial = False
    except KeyboardInterrupt:  # during a build: its outputs are written atomically
        return


def project_filter(root: Path, skipped: Iterable[Path], own_files: Set[tuple[int, int]] = frozenset(),
                   inputs: Callable[[], Inputs | None] = lambda: None) -> Callable[[Change, str], bool]:
    """A watchfiles filter keeping the project's inputs (all files when `inputs()` is None),
    dropping `skipped` folders, editor files, logs, and the files whose (device, inode) is in
    `own_files`."""
    names = DefaultFilter(
        ignore_dirs=(*DefaultFilter.ignore_dirs, *_IGNORE_DIRS),
        ignore_entity_patterns=(*DefaultFilter.ignore_entity_patterns, *_IGNORE_NAMES),
    )
    folders = tuple(p.resolve() for p in skipped)

    def keep(change: Change, path: str) -> bool:
        full = Path(path)
        if any(full.is_relative_to(folder) for folder in folders):  # the folder itself, too
            return False
        if full.suffix in _IGNORE_SUFFIXES or (own_files and _identity(full) in own_files):
            return False
        known = inputs()
        if known is not None and full not in known:
            return False
        # Names are matched below the root only, so a project inside e.g. ~/.git/x still works.
        return not full.is_relative_to(root) or names(change, str(full.relative_to(root)))

    return keep


def own_output_files() -> frozenset[tuple[int, int]]:
    """(device, inode) of the regular files this process's stdout and stderr write to."""
    found = set()
    for stream in (sys.stdout, sys.stderr):
        try:
            info = os.fstat(stream.fileno())
        except (OSError, ValueError, AttributeError):  # closed, or replaced by a test's capture
            continue
        if stat.S_ISREG(info.st_mode):
            found.add((info.st_dev, info.st_ino))
    return frozenset(found)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:  # deleted: a change worth a build
        return None
    return info.st_dev, info.st_ino


def print_event(event: WatchEvent[object]) -> None:
    """The default report: one line on stderr per build, the error lines on failure."""
    if event.error is not None:
        print(str(event.error), file=sys.stderr)
        return
    after = f" after changes to {', '.join(event.changed)}" if event.changed else ""
    print(f"built in {event.duration:.1f} s{after}", file=sys.stderr)


def _run(rebuild: Callable[[], _Result], changed: tuple[str, ...], initial: bool) -> WatchEvent[_Result]:
    start = time.perf_counter()
    try:
        result = rebuild()
    except ReportgenError as exc:
        return WatchEvent(changed, time.perf_counter() - start, initial, error=exc)
    return WatchEvent(changed, time.perf_counter() - start, initial, result=result)


def _relative(root: Path, batch: Set[tuple[Change, str]]) -> tuple[str, ...]:
    paths = {Path(path) for _, path in batch}
    return tuple(sorted(p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p) for p in paths))
