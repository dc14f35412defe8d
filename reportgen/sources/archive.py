"""`reportgen sources archive`: keep a copy of every cited web page, and its text.

Each bibliography URL is fetched with the sources check's client (`sources._fetch`:
conditional requests, redirects followed hop by hop, capped body, overall deadline). For
each citation key it writes, under `sources/` beside the config:

- `archive/<key>.warc.gz`: the final response as a WARC record (warcio), the page as it was;
- `<key>.txt`: the page's main text (trafilatura for HTML, pypdf for PDF), which the
  quotation and figure checks read;
- `archive/<key>.json`: the URL, the final URL, when it was fetched, HTTP status,
  validators and digests.

The body is stored decoded (as the sources check hashes it), so the record's headers drop
`Content-Encoding` and `Transfer-Encoding` and give the decoded length.

A text written by hand (any `sources/<key>.*` the archive did not write itself) is never
replaced: the WARC is still written, the text left alone. Nothing is written until every
fetch is done, and nothing at all when no source could be reached (no network). A page
that has not changed since it was archived (304) is left as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from reportgen.atomic import write_atomic
from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from reportgen.project.bibliography import Bibliography
from reportgen.sources.check import SourceResult, _collect, _Fetch, _fetch, _stamp
from reportgen.sources.http import ssl_context
from reportgen.sources.texts import (
    ARCHIVE_DIR,
    SUFFIXES,
    archive_meta_path,
    html_text,
    pdf_text,
    read_archive_meta,
    sources_dir,
    usable_key,
)

_DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class Archived:
    key: str
    status: str  # archived | unchanged | dead | unreachable | skipped
    url: str | None
    detail: str = ""


@dataclass
class ArchiveReport:
    results: list[Archived]
    fetched_at: str

    @property
    def no_network(self) -> bool:
        fetched = [r for r in self.results if r.status != "skipped"]
        return bool(fetched) and all(r.status == "unreachable" for r in fetched)

    @property
    def exit_status(self) -> int:
        return 1 if any(r.status == "dead" for r in self.results) else 0

    def lines(self) -> list[str]:
        if not self.results:
            return ["no sources in the bibliography"]
        if self.no_network:
            urls = len({r.url for r in self.results if r.status != "skipped"})
            return [f"no network: could not reach any of {urls} URL{'s' if urls != 1 else ''}; sources/ left as it was"]
        width = max(len(r.status) for r in self.results)
        keys = max(len(r.key) for r in self.results)
        out = [f"{r.status:<{width}}  {r.key:<{keys}}  {r.url or '-'}  ({r.detail})" for r in self.results]
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        n = len(self.results)
        return [*out, f"{n} source{'s' if n != 1 else ''}: " + ", ".join(f"{n} {s}" for s, n in counts.items())]


def archive_sources(root: Path, bibliography: Bibliography, *, keys: list[str] | None = None, timeout: float = 10.0,
                    workers: int = 8, now: datetime | None = None) -> ArchiveReport:
    """Fetch the sources (all, or `keys`) and archive them under `sources/`."""
    stamp = _stamp(now)
    for folder in (sources_dir(root), sources_dir(root) / ARCHIVE_DIR):
        if folder.exists() and not folder.resolve().is_relative_to(root.resolve()):
            raise ReportgenError("folder is outside the project (a symlink out?)", Location(folder.relative_to(root)))
    urls, skipped, _ = _collect(bibliography)  # the sources check warns about invalid URLs
    for url in list(urls):  # a key is a file name here: no separators, no `..`
        for key in [k for k in urls[url] if not usable_key(k)]:
            urls[url].remove(key)
            skipped[key] = SourceResult(key, "skipped", url, detail="key not usable as a file name")
        if not urls[url]:
            del urls[url]
    if keys is not None:
        wanted = set(keys)
        urls = {url: [k for k in ks if k in wanted] for url, ks in urls.items() if wanted.intersection(ks)}
        skipped = {k: r for k, r in skipped.items() if k in wanted}
    fetches = _fetch_all(root, urls, timeout, workers)
    results = [Archived(k, "skipped", r.url, r.detail) for k, r in skipped.items()]
    for url, url_keys in urls.items():
        results.extend(_outcome(key, url, fetches[url], root) for key in url_keys)
    report = ArchiveReport(sorted(results, key=lambda r: r.key), stamp)
    if not report.no_network:
        for url, url_keys in urls.items():
            fetch = fetches[url]
            if fetch.error is None and fetch.ok and fetch.status != 304 and fetch.body is not None:
                for key in url_keys:
                    _write(root, key, url, fetch, stamp)
    return report


def _fetch_all(root: Path, urls: dict[str, list[str]], timeout: float, workers: int) -> dict[str, _Fetch]:
    if not urls:
        return {}
    context = ssl_context()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(urls)))) as pool:
        fetched = pool.map(lambda url: _fetch(url, _validators(root, urls[url]), timeout, context, keep_body=True), urls)
        return dict(zip(urls, fetched))


def _validators(root: Path, keys: list[str]) -> dict[str, Any] | None:
    """The ETag and Last-Modified of the copy on file, if every key's copy is still there."""
    metas = [read_archive_meta(root, key) for key in keys]
    if not all(meta and (root / str(meta.get("warc", ""))).is_file() for meta in metas):
        return None
    return {"etag": metas[0].get("etag"), "last_modified": metas[0].get("last_modified")}


