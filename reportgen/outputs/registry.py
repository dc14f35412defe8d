"""The outputs reportgen can write: one line per backend, its module imported when first used.

The config's `outputs:`, the CLI's `--format`, the checks and the build all take their
formats from here. A plugin or a test adds one with `register`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from reportgen.errors import ReportgenError, did_you_mean

if TYPE_CHECKING:
    from reportgen.outputs.backend import Backend

# Format name -> "module:class", imported only when the format is used: a build with
# nothing to do loads neither WeasyPrint nor python-docx.
_BACKENDS: dict[str, str | type[Backend]] = {
    "pdf": "reportgen.outputs.pdf.backend:PdfBackend",
    "docx": "reportgen.outputs.docx.backend:DocxBackend",
}
DEFAULT_OUTPUTS = list(_BACKENDS)  # what a build writes when the config names no `outputs`
ALL = "all"  # `--format all`: every registered output


def names() -> list[str]:
    """The registered formats, in the order the build renders them."""
    return list(_BACKENDS)


def get(name: str) -> Backend:
    """The backend writing format `name`; an unknown name is an error listing the known ones."""
    entry = _BACKENDS.get(name)
    if entry is None:
        raise ReportgenError(unknown(name))
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        entry = _BACKENDS[name] = getattr(import_module(module), attr)
    return entry()


def unknown(name: str) -> str:
    """What to say of an output name that is not registered."""
    return f"unknown output {name!r}{did_you_mean(name, names())}; the outputs are {', '.join(names())}"


def register(backend: type[Backend]) -> None:
    """Make `backend` an output: `outputs: [NAME]`, `--format NAME`."""
    from reportgen.outputs.backend import IMAGE_FORMATS

    if backend.name in _BACKENDS:
        raise ValueError(f"an output named {backend.name!r} is registered already")
    if backend.name == ALL:
        raise ValueError(f"{ALL!r} names every output on the command line (`--format all`)")
    if backend.image_format not in IMAGE_FORMATS:
        raise ValueError(f"{backend.name!r} embeds {backend.image_format!r} images; the charts are drawn as "
                         f"{', '.join(IMAGE_FORMATS)}")
    _BACKENDS[backend.name] = backend


def unregister(name: str) -> None:
    """Remove an output `register` added."""
    del _BACKENDS[name]

