"""`check_sources` against a real HTTP server on 127.0.0.1, run twice where history matters."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from reportgen import __version__
from reportgen.bibliography import Bibliography, load_bibliography
from reportgen.errors import ReportgenError
from reportgen.sources import MAX_BODY, SourcesReport, check_sources

FIRST = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SECOND = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LAST_MODIFIED = "Wed, 21 Oct 2026 07:28:00 GMT"
CHUNK = b"0123456789abcdef" * 4096  # 64 KiB


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:12] + '"'


class Site:
    """What the server answers; tests change it between runs."""

    def __init__(self) -> None:
        self.bodies = {"/etag": b"etag page", "/modified": b"dated page", "/changing": b"first text",
                       "/plain": b"plain page", "/new-home": b"the page, moved", "/toggle": b"sometimes there"}
        self.toggle_status = 200
        self.toggle_delay = 0.0
        self.stop: Callable[[], None] = lambda: None
        self.requests: list[tuple[str, dict[str, str]]] = []

    def seen(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        site = self.server.site
        site.requests.append((self.path, {name.lower(): value for name, value in self.headers.items()}))
        route = getattr(self, "route_" + self.path.strip("/").replace("-", "_"), None)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: expected
            route() if route else self.page(self.path)

    def page(self, path: str, headers: dict[str, str] | None = None) -> None:
        body = self.server.site.bodies.get(path)
        if body is None:
            return self.bare(404)
        self.send_response(200)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def bare(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_etag(self) -> None:
        tag = etag_of(self.server.site.bodies["/etag"])
        if self.headers.get("If-None-Match") == tag:
            return self.bare(304, {"ETag": tag})
        self.page("/etag", {"ETag": tag})

    def route_modified(self) -> None:
        if self.headers.get("If-Modified-Since") == LAST_MODIFIED:
            return self.bare(304)
        self.page("/modified", {"Last-Modified": LAST_MODIFIED})

    def route_toggle(self) -> None:
        time.sleep(self.server.site.toggle_delay)
        status = self.server.site.toggle_status
        self.page("/toggle") if status == 200 else self.bare(status)

    def route_permanent(self) -> None:
        self.bare(301, {"Location": "/new-home"})

    def route_temporary(self) -> None:
        self.bare(302, {"Location": "/plain"})

    def route_loop(self) -> None:
        self.bare(302, {"Location": "/loop"})

    def route_gone(self) -> None:
        self.bare(410)

    def route_broken(self) -> None:
        self.bare(500)

    def route_slow(self) -> None:
        time.sleep(1.5)
        self.page("/plain")

    def route_drip(self) -> None:
        # Each byte comes well within the read timeout; the whole never comes.
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        for _ in range(100):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.05)

    def route_huge(self) -> None:
        self.send_response(200)  # no length: an HTTP/1.0 body runs until the connection closes
        self.end_headers()
        while True:
            self.wfile.write(CHUNK)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # socketserver's 5 drops connections when all workers dial at once
    site: Site


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    """The server's state and its base URL."""
    server = Server(("127.0.0.1", 0), Handler)
    server.site = Site()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    server.site.stop = stop
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)  # quick shutdown
    thread.start()
    yield server.site, f"http://127.0.0.1:{server.server_address[1]}"
    stop()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; a proxy would stand between the check and the test server.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def bib(tmp_path: Path) -> Callable[[dict[str, str | None]], Bibliography]:
    """A CSL-YAML bibliography with the given key -> URL entries, loaded the normal way."""

    def write(urls: dict[str, str | None]) -> Bibliography:
        items = [{"id": key, "type": "webpage", "title": key, **({"URL": url} if url else {})} for key, url in urls.items()]
        path = tmp_path / "refs.yaml"
        path.write_text(yaml.safe_dump({"references": items}), encoding="utf-8")
        return load_bibliography(path)

    return write


def check(root: Path, bibliography: Bibliography, now: datetime = FIRST, timeout: float = 0.5) -> SourcesReport:
    return check_sources(root, bibliography, timeout=timeout, now=now)


def lock(root: Path) -> dict:
    return json.loads((root / "sources.lock.json").read_text(encoding="utf-8"))["sources"]


def statuses(report: SourcesReport) -> dict[str, str]:
    return {key: result.status for key, result in report.results.items()}


