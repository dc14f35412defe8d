"""Hostile content cannot make a build read files outside the project or reach the network.

Real builds, no mocks: content points at /etc/passwd and at an HTTP server this test runs on
127.0.0.1, which records every connection. Nothing from either may reach the outputs, and
the server must see no request at all. A content image that escapes the project or is remote
is a user error naming file and line; a fetch by a template, stylesheet or SVG is refused
with a warning naming the URL and the file that asked for it, and the build goes on.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reportgen.document import model as m
from reportgen.document.reader import parse_text
from reportgen.outputs.pdf.html import HtmlRenderer
from reportgen.outputs.pdf.writer import render_html
from tests.conftest import FILES, override_template, write_project
from tests.pdftext import page_texts

PASSWD = Path("/etc/passwd")
SERVED = "SERVED-BY-THE-TEST-SERVER"  # what the server answers; must never show up


@dataclass
class Server:
    url: str
    connections: list[tuple[str, int]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.record.paths.append(self.path)  # type: ignore[attr-defined]
        body = f'body::before {{ content: "{SERVED}"; }}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _RecordingServer(ThreadingHTTPServer):
    record: Server

    def process_request(self, request: object, client_address: tuple[str, int]) -> None:
        # Every connection counts, even one that never sends a valid request (a TLS hello).
        self.record.connections.append(client_address)
        super().process_request(request, client_address)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = _RecordingServer(("127.0.0.1", 0), _Handler)
    httpd.record = Server(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.record
    finally:
        httpd.shutdown()
        httpd.server_close()


def passwd_marker() -> str:
    return PASSWD.read_text().splitlines()[0][:10]  # "root:x:0:0"


def build(project: Path, run) -> tuple[int, str]:
    status, out, err = run("--quiet", "build", "--project", str(project))
    assert "Traceback" not in out + err, err
    return status, err


def outputs(project: Path) -> tuple[str, bytes]:
    """Everything a reader of the outputs could see: the PDF's text, and the raw bytes of the
    PDF and of every part inside the DOCX."""
    text, raw = "", b""
    for path in sorted((project / "build").glob("*")):
        raw += path.read_bytes()
        if path.suffix == ".pdf":
            text += "\n".join(page_texts(path))
        elif path.suffix == ".docx":
            with zipfile.ZipFile(path) as docx:
                raw += b"".join(docx.read(name) for name in docx.namelist())
    return text, raw


def assert_nothing_leaked(project: Path, server: Server | None = None) -> None:
    text, raw = outputs(project)
    marker = passwd_marker()
    assert marker not in text and marker.encode() not in raw
    assert SERVED not in text and SERVED.encode() not in raw
    if server is not None:
        assert server.connections == [], f"the server was contacted: {server.paths}"


def flat(text: str) -> str:
    """Text with line-end hyphens and all whitespace removed, for finding literal markup."""
    return re.sub(r"\s+", "", re.sub(r"[-\u2010]\n", "", text))


def with_section_end(line: str) -> tuple[dict[str, str], int]:
    """The test project with `line` as the last paragraph of content/two.md, and its line number."""
    files = dict(FILES)
    files["content/two.md"] = FILES["content/two.md"] + "\n" + line + "\n"
    return files, files["content/two.md"].splitlines().index(line) + 1


# -- content images ---------------------------------------------------------------------


def outside_png(tmp_path: Path) -> Path:
    """A valid 1x1 PNG outside the project: an image python-docx would happily embed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
    target = tmp_path / "outside" / "secret.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(png)
    return target


@pytest.mark.parametrize("src", [
    "/etc/passwd",
    "../../../../../../../../etc/passwd",
    "OUTSIDE_ABSOLUTE",
    "../outside/secret.png",
], ids=["absolute-passwd", "relative-passwd", "absolute-png", "relative-png"])
def test_image_outside_the_project_is_refused(tmp_path: Path, run, src: str) -> None:
    secret = outside_png(tmp_path)
    src = str(secret) if src == "OUTSIDE_ABSOLUTE" else src
    files, line = with_section_end(f"![A leak.]({src}){{#fig-leak}}")
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 2, err
    assert re.match(rf"content/two\.md:{line}(:\d+)?: error: image '{re.escape(src)}'.* (outside|escapes) the project",
                    err.splitlines()[0]), err
    assert not (project / "build").exists() or not any((project / "build").iterdir()), "nothing may be written"


