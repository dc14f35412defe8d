"""PDF backend: the document model -> HTML (Jinja) -> PDF (WeasyPrint).

WeasyPrint is imported here only, when a PDF is due: it costs ~0.6 s. Its URL fetcher is
replaced by one that serves the project's own files and the packaged fonts, nothing else:
no network, no file outside the project. WeasyPrint only logs a resource it could not load,
and drops it, so the fetcher records each refusal and failure, and `write_pdf` returns them
as warnings naming the template or stylesheet that asked for the resource where it can tell.
"""

from __future__ import annotations

import datetime as dt
import html as html_text
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from markupsafe import Markup

from reportgen import __version__
from reportgen.atomic import atomic_path
from reportgen.document import links
from reportgen.document import model as m
from reportgen.errors import Diagnostic
from reportgen.fonts import faces, font_dirs
from reportgen.outputs.pdf import templating
from reportgen.outputs.pdf.html import HtmlRenderer
from reportgen.outputs.pdf.templating import TemplateFolders

REFUSED = "the PDF renderer loads only files inside the project"
MAX_FETCHED_BYTES = 50 * 2**20  # a stylesheet, font or image the PDF loads


def render_html(doc: m.ResolvedDocument, project: Path, templates: Path = Path("templates")) -> str:
    """The brief as HTML, from the template in the project's `templates` folder or the package's."""
    renderer = HtmlRenderer(doc, project)
    bibliography = [{"key": e.key, "html": renderer.inlines(e.children)} for e in doc.bibliography]
    title = doc.bibliography_title if bibliography else ""
    return _render(doc.meta, doc.contents(), title, TemplateFolders(project, templates), renderer.blocks(doc.blocks),
                   bibliography)


def check_template(doc: m.Document, project: Path, templates: Path, keys: list[str]) -> None:
    """Render the template once with the brief's metadata and contents but no body, so that a
    syntax error, an undefined name, a missing include or a refused attribute is reported by
    `check` (and before a build renders anything) with its file and line."""
    from reportgen.pipeline.limits import stage_timeout, time_limit

    bibliography = [{"key": key, "html": Markup("")} for key in keys]
    folders = TemplateFolders(project, templates)
    contents = [h for h in doc.headings(max_level=doc.contents_level) if h.level == doc.contents_level]
    title = doc.meta.label("bibliography") if bibliography else ""  # not placed yet: every branch is tried
    with time_limit("rendering the template", stage_timeout(), m.Location(folders.shown(folders.file(templating.HTML_TEMPLATE)))):
        _render(doc.meta, contents, title, folders, Markup(""), bibliography)


def _render(meta: m.Meta, contents: list[m.Heading], bibliography_title: str, folders: TemplateFolders, body: Markup,
            bibliography: list[dict[str, Any]]) -> str:
    toc = [{"id": h.id, "number": h.number, "title": m.plain_text(h.children), "level": 1} for h in contents if h.id]
    fonts = [{**vars(face), "url": face.path.as_uri()} for face in faces()]
    context = {"meta": meta, "toc": toc, "body": body, "bibliography": bibliography,
               "bibliography_title": bibliography_title, "fonts": fonts, "version": __version__}
    return templating.render(folders, context)


def write_pdf(doc: m.ResolvedDocument, path: Path, *, project: Path, templates: Path = Path("templates"),
              before_fetch: Callable[[Path], None] | None = None) -> list[Diagnostic]:
    """Render `doc` and replace `path` atomically; return one warning per resource not loaded.

    `templates` is the project's override folder; what it lacks comes from the package.
    `before_fetch(path)` is called before each local file is read: it may wait for the file
    to be ready (a chart still being drawn). What it raises aborts the PDF.
    """
    import weasyprint

    folders = TemplateFolders(project, templates)
    html = break_long_words(render_html(doc, project, templates))
    fetcher = _project_fetcher(weasyprint, [project, *folders.roots, *font_dirs()], before_fetch, folders)
    base = folders.override.as_uri() + "/"
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher).render()
    if fetcher.aborted is not None:  # WeasyPrint logs a failed fetch and renders on without it
        raise fetcher.aborted
    link_warnings = _police_links(document, folders)
    with _source_date(doc.meta.timestamp), atomic_path(path) as tmp:
        document.write_pdf(tmp, pdf_identifier=_identifier(doc))
    return _fetch_warnings(fetcher.failures, fetcher.served, project=project, folders=folders) + link_warnings


