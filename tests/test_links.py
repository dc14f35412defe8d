"""One URL policy for every link in both outputs: http, https, mailto, or an #id in the brief.

Hostile links come from every place a link can: the text, an author note, a citation's
prefix, a bibliography title and URL, the template. Each refused one is a warning (with
file and line where known) and is printed as text, in the PDF (no link annotation) and in
the DOCX (no hyperlink relationship).
"""

from __future__ import annotations

import copy
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from reportgen.document import model as m
from reportgen.document.links import apply_link_policy, refusal
from tests.conftest import FILES, override_template, write_project

ALLOWED = {"https://example.org/ok", "mailto:a@example.org"}


def pdf_links(pdf: Path) -> list[str]:
    found = []
    for page in PdfReader(pdf).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None:
                action = action.get_object()
                found.append(str(action.get("/URI") or action.get("/F") or action.get("/D") or action))
    return found


def docx_links(docx: Path) -> list[str]:
    with zipfile.ZipFile(docx) as z:
        rels = [z.read(n).decode() for n in z.namelist() if n.endswith(".rels")]
    return [t for r in rels for t in re.findall(r'<Relationship [^>]*Target="([^"]*)"[^>]*TargetMode="External"', r)]


@pytest.mark.parametrize(("url", "reason"), [
    ("https://example.org/a?b#c", None), ("http://example.org", None), ("mailto:a@example.org", None),
    ("HTTPS://EXAMPLE.ORG", None),
    ("/etc/passwd", "is not a web address (a relative path or host would open a local file)"),
    ("//127.0.0.1/share", "is not a web address (a relative path or host would open a local file)"),
    ("page.html", "is not a web address (a relative path or host would open a local file)"),
    ("javascript:alert(1)", "is a javascript: link"), ("JavaScript:alert(1)", "is a javascript: link"),
    ("java\tscript:alert(1)", "has spaces, control characters or backslashes"),
    ("file:///etc/passwd", "is a file: link"), ("data:text/html,<b>x", "is a data: link"),
    ("https:\\\\evil", "has spaces, control characters or backslashes"),
    ("https://javascript:alert(4)", "is not a valid URL"), ("https://", "has no host"), ("mailto:", "has no address"),
    ("#sec-a", None), ("#nowhere", "links to nothing in the document"),
])
def test_the_policy(url: str, reason: str | None) -> None:
    assert refusal(url, {"sec-a"}) == reason


def test_the_pass_walks_every_inline_of_notes_and_bibliography_and_splices_the_text_in() -> None:
    bad = m.Link("javascript:x", [m.Emph([m.Text("kept")])])
    where = m.Location(Path("content/a.md"), 3)
    doc = m.ResolvedDocument(
        meta=m.Meta(title="T"),
        blocks=[m.Paragraph([m.Text("a "), m.Strong([bad]), m.NoteRef(1)], where)],
        notes=[m.Note(1, [m.Text("see "), m.Link("file:///etc/passwd", [m.Text("f")])])],
        bibliography=[m.BibEntry("k", [m.Link("https://example.org", [m.Text("ok")]), m.Link("/x", [])])],
    )
    before = copy.deepcopy(doc)
    policed, warnings = apply_link_policy(doc, {"k": m.Location(Path("refs.yaml"), 9, 3)})
    assert [str(w).split(" warning: ")[0] + " " + w.message.split("'")[1] for w in warnings] == [
        "content/a.md:3: javascript:x", "content/a.md:3: file:///etc/passwd", "refs.yaml:9:3: /x"]
    assert policed.blocks[0].children[1] == m.Strong([m.Emph([m.Text("kept")])])
    assert policed.notes[0].children == [m.Text("see "), m.Text("f")]
    assert policed.bibliography[0].children == [m.Link("https://example.org", [m.Text("ok")]), m.Text("/x")]
    assert doc == before  # a new document: the one given is left as it was