def test_first_check_classifies_and_records(tmp_path: Path, site: tuple[Site, str], closed_port: int, bib) -> None:
    server, base = site
    report = check(tmp_path, bib({
        "etag": f"{base}/etag", "etag-again": f"{base}/etag", "plain": f"{base}/plain",
        "moved": f"{base}/permanent", "detour": f"{base}/temporary", "missing": f"{base}/missing",
        "gone": f"{base}/gone", "broken": f"{base}/broken", "looping": f"{base}/loop",
        "refused": f"http://127.0.0.1:{closed_port}/", "book": None, "doi": "doi:10.1000/182",
    }))

    assert statuses(report) == {
        "book": "skipped", "broken": "dead", "detour": "new", "doi": "skipped", "etag": "new", "etag-again": "new",
        "gone": "dead", "looping": "dead", "missing": "dead", "moved": "moved", "plain": "new",
        "refused": "unreachable",
    }
    assert list(report.results) == sorted(report.results)
    assert report.flagged == ["broken", "gone", "looping", "missing", "moved"]
    assert report.exit_status == 1 and not report.no_network and report.lock_written

    results = report.results
    assert (results["moved"].redirect, results["moved"].final_url) == (301, f"{base}/new-home")
    assert "permanent redirect (301)" in results["moved"].detail
    assert (results["detour"].redirect, results["detour"].http_status) == (302, 200)
    assert f"temporary redirect (302) to {base}/plain" in results["detour"].detail
    assert results["missing"].detail == "HTTP 404 Not Found"
    assert results["gone"].detail == "HTTP 410 Gone"
    assert results["broken"].detail.startswith("HTTP 500 Internal Server Error, a server error")
    assert results["looping"].detail.startswith("redirect loop")
    assert results["refused"].detail == "connection refused"
    assert (results["book"].detail, results["doi"].detail) == ("no URL", "not an http(s) URL")

    assert len(server.seen("/etag")) == 1  # two keys, one fetch
    assert all(h["user-agent"] == f"reportgen/{__version__}" for _, h in server.requests)

    records = lock(tmp_path)
    assert sorted(records) == sorted({r.url for r in results.values() if r.status not in ("skipped", "unreachable")})
    assert records[f"{base}/etag"] == {
        "checked_at": "2026-11-01T09:00:00Z", "etag": etag_of(b"etag page"), "final_url": f"{base}/etag",
        "keys": ["etag", "etag-again"], "last_modified": None, "redirect": None,
        "sha256": hashlib.sha256(b"etag page").hexdigest(), "status": 200, "truncated": False,
    }
    assert records[f"{base}/permanent"]["sha256"] == hashlib.sha256(b"the page, moved").hexdigest()
    assert records[f"{base}/missing"]["status"] == 404 and records[f"{base}/missing"]["sha256"] is None