def _police_links(document: Any, folders: TemplateFolders) -> list[Diagnostic]:
    """The URL policy (`links.py`) on the laid-out pages: the content's links passed it
    already, so what is dropped here came from a template. Attachments are dropped too: they
    would embed a file in the PDF."""
    anchors = {name for page in document.pages for name in page.anchors}
    refused: dict[str, str] = {}
    for page in document.pages:
        kept = []
        for link in page.links:
            kind, target = link[0], link[1]
            reason = None
            if kind == "internal":
                reason = links.refusal(f"#{target}", anchors)
            elif kind == "external":
                reason = links.refusal(target)
            else:
                reason = f"is a PDF {kind}"
            if reason is None:
                kept.append(link)
            else:
                refused.setdefault(str(target), reason)
        page.links[:] = kept
    where = m.Location(folders.shown(folders.file(templating.HTML_TEMPLATE)))
    return [Diagnostic("warning", f"link '{links.shown(target)}' {reason}; removed from the PDF", where)
            for target, reason in refused.items()]


# A word this long gets a break opportunity (a zero-width space) every BREAK_EVERY characters.
# WeasyPrint's line breaker, with hyphenation on, is worse than quadratic in a word's length:
# measured on the test brief (en-GB), one 2,100-character word added 3 s of CPU and one of
# 6,000 characters did not finish in 60 s; with the spaces, 6,000 characters cost 0.15 s, and
# fifty words of 199 characters (left alone) 0.7 s. URLs, the longest words a brief has, stay
# below 200 characters and keep breaking where WeasyPrint would break them.
LONG_WORD, BREAK_EVERY = 200, 40
_TEXT = re.compile(r"(<(style|script)\b.*?</\2\s*>)|>([^<]+)", re.DOTALL | re.IGNORECASE)
_LONG = re.compile(rf"(?:&[#\w]+;|[^\s<>&]|&){{{LONG_WORD},}}")
_UNIT = re.compile(r"&[#\w]+;|.", re.DOTALL)  # a character, or an entity as one


def break_long_words(html: str) -> str:
    """`html` with break opportunities in overlong words of its text (never in a tag, an
    attribute such as a link's href, a style sheet or an entity)."""
    def text(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1)
        return ">" + _LONG.sub(_breakable, match.group(3))

    return _TEXT.sub(text, html)


def _breakable(match: re.Match[str]) -> str:
    units = _UNIT.findall(match.group())
    return "\u200b".join("".join(units[i : i + BREAK_EVERY]) for i in range(0, len(units), BREAK_EVERY))


@contextmanager
def _source_date(timestamp: str) -> Iterator[None]:
    """SOURCE_DATE_EPOCH set to the document's timestamp while the PDF is written: without
    HarfBuzz's subset library, WeasyPrint subsets fonts with fontTools, which stamps each
    font's `head.modified` with the clock unless that variable is set."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if timestamp:
        moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def _identifier(doc: m.ResolvedDocument) -> bytes:
    # A fixed identifier (instead of a random one) keeps identical inputs byte-identical.
    import hashlib

    return hashlib.md5(f"{doc.meta.title}{doc.meta.date}".encode()).hexdigest().encode()


# -- the sandbox -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Failure:
    """A resource the PDF renderer asked for and did not get."""

    refused: bool  # by the sandbox; otherwise allowed, but the fetch failed
    reason: str


def _project_fetcher(weasyprint: Any, roots: list[Path], before_fetch: Callable[[Path], None] | None = None,
                     folders: TemplateFolders | None = None) -> Any:
    allowed = [root.resolve() for root in roots]

    class ProjectFetcher(weasyprint.URLFetcher):  # type: ignore[misc]  # weasyprint ships no types: its classes are Any
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",))
            # In the order asked for; WeasyPrint may ask for a URL more than once.
            self.failures: dict[str, _Failure] = {}
            self.served: list[str] = []
            self.aborted: Exception | None = None  # raised by `before_fetch`

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("file:"):
                self.failures.setdefault(url, _Failure(True, REFUSED))
                raise ValueError(f"refused to load {url}: only the project's own files are allowed")
            try:
                target = _path(url).resolve()
            except Exception as exc:  # a malformed URL (a NUL byte), a symlink loop
                self.failures.setdefault(url, _Failure(False, _reason(exc)))
                raise
            if not any(target.is_relative_to(root) for root in allowed):
                self.failures.setdefault(url, _Failure(True, REFUSED))
                raise ValueError(f"refused to load {target}: outside the project")
            if folders is not None and not target.exists() and target.is_relative_to(folders.override):
                # The templates folder is an overlay: what the project lacks, the package has.
                packaged = folders.package / target.relative_to(folders.override)
                if packaged.is_file():
                    target, url = packaged, packaged.as_uri()
            if target.exists() and not target.is_file():  # a FIFO would block the read for ever
                self.failures.setdefault(url, _Failure(False, "not a regular file"))
                raise ValueError(f"refused to load {target}: not a regular file")
            if target.is_file() and target.stat().st_size > MAX_FETCHED_BYTES:  # read whole into memory
                self.failures.setdefault(url, _Failure(True, f"larger than {MAX_FETCHED_BYTES // 2**20} MiB"))
                raise ValueError(f"refused to load {target}: too large")
            if before_fetch is not None:
                try:
                    before_fetch(target)
                except Exception as exc:
                    self.aborted = self.aborted or exc
                    raise
            try:
                response = super().fetch(url, headers)
            except Exception as exc:
                self.failures.setdefault(url, _Failure(False, _reason(exc)))
                raise
            self.served.append(url)
            return response

    return ProjectFetcher()


def _reason(exc: Exception) -> str:
    cause = getattr(exc, "reason", exc)  # urllib wraps the OSError in a URLError
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(cause) or type(cause).__name__


# -- warnings --------------------------------------------------------------------------------


_TEMPLATE_SUFFIXES = {".j2", ".jinja", ".jinja2", ".html", ".htm"}
_STYLE_SUFFIXES = {".css", ".svg"}  # files WeasyPrint loads that may ask for more
# A reference as written: an href/src attribute, url(...), or @import "...".
_REFERENCE = re.compile(
    r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))"""
    r"""|\burl\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)"""
    r"""|@import\s+(?:"([^"]*)"|'([^']*)')""",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"/\*.*?\*/|<!--.*?-->", re.DOTALL)
