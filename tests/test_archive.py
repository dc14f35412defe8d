"""`reportgen sources archive`, `sources check --archive` and `sources report`, against a real
HTTP server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reportgen.sources.archive import read_warc
from tests.conftest import FILES, write_project

DEPETRIS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Armenia and Russia</title></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/subscribe">Subscribe</a></nav>
<article><h1>Armenia and Russia: It's Complicated</h1>
<p>Russia's share of Armenia's total trade is approximately 26%. Armenia is a landlocked country
and depends on Russia for trade, political support and military assistance.</p>
<p>The Russian peacekeepers, about 1,900 of them, didn't do their job very well, if at all. On
September 19, 2023, Azerbaijan launched its offensive, and within a day the fighting was over.</p>
</article>
<footer>Copyright 2023. All rights reserved.</footer></body></html>
"""

SECTION = """\
# Summary {#sec-summary}

Russia's share of Armenia's trade is "approximately 26%" [@depetris2023].

About 1,900 peacekeepers "didn't do their job very well" [@depetris2023].

The offensive began on 19 September 2023 [@giragosian2023].
"""


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        body = self.server.pages.get(self.path)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            tag = '"' + hashlib.sha256(body).hexdigest()[:12] + '"'
            if self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.send_header("ETag", tag)
                self.end_headers()
                return
            kind, encoding = self.server.kinds.get(self.path, ("text/html; charset=utf-8", ""))
            if encoding == "gzip":
                body = gzip.compress(body)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("ETag", tag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, bytes]
    kinds: dict[str, tuple[str, str]]  # path -> (Content-Type, Content-Encoding)


@pytest.fixture
def server() -> Iterator[tuple[Server, str]]:
    server = Server(("127.0.0.1", 0), Handler)
    server.pages = {"/depetris": DEPETRIS_PAGE.encode()}
    server.kinds = {}
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def project_at(tmp_path: Path, base: str) -> Path:
    refs = FILES["content/refs.yaml"].replace("https://example.org/", base + "/")
    return write_project(tmp_path / "p", FILES | {"content/refs.yaml": refs, "content/one.md": SECTION})


def test_archive_writes_a_warc_record_the_text_and_the_date(tmp_path: Path, server, run) -> None:
    _, base = server
    root = project_at(tmp_path, base)
    status, out, _ = run("sources", "archive", "--project", str(root))
    assert status == 1, "giragosian and mondo answer 404"
    lines = out.splitlines()
    assert lines[0] == "archived  depetris2023    " + base + f"/depetris  (HTTP 200, {len(DEPETRIS_PAGE.encode())} bytes)"
    assert "dead      giragosian2023  " + base + "/giragosian  (HTTP 404, nothing archived)" in lines
    assert lines[-1] == "5 sources: 1 archived, 2 dead, 2 skipped"

    headers, payload = read_warc(root / "sources/archive/depetris2023.warc.gz")
    assert headers["WARC-Type"] == "response"
    assert headers["WARC-Target-URI"] == base + "/depetris"
    assert payload == DEPETRIS_PAGE.encode()
    text = (root / "sources/depetris2023.txt").read_text()
    assert "didn't do their job very well, if at all" in text
    assert "Subscribe" not in text and "All rights reserved" not in text  # the main text only
    meta = json.loads((root / "sources/archive/depetris2023.json").read_text())
    assert meta["fetched_at"] == headers["WARC-Date"]
    assert meta["url"] == base + "/depetris" and meta["text"] == "sources/depetris2023.txt"
    assert not (root / "sources/giragosian2023.txt").exists()

    # Asked again, the page answers 304 and nothing is rewritten.
    before = {p: p.read_bytes() for p in (root / "sources").rglob("*") if p.is_file()}
    status, out, _ = run("sources", "archive", "--project", str(root), "--key", "depetris2023")
    assert out.splitlines()[0].startswith("unchanged  depetris2023")
    assert {p: p.read_bytes() for p in (root / "sources").rglob("*") if p.is_file()} == before


