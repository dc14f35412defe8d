"""The build manifest: what each output was made from, so unchanged work is skipped.

Every output (a chart's SVG and PNG, the PDF, the DOCX) is a *target* with the digests of
its inputs: files (content, data, templates, fonts, charts it embeds) and parameters that
are not files (reportgen's own code, the renderer's version, a chart's spec). A target is
rebuilt when any input digest differs or its output is gone or was changed by hand.

This module is imported on every build, including the one that finds nothing to do, so it
uses the standard library only: a no-op build must stay far below a second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from reportgen.atomic import write_atomic

STATE_DIR = ".reportgen"
NO_PREVIOUS_BUILD = "no previous build"
MANIFEST_VERSION = 1
_PACKAGE = Path(__file__).resolve().parents[1]


def file_digest(path: Path) -> str:
    """A content digest; "missing" for a file that is not there, "not-a-file" for a FIFO or
    device (opened without blocking, never read: the build then reports it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return "missing"
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "not-a-file"
        return hashlib.file_digest(file, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def code_digest() -> str:
    """reportgen's version and its own source: an edited checkout invalidates its outputs too."""
    # Subpackages too (charts/kinds/...): any code change redraws and re-renders.
    parts = [_version()] + [f"{p.relative_to(_PACKAGE).as_posix()}:{file_digest(p)}" for p in sorted(_PACKAGE.rglob("*.py"))]
    return text_digest("\n".join(parts))


def _well_formed(data: object) -> bool:
    """Whether `data` has every part of a manifest, each of the right type."""
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return False
    targets, formats = data.get("targets"), data.get("formats")
    return (isinstance(data.get("config"), str) and _texts(data.get("default_formats"))
            and isinstance(formats, dict) and all(_text_map(f) for f in formats.values())
            and isinstance(targets, dict)
            and all(isinstance(t, dict) and _text_map(t.get("inputs")) and _text_map(t.get("outputs"))
                    and bool(t["outputs"]) for t in targets.values()))


def _texts(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _text_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(x, str) for x in value.values())


def _version() -> str:
    from reportgen import __version__

    return __version__


def library_version(name: str) -> str:
    """An installed distribution's version, read from its metadata without importing it."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def listing_digest(folder: Path, skip: tuple[str, ...] = ()) -> str:
    """The names of the files under `folder`, but for READMEs and those whose suffix is in
    `skip`: a template added to a templates folder counts (it may replace a packaged one, or
    be included), a file another output reads there does not."""
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.suffix not in skip and p.name != "README.md")
    return text_digest("\n".join(names))


def param_value(name: str, root: Path) -> str | None:
    """The current value of a `@` input, or None if only loading the project can tell."""
    if name == "@reportgen":
        return code_digest()
    if name.startswith("@lib:"):
        return library_version(name.removeprefix("@lib:"))
    if name == "@today":
        return dt.date.today().isoformat()
    if name.startswith("@env:"):
        return os.environ.get(name.removeprefix("@env:"), "")
    if name.startswith("@listing:"):  # "@listing:FOLDER|SUFFIXES TO SKIP"
        folder, _, skip = name.removeprefix("@listing:").rpartition("|")
        return listing_digest(root / folder, tuple(skip.split()))
    return None


@dataclass
class Target:
    """One output (or a group written together) and the digests it was built from."""

    inputs: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)


class Digests:
    """Digests of the project's files, each file read at most once per build."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, str] = {}

    def key(self, path: Path) -> str:
        """How a path is named in the manifest: relative inside the project, else absolute."""
        full = path if path.is_absolute() else self.root / path
        try:
            return full.relative_to(self.root).as_posix()
        except ValueError:
            return str(full)

    def path(self, key: str) -> Path:
        return Path(key) if os.path.isabs(key) else self.root / key

    def of(self, key: str) -> str:
        if key not in self._cache:
            value = param_value(key, self.root) if key.startswith("@") else file_digest(self.path(key))
            self._cache[key] = value if value is not None else "unknown"
        return self._cache[key]

    def forget(self, key: str) -> None:
        self._cache.pop(key, None)

    def files(self, paths: list[Path]) -> dict[str, str]:
        return {k: self.of(k) for k in (self.key(p) for p in paths)}


class Manifest:
    """The targets of the last successful builds, kept in PROJECT/.reportgen/manifest.json."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / STATE_DIR / "manifest.json"
        self.targets: dict[str, Target] = {}
        # For each output folder and format, the target that wrote it (the quick check
        # needs it before the config is read).
        self.formats: dict[str, dict[str, str]] = {}
        self.config_digest = ""
        self.default_formats: list[str] = []  # the config's `outputs`, for a bare `build`
        self.problem = ""  # why the file on disk could not be used, when it could not

    @classmethod
    def load(cls, root: Path) -> Manifest:
        """The manifest on disk; an empty one (everything is rebuilt, then recorded afresh)
        when there is none or it cannot be used, with `problem` saying why."""
        manifest = cls(root)
        try:
            if not manifest.path.exists():
                return manifest
            if not manifest.path.is_file():
                raise ValueError("not a regular file")
            data = json.loads(manifest.path.read_bytes().decode("utf-8"))
        except (OSError, ValueError, RecursionError) as exc:  # unreadable, not UTF-8, not JSON
            manifest.problem = f"unreadable ({getattr(exc, 'strerror', None) or exc})"
            return manifest
        if not _well_formed(data):
            manifest.problem = f"not a version {MANIFEST_VERSION} manifest"
            return manifest
        manifest.targets = {name: Target(t["inputs"], t["outputs"]) for name, t in data["targets"].items()}
        manifest.formats = data["formats"]
        manifest.config_digest = data["config"]
        manifest.default_formats = data["default_formats"]
        return manifest

    def save(self) -> None:
        data = {
            "version": MANIFEST_VERSION,
            "config": self.config_digest,
            "default_formats": self.default_formats,
            "formats": self.formats,
            "targets": {name: {"inputs": t.inputs, "outputs": t.outputs} for name, t in sorted(self.targets.items())},
        }
        write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")

    def changes(self, name: str, inputs: dict[str, str], digests: Digests) -> list[str]:
        """Why target `name` must be rebuilt: changed inputs, or a missing/edited output; [] if fresh."""
        old = self.targets.get(name)
        if old is None:
            return [NO_PREVIOUS_BUILD]
        changed = sorted(k for k in inputs.keys() | old.inputs.keys() if inputs.get(k) != old.inputs.get(k))
        for key, digest in old.outputs.items():
            digests.forget(key)  # outputs are rewritten during a build: never trust a cached digest
            if digests.of(key) != digest:
                changed.append(f"{key} (output {'missing' if digests.of(key) == 'missing' else 'edited'})")
        return changed

    def quick_changes(self, out_key: str, formats: list[str] | None, digests: Digests) -> list[str] | None:
        """What changed since the last build of `formats` into `out_key`, without reading the config.

        [] means nothing did; None means the manifest cannot tell (first build, new format).
        """
        formats = formats or self.default_formats
        recorded = self.formats.get(out_key, {})
        if not self.config_digest or not formats or any(f not in recorded for f in formats):
            return None
        names = [recorded[f] for f in formats] + [n for n in self.targets if n.startswith("chart:")]
        changed: set[str] = set()
        if digests.of("reportgen.yml") != self.config_digest:
            changed.add("reportgen.yml")
        for name in names:
            target = self.targets.get(name)
            if target is None:
                return None
            for key, digest in target.inputs.items():
                value = digests.of(key)
                if value != digest and value != "unknown":
                    changed.add(key)
            for key, digest in target.outputs.items():
                if digests.of(key) != digest:
                    changed.add(f"{key} (output)")
        return sorted(changed)
