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
is not written.
"""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from reportgen import __version__
from reportgen.bibliography import Bibliography
from reportgen.errors import ReportgenError
from reportgen.manifest import write_atomic
from reportgen.model import Location

LOCK_NAME = "sources.lock.json"
LOCK_VERSION = 1
USER_AGENT = f"reportgen/{__version__}"
MAX_BODY = 20 * 1024 * 1024  # hash at most this much, so an endless body cannot hang a check
MAX_REDIRECTS = 20
# `timeout` bounds each wait (connect, each read); a source trickling bytes just inside it
# is cut off once it has used this many timeouts in all.
TIME_BUDGET = 3

STATUSES = ("changed", "moved", "dead", "new", "unchanged", "unreachable", "skipped")
FLAGGED = frozenset({"changed", "moved", "dead"})
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
        }
        return json.dumps(data, indent=2, ensure_ascii=False)


def check_sources(
    root: Path,
    bibliography: Bibliography,
    *,
    lock_path: Path | None = None,
    timeout: float = 10.0,
    workers: int = 8,
    client: httpx.Client | None = None,
    now: datetime | None = None,
) -> SourcesReport:
    """Fetch every source's URL, compare it with the lock file and update the lock.

    `now` (naive means UTC) is the time recorded for this check; tests fix it.
    """
    lock_path = lock_path or root / LOCK_NAME
    stamp = _stamp(now)
    previous = read_lock(lock_path, root)  # a broken lock file stops the check before any fetch
    urls, results = _collect(bibliography)
    fetches = _fetch_all(urls, previous, timeout, workers, client)
    records: dict[str, Record] = {}
    for url, keys in urls.items():
        fetch = fetches[url]
        status, detail, record = _assess(fetch, previous.get(url), stamp)
        if record is not None:
            records[url] = {**record, "keys": keys}
        for key in keys:
            results[key] = SourceResult(key, status, url, fetch.final_url, detail, fetch.status, fetch.first_hop)
    report = SourcesReport(dict(sorted(results.items())), lock_path, False, stamp)
    if not report.no_network and (records or lock_path.exists()):
        report.lock_written = write_lock(lock_path, records)
    return report


# --- the bibliography --------------------------------------------------------------------


def _collect(bibliography: Bibliography) -> tuple[dict[str, list[str]], dict[str, SourceResult]]:
    """URLs to fetch (each with its keys, sorted) and the keys skipped for want of one."""
    urls: dict[str, list[str]] = {}
    skipped: dict[str, SourceResult] = {}
    for key, item in sorted(bibliography.items.items()):
        value = item.get("URL")
        url = _http_url(value)
        if url is not None:
            urls.setdefault(url, []).append(key)
        elif value is None or (isinstance(value, str) and not value.strip()):
            skipped[key] = SourceResult(key, "skipped", None, detail="no URL")
        else:
            skipped[key] = SourceResult(key, "skipped", str(value), detail="not an http(s) URL")
    return dict(sorted(urls.items())), skipped


def _http_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    return url if parsed.scheme in ("http", "https") and parsed.host else None


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
    # Kept only when asked (`keep_body`), for the archive: the final response as received.
    body: bytes | None = None
    headers: list[tuple[str, str]] | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.loop and self.status is not None and _ok(self.status)


class _OverBudget(Exception):
    pass


def _fetch_all(urls: Iterable[str], previous: dict[str, Record], timeout: float, workers: int,
               client: httpx.Client | None) -> dict[str, _Fetch]:
    urls = list(urls)
    if not urls:
        return {}
    own = client is None
    client = client or httpx.Client()
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(urls)))) as pool:
            fetched = pool.map(lambda url: _fetch(client, url, previous.get(url), timeout), urls)
            return dict(zip(urls, fetched))
    finally:
        if own:
            client.close()


def _fetch(client: httpx.Client, url: str, previous: Record | None, timeout: float, *, keep_body: bool = False) -> _Fetch:
    """GET `url` conditionally, following redirects hop by hop; never raises for the network.

    With `keep_body`, the final response's body (up to MAX_BODY) and headers are kept."""
    deadline = time.monotonic() + timeout * TIME_BUDGET
    try:
        request = client.build_request("GET", url, headers=_headers(previous), timeout=timeout)
        return _follow(client, request, deadline, keep_body)
    except httpx.TimeoutException:
        return _Fetch(error=f"timed out after {timeout:g} s")
    except _OverBudget:
        return _Fetch(error=f"too slow: no complete answer in {timeout * TIME_BUDGET:g} s")
    except httpx.TransportError as exc:
        return _Fetch(error=_network_error(exc, url))
    except httpx.RequestError as exc:
        return _Fetch(error=f"unusable response: {exc}")