def test_hostile_links_from_every_source_reach_neither_output(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/two.md"] = FILES["content/two.md"] + (
        "\nLinks [a](/etc/passwd), [b](//127.0.0.1/share), [c](<javascript:alert(1)>), [ok](https://example.org/ok),"
        " [home](#sec-exodus), [gone](#sec-nowhere) and <mailto:a@example.org>.[^n]"
        " As [[p](javascript:alert(5)) @tass2023, [s](file:///etc/group)] says.\n\n"
        "[^n]: A note with [e](<javascript:alert(2)>) and [f](/etc/shadow).\n"
    )
    files["content/refs.yaml"] = (FILES["content/refs.yaml"]
                                  .replace('"Armenia’s Helpless Choice"', '"Armenia’s [Helpless](javascript:alert(3)) Choice"')
                                  .replace("URL: https://example.org/mondo", 'URL: "file:///etc/passwd"'))
    project = write_project(tmp_path / "proj", files)
    html = override_template(project, "brief.html.j2")
    html.write_text(html.read_text().replace("<main>", '<main><a href="javascript:alert(6)">t</a><a href="/etc/hosts">h</a>'))
    status, _out, err = run("--quiet", "build", "--project", str(project))
    assert status == 0, err
    pdf, docx = project / "build" / "test-brief.pdf", project / "build" / "test-brief.docx"
    assert not [u for u in docx_links(docx) if u.startswith("#")], "[home](#sec-exodus) is a bookmark link in Word"
    for found in (pdf_links(pdf), docx_links(docx)):
        external = {u for u in found if ":" in u and not u.startswith("#")}
        assert external <= ALLOWED | {"https://example.org/depetris", "https://example.org/giragosian"}, found
        assert external >= ALLOWED, found
    warned = [line for line in err.splitlines() if ": warning: link '" in line]
    refused = {line.split("link '")[1].split("'")[0] for line in warned}
    # A reader may make no link at all of `<javascript:…>` or of a link in a citation's prefix or
    # suffix (then it is text already); either way, no live link (asserted above).
    maybe = {"javascript:alert(1)", "javascript:alert(5)", "file:///etc/group"}
    assert refused - maybe == {
        "/etc/passwd", "//127.0.0.1/share", "#sec-nowhere", "javascript:alert(2)", "/etc/shadow",
        "javascript:alert(3)", "file:///etc/passwd", "javascript:alert(6)", "file:///etc/hosts"}, err
    assert all(re.match(r"(content/|templates/)\S+: warning: ", line) for line in warned), err
    assert len(warned) == len(set(warned)), "each link once per place"
    assert "content/two.md:11:1: warning: link '/etc/passwd' is not a web address" in err
    assert "content/two.md:11:1: warning: link 'javascript:alert(2)' is a javascript: link" in err
    assert re.search(r"content/refs\.yaml:\d+:3: warning: link 'javascript:alert\(3\)'", err), err
    assert "templates/brief.html.j2: warning: link 'javascript:alert(6)' is a javascript: link; removed from the PDF" in err
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    assert "Links a, b, " in text and ", ok, home, gone and mailto:a@example.org." in text
    assert "Armenia’s Helpless Choice" in text


def test_check_reports_the_texts_links_without_building(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/two.md"] = FILES["content/two.md"] + "\nSee [a](/etc/passwd).\n"
    project = write_project(tmp_path / "proj", files)
    status, out, _ = run("--quiet", "check", "--project", str(project))
    assert status == 0
    assert ("content/two.md:11:1: warning: link '/etc/passwd' is not a web address (a relative path or host would "
            "open a local file); printed as text, without the link") in out
    assert not (project / "build").exists()


@given(st.text(max_size=200))
def test_the_policy_answers_any_string(url: str) -> None:
    reason = refusal(url, {"a"})
    if reason is None:  # what passes is a web or mail address with a host, or a known anchor
        assert url == "#a" or urlsplit(url).scheme.lower() in ("http", "https", "mailto")
