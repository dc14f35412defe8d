"""The project's charts and image files in the document (part of the read stage).

`![Caption](chart:fig-x)` places chart `fig-x` of `reportgen.yml`: the figure takes the
chart's id, its caption a citation of its rows' sources and its alt text the kind's
description of the data; `data_appendix: true` adds a closing section of every chart's
values. An image must be a file inside the project, decoded within bounds; a PDF image is
drawn as a PNG for both outputs, an SVG image as one for Word.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from reportgen.document import model as m
from reportgen.document.image_check import check_image
from reportgen.document.images import raster_of_pdf, raster_of_svg
from reportgen.errors import ReportgenError, did_you_mean, raise_all
from reportgen.pipeline.manifest import STATE_DIR

if TYPE_CHECKING:
    from reportgen.project.load import Project


CHART_SCHEME = "chart:"


def place_charts(project: Project, doc: m.Document) -> None:
    """`![Caption](chart:fig-x)` places the chart `fig-x`: the figure takes the chart's id.
    (The older form names the drawn file and the id: `![Caption](figures/fig-x.svg){#fig-x}`.)"""
    errors: list[ReportgenError] = []
    charts = [chart.id for chart in project.config.charts]
    for figure in doc.figures():
        if not figure.src.startswith(CHART_SCHEME):
            continue
        name = figure.src.removeprefix(CHART_SCHEME)
        if name not in charts:
            errors.append(ReportgenError(f"unknown chart '{name}'{did_you_mean(name, charts)}; the charts are listed "
                                         "under `charts:` in reportgen.yml", figure.location))
        elif figure.id and figure.id != name:
            errors.append(ReportgenError(f"figure id '{figure.id}' differs from its chart '{name}' (leave the id out)",
                                         figure.location))
        else:
            figure.id = name
    raise_all(errors)


def attach_chart_sources(project: Project, doc: m.Document) -> None:
    """Each chart's caption ends with a citation of the sources behind its data, and its alt
    text says what it shows, from the data."""
    from reportgen.charts.formats import Formats
    from reportgen.charts.registry import kind_of

    errors: list[ReportgenError] = []
    figures = {f.id: f for f in doc.figures()}
    for index, chart in enumerate(project.config.charts):
        figure = figures.get(chart.id)
        if figure is None:
            where = project.source.location(("charts", index, "id"))
            errors.append(ReportgenError(f"chart '{chart.id}' is not placed in any section "
                                         f"(add ![Caption](chart:{chart.id}))", where))
            continue
        if chart.id not in project.datasets:
            continue  # its data file failed to load, and said so
        # Pandoc gives an image its caption as alt text: only an alt of the writer's own (Quarto's
        # `fig-alt`) is kept over the description of the data.
        own_alt = figure.alt.strip() if figure.alt.strip() != m.plain_text(figure.caption).strip() else ""
        keys = project.datasets[chart.id].sources(chart.source)
        cite = m.Cite([m.CiteItem(k) for k in keys], figure.location, source="[" + "; ".join(f"@{k}" for k in keys) + "]")
        figure.caption.extend([m.Text(" "), cite])
        figure.alt = own_alt or kind_of(chart).describe(chart, project.datasets[chart.id], Formats(project.config.language))
    raise_all(errors)


def data_appendix(project: Project, doc: m.Document) -> list[m.Block]:
    """A closing section listing each chart's values, each with a note citing its row's source."""
    from reportgen.charts.formats import Formats
    from reportgen.charts.registry import kind_of

    formats = Formats(project.config.language)
    placed = {f.id: f for f in doc.figures()}
    blocks: list[m.Block] = [m.Heading(1, [m.Text("Data appendix")], id="sec-data-appendix", numbered=False)]
    for chart in project.config.charts:
        if chart.id not in project.datasets or chart.id not in placed:
            continue
        where = placed[chart.id].location
        heading: list[m.Inline] = [m.CrossRef(chart.id, where), m.Text(f": {chart.title}" if chart.title else "")]
        items: list[list[m.Block]] = []
        for row, text in kind_of(chart).appendix(chart, project.datasets[chart.id], formats):
            key = str(row.values[chart.source])
            items.append([m.Paragraph([m.Text(text), m.Cite([m.CiteItem(key)], row.location, source=f"[@{key}]")],
                                      row.location)])
        blocks += [m.Paragraph([m.Strong(heading)], where), m.BulletList(items)]
    return blocks


def check_images(project: Project, doc: m.Document) -> None:
    """An image that is not a chart must be a file inside the project: no URLs, no escapes."""
    errors: list[ReportgenError] = []
    charts = {chart.id for chart in project.config.charts}
    for figure in doc.figures():
        if figure.id not in charts and not figure.src.startswith(CHART_SCHEME):
            path = _image_file(project, figure.src, figure.location, errors)
            if path is not None and path.suffix.lower() in (".pdf", ".svg"):  # Word takes a raster
                raster = _raster(project, path, figure.location, errors)
                if raster is not None:  # a PDF has no vector form the PDF output can embed
                    figure.images = {"svg": raster if path.suffix.lower() == ".pdf" else path, "png": raster}
    for inlines in doc.all_inline_lists():
        for node in m.walk_inlines(inlines):
            if isinstance(node, m.Image):
                node.path = _image_file(project, node.src, node.location, errors)
                if node.path is not None and node.path.suffix.lower() == ".pdf":
                    node.path = _raster(project, node.path, node.location, errors)
                node.png = node.path
                if node.path is not None and node.path.suffix.lower() == ".svg":
                    node.png = _raster(project, node.path, node.location, errors)
    raise_all(errors)


def _raster(project: Project, image: Path, where: m.Location, errors: list[ReportgenError]) -> Path | None:
    """A PNG of a PDF image (for both outputs) or of an SVG image (for Word)."""
    draw = raster_of_svg if image.suffix.lower() == ".svg" else raster_of_pdf
    try:
        return draw(image, project.root / STATE_DIR / "cache", where)
    except ReportgenError as exc:
        errors.append(exc)
        return None


def _image_file(project: Project, src: str, where: m.Location, errors: list[ReportgenError]) -> Path | None:
    root = project.root.resolve()
    if urlparse(src).scheme or src.startswith("//"):
        errors.append(ReportgenError(f"image '{src}': remote images are not allowed; save the file into the project",
                                     where))
        return None
    try:
        path = (project.root / src).resolve()
        if not path.is_relative_to(root):
            errors.append(ReportgenError(f"image '{src}' is outside the project", where))
        elif not path.exists():
            errors.append(ReportgenError(f"image '{src}' not found", where))
        else:
            check_image(path, src, where)  # decodes, within bounds (a PDF: pdftoppm's to read)
            return path
    except OSError as exc:  # a name too long for the file system, say
        errors.append(ReportgenError(f"image '{src}': {exc.strerror}", where))
    except ReportgenError as exc:
        errors.append(exc)
    return None
