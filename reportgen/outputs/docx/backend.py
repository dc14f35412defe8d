"""The DOCX as an output: its inputs, its checks, and its render in a child process."""

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

IMAGE_FORMAT = "png"  # the figures' images it embeds (`Figure.images`): Word takes no SVG
# What python-docx can embed (it reads the header; the suffix says what the file claims to be).
WORD_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff"}


class DocxBackend(Backend):
    name = "docx"
    suffix = ".docx"
    image_format = IMAGE_FORMAT
    label = "DOCX"
    action = "writing"
    # python-docx reads each image as it adds it: started once every chart is drawn, it
    # renders in a child process beside the PDF.
    in_child = True

    def inputs(self, project: Project, key: Callable[[Path], str]) -> Inputs:
        # The override's digest is "missing" until a project adds one, which then counts.
        override = project.template_folders().override / REFERENCE_DOC
        return Inputs(list(dict.fromkeys([override, project.reference_doc()])), ["@lib:python-docx"])

    def check(self, project: Project, doc: m.Document, found: Diagnostics, *, thorough: bool = False) -> None:
        """A reference document that is not one (`thorough`: opened with python-docx too, which
        a build does in its render, off the PDF's path); an image Word cannot embed."""
        from reportgen.errors import ReportgenError
        from reportgen.outputs.docx.reference_doc import check_reference_doc

        with found.collecting():
            reference = project.reference_doc()  # inside the project, as the build requires
            check_reference_doc(reference, _shown(reference, project.root), open_it=thorough)
        charts = {chart.id for chart in project.config.charts}  # drawn as PNG for Word
        for figure in doc.figures():
            # PDF and SVG figures are drawn as PNG
            suffix = Path(figure.images.get(self.image_format) or figure.src).suffix.lower()
            if suffix == ".svg":
                continue  # its drawing failed, and said so
            # A `chart:` link names a chart, drawn as PNG (an unknown one is reported when placing).
            if figure.id not in charts and not figure.src.startswith("chart:") and suffix not in WORD_IMAGE_SUFFIXES:
                found.add_error(ReportgenError(
                    f"image '{figure.src}': a Word document cannot embed {suffix or 'this kind of'} images; "
                    "save a PNG or JPEG version, or build the PDF alone (--format pdf)", figure.location))

    def render(self, doc: m.ResolvedDocument, path: Path, project: Project, wait_for: Callable[[Path], None]) -> list[Diagnostic]:
        """From a checked copy of the reference document (no external template)."""
        from reportgen.outputs.docx.reference_doc import check_reference_doc
        from reportgen.outputs.docx.writer import write_docx
        from reportgen.pipeline.output_paths import remove

        reference = project.reference_doc()
        copy = path.with_name(f"{path.name}.reference.tmp")
        remove(copy)
        try:
            copy.write_bytes(check_reference_doc(reference, _shown(reference, project.root)))
            write_docx(doc, path, reference_doc=copy)
        finally:
            remove(copy)
        return []


def _shown(path: Path, root: Path) -> Path:
    root = root.resolve()
    return path.relative_to(root) if path.is_relative_to(root) else path
