"""What every output implements: a name, the inputs it is built from, its checks, its render.

The build (`reportgen/pipeline/build.py`) knows outputs only through this class: it asks
each wanted backend what the manifest must digest for it, which image of each figure it
embeds, how it is scheduled, and then to render the document model to a path. A new
output is a subclass in a module of its own and one line in `registry.py`.

A backend module must stay cheap to import: its heavy library (WeasyPrint, python-docx)
is imported inside `preload`, `check` or `render`, so a build with nothing to do never
loads it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from reportgen.document import model as m
    from reportgen.errors import Diagnostic, Diagnostics
    from reportgen.project.load import Project

# The formats every chart is drawn in (`reportgen/charts/draw.py`), so the formats a backend
# may embed. Both are always drawn: a chart's files then do not depend on which outputs a
# build wants, and a later build of another output reuses them.
IMAGE_FORMATS = ("svg", "png")


@dataclass
class Inputs:
    """What an output is built from beyond what every output reads (the config, the sections,
    the bibliography, the data, the style, the embedded images): `files`, digested by content,
    and `params`, the manifest's `@` keys (`@lib:NAME`, a library's version; `@listing:FOLDER|…`,
    the names of a folder's files)."""

    files: list[Path] = field(default_factory=list)
    params: list[str] = field(default_factory=list)


class Backend(ABC):
    """One output format. Subclasses set the class attributes and implement `render`."""

    name: ClassVar[str]
    """The format's name, as written in `outputs:` and `--format`: "pdf"."""
    suffix: ClassVar[str]
    """The output file's suffix: ".pdf" (the file is build/NAME.pdf)."""
    image_format: ClassVar[str]
    """Which of a figure's images it embeds (`Figure.images`): one of `IMAGE_FORMATS`."""
    label: ClassVar[str]
    """The format as messages name it: "PDF"."""
    action: ClassVar[str]
    """What rendering it is called in messages: "rendering" ("Rendering PDF ...")."""
    in_child: ClassVar[bool]
    """How the build schedules it. False: `render` runs in the build's own process, started
    while the charts are still being drawn, and must call `wait_for(path)` before it reads
    an image, which waits for that chart (the PDF: WeasyPrint asks for the images late).
    True: `render` runs in a forked child process, started once every chart is drawn (a
    child cannot wait on the parent's charts), beside the renders of the build's process."""

    def inputs(self, project: Project, key: Callable[[Path], str]) -> Inputs:
        """The files and parameters its output depends on beyond the shared ones;
        `key(path)` is how the manifest names a path (for a `@listing:` parameter)."""
        return Inputs()

    def check(self, project: Project, doc: m.Document, found: Diagnostics, *, thorough: bool = False) -> None:
        """Add to `found` what this output cannot carry, before anything is written.
        `thorough`: also the slow checks a build leaves to `render` (`reportgen check`)."""
        return None

    def preload(self) -> None:
        """Import what `render` needs now: the build calls it while the citations are
        formatted in a thread, so the two overlap. A backend rendered in a child leaves it
        to the child."""
        return None

    @abstractmethod
    def render(self, doc: m.ResolvedDocument, path: Path, project: Project, wait_for: Callable[[Path], None]) -> list[Diagnostic]:
        """Write the output of `doc` to `path` (a staged file beside the output, which the
        build renames into place with the others); return the warnings. Call `wait_for(file)`
        before reading a file the document embeds (see `in_child`). A user error is raised as
        `ReportgenError`, naming its file and line where it has them."""