def _headers(previous: Record | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT}
    if previous and previous.get("etag"):
        headers["If-None-Match"] = previous["etag"]
    if previous and previous.get("last_modified"):
        headers["If-Modified-Since"] = previous["last_modified"]
    return headers


def _follow(client: httpx.Client, request: httpx.Request, deadline: float, keep_body: bool = False) -> _Fetch:
    # Hops are followed here rather than with follow_redirects=True because httpx reads each
    # redirect's whole body into memory, which an endless body would never let finish.
    hops: list[int] = []
    while True:
        response = client.send(request, stream=True, follow_redirects=False)
        try:
            if response.next_request is None:
                return _read(response, hops, deadline, keep_body)
            hops.append(response.status_code)
            if len(hops) > MAX_REDIRECTS:
                return _Fetch(status=response.status_code, first_hop=hops[0], final_url=str(response.url), loop=True)
            request = response.next_request
        finally:
            response.close()
        if time.monotonic() > deadline:
            raise _OverBudget


def _read(response: httpx.Response, hops: list[int], deadline: float, keep_body: bool = False) -> _Fetch:
    fetch = _Fetch(
        status=response.status_code,
        first_hop=hops[0] if hops else None,
        final_url=str(response.url),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )
    if response.is_success:
        kept: list[bytes] | None = [] if keep_body else None
        fetch.sha256, fetch.truncated = _hash_body(response, deadline, kept)
        if kept is not None:
            fetch.body, fetch.headers = b"".join(kept), list(response.headers.items())
            fetch.reason = response.reason_phrase
    return fetch


def _hash_body(response: httpx.Response, deadline: float, kept: list[bytes] | None = None) -> tuple[str, bool]:
    """SHA-256 of the (decoded) body, stopping after MAX_BODY bytes; True if cut off. The
    bytes hashed are appended to `kept` when given."""
    digest, size = hashlib.sha256(), 0
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise _OverBudget
        room = MAX_BODY - size
        if len(chunk) > room:
            chunk = chunk[:room]
            digest.update(chunk)
            if kept is not None:
                kept.append(chunk)
            return digest.hexdigest(), True
        digest.update(chunk)
        if kept is not None:
            kept.append(chunk)
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


def read_lock(path: Path, root: Path | None = None) -> dict[str, Record]:
    """The records of a lock file by URL; none when there is no file yet."""
    if not path.exists():
        return {}
    display = path.relative_to(root) if root is not None and path.is_relative_to(root) else path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportgenError(f"unreadable sources lock file: {exc.msg}", Location(display, exc.lineno, exc.colno)) from None
    if not isinstance(data, dict) or data.get("version") != LOCK_VERSION or not isinstance(data.get("sources"), dict):
        raise ReportgenError(f"not a version {LOCK_VERSION} sources lock file (delete it to start afresh)", Location(display))
    return {url: record for url, record in data["sources"].items() if isinstance(record, dict)}


def write_lock(path: Path, records: dict[str, Record]) -> bool:
    """Write the lock file atomically, in a stable form; False if it already said the same."""
    text = json.dumps({"sources": records, "version": LOCK_VERSION}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    write_atomic(path, text)
    return True