def test_image_symlinked_out_of_the_project_is_refused(tmp_path: Path, run) -> None:
    secret = outside_png(tmp_path)
    files, line = with_section_end("![A leak.](figures/link.png){#fig-leak}")
    project = write_project(tmp_path / "proj", files)
    (project / "figures").mkdir(exist_ok=True)
    (project / "figures" / "link.png").symlink_to(secret)
    status, err = build(project, run)
    assert status == 2, err
    assert re.match(rf"content/two\.md:{line}(:\d+)?: error: image 'figures/link\.png'.* (outside|escapes) the project",
                    err.splitlines()[0]), err


def test_image_name_too_long_for_the_file_system_is_a_user_error(tmp_path: Path, run) -> None:
    src = "a" * 300 + ".png"  # over NAME_MAX (255): stat() fails with ENAMETOOLONG
    files, line = with_section_end(f"![Long.]({src}){{#fig-long}}")
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 2, err
    assert re.match(rf"content/two\.md:{line}(:\d+)?: error: image 'a+\.png'", err.splitlines()[0]), err


@pytest.mark.parametrize("scheme", ["http:", "https:", ""], ids=["http", "https", "protocol-relative"])
def test_remote_image_is_refused_without_a_request(tmp_path: Path, run, server: Server, scheme: str) -> None:
    src = f"{scheme}{server.url.removeprefix('http:')}/chart.png"
    files, line = with_section_end(f"![Remote.]({src}){{#fig-remote}}")
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 2, err
    assert re.match(rf"content/two\.md:{line}(:\d+)?: error: image .*remote images are not allowed", err.splitlines()[0]), err
    assert server.connections == []


def test_file_url_image_is_never_read(tmp_path: Path, run) -> None:
    # markdown-it refuses file: links, so this stays literal text; either way nothing is read.
    files, line = with_section_end("![A leak.](file:///etc/passwd){#fig-leak}")
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status in (0, 2), err
    if status == 2:
        assert err.startswith(f"content/two.md:{line}"), err
    assert_nothing_leaked(project)


def test_image_inside_running_text_is_checked_like_a_figure(tmp_path: Path, run, server: Server) -> None:
    files, line = with_section_end(f"See ![the leak](/etc/passwd) and ![the server]({server.url}/x.png) here.")
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 2, err
    assert f"content/two.md:{line}:5: error: image '/etc/passwd' is outside the project" in err, err
    assert re.search(rf"content/two\.md:{line}:\d+: error: image .*remote images are not allowed", err), err
    assert_nothing_leaked(project, server)


# -- the stylesheet ---------------------------------------------------------------------


def test_stylesheet_cannot_fetch_from_the_network_or_outside(project: Path, run, server: Server) -> None:
    css = override_template(project, "brief.css")
    css.write_text(
        f"@import url({server.url}/import.css);\n"
        "@import url(file:///etc/passwd);\n"
        + css.read_text()
        + f"\n.cover {{ background: url({server.url}/background.png); }}\n"
        f"main {{ background: url(/etc/passwd); }}\n"
        f"@font-face {{ font-family: Remote; src: url({server.url}/font.woff); }}\n"
        "p { font-family: Remote, serif; }\n"
    )
    status, err = build(project, run)
    assert status == 0, err
    assert_nothing_leaked(project, server)


REFUSED = "the PDF renderer loads only files inside the project"


def warning_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": warning: " in line]


def test_refused_stylesheet_fetches_are_warnings_naming_each_url(project: Path, run, server: Server) -> None:
    font = f"https:{server.url.removeprefix('http:')}/font.woff2"
    css = override_template(project, "brief.css")
    css.write_text(
        f"@import url({server.url}/import.css);\n"
        + css.read_text()
        + f"\n@font-face {{ font-family: Remote; src: url({font}); }}\n"
        "p { font-family: Remote, serif; }\n"
        "main { background: url(file:///etc/passwd); }\n"
    )
    template = override_template(project, "brief.html.j2")
    link = '<link rel="stylesheet" href="brief.css">'
    template.write_text(template.read_text().replace(link, link + '\n  <link rel="stylesheet" href="file:///etc/passwd">'))
    status, err = build(project, run)
    assert status == 0, err
    assert_nothing_leaked(project, server)
    font_line = next(i for i, line in enumerate(css.read_text().splitlines(), 1) if "font-family: Remote;" in line)
    passwd_line = template.read_text().splitlines().index('  <link rel="stylesheet" href="file:///etc/passwd">') + 1
    # One line per URL, though /etc/passwd is asked for twice; located ones in file order.
    assert warning_lines(err) == [
        f"templates/brief.css:1:9: warning: refused to load {server.url}/import.css: {REFUSED}",
        f"templates/brief.css:{font_line}:40: warning: refused to load {font}: {REFUSED}",
        f"templates/brief.html.j2:{passwd_line}:26: warning: refused to load /etc/passwd: {REFUSED}",
    ], err
    assert err.splitlines() == warning_lines(err), "WeasyPrint's own log lines must not show as well"


