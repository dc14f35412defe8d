"""The PDF as an output: its inputs, its checks, and its render in the build's own process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.outputs.backend import Backend, Inputs
from reportgen.outputs.pdf.templating import REFERENCE_DOC

if TYPE_CHECKING:
    from reportgen.document import model as m
    from reportgen.errors import Diagnostic, Diagnostics
    from reportgen.project.load import Project

IMAGE_FORMAT = "svg"  # the figures' images it embeds (`Figure.images`): vector, where there is one


class PdfBackend(Backend):
    name = "pdf"
    suffix = ".pdf"
    image_format = IMAGE_FORMAT
    label = "PDF"
    action = "rendering"
    # WeasyPrint asks for the images only once it has parsed and styled the whole document
    # (a fifth of its time or so): it starts while the charts are drawn and waits for them there.
    in_child = False

    def inputs(self, project: Project, key: Callable[[Path], str]) -> Inputs:
        from reportgen.fonts import faces

        # The template files in use (the project's overrides and the packaged rest), the
        # fonts, and the names in the override folder: a stylesheet added there counts.
        folders = project.template_folders()
        files = [p for p in folders.files() if p.suffix != Path(REFERENCE_DOC).suffix]
        files += [face.path for face in faces()]
        params = ["@lib:weasyprint", f"@listing:{key(folders.override)}|{Path(REFERENCE_DOC).suffix}"]
        return Inputs(files, params)

    def check(self, project: Project, doc: m.Document, found: Diagnostics, *, thorough: bool = False) -> None:
        """A template that does not render; a character no shipped font draws."""
        from reportgen.outputs.pdf.writer import check_template

        with found.collecting():
            keys = list(project.bibliography.items) if project.bibliography is not None else []
            check_template(doc, project.root, project.template_folders().override, keys)
        if project.config.checks.missing_glyphs:
            _missing_glyphs(project, found)

    def preload(self) -> None:
        import weasyprint  # noqa: F401  (~0.6 s)

    def render(self, doc: m.ResolvedDocument, path: Path, project: Project, wait_for: Callable[[Path], None]) -> list[Diagnostic]:
        from reportgen.outputs.pdf.writer import write_pdf

        templates = project.template_folders().override
        return write_pdf(doc, path, project=project.root, templates=templates, before_fetch=wait_for)


def _missing_glyphs(project: Project, found: Diagnostics) -> None:
    """One warning per character of the text that no shipped font has, at its first use."""
    from reportgen.document.model import Location
    from reportgen.errors import ReportgenError
    from reportgen.fonts import describe, missing_glyphs
    from reportgen.project.config import CONFIG_NAME
    from reportgen.project.yamlfile import MAX_MARKDOWN_BYTES, read_text

    config = project.config
    names = [Path(CONFIG_NAME), *config.sections, *config.bibliography]
    files = []
    for name in names:
        try:  # through `project.path`: a file outside the project is never read
            files.append((name, read_text(project.path(name, ()), name, limit=MAX_MARKDOWN_BYTES)))
        except ReportgenError:
            continue  # reported where the file is loaded
    for char, path, line, col in missing_glyphs(files):
        found.warn(f"no shipped font has {describe(char)}: the PDF shows it in whatever font the machine has, "
                   "or as a box", Location(path, line, col), "missing_glyphs")
