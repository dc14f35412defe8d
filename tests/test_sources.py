"""`check_sources` against a real HTTP server on 127.0.0.1, run twice where history matters."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from reportgen import __version__
from reportgen.errors import ReportgenError
from reportgen.project.bibliography import Bibliography, load_bibliography
from reportgen.sources.check import MAX_BODY, SourcesReport, check_sources

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
        self.redirects: dict[str, str] = {}  # path -> Location, for redirects a test sets up

    def seen(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        site = self.server.site
        site.requests.append((self.path, {name.lower(): value for name, value in self.headers.items()}))
        route = getattr(self, "route_" + self.path.strip("/").replace("-", "_"), None)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: expected
            if self.path in site.redirects:
                return self.bare(302, {"Location": site.redirects[self.path]})
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

    def route_header_drip(self) -> None:
        # One byte of the status line a second: every read is within the read timeout, and
        # the headers never end. Bounded, so the server thread stops on its own.
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 30:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(1)

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
    yield from serve("127.0.0.1")


@pytest.fixture
def other_site() -> Iterator[tuple[Site, str]]:
    """A second server, on another loopback address: what a redirect must not reach."""
    yield from serve("127.0.0.2")


def serve(host: str) -> Iterator[tuple[Site, str]]:
    server = Server((host, 0), Handler)
    server.site = Site()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    server.site.stop = stop
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)  # quick shutdown
    thread.start()
    yield server.site, f"http://{host}:{server.server_address[1]}"
    stop()


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
    report = check_sources(tmp_path, bibliography, timeout=0.5, now=SECOND)

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
    assert report.results["b"].detail == "timed out: no complete answer within 0.3 s"
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
    assert report.results["drip"].detail == "timed out: no complete answer within 0.2 s"
    assert time.monotonic() - start < 1.5  # the deadline is 0.2 s; the rest is slack for a loaded machine


@pytest.mark.parametrize(("content", "warning"), [
    (b'{\n  "sources": {,\n}\n',
     "sources.lock.json:2:15: warning: unreadable JSON (Expecting property name enclosed in double quotes)"),
    (b'{"sources": {}, "version": 1}\xff\xfe', "sources.lock.json: warning: not UTF-8 text (invalid start byte)"),
    (b'["not", "a", "lock"]', "sources.lock.json: warning: not a version 1 sources lock file"),
    (b'{"sources": [], "version": 1}', "sources.lock.json: warning: not a version 1 sources lock file"),
    (b'{"sources": {}, "version": 7}', "sources.lock.json: warning: not a version 1 sources lock file"),
    (b'{"sources": {"URL": {"status": "ok", "checked_at": 5}}, "version": 1}',
     "sources.lock.json: warning: 1 record(s) of the wrong shape left out"),
    (b"[" * 100_000 + b"]" * 100_000, "sources.lock.json: warning: unreadable JSON (nested too deeply)"),
], ids=["broken-json", "not-utf8", "a-list", "sources-a-list", "other-version", "bad-record", "deep"])
def test_an_unusable_lock_file_is_a_warning_and_rewritten(tmp_path: Path, site: tuple[Site, str], bib,
                                                           content: bytes, warning: str) -> None:
    _, base = site
    (tmp_path / "sources.lock.json").write_bytes(content.replace(b"URL", f"{base}/etag".encode()))
    report = check(tmp_path, bib({"a": f"{base}/etag"}))
    assert report.warnings == [f"{warning}; starting afresh, sources.lock.json will be rewritten"]
    assert statuses(report) == {"a": "new"} and report.lock_written
    assert lock(tmp_path)[f"{base}/etag"]["sha256"] == hashlib.sha256(b"etag page").hexdigest()
    assert check(tmp_path, bib({"a": f"{base}/etag"}), now=SECOND).warnings == []


def test_a_non_ascii_etag_in_the_lock_is_not_sent(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    server, base = site
    bibliography = bib({"a": f"{base}/etag", "b": f"{base}/modified"})
    check(tmp_path, bibliography)
    path = tmp_path / "sources.lock.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["sources"][f"{base}/etag"]["etag"] = '"ètag\u2028"'
    data["sources"][f"{base}/modified"]["last_modified"] = "Mi, 21 Okt 2026\r\nX-Injected: 1"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = check(tmp_path, bibliography, now=SECOND)  # every later check crashed here
    assert statuses(report) == {"a": "unchanged", "b": "unchanged"} and report.warnings == []
    assert "if-none-match" not in server.seen("/etag")[-1] and "if-modified-since" not in server.seen("/modified")[-1]
    assert lock(tmp_path)[f"{base}/etag"]["etag"] == etag_of(b"etag page")  # the good validator is back


def test_a_lock_file_that_cannot_be_written_is_a_user_error(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    _, base = site
    (tmp_path / "sources.lock.json").mkdir()
    with pytest.raises(ReportgenError) as caught:
        check(tmp_path, bib({"a": f"{base}/etag"}))
    assert str(caught.value).startswith("sources.lock.json: error: cannot write the lock file: ")


@pytest.mark.parametrize(("url", "detail"), [
    ("http://www..example.com/", "URL 'http://www..example.com/' is not valid (host: label empty or too long)"),
    ("http://xn--a.com/", "URL 'http://xn--a.com/' is not valid (host: Codepoint U+0080 at position 1 of '\\x80' not allowed)"),
    ("http://[::1/", "URL 'http://[::1/' is not valid (Invalid port: ':1')"),
    ("http://example.org:99999/", "URL 'http://example.org:99999/' is not valid (port 99999 is out of range)"),
], ids=["empty-label", "bad-punycode", "bad-ipv6", "bad-port"])
def test_an_invalid_url_is_a_warning_for_its_entry(tmp_path: Path, site: tuple[Site, str], run, url: str, detail: str) -> None:
    from tests.conftest import FILES, write_project

    _, base = site
    refs = FILES["content/refs.yaml"].replace("https://example.org/depetris", url) \
        .replace("https://example.org/giragosian", f"{base}/etag").replace("https://example.org/mondo", f"{base}/plain")
    root = write_project(tmp_path / "p", FILES | {"content/refs.yaml": refs})
    status, out, err = run("sources", "check", "--project", str(root), "--timeout", "2")
    assert status == 0, err
    assert err.splitlines() == [f"content/refs.yaml:2:3: warning: source 'depetris2023': {detail}"]
    assert f"depetris2023    {url}  ({detail})" in out.splitlines()[0]
    assert "2 new" in out.splitlines()[-1]
    status, out, err = run("sources", "check", "--project", str(root), "--timeout", "2", "--format", "json")
    assert status == 0 and json.loads(out)["warnings"] == err.splitlines() == [
        f"content/refs.yaml:2:3: warning: source 'depetris2023': {detail}"]


# -- private targets ------------------------------------------------------------------------


REFUSED = "only public addresses are fetched"


def test_redirects_to_private_targets_are_refused(tmp_path: Path, site: tuple[Site, str],
                                                  other_site: tuple[Site, str], bib) -> None:
    server, base = site
    other, other_base = other_site
    port = base.rsplit(":", 1)[1]
    server.redirects = {
        "/to-other-loopback": f"{other_base}/internal-admin", "/to-metadata": "http://169.254.169.254/latest/meta-data/",
        "/to-localhost": f"http://localhost:{port}/plain", "/to-ipv6-loopback": f"http://[::1]:{port}/plain",
        "/to-mapped": f"http://[::ffff:127.0.0.1]:{port}/plain", "/to-unspecified": f"http://0.0.0.0:{port}/plain",
        "/to-private": "http://10.1.2.3/", "/to-multicast": "http://224.0.0.1/", "/to-shared": "http://100.64.0.1/",
        "/to-file": "file:///etc/passwd", "/to-ftp": "ftp://127.0.0.1/x", "/to-bad-host": "http://www..example.com/",
        "/to-same-host": f"http://127.0.0.1:{port}/plain",
    }
    report = check(tmp_path, bib({path.strip("/"): base + path for path in server.redirects}))
    details = {key: result.detail for key, result in report.results.items()}
    expect = {
        "to-other-loopback": f"refused redirect (302) to {other_base}/internal-admin: 127.0.0.2 is a loopback address",
        "to-metadata": "refused redirect (302) to http://169.254.169.254/latest/meta-data/: "
                       "169.254.169.254 is a link-local address",
        "to-ipv6-loopback": f"refused redirect (302) to http://[::1]:{port}/plain: ::1 is a loopback address",
        "to-mapped": f"refused redirect (302) to http://[::ffff:127.0.0.1]:{port}/plain: ::ffff:7f00:1 is a loopback address",
        "to-unspecified": f"refused redirect (302) to http://0.0.0.0:{port}/plain: 0.0.0.0 is an unspecified address",
        "to-private": "refused redirect (302) to http://10.1.2.3/: 10.1.2.3 is a private address",
        "to-multicast": "refused redirect (302) to http://224.0.0.1/: 224.0.0.1 is a multicast address",
        "to-shared": "refused redirect (302) to http://100.64.0.1/: 100.64.0.1 is not a public address",
    }
    for key, text in expect.items():
        assert details[key] == f"{text}; {REFUSED}", key
    # A resolver may list ::1 first for localhost.
    assert re.fullmatch(rf"refused redirect \(302\) to http://localhost:{port}/plain: localhost resolves to "
                        rf"(127\.0\.0\.1|::1), a loopback address; {REFUSED}", details["to-localhost"]), details
    assert details["to-file"] == "refused redirect (302) to file:///etc/passwd: only http and https are followed"
    assert details["to-ftp"] == "refused redirect (302) to ftp://127.0.0.1/x: only http and https are followed"
    assert details["to-bad-host"] == ("refused redirect (302) to 'http://www..example.com/': "
                                      "not a valid URL (host: label empty or too long)")
    assert statuses(report) == {key: "refused" for key in details} | {"to-same-host": "new"}
    assert report.flagged == sorted(set(details) - {"to-same-host"}) and report.exit_status == 1
    assert not report.no_network
    assert other.requests == [], "the other loopback server must see no request"
    assert [p for p, _ in server.requests if p == "/plain"] == ["/plain"], "only the same-host redirect was followed"
    assert sorted(lock(tmp_path)) == [f"{base}/to-same-host"]  # a refusal says nothing about the page


def test_a_url_naming_a_host_that_resolves_privately_is_refused(tmp_path: Path, site: tuple[Site, str], bib) -> None:
    server, base = site
    port = base.rsplit(":", 1)[1]
    report = check(tmp_path, bib({"named": f"http://localhost:{port}/plain", "literal": f"{base}/plain"}))
    assert statuses(report) == {"literal": "new", "named": "refused"}
    assert re.fullmatch(rf"refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address; {REFUSED}",
                        report.results["named"].detail), report.results["named"].detail
    assert len(server.seen("/plain")) == 1


def test_the_address_rule() -> None:
    from ipaddress import ip_address

    from reportgen.sources.http import Guard, Refused, address_problem

    assert address_problem(ip_address("93.184.215.14")) is None
    assert address_problem(ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c")) is None
    for private in ("127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "fe80::1", "fc00::1",
                    "::1", "::", "0.0.0.0", "224.0.0.1", "ff02::1", "240.0.0.1", "255.255.255.255", "100.64.0.1",
                    "192.0.2.1", "::ffff:10.0.0.1"):
        assert address_problem(ip_address(private)), private
    guard = Guard(ip_address("127.0.0.1"), time.monotonic() + 5)
    assert guard.addresses("127.0.0.1", 80) == ["127.0.0.1"]  # the URL's own address, any port
    with pytest.raises(Refused):
        guard.addresses("127.0.0.2", 80)
    with pytest.raises(Refused):
        guard.addresses("localhost", 80)  # a name never gets the exception, even to the same address
    assert Guard(None, time.monotonic() + 5).addresses("93.184.215.14", 80) == ["93.184.215.14"]


def test_a_header_sent_byte_by_byte_ends_at_the_timeout(tmp_path: Path, site: tuple[Site, str], run) -> None:
    from tests.conftest import FILES, write_project

    _, base = site
    refs = FILES["content/refs.yaml"].replace("https://example.org/depetris", f"{base}/header-drip") \
        .replace("https://example.org/giragosian", f"{base}/etag").replace("https://example.org/mondo", f"{base}/plain")
    root = write_project(tmp_path / "p", FILES | {"content/refs.yaml": refs})
    start = time.monotonic()
    status, out, err = run("sources", "check", "--project", str(root), "--timeout", "2")
    took = time.monotonic() - start
    assert status == 0, err
    assert f"unreachable  depetris2023    {base}/header-drip  (timed out: no complete answer within 2 s)" in out.splitlines()
    assert 1.9 < took < 3.5, took


def test_the_cli_reports_flags_and_records_in_the_history(tmp_path: Path, site: tuple[Site, str], run) -> None:
    from reportgen.pipeline.history import read as read_history
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


def test_a_resolver_that_does_not_answer_ends_at_the_timeout(tmp_path: Path, bib, monkeypatch: pytest.MonkeyPatch) -> None:
    # No resolver here can be made slow, so getaddrinfo stands in for one that never answers
    # (the system resolver's own timeouts add up to half a minute and more).
    import socket as sockets

    real = sockets.getaddrinfo

    def silent(host: str, *args: object, **kwargs: object) -> object:
        if host == "slow.example":
            time.sleep(5)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(sockets, "getaddrinfo", silent)
    start = time.monotonic()
    report = check(tmp_path, bib({"slow": "http://slow.example/"}), timeout=0.5)
    assert time.monotonic() - start < 1.5
    assert report.results["slow"].detail == "timed out: no complete answer within 0.5 s"


def test_proxies_from_the_environment_are_not_used(tmp_path: Path, site: tuple[Site, str], bib, closed_port: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy would make the connection itself, to addresses the check could not see.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{closed_port}")
    _, base = site
    report = check(tmp_path, bib({"a": f"{base}/plain"}))
    assert statuses(report) == {"a": "new"}, report.results["a"].detail


@pytest.fixture
def tls_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a certificate of its own: (base URL, the certificate)."""
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server = Server(("127.0.0.1", 0), Handler)
    server.site = Site()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_https_goes_through_the_guarded_connection(tmp_path: Path, tls_site: tuple[str, Path], bib,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    base, cert = tls_site
    bibliography = bib({"tls": f"{base}/plain"})
    report = check(tmp_path, bibliography, timeout=3)
    assert statuses(report) == {"tls": "unreachable"} and "CERTIFICATE_VERIFY_FAILED" in report.results["tls"].detail
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted now: the handshake and the page come through
    report = check(tmp_path, bibliography, timeout=3)
    assert statuses(report) == {"tls": "new"}, report.results["tls"].detail
    assert lock(tmp_path)[f"{base}/plain"]["sha256"] == hashlib.sha256(b"plain page").hexdigest()