def test_a_text_written_by_hand_is_kept(tmp_path: Path, server, run) -> None:
    _, base = server
    root = project_at(tmp_path, base)
    (root / "sources").mkdir()
    (root / "sources/depetris2023.txt").write_text("My own transcript.")
    run("sources", "archive", "--project", str(root), "--key", "depetris2023")
    assert (root / "sources/depetris2023.txt").read_text() == "My own transcript."
    assert (root / "sources/archive/depetris2023.warc.gz").is_file()


def test_no_network_changes_nothing(tmp_path: Path, run) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = project_at(tmp_path, f"http://127.0.0.1:{port}")  # nothing listens there
    status, out, _ = run("sources", "archive", "--project", str(root), "--timeout", "2")
    assert status == 0
    assert out.strip() == "no network: could not reach any of 3 URLs; sources/ left as it was"
    assert not (root / "sources").exists()


def test_the_archived_text_is_what_check_reads(tmp_path: Path, server, run) -> None:
    _, base = server
    root = project_at(tmp_path, base)
    run("sources", "archive", "--project", str(root))
    status, out, _ = run("check", "--project", str(root))
    assert status == 0
    assert [line for line in out.splitlines() if "content/one.md" in line] == []
    text = root / "sources/depetris2023.txt"
    text.write_text(text.read_text().replace("approximately 26%", "roughly 26%"))
    _, out, _ = run("check", "--project", str(root))
    assert [line.split(": warning: ")[0] for line in out.splitlines() if "content/one.md" in line] == ["content/one.md:3:39"]


def test_a_changed_source_lists_the_sentences_it_no_longer_supports(tmp_path: Path, server, run) -> None:
    site, base = server
    root = project_at(tmp_path, base)
    run("sources", "archive", "--project", str(root))
    run("sources", "check", "--project", str(root))
    changed = DEPETRIS_PAGE.replace("approximately 26%", "about a quarter").replace("about 1,900", "some 2,000")
    site.pages["/depetris"] = changed.encode()
    status, out, _ = run("sources", "check", "--project", str(root), "--archive")
    assert status == 1
    lines = out.splitlines()
    assert "re-archived: archived  depetris2023  " + base + f"/depetris  (HTTP 200, {len(changed)} bytes)" in lines
    lost = [line for line in lines if "no longer" in line]
    assert lost == [
        "content/one.md:3:1: quotation “approximately 26%” no longer in the text of depetris2023",
        "content/one.md:5:1: figure '1,900' no longer in the text of depetris2023",
        "2 sentences no longer match the changed sources' new texts",
    ]
    assert "about a quarter" in (root / "sources/depetris2023.txt").read_text()


def test_report_per_source_as_json(tmp_path: Path, server, run) -> None:
    _, base = server
    root = project_at(tmp_path, base)
    run("sources", "archive", "--project", str(root))
    status, out, _ = run("sources", "report", "--project", str(root), "--format", "json")
    assert status == 0
    data = json.loads(out)
    rows = {row["key"]: row for row in data["sources"]}
    assert set(rows) == {"depetris2023", "giragosian2023", "mondo2024", "tass2023", "reuters2023"}
    depetris = rows["depetris2023"]
    assert set(depetris) == {"key", "url", "text", "archived_at", "sentences", "quotations", "figures", "not_found", "copied"}
    assert depetris["text"] == "sources/depetris2023.txt" and depetris["archived_at"].endswith("Z")
    assert depetris["sentences"] == ["content/one.md:3:1", "content/one.md:5:1"]
    assert depetris["quotations"] == {"verified": 2, "not_found": 0, "unverifiable": 0}
    assert depetris["figures"] == {"found": 1, "not_found": 0, "unverifiable": 0}
    assert rows["giragosian2023"]["text"] is None
    assert rows["giragosian2023"]["figures"] == {"found": 0, "not_found": 0, "unverifiable": 1}
    assert data["totals"]["quotations"] == {"verified": 2, "not_found": 0, "unverifiable": 0}

    status, out, _ = run("sources", "report", "--project", str(root))
    # Two sentences in two.md cite tass2023 and reuters2023, which have no text.
    assert out.splitlines()[-1] == ("5 sources, 1 with a text; 5 cited sentences; quotations: 2 verified, 0 not found, "
                                    "0 unverifiable; figures: 1 found, 0 not found, 2 unverifiable")