def test_second_check_is_conditional_and_finds_changes(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    server, base = site
    bibliography = bib({"tagged": f"{base}/etag", "dated": f"{base}/modified",
                        "kazinform2023": f"{base}/changing", "plain": f"{base}/plain"})
    check(tmp_path, bibliography)
    server.bodies["/changing"] = b"second text"
    with httpx.Client() as client:  # a caller's client is used as is and left open
        report = check_sources(tmp_path, bibliography, timeout=0.5, client=client, now=SECOND)
        assert not client.is_closed

    assert statuses(report) == {"dated": "unchanged", "kazinform2023": "changed", "plain": "unchanged", "tagged": "unchanged"}
    assert report.flagged == ["kazinform2023"] and report.exit_status == 1
    first, second = server.seen("/etag")
    assert "if-none-match" not in first and second["if-none-match"] == etag_of(b"etag page")
    assert second["user-agent"] == f"reportgen/{__version__}"
    assert server.seen("/modified")[1]["if-modified-since"] == LAST_MODIFIED
    assert report.results["tagged"].detail == "not modified (304)"
    assert report.results["plain"].detail == "same content"

    lines = report.lines()
    assert f"changed    kazinform2023  {base}/changing  (content hash differs from the one recorded 2026-11-01)" in lines
    assert lines[-1] == "4 sources (4 URLs): 1 changed, 3 unchanged; 1 to review; sources.lock.json updated"
    assert json.loads(report.to_json())["flagged"] == ["kazinform2023"]

    records = lock(tmp_path)
    assert records[f"{base}/changing"]["checked_at"] == "2026-11-22T09:00:00Z"
    assert records[f"{base}/changing"]["sha256"] == hashlib.sha256(b"second text").hexdigest()
    assert records[f"{base}/etag"]["checked_at"] == "2026-11-01T09:00:00Z"  # only changed records move


def test_checks_that_find_nothing_new_leave_the_lock_byte_identical(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    _, base = site
    bibliography = bib({"a": f"{base}/etag", "b": f"{base}/modified", "c": f"{base}/permanent", "d": f"{base}/missing"})
    check(tmp_path, bibliography)
    before = (tmp_path / "sources.lock.json").read_bytes()
    report = check(tmp_path, bibliography, now=SECOND)
    assert not report.lock_written
    assert (tmp_path / "sources.lock.json").read_bytes() == before
    assert before.endswith(b"}\n") and b'\n  "sources": {\n' in before
    assert report.results["d"].detail == "HTTP 404 Not Found, since 2026-11-01"


def test_a_dead_source_keeps_its_last_good_copy(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    server, base = site
    bibliography = bib({"flaky": f"{base}/toggle"})
    check(tmp_path, bibliography)
    good = lock(tmp_path)[f"{base}/toggle"]

    server.toggle_status = 404
    report = check(tmp_path, bibliography, now=SECOND)
    assert statuses(report) == {"flaky": "dead"} and report.flagged == ["flaky"]
    dead = lock(tmp_path)[f"{base}/toggle"]
    assert (dead["status"], dead["sha256"], dead["checked_at"]) == (404, good["sha256"], "2026-11-22T09:00:00Z")

    server.toggle_status = 200
    report = check(tmp_path, bibliography, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert statuses(report) == {"flaky": "unchanged"}  # compared with the copy from before the outage
    assert report.results["flaky"].detail == "same content; back after HTTP 404"
    assert report.exit_status == 0


def test_unreachable_sources_keep_their_records(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    server, base = site
    bibliography = bib({"a": f"{base}/etag", "b": f"{base}/toggle", "c": f"{base}/slow"})
    check(tmp_path, bibliography, timeout=0.3)
    before = (tmp_path / "sources.lock.json").read_bytes()
    server.toggle_delay = 1.0
    report = check_sources(tmp_path, bibliography, timeout=0.3, now=SECOND)
    assert statuses(report) == {"a": "unchanged", "b": "unreachable", "c": "unreachable"}
    assert report.results["b"].detail == "timed out after 0.3 s"
    assert report.exit_status == 0 and not report.no_network
    assert (tmp_path / "sources.lock.json").read_bytes() == before  # b's record as it was; c never had one
    assert f"{base}/slow" not in lock(tmp_path)


def test_no_network_says_so_and_keeps_the_lock(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    server, base = site
    urls = {"a": f"{base}/etag", "b": f"{base}/plain", "c": "http://nonexistent.invalid/", "d": None}
    check(tmp_path, bib(urls))
    before = (tmp_path / "sources.lock.json").read_bytes()
    server.stop()

    report = check(tmp_path, bib(urls), now=SECOND)
    assert statuses(report) == {"a": "unreachable", "b": "unreachable", "c": "unreachable", "d": "skipped"}
    assert report.no_network and report.exit_status == 0 and not report.lock_written
    assert report.results["a"].detail == "connection refused"
    assert report.results["c"].detail == "DNS lookup failed for nonexistent.invalid"
    assert report.lines()[-1] == "no network: could not reach any of 3 URLs; sources.lock.json left as it was"
    assert (tmp_path / "sources.lock.json").read_bytes() == before


def test_an_endless_body_is_cut_off(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    _, base = site
    report = check_sources(tmp_path, bib({"huge": f"{base}/huge"}), timeout=2, now=FIRST)
    assert statuses(report) == {"huge": "new"}
    assert "body over 20 MiB, only the first 20 MiB hashed" in report.results["huge"].detail
    record = lock(tmp_path)[f"{base}/huge"]
    assert record["truncated"] is True
    assert record["sha256"] == hashlib.sha256(CHUNK * (MAX_BODY // len(CHUNK))).hexdigest()


def test_a_trickling_body_is_cut_off(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    _, base = site
    start = time.monotonic()
    report = check_sources(tmp_path, bib({"drip": f"{base}/drip"}), timeout=0.2, now=FIRST)
    assert statuses(report) == {"drip": "unreachable"}
    assert report.results["drip"].detail == "too slow: no complete answer in 0.6 s"
    assert time.monotonic() - start < 1.5


def test_a_broken_lock_file_is_a_located_error(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    _, base = site
    (tmp_path / "sources.lock.json").write_text('{\n  "sources": {,\n}\n', encoding="utf-8")
    with pytest.raises(ReportgenError) as caught:
        check(tmp_path, bib({"a": f"{base}/etag"}))
    assert str(caught.value).startswith("sources.lock.json:2:")
    assert site[0].requests == []  # nothing fetched before the lock file was read


def test_the_cli_reports_flags_and_records_in_the_history(tmp_path: Path, site: tuple[Site, str], run) -> None:
    from reportgen.history import read as read_history
    from tests.conftest import FILES, write_project

    server, base = site
    refs = FILES["content/refs.yaml"].replace("https://example.org/depetris", f"{base}/changing") \
        .replace("https://example.org/giragosian", f"{base}/etag").replace("https://example.org/mondo", f"{base}/gone")
    root = write_project(tmp_path / "p", FILES | {"content/refs.yaml": refs})
    status, out, _ = run("sources", "check", "--project", str(root), "--timeout", "2")
    assert status == 1, out  # the 410 needs review from the first check on
    assert any(line.startswith("dead") and "mondo2024" in line for line in out.splitlines())
    server.bodies["/changing"] = b"second text"
    status, out, _ = run("--quiet", "build", "--project", str(root), "--format", "docx", "--if-changed", "--check-sources")
    assert status == 0, "a build with sources to review still succeeds"
    assert "2 to review" in out
    assert out.splitlines()[-1].startswith("rebuilt chart:fig-arrivals, chart:fig-events, docx in ")
    assert out.splitlines()[-1].endswith(": no previous build")
    checks = [e for e in read_history(root) if e["kind"] == "sources"]
    assert [e["flagged"] for e in checks] == [["mondo2024"], ["depetris2023", "mondo2024"]]
    assert [h.get("if-none-match") for h in server.seen("/etag")] == [None, etag_of(server.bodies["/etag"])]