_MAX_SHOWN = 120  # a data: URL can be megabytes long


def _fetch_warnings(failures: dict[str, _Failure], served: list[str], *, project: Path,
                   folders: TemplateFolders) -> list[Diagnostic]:
    """One warning per URL the renderer did not get, located where the referring file is known.

    WeasyPrint tells the fetcher only the URL, so the file that asked for it is found by
    looking for a reference in the templates and in the stylesheets and SVGs it loaded
    that resolves to that URL. A URL built by a template expression is not found: its
    warning names no file rather than a guessed one.
    """
    if not failures:
        return []
    project = project.resolve()
    html_base = folders.override.as_uri() + "/"
    sources = [(p, html_base) for p in folders.files() if p.suffix in _TEMPLATE_SUFFIXES]
    sources += [(_path(url), url) for url in dict.fromkeys(served) if _path(url).suffix in _STYLE_SUFFIXES]
    wanted = {_normal(url) for url in failures}
    found: dict[str, m.Location] = {}
    for path, base in sources:
        for key, line, col in _references(path, base):
            if key in wanted and key not in found:
                found[key] = m.Location(_shown_path(path, project), line, col)
    warnings = []
    for url, failure in failures.items():
        verb = "refused to load" if failure.refused else "could not load"
        message = f"{verb} {_shown_url(url, project)}: {failure.reason}"
        warnings.append(Diagnostic("warning", message, found.get(_normal(url))))
    return sorted(warnings, key=_order)


def _order(warning: Diagnostic) -> tuple[bool, str, int, int]:
    # Located warnings first, in file order as a compiler lists them; the rest as fetched.
    loc = warning.location
    return (False, str(loc.path), loc.line, loc.col) if loc else (True, "", 0, 0)


def _references(path: Path, base: str) -> list[tuple[str, int, int]]:
    """Each reference in `path` resolved against `base`: (normalised URL, line, column)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    # Blank out comments, keeping newlines so that line numbers stay right.
    text = _COMMENT.sub(lambda c: re.sub(r"[^\n]", " ", c.group()), text)
    refs = []
    for match in _REFERENCE.finditer(text):
        written = html_text.unescape(next(g for g in match.groups() if g is not None))
        if not written or "{{" in written or "{%" in written or written.startswith("#"):
            continue  # empty, computed by Jinja, or a link within the document
        try:
            url = urljoin(base, written.strip())
        except ValueError:  # malformed (a bad IPv6 host, say): WeasyPrint cannot have fetched it either
            continue
        line = text.count("\n", 0, match.start()) + 1
        col = match.start() - text.rfind("\n", 0, match.start())
        refs.append((_normal(url), line, col))
    return refs


def _normal(url: str) -> str:
    # WeasyPrint percent-encodes and drops the fragment (and a file URL's query).
    url = url.split("#", 1)[0]
    if url.startswith("file:"):
        url = url.split("?", 1)[0]
    return unquote(url)


def _path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def _shown_path(path: Path, project: Path) -> Path:
    resolved = path.resolve()
    return resolved.relative_to(project) if resolved.is_relative_to(project) else resolved


def _shown_url(url: str, project: Path) -> str:
    """A local file as a path (relative inside the project), anything else as the URL."""
    if url.startswith(("file:///", "file://localhost/")):
        return str(_shown_path(_path(url), project))
    return url if len(url) <= _MAX_SHOWN else url[: _MAX_SHOWN - 1] + "…"