def test_without_archive_a_changed_source_points_at_it(tmp_path: Path, server, run) -> None:
    site, base = server
    root = project_at(tmp_path, base)
    run("sources", "archive", "--project", str(root))
    run("sources", "check", "--project", str(root))
    site.pages["/depetris"] = DEPETRIS_PAGE.replace("26%", "27%").encode()
    _, out, _ = run("sources", "check", "--project", str(root))
    assert out.splitlines()[-1] == ("1 changed: `reportgen sources check --archive` re-archives them and lists the "
                                    "sentences their new texts no longer support")
    assert "26%" in (root / "sources/depetris2023.txt").read_text(), "only --archive re-archives"


def test_keys_that_are_not_file_names_and_folders_that_leave_are_refused(tmp_path: Path, server, run) -> None:
    _, base = server
    root = project_at(tmp_path, base)
    refs = root / "content/refs.yaml"
    refs.write_text(refs.read_text() + f"- id: ../../escape\n  type: webpage\n  title: X\n  URL: {base}/depetris\n")
    status, out, _ = run("sources", "archive", "--project", str(root))
    assert "skipped   ../../escape    " + base + "/depetris  (key not usable as a file name)" in out.splitlines()
    assert not (tmp_path / "escape.txt").exists() and not list((tmp_path / "archive").glob("*"))

    shutil.rmtree(root / "sources/archive")
    (root / "sources/archive").symlink_to(tmp_path)
    status, out, err = run("sources", "archive", "--project", str(root))
    assert status == 2 and err.strip() == "sources/archive: error: folder is outside the project (a symlink out?)"


def test_compressed_pages_and_pdfs(tmp_path: Path, server, run) -> None:
    from tests.test_verify import pdf_with_text

    site, base = server
    site.pages["/giragosian"] = DEPETRIS_PAGE.replace("26%", "27%").encode()
    site.kinds["/giragosian"] = ("text/html", "gzip")
    site.pages["/mondo"] = pdf_with_text("The West showed its true face")
    site.kinds["/mondo"] = ("application/pdf", "")
    root = project_at(tmp_path, base)
    status, out, _ = run("sources", "archive", "--project", str(root))
    assert status == 0, out
    _, payload = read_warc(root / "sources/archive/giragosian2023.warc.gz")
    assert payload == site.pages["/giragosian"], "the body as decoded"
    assert "27%" in (root / "sources/giragosian2023.txt").read_text()
    with (root / "sources/archive/giragosian2023.warc.gz").open("rb") as stream:
        from warcio.archiveiterator import ArchiveIterator

        record = next(iter(ArchiveIterator(stream)))
        http = dict(record.http_headers.headers)
    assert "Content-Encoding" not in http and http["Content-Length"] == str(len(payload))
    assert (root / "sources/mondo2024.txt").read_text().strip() == "The West showed its true face"


def test_changed_source_as_json(tmp_path: Path, server, run) -> None:
    site, base = server
    root = project_at(tmp_path, base)
    run("sources", "archive", "--project", str(root))
    run("sources", "check", "--project", str(root))
    site.pages["/depetris"] = DEPETRIS_PAGE.replace("approximately 26%", "about a quarter").encode()
    status, out, _ = run("sources", "check", "--project", str(root), "--archive", "--format", "json")
    assert status == 1
    rechecked = json.loads(out)["rechecked"]
    assert rechecked["no_network"] is False
    assert [r["status"] for r in rechecked["archived"]] == ["archived"]
    assert rechecked["no_longer_matching"] == [{"key": "depetris2023", "location": "content/one.md:3:1",
                                                "kind": "quotation", "text": "approximately 26%"}]