def test_missing_stylesheet_in_the_project_is_a_warning(project: Path, run) -> None:
    template = override_template(project, "brief.html.j2")
    link = '<link rel="stylesheet" href="brief.css">'
    template.write_text(template.read_text().replace(link, link + '\n  <link rel="stylesheet" href="theme.css">'))
    line = template.read_text().splitlines().index('  <link rel="stylesheet" href="theme.css">') + 1
    status, err = build(project, run)
    assert status == 0, err
    assert warning_lines(err) == [
        f"templates/brief.html.j2:{line}:26: warning: could not load templates/theme.css: No such file or directory"
    ], err


def test_svg_image_reaching_outside_is_a_warning_naming_the_svg(tmp_path: Path, run, server: Server) -> None:
    files, _ = with_section_end("![A map.](figures/map.svg){#fig-map}")
    files["figures/map.svg"] = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="90" height="90">\n'
        f'  <image xlink:href="{server.url}/tile.png" width="40" height="40"/>\n'
        '  <image href="../../../../../../../../etc/passwd" width="40" height="40"/>\n'
        "</svg>\n"
    )
    project = write_project(tmp_path / "proj", files)
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0, err
    assert_nothing_leaked(project, server)
    assert warning_lines(err) == [
        f"figures/map.svg:2:16: warning: refused to load {server.url}/tile.png: {REFUSED}",
        f"figures/map.svg:3:10: warning: refused to load /etc/passwd: {REFUSED}",
    ], err


# -- attributes ---------------------------------------------------------------------------


def test_style_attributes_do_not_pass_through(tmp_path: Path, run, server: Server) -> None:
    style = f'style="background:url({server.url}/attr.png)"'
    files = dict(FILES)
    files["content/two.md"] = (
        FILES["content/two.md"]
        .replace("# The exodus {#sec-exodus}", f"# The exodus {{#sec-exodus {style}}}")
        .replace("{#fig-arrivals}", f"{{#fig-arrivals {style}}}")
        + f"\n[A span]{{{style}}} and [a link]({server.url}/page){{{style}}}.\n"
    )
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 0, err
    assert_nothing_leaked(project, server)


def test_style_attributes_never_reach_the_html(tmp_path: Path) -> None:
    style = 'style="background:url(http://127.0.0.1:9/a.png)"'
    text = f"# Title {{#sec-t {style}}}\n\n[span]{{{style}}} text\n\n![Caption.](figures/x.svg){{#fig-x {style}}}\n"
    doc = m.ResolvedDocument(meta=m.Meta(title="T"), blocks=parse_text(text, Path("x.md")).blocks)
    html = HtmlRenderer(doc, tmp_path).blocks(doc.blocks)
    assert not re.search(r"<[^>]*\sstyle=", html), html


# -- YAML, templates, raw HTML ----------------------------------------------------------


RUN_CODE = "!!python/object/apply:os.system ['touch {marker}']"


@pytest.mark.parametrize(("name", "old", "new"), [
    ("reportgen.yml", "abstract: A short brief for tests.", f"abstract: {RUN_CODE}"),
    ("content/refs.yaml", "  title: \"Armenia’s Helpless Choice\"", f"  title: {RUN_CODE}"),
    ("content/data/events.yaml", "label: Rome Statute in force", f"label: {RUN_CODE}"),
], ids=["config", "bibliography", "events"])
def test_yaml_python_tags_are_refused(tmp_path: Path, run, name: str, old: str, new: str) -> None:
    marker = tmp_path / "code-ran"
    files = dict(FILES)
    assert old in files[name]
    files[name] = files[name].replace(old, new.format(marker=marker))
    project = write_project(tmp_path / "proj", files)
    line = files[name].splitlines().index(next(x for x in files[name].splitlines() if "python/object" in x)) + 1
    status, err = build(project, run)
    assert status == 2, err
    assert re.match(rf"{re.escape(name)}:{line}:\d+: error: invalid YAML: could not determine a constructor for the tag "
                    r"'tag:yaml\.org,2002:python/object/apply:os\.system'", err.splitlines()[0]), err
    assert not marker.exists(), "the tag must not run code"


