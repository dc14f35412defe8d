"""PDF backend: the document model -> HTML (Jinja) -> PDF (WeasyPrint).

WeasyPrint is imported here only, when a PDF is due: it costs ~0.6 s. Its URL fetcher is
replaced by one that serves the project's own files and the packaged fonts, nothing else:
no network, no file outside the project.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2

from reportgen import __version__
from reportgen import model as m
from reportgen.fonts import faces, font_dirs
from reportgen.html import HtmlRenderer


def render_html(doc: m.Document, project: Path, templates: Path) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    renderer = HtmlRenderer(doc, project)
    toc = [
        {"id": h.id, "number": h.number, "title": m.plain_text(h.children), "level": h.level}
        for h in doc.headings(max_level=1) if h.id
    ]
    bibliography = [{"key": e.key, "html": renderer.inlines(e.children)} for e in doc.bibliography]
    fonts = [{**vars(face), "url": face.path.as_uri()} for face in faces()]
    return env.get_template("brief.html.j2").render(
        meta=doc.meta, toc=toc, body=renderer.blocks(doc.blocks), bibliography=bibliography,
        fonts=fonts, version=__version__,
    )


def write_pdf(doc: m.Document, path: Path, *, project: Path, templates: Path) -> None:
    """Render `doc` and replace `path` atomically."""
    import weasyprint

    html = render_html(doc, project, templates)
    fetcher = _project_fetcher(weasyprint, [project, templates, *font_dirs()])
    base = templates.resolve().as_uri() + "/"
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher).render()
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        document.write_pdf(tmp, pdf_identifier=_identifier(doc))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _identifier(doc: m.Document) -> bytes:
    # A fixed identifier (instead of a random one) keeps identical inputs byte-identical.
    import hashlib

    return hashlib.md5(f"{doc.meta.title}{doc.meta.date}".encode()).hexdigest().encode()


def _project_fetcher(weasyprint: Any, roots: list[Path]) -> Any:
    allowed = [root.resolve() for root in roots]

    class ProjectFetcher(weasyprint.URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("file:"):
                raise ValueError(f"refused to load {url}: only the project's own files are allowed")
            from urllib.parse import unquote, urlparse

            target = Path(unquote(urlparse(url).path)).resolve()
            if not any(target.is_relative_to(root) for root in allowed):
                raise ValueError(f"refused to load {target}: outside the project")
            return super().fetch(url, headers)

    return ProjectFetcher(allowed_protocols=("file",))
