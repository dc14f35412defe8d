"""`reportgen sources check`: have the cited web pages changed since they were last seen?

Each bibliography entry's `URL` is fetched once (several keys may share one) with the
validators from the lock file, so an unchanged page usually answers 304 without a body.
What was found is kept in `sources.lock.json` beside the project, one record per URL: HTTP
status, first redirect, final URL, ETag, Last-Modified, SHA-256 of the body and
`checked_at`, the time of the check that last changed the record. A check that learns
nothing new leaves its record alone, so the file diffs in git only when a source does.

A failure never erases what was known: a dead source's record keeps the last good hash and
validators, so a later success is compared with them; an unreachable source's record is
left exactly as it was; and when no source could be reached at all (no network) the file
is not written. A lock file that cannot be read (hand-edited, merged badly) is a warning:
the check starts afresh and writes a new one.

The URLs come from content anyone may edit, so `public_http` fetches them: public
addresses only, redirects checked hop by hop, one deadline for each URL.
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from reportgen import __version__
from reportgen.atomic import write_atomic
from reportgen.document.model import Location
from reportgen.errors import ReportgenError
from reportgen.project.bibliography import Bibliography
from reportgen.project.yamlfile import read_text
from reportgen.sources.http import Guard, OverDeadline, Refused, guarded_client, literal_address, own_exception, ssl_context

LOCK_NAME = "sources.lock.json"
LOCK_VERSION = 1
USER_AGENT = f"reportgen/{__version__}"
MAX_BODY = 20 * 1024 * 1024  # hash at most this much, so an endless body cannot hang a check
MAX_REDIRECTS = 20
MAX_LOCK_BYTES = 16 * 2**20  # some 30,000 records

STATUSES = ("changed", "moved", "dead", "refused", "new", "unchanged", "unreachable", "skipped")
# `refused`: the URL, or a redirect, leads to a private address or away from http(s).
FLAGGED = frozenset({"changed", "moved", "dead", "refused"})
PERMANENT = frozenset({301, 308})
_CONTENT = ("etag", "last_modified", "sha256", "truncated")

Record = dict[str, Any]


@dataclass(frozen=True)
class SourceResult:
    """What the check found for one citation key."""

    key: str
    status: str  # one of STATUSES
    url: str | None  # the URL as the bibliography gives it
    final_url: str | None = None  # after redirects
    detail: str = ""
    http_status: int | None = None  # the final response's status
    redirect: int | None = None  # the first hop's status, when the URL redirected


@dataclass
class SourcesReport:
    results: dict[str, SourceResult]  # by citation key, sorted
    lock_path: Path
    lock_written: bool
    checked_at: str
    warnings: list[str] = field(default_factory=list)  # `path:line: warning: …` lines

    @property
    def flagged(self) -> list[str]:
        """Keys whose source changed, moved or died: the ones to review."""
        return [key for key, result in self.results.items() if result.status in FLAGGED]

    @property
    def no_network(self) -> bool:
        """True when there was something to fetch and nothing could be reached."""
        fetched = [r for r in self.results.values() if r.status != "skipped"]
        return bool(fetched) and all(r.status == "unreachable" for r in fetched)

    @property
    def exit_status(self) -> int:
        """1 when a source needs review; unreachable sources are only a warning."""
        return 1 if self.flagged else 0

    def counts(self) -> dict[str, int]:
        found = Counter(r.status for r in self.results.values())
        return {status: found[status] for status in STATUSES if found[status]}

    def summary(self) -> str:
        urls = len({r.url for r in self.results.values() if r.status != "skipped"})
        if self.no_network:
            return f"no network: could not reach any of {_count(urls, 'URL')}; {self.lock_path.name} left as it was"
        counts = ", ".join(f"{n} {status}" for status, n in self.counts().items())
        review = f"{len(self.flagged)} to review" if self.flagged else "nothing to review"
        lock = f"{self.lock_path.name} {'updated' if self.lock_written else 'unchanged'}"
        return f"{_count(len(self.results), 'source')} ({_count(urls, 'URL')}): {counts}; {review}; {lock}"

    def lines(self) -> list[str]:
        """One aligned line per key, then the summary."""
        results = list(self.results.values())
        if not results:
            return ["no sources in the bibliography"]
        status_width = max(len(r.status) for r in results)
        key_width = max(len(r.key) for r in results)
        out = [f"{r.status:<{status_width}}  {r.key:<{key_width}}  {r.url or '-'}  ({r.detail})" for r in results]
        return [*out, self.summary()]

    def to_json(self) -> str:
        data = {
            "checked_at": self.checked_at,
            "counts": self.counts(),
            "exit_status": self.exit_status,
            "flagged": self.flagged,
            "lock": str(self.lock_path),
            "lock_written": self.lock_written,
            "no_network": self.no_network,
            "sources": [asdict(r) for r in self.results.values()],
            "warnings": self.warnings,
        }
        return json.dumps(data, indent=2, ensure_ascii=False)


def check_sources(
    root: Path,
    bibliography: Bibliography,
    *,
    lock_path: Path | None = None,
    timeout: float = 10.0,
    workers: int = 8,
    now: datetime | None = None,
) -> SourcesReport:
    """Fetch every source's URL, compare it with the lock file and update the lock.

    `timeout` bounds each URL's whole fetch. `now` (naive means UTC) is the time recorded
    for this check; tests fix it.
    """
    lock_path = lock_path or root / LOCK_NAME
    stamp = _stamp(now)
    previous, warnings = read_lock(lock_path, root)
    urls, results, url_warnings = _collect(bibliography)
    fetches = _fetch_all(urls, previous, timeout, workers)
    records: dict[str, Record] = {}
    for url, keys in urls.items():
        fetch = fetches[url]
        status, detail, record = _assess(fetch, previous.get(url), stamp)
        if record is not None:
            records[url] = {**record, "keys": keys}
        for key in keys:
            results[key] = SourceResult(key, status, url, fetch.final_url, detail, fetch.status, fetch.first_hop)
    report = SourcesReport(dict(sorted(results.items())), lock_path, False, stamp, warnings + url_warnings)
    if not report.no_network and (records or lock_path.exists()):
        report.lock_written = write_lock(lock_path, records)
    return report


# --- the bibliography --------------------------------------------------------------------


def _collect(bibliography: Bibliography) -> tuple[dict[str, list[str]], dict[str, SourceResult], list[str]]:
    """URLs to fetch (each with its keys, sorted), the keys skipped, and warnings for bad URLs."""
    urls: dict[str, list[str]] = {}
    skipped: dict[str, SourceResult] = {}
    warnings: list[str] = []
    for key, item in sorted(bibliography.items.items()):
        value = item.get("URL")
        if value is None or (isinstance(value, str) and not value.strip()):
            skipped[key] = SourceResult(key, "skipped", None, detail="no URL")
            continue
        url, problem = _http_url(value)
        if url is not None:
            urls.setdefault(url, []).append(key)
            continue
        skipped[key] = SourceResult(key, "skipped", str(value), detail=problem)
        if problem != "not an http(s) URL":  # doi:… and the like are fine, just not fetched
            where = bibliography.locations.get(key)
            warnings.append(f"{where}: warning: source '{key}': {problem}" if where else f"warning: {problem}")
    return dict(sorted(urls.items())), skipped, warnings


def _http_url(value: object) -> tuple[str | None, str]:
    """(the URL to fetch, "") or (None, why it is not fetched)."""
    if not isinstance(value, str):
        return None, "not an http(s) URL"
    url = value.strip()
    try:
        parsed = _parse(url)
    except ValueError as exc:
        return None, f"URL '{url}' is not valid ({exc})"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None, "not an http(s) URL"
    return url, ""


def _parse(url: str, base: httpx.URL | None = None) -> httpx.URL:
    """`url` (relative to `base`) with a host the resolver will take, else ValueError.

    httpx accepts hosts such as `www..example.com` or `xn--a.com` and fails on them only
    when it connects or prints them, with errors of the `idna` codec.
    """
    try:
        parsed = base.join(url) if base is not None else httpx.URL(url)
        host = parsed.host
        if host and literal_address(host) is None:
            host.encode("idna")
        if parsed.port is not None and not 0 < parsed.port < 65536:
            raise ValueError(f"port {parsed.port} is out of range")
    except UnicodeError as exc:  # idna's errors are UnicodeErrors
        raise ValueError(f"host: {exc.__cause__ or exc}") from None
    except httpx.InvalidURL as exc:
        raise ValueError(str(exc)) from None
    return parsed


# --- fetching ----------------------------------------------------------------------------


@dataclass
class _Fetch:
    status: int | None = None  # the final response's status
    first_hop: int | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    truncated: bool = False
    loop: bool = False  # gave up after MAX_REDIRECTS redirects
    error: str | None = None  # why the source could not be reached
    refused: str | None = None  # why a request (or a redirect) was not made
    # Kept only when asked (`keep_body`), for the archive: the final response as received.
    body: bytes | None = None
    headers: list[tuple[str, str]] | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.loop and self.status is not None and _ok(self.status)


class _RefusedRedirect(Exception):
    pass


def _fetch_all(urls: Iterable[str], previous: dict[str, Record], timeout: float, workers: int) -> dict[str, _Fetch]:
    urls = list(urls)
    if not urls:
        return {}
    context = ssl_context()  # loading the CA certificates once, not once per URL
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(urls)))) as pool:
        fetched = pool.map(lambda url: _fetch(url, previous.get(url), timeout, context), urls)
        return dict(zip(urls, fetched))


def _fetch(url: str, previous: Record | None, timeout: float, context: ssl.SSLContext, *,
           keep_body: bool = False) -> _Fetch:
    """GET `url` conditionally, following redirects hop by hop; never raises for the network.

    Each URL has a client of its own, whose guard knows the one address the URL may name
    and the deadline for the whole fetch: connection, redirects, headers and body. With
    `keep_body`, the final response's body (up to MAX_BODY) and headers are kept.
    """
    guard = Guard(own_exception(httpx.URL(url)), time.monotonic() + timeout)
    try:
        with guarded_client(guard, context) as client:
            return _follow(client, url, _headers(previous), timeout, keep_body)
    except (OverDeadline, httpx.TimeoutException):
        return _Fetch(error=f"timed out: no complete answer within {timeout:g} s")
    except Refused as exc:
        return _Fetch(refused=f"refused: {exc}; only public addresses are fetched")
    except _RefusedRedirect as exc:
        return _Fetch(refused=str(exc))
    except httpx.TransportError as exc:
        return _Fetch(error=_network_error(exc, url))
    except httpx.RequestError as exc:
        return _Fetch(error=f"unusable response: {exc}")


def _headers(previous: Record | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT}
    # A validator that is not a valid header value (hand-edited, or from an older version)
    # is not sent: the check then fetches the page whole and records fresh ones.
    if previous and _header_value(previous.get("etag")):
        headers["If-None-Match"] = previous["etag"]
    if previous and _header_value(previous.get("last_modified")):
        headers["If-Modified-Since"] = previous["last_modified"]
    return headers


def _header_value(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isprintable() and 0 < len(value) <= 1000


def _follow(client: httpx.Client, url: str, headers: dict[str, str], timeout: float, keep_body: bool = False) -> _Fetch:
    # Hops are followed here rather than with follow_redirects=True: httpx reads each
    # redirect's whole body into memory, and each hop's target must be checked first.
    hops: list[int] = []
    target = httpx.URL(url)
    while True:
        request = client.build_request("GET", target, headers=headers, timeout=timeout)
        try:
            response = client.send(request, stream=True, follow_redirects=False)
        except Refused as exc:
            if not hops:
                raise
            reason = f"refused redirect ({hops[-1]}) to {target}: {exc}; only public addresses are fetched"
            raise _RefusedRedirect(reason) from None
        with closing(response):
            if not response.has_redirect_location:
                return _read(response, hops, keep_body)
            hops.append(response.status_code)
            if len(hops) > MAX_REDIRECTS:
                return _Fetch(status=response.status_code, first_hop=hops[0], final_url=str(response.url), loop=True)
            target = _redirect_target(response)


def _redirect_target(response: httpx.Response) -> httpx.URL:
    """Where a redirect points; anything but http(s) is refused (a `file:` URL is no network error)."""
    location = response.headers["Location"]
    try:
        target = _parse(location, response.url)
    except ValueError as exc:
        raise _RefusedRedirect(f"refused redirect ({response.status_code}) to '{location}': not a valid URL ({exc})") from None
    if target.scheme not in ("http", "https"):
        raise _RefusedRedirect(f"refused redirect ({response.status_code}) to {location}: only http and https are followed")
    return target


def _read(response: httpx.Response, hops: list[int], keep_body: bool = False) -> _Fetch:
    fetch = _Fetch(
        status=response.status_code,
        first_hop=hops[0] if hops else None,
        final_url=str(response.url),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )
    if response.is_success:
        kept: list[bytes] | None = [] if keep_body else None
        fetch.sha256, fetch.truncated = _hash_body(response, kept)
        if kept is not None:
            fetch.body, fetch.headers = b"".join(kept), list(response.headers.items())
            fetch.reason = response.reason_phrase
    return fetch


def _hash_body(response: httpx.Response, kept: list[bytes] | None = None) -> tuple[str, bool]:
    """SHA-256 of the (decoded) body, stopping after MAX_BODY bytes; True if cut off. The
    bytes hashed are appended to `kept` when given."""
    digest, size = hashlib.sha256(), 0
    for chunk in response.iter_bytes():
        room = MAX_BODY - size
        cut = len(chunk) > room
        chunk = chunk[:room] if cut else chunk
        digest.update(chunk)
        if kept is not None:
            kept.append(chunk)
        if cut:
            return digest.hexdigest(), True
        size += len(chunk)
    return digest.hexdigest(), False


def _network_error(exc: httpx.TransportError, url: str) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"DNS lookup failed for {httpx.URL(url).host}"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    return str(exc) or type(exc).__name__


# --- classifying -------------------------------------------------------------------------


def _assess(fetch: _Fetch, previous: Record | None, stamp: str) -> tuple[str, str, Record | None]:
    """(status, detail, the URL's new lock record or None for no record)."""
    if fetch.error is not None:
        return "unreachable", fetch.error, previous  # says nothing about the source: keep what was known
    if fetch.refused is not None:
        return "refused", fetch.refused, previous
    record = _record(fetch, previous, stamp)
    if not fetch.ok:
        return "dead", _dead_detail(fetch, previous), record
    content = _compare(fetch, previous)
    if fetch.first_hop in PERMANENT:
        detail = f"permanent redirect ({fetch.first_hop}) to {fetch.final_url}"
        return "moved", detail + ("; content changed too" if content == "changed" else ""), record
    notes = [_content_detail(content, fetch, previous)]
    if fetch.first_hop is not None:
        notes.append(f"temporary redirect ({fetch.first_hop}) to {fetch.final_url}")
    if fetch.truncated:
        notes.append(f"body over {MAX_BODY // 2**20} MiB, only the first {MAX_BODY // 2**20} MiB hashed")
    if previous and not _ok(previous.get("status")) and content != "new":
        notes.append(f"back after HTTP {previous.get('status')}")
    return content, "; ".join(notes), record


def _compare(fetch: _Fetch, previous: Record | None) -> str:
    if not previous or not previous.get("sha256"):
        return "new"
    if fetch.status == 304 or fetch.sha256 == previous["sha256"]:
        return "unchanged"
    return "changed"


def _content_detail(content: str, fetch: _Fetch, previous: Record | None) -> str:
    if content == "new":
        if previous:
            return f"first good copy; HTTP {previous.get('status')} since {_day(previous)}"
        return "first check"
    if content == "unchanged":
        return "not modified (304)" if fetch.status == 304 else "same content"
    assert previous is not None
    if _ok(previous.get("status")):
        return f"content hash differs from the one recorded {_day(previous)}"
    return "content hash differs from the last good copy"


def _dead_detail(fetch: _Fetch, previous: Record | None) -> str:
    if fetch.loop:
        text = f"redirect loop (more than {MAX_REDIRECTS} redirects)"
    else:
        status = fetch.status or 0
        text = f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()
        if status >= 500:
            text += ", a server error (may be temporary)"
        elif status in (401, 403, 429):
            text += ", access refused (the site may block automated checks)"
        if fetch.first_hop is not None:
            text += f", after a redirect ({fetch.first_hop}) to {fetch.final_url}"
    if previous and previous.get("status") == fetch.status and not _ok(fetch.status):
        text += f", since {_day(previous)}"
    return text


def _record(fetch: _Fetch, previous: Record | None, stamp: str) -> Record:
    """The URL's lock record; `checked_at` moves only when something else in it changed."""
    previous = previous or {}
    status: int | None
    if fetch.status is not None and _ok(fetch.status) and fetch.status != 304:
        status = fetch.status
        content: Record = {"etag": fetch.etag, "last_modified": fetch.last_modified,
                           "sha256": fetch.sha256, "truncated": fetch.truncated}
    else:
        # 304 confirms the copy on record; a failure must not erase it either.
        content = {name: previous.get(name) for name in _CONTENT}
        content["truncated"] = bool(content["truncated"])
        status = fetch.status
        if fetch.status == 304:
            status = previous.get("status") if _ok(previous.get("status")) else 200
            content["etag"] = fetch.etag or content["etag"]
            content["last_modified"] = fetch.last_modified or content["last_modified"]
    record = {"status": status, "redirect": fetch.first_hop, "final_url": fetch.final_url, **content}
    same = bool(previous) and all(previous.get(name) == value for name, value in record.items())
    record["checked_at"] = previous["checked_at"] if same and "checked_at" in previous else stamp
    return record


def _ok(status: object) -> bool:
    return isinstance(status, int) and (200 <= status < 300 or status == 304)


def _day(record: Record) -> str:
    return str(record.get("checked_at") or "?")[:10]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _stamp(now: datetime | None) -> str:
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the lock file -----------------------------------------------------------------------


def read_lock(path: Path, root: Path | None = None) -> tuple[dict[str, Record], list[str]]:
    """The usable records of a lock file by URL, and warnings for what was not usable.

    No file means no records. A file that is not a version-1 lock file, or a record of the
    wrong shape, is left out with a warning: the check then starts afresh, never stops.
    """
    display = path.relative_to(root) if root is not None and path.is_relative_to(root) else path
    try:
        text = read_text(path, display, limit=MAX_LOCK_BYTES)
    except ReportgenError as exc:
        if exc.message == "file not found":
            return {}, []
        return {}, [_lock_warning(exc.location, exc.message)]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, [_lock_warning(Location(display, exc.lineno, exc.colno), f"unreadable JSON ({exc.msg})")]
    except RecursionError:
        return {}, [_lock_warning(Location(display), "unreadable JSON (nested too deeply)")]
    if not isinstance(data, dict) or data.get("version") != LOCK_VERSION or not isinstance(data.get("sources"), dict):
        return {}, [_lock_warning(Location(display), f"not a version {LOCK_VERSION} sources lock file")]
    records = {url: _clean_record(record) for url, record in data["sources"].items()}
    usable = {url: record for url, record in records.items() if record is not None}
    bad = len(records) - len(usable)
    warnings = [_lock_warning(Location(display), f"{bad} record(s) of the wrong shape left out")] if bad else []
    return usable, warnings


def _lock_warning(where: Location | None, problem: str) -> str:
    return f"{where}: warning: {problem}; starting afresh, {LOCK_NAME} will be rewritten"


# The fields of a record and the types each may have; anything else is not a record.
_FIELDS: dict[str, tuple[type, ...]] = {
    "status": (int, type(None)), "redirect": (int, type(None)), "final_url": (str, type(None)),
    "etag": (str, type(None)), "last_modified": (str, type(None)), "sha256": (str, type(None)),
    "truncated": (bool,), "checked_at": (str,), "keys": (list,),
}


def _clean_record(record: object) -> Record | None:
    if not isinstance(record, dict):
        return None
    if any(name in record and not isinstance(record[name], types) for name, types in _FIELDS.items()):
        return None
    if any(isinstance(record.get(name), bool) for name in ("status", "redirect")):
        return None  # JSON true is an int to isinstance
    return {name: record[name] for name in _FIELDS if name in record}


def write_lock(path: Path, records: dict[str, Record]) -> bool:
    """Write the lock file atomically, in a stable form; False if it already said the same."""
    text = json.dumps({"sources": records, "version": LOCK_VERSION}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    data = text.encode("utf-8")
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass  # unreadable: replaced below
    try:
        write_atomic(path, data)
    except OSError as exc:  # a folder in its place, a read-only checkout ...
        raise ReportgenError(f"cannot write the lock file: {exc.strerror or exc}", Location(Path(path.name))) from None
    return True