HOSTILE_TITLE = 'Brief <script>alert("t")</script></title><h1 class="x">Injected</h1>'


def test_template_escapes_the_metadata(tmp_path: Path) -> None:
    doc = m.ResolvedDocument(meta=m.Meta(title=HOSTILE_TITLE, short_title=HOSTILE_TITLE, subtitle="<b>s</b>"), blocks=[])
    html = render_html(doc, tmp_path)
    assert "<script>" not in html and '<h1 class="x">' not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;/title&gt;" in html


def test_markup_in_the_title_is_printed_as_text(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"].replace('title: "Armenia’s Turn: A Test Brief"', f"title: '{HOSTILE_TITLE}'")
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 0, err
    text = flat(outputs(project)[0])
    assert flat("<script>alert(") in text and flat("</title><h1") in text


def test_raw_html_in_markdown_is_dropped_and_named(tmp_path: Path, run, server: Server) -> None:
    files = dict(FILES)
    files["content/two.md"] = FILES["content/two.md"] + (
        f'\nInline <img src="{server.url}/inline.png"> markup.\n\n'
        "<script>document.write('scripted')</script>\n\n"
        f'<div style="background:url({server.url}/div.png)">\nboxed\n</div>\n'
    )
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 0, err
    assert_nothing_leaked(project, server)
    text = flat(outputs(project)[0])
    assert flat("Inline markup.") in text and flat("boxed") in text
    assert "<img" not in text and "scripted" not in text and "<div" not in text
    lines = FILES["content/two.md"].count("\n")
    assert f"content/two.md:{lines + 2}:8: warning: raw html '<img src=" in err, err
    assert f"content/two.md:{lines + 4}:1: warning: raw html block '<script>" in err, err


# -- size limits ----------------------------------------------------------------------------


def test_oversized_text_file_is_refused_at_once(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/two.md"] = "x" * (2 * 2**20 + 1)
    files["content/data/arrivals.csv"] = FILES["content/data/arrivals.csv"] + "#" * (10 * 2**20)
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 2, err
    assert err.splitlines()[:2] == [
        "content/data/arrivals.csv: error: file is larger than 10 MiB, the limit for a text file",
        "content/two.md: error: file is larger than 2 MiB, the limit for a Markdown section; split it into several",
    ]


def test_oversized_yaml_file_is_refused_at_once(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/refs.yaml"] = FILES["content/refs.yaml"] + "# padding\n" * (2**20 // 10 + 1)
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 2, err
    assert err.splitlines()[0] == "content/refs.yaml: error: file is larger than 1 MiB, the limit for a YAML or JSON file"


LAUGHS = "".join(f"  lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]\n" for i in range(1, 10))


@pytest.mark.parametrize(("yaml", "message"), [
    # Nine levels of nine aliases: a billion values once expanded.
    (f"  note:\n    lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n{LAUGHS.replace('  ', '    ')}",
     "invalid YAML: aliases here expand to over 1,000,000 values"),
    ("  note: &self [*self]\n", "invalid YAML: an alias refers to a value that contains it"),
    ("  note: " + "[" * 3000 + "]" * 3000 + "\n", "invalid YAML: nested too deeply"),
    ("  note:\n" + "    " + "- " * 2000 + "x\n", "invalid YAML: nested too deeply"),
], ids=["billion-laughs", "recursive-alias", "deep-flow-nesting", "deep-block-nesting"])
@pytest.mark.timeout(120)  # unguarded, a bomb runs out of memory or never ends
def test_yaml_bombs_are_refused(tmp_path: Path, run, yaml: str, message: str) -> None:
    files = dict(FILES)
    files["content/refs.yaml"] = FILES["content/refs.yaml"] + yaml
    project = write_project(tmp_path / "proj", files)
    status, err = build(project, run)
    assert status == 2, err
    assert re.match(rf"content/refs\.yaml:\d+:\d+: error: {re.escape(message)}$", err.splitlines()[0]), err


def test_fifo_in_place_of_a_file_is_refused_without_blocking(tmp_path: Path, run) -> None:
    project = write_project(tmp_path / "proj", FILES)
    data = project / "content" / "data" / "arrivals.csv"
    data.unlink()
    os.mkfifo(data)  # opening it for reading would wait for a writer forever
    status, err = build(project, run)
    assert status == 2, err
    assert err.splitlines()[0] == "content/data/arrivals.csv: error: is not a regular file, expected a file"