def _outcome(key: str, url: str, fetch: _Fetch, root: Path) -> Archived:
    if fetch.error is not None:
        return Archived(key, "unreachable", url, fetch.error)
    if fetch.refused is not None:  # a private address or a non-http redirect: nothing fetched
        return Archived(key, "unreachable", url, fetch.refused)
    if not fetch.ok:
        return Archived(key, "dead", url, f"HTTP {fetch.status}, nothing archived")
    if fetch.status == 304:
        return Archived(key, "unchanged", url, "not modified (304); the copy on file stands")
    own = _own_text(root, key)
    size = len(fetch.body or b"")
    detail = f"HTTP {fetch.status}, {size:,} bytes"
    if own is not None:
        detail += f"; {own} kept (not written by the archive)"
    return Archived(key, "archived", url, detail)


def _own_text(root: Path, key: str) -> str | None:
    """A text for `key` that someone else wrote (the archive never overwrites it)."""
    meta = read_archive_meta(root, key)
    for suffix in SUFFIXES:
        path = sources_dir(root) / f"{key}{suffix}"
        if not (path.exists() or path.is_symlink()):
            continue
        if suffix == ".txt" and meta.get("text_sha256") and not path.is_symlink() and _sha256(path) == meta["text_sha256"]:
            continue  # ours: an earlier archive's text
        return str(path.relative_to(root))
    return None


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _write(root: Path, key: str, url: str, fetch: _Fetch, stamp: str) -> None:
    folder = sources_dir(root) / ARCHIVE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    warc = folder / f"{key}.warc.gz"
    write_atomic(warc, warc_record(fetch.final_url or url, fetch, stamp))
    meta: dict[str, Any] = {
        "key": key, "url": url, "final_url": fetch.final_url, "fetched_at": stamp, "status": fetch.status,
        "etag": fetch.etag, "last_modified": fetch.last_modified, "sha256": fetch.sha256, "truncated": fetch.truncated,
        "content_type": _header(fetch, "content-type"), "warc": str(warc.relative_to(root)),
    }
    if _own_text(root, key) is None:
        text = page_text(fetch)
        path = sources_dir(root) / f"{key}.txt"
        write_atomic(path, text)
        meta |= {"text": str(path.relative_to(root)), "text_sha256": hashlib.sha256(text.encode()).hexdigest()}
    else:
        meta |= {"text": None, "text_sha256": None}
    write_atomic(archive_meta_path(root, key), json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _header(fetch: _Fetch, name: str) -> str:
    return next((value for key, value in fetch.headers or [] if key.lower() == name), "")


def warc_record(uri: str, fetch: _Fetch, stamp: str) -> bytes:
    """One gzipped WARC/1.1 `response` record of the fetch."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    body = fetch.body or b""
    headers = [(k, v) for k, v in fetch.headers or [] if k.lower() not in _DROPPED_HEADERS]
    headers.append(("Content-Length", str(len(body))))
    http = StatusAndHeaders(f"{fetch.status} {fetch.reason}".strip(), headers, protocol="HTTP/1.1")
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    record = writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http,
                                       warc_headers_dict={"WARC-Date": stamp})
    writer.write_record(record)
    return buffer.getvalue()


def page_text(fetch: _Fetch) -> str:
    """The main text of a fetched page: HTML through trafilatura, PDF through pypdf."""
    body = fetch.body or b""
    kind = _header(fetch, "content-type").split(";")[0].strip().lower()
    if kind == "application/pdf" or body.startswith(b"%PDF-"):
        try:
            return pdf_text(body, Path("(archived PDF)"))
        except ReportgenError:
            return ""
    charset = httpx.Headers(fetch.headers or []).get("content-type", "")
    encoding = httpx.Response(200, headers={"content-type": charset}).charset_encoding or "utf-8"
    text = body.decode(encoding, errors="replace")
    if kind in ("text/html", "application/xhtml+xml") or text.lstrip()[:1] == "<":
        return html_text(text)
    return text


def read_warc(path: Path) -> tuple[dict[str, str], bytes]:
    """The WARC headers and the HTTP payload of an archived record (for tests and tools)."""
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                return dict(record.rec_headers.headers), record.content_stream().read()
    return {}, b""
