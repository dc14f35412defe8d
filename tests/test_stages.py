"""The stages load -> read -> resolve -> check -> cite, each returning what the next takes,
and the boundary the backends keep: only a `ResolvedDocument`, checked by type and at run time."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from mypy import api as mypy_api

import reportgen.check
import reportgen.citations.cite
from reportgen.citations.cite import cite_document
from reportgen.document import model as m
from reportgen.document.reader import read
from reportgen.document.resolve import resolve
from reportgen.errors import Diagnostics
from reportgen.outputs.docx.writer import write_docx
from reportgen.outputs.pdf.templating import PACKAGE_TEMPLATES
from reportgen.outputs.pdf.writer import render_html, write_pdf
from reportgen.pipeline.build import build
from reportgen.stages import load_project, read_document
from tests.conftest import FILES, write_project
from tests.pdftext import flat, page_texts

REFERENCE = PACKAGE_TEMPLATES / "reference.docx"
Run = Callable[..., tuple[int, str, str]]  # the `run` fixture: the CLI in-process
WHERE = m.Location(Path("content/a.md"), 3, 5)


def _inlines(doc: m.Document | m.ResolvedDocument) -> list[m.Inline]:
    return [n for run in doc.all_inline_lists() for n in m.walk_inlines(run)]


def test_resolve_returns_a_new_numbered_document_and_leaves_the_read_one(project: Path) -> None:
    loaded = load_project(project)
    found = Diagnostics()
    doc = read(loaded, found)
    before = copy.deepcopy(doc)
    resolved = resolve(doc, found)
    assert found.items == [] and doc == before  # untouched: no numbers, no labels, its CrossRefs
    assert [b.number for b in doc.blocks if isinstance(b, m.Heading)] == ["", ""]
    assert sum(isinstance(n, m.CrossRef) for n in _inlines(doc)) == 3
    assert [b.number for b in resolved.blocks if isinstance(b, m.Heading)] == ["1", "2"]
    assert resolved.labels == {"sec-summary": "Section 1", "sec-exodus": "Section 2", "fig-arrivals": "Figure 1",
                               "fig-events": "Figure 2"}
    assert [n.text for n in _inlines(resolved) if isinstance(n, m.Ref)] == ["Section 2", "Figure 1", "Figure 2"]


def test_cite_returns_the_resolved_document_the_backends_take(project: Path) -> None:
    loaded = load_project(project)
    doc = read_document(loaded)
    before = copy.deepcopy(doc)
    cites = [n for n in _inlines(doc) if isinstance(n, m.Cite)]
    assert len(cites) == 10 and doc.labels["fig-arrivals"] == "Figure 1"  # read and resolved, not cited
    resolved = cite_document(loaded, doc)
    assert doc == before  # what `check` reads is left as it was
    assert type(resolved) is m.ResolvedDocument
    assert [n.number for n in resolved.notes] == list(range(1, 11))  # nine citations and the author's note
    assert [e.key for e in resolved.bibliography] == ["depetris2023", "giragosian2023", "mondo2024", "reuters2023",
                                                      "tass2023"]
    assert resolved.bibliography_title == "Bibliography"
    assert resolved.contents_level == 1 and [h.id for h in resolved.contents()] == ["sec-summary", "sec-exodus"]
    calls = [n for n in _inlines(resolved) if isinstance(n, m.NoteRef)]
    assert [c.number for c in calls] == list(range(1, 11))


def test_a_resolved_document_refuses_an_unresolved_inline_naming_where_it_was_written() -> None:
    with pytest.raises(m.UnresolvedInline, match=r"^content/a\.md:3:5: unresolved Cite left in the resolved"):
        m.ResolvedDocument(m.Meta("t"), [m.Paragraph([m.Emph([m.Cite([m.CiteItem("k")], WHERE)])])])
    with pytest.raises(m.UnresolvedInline, match=r"^content/a\.md:3:5: unresolved CrossRef"):
        m.ResolvedDocument(m.Meta("t"), [], notes=[m.Note(1, [m.Text("see "), m.CrossRef("fig-x", WHERE)])])
    with pytest.raises(m.UnresolvedInline, match=r"^content/a\.md:3:5: unresolved FootnoteRef"):
        m.ResolvedDocument(m.Meta("t"), [m.Table([m.FootnoteRef("n", WHERE)], [], [], [], [])])
    resolved = m.ResolvedDocument(m.Meta("t"), [])
    with pytest.raises(dataclasses.FrozenInstanceError):  # no way round the check but a new one
        resolved.blocks = [m.Paragraph([m.CrossRef("fig-x", WHERE)])]  # type: ignore[misc]  # the point
    with pytest.raises(m.UnresolvedInline, match="CrossRef"):
        dataclasses.replace(resolved, blocks=[m.Paragraph([m.CrossRef("fig-x", WHERE)])])


def test_the_backends_refuse_an_unresolved_document_at_run_time(tmp_path: Path) -> None:
    doc = m.Document(m.Meta("t"), [m.Paragraph([m.Cite([m.CiteItem("k")], WHERE)])])
    with pytest.raises(TypeError, match="DOCX backend writes a ResolvedDocument"):
        write_docx(doc, tmp_path / "a.docx", reference_doc=REFERENCE)  # type: ignore[arg-type]  # the point
    with pytest.raises(TypeError, match="PDF backend renders a ResolvedDocument"):
        write_pdf(doc, tmp_path / "a.pdf", project=tmp_path)  # type: ignore[arg-type]  # the point
    assert list(tmp_path.iterdir()) == []


_CALLS = """\
from pathlib import Path

from reportgen.document import model as m
from reportgen.document.reader import read
from reportgen.document.resolve import resolve
from reportgen.errors import Diagnostics
from reportgen.outputs.docx.writer import write_docx
from reportgen.outputs.pdf.html import HtmlRenderer
from reportgen.outputs.pdf.writer import render_html, write_pdf

def calls(doc: {kind}) -> None:
    write_docx(doc, Path("a.docx"), reference_doc=Path("r.docx"))
    write_pdf(doc, Path("a.pdf"), project=Path("."))
    render_html(doc, Path("."))
    HtmlRenderer(doc, Path("."))
"""


@pytest.mark.parametrize("kind", ["m.Document", "m.ResolvedDocument"])
def test_the_type_checker_refuses_an_unresolved_document_at_the_backends(tmp_path: Path, kind: str) -> None:
    (tmp_path / "calls.py").write_text(_CALLS.format(kind=kind))
    out, _, status = mypy_api.run([str(tmp_path / "calls.py"), "--follow-imports=silent", "--no-error-summary",
                                   "--cache-dir", str(tmp_path / "cache")])
    refused = [line.split(": error: ")[1] for line in out.splitlines() if ": error: " in line]
    if kind == "m.ResolvedDocument":
        assert (status, refused) == (0, [])
        return
    assert status == 1
    assert refused == [f'Argument 1 to "{fn}" has incompatible type "Document"; expected "ResolvedDocument"  [arg-type]'
                       for fn in ("write_docx", "write_pdf", "render_html", "HtmlRenderer")]


def test_a_build_checks_the_citations_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No output shows a second pass, so the calls are counted, in a real build."""
    root = write_project(tmp_path / "p", FILES)
    calls: list[int] = []
    check = reportgen.citations.cite.check_citations

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return check(*args, **kwargs)

    monkeypatch.setattr(reportgen.citations.cite, "check_citations", counted)
    monkeypatch.setattr(reportgen.check, "check_citations", counted)
    monkeypatch.setenv("REPORTGEN_JOBS", "1")
    result = build(root, ["docx"], force=True)
    assert result.rebuilt[-1] == "docx" and result.notes == 10
    assert len(calls) == 1


def test_check_and_build_give_the_same_warnings(tmp_path: Path, run: Run) -> None:
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"] + "checks:\n  unknown_citations: warning\n"
    files["content/two.md"] = FILES["content/two.md"] + (
        "\nIn 2024 some 5,000 returned.\n\nSee [the page](javascript:x) [@nokey]. $\\notacommand$\n")
    root = write_project(tmp_path / "p", files)
    status, out, _ = run("check", "--project", str(root))
    assert status == 0
    checked = [line for line in out.splitlines() if ": warning: " in line]
    status, _, err = run("--quiet", "build", "--project", str(root))
    assert status == 0
    built = [line for line in err.splitlines() if ": warning: " in line]
    assert len(checked) == 4 and {w.split(": warning: ")[1].split()[0] for w in checked} == {
        "paragraph", "link", "unknown", "math"}
    assert built == checked


_OWN_HEADING = FILES["content/one.md"].replace("::: {.key-findings}\n", "::: {.key-findings}\n## What we found\n\n")


@pytest.mark.parametrize("heading", [False, True])
def test_both_outputs_title_the_key_findings_box_alike(tmp_path: Path, run: Run, heading: bool) -> None:
    """Resolve decides the box's title once; each output prints that decision."""
    root = write_project(tmp_path / "p", FILES | ({"content/one.md": _OWN_HEADING} if heading else {}))
    box = next(b for b in m.walk_blocks(read_document(load_project(root)).blocks) if isinstance(b, m.Div))
    assert box.key_findings and box.title == ("" if heading else "Key findings")
    assert run("--quiet", "build", "--project", str(root))[0] == 0
    pdf = flat(" ".join(page_texts(root / "build/test-brief.pdf"))).casefold()
    word = [(p.style.name if p.style else "", p.text) for p in docx.Document(str(root / "build/test-brief.docx")).paragraphs]
    assert ("key findings" in pdf) is not heading
    assert (("Key Findings Heading", "Key findings") in word) is not heading
    assert any(text.endswith("What we found") for _, text in word) is heading


def test_the_contents_are_the_writers_top_level_in_both_outputs(tmp_path: Path) -> None:
    """A text of `##` sections: resolve sets the contents' level to 2 once; both outputs list those."""
    files = {name: text.replace("\n# ", "\n## ").replace("# ", "## ", 1) if name.endswith(".md") else text
             for name, text in FILES.items()}
    root = write_project(tmp_path / "p", files)
    doc = read_document(load_project(root))
    assert doc.contents_level == 2
    resolved = m.ResolvedDocument(doc.meta, [b for b in doc.blocks if isinstance(b, m.Heading)],
                                  contents_level=doc.contents_level)
    html = render_html(resolved, root)
    assert html.count('<li class="toc-1"><a href="#sec-') == 2
    write_docx(resolved, tmp_path / "a.docx", reference_doc=REFERENCE)
    body = docx.Document(str(tmp_path / "a.docx")).element.body
    entries = [_text(p) for p in body.iter(qn("w:p")) if p.xpath("w:pPr/w:pStyle[@w:val='TOC1']")]
    numbered = [f"{h.number} {m.plain_text(h.children)}" for h in resolved.contents()]
    assert entries == numbered == ["0.1 Summary", "0.2 The exodus"]
    assert 'TOC \\o "2-2"' in "".join(t.text for t in body.iter(qn("w:instrText")))


def test_the_bibliography_heading_and_its_anchor_are_the_models(tmp_path: Path) -> None:
    resolved = m.ResolvedDocument(m.Meta("t"), [m.Paragraph([m.Link(f"#{m.BIBLIOGRAPHY_ID}", [m.Text("sources")])])],
                                  bibliography=[m.BibEntry("k", [m.Text("K. 2020.")])], bibliography_title="Works")
    html = render_html(resolved, tmp_path)
    assert f'<h1 id="{m.BIBLIOGRAPHY_ID}" data-title="Works">Works</h1>' in html
    assert f'<a href="#{m.BIBLIOGRAPHY_ID}">sources</a>' in html
    write_docx(resolved, tmp_path / "a.docx", reference_doc=REFERENCE)
    body = docx.Document(str(tmp_path / "a.docx")).element.body
    heading = next(p for p in body.iter(qn("w:p")) if p.xpath("w:pPr/w:pStyle[@w:val='Heading1']"))
    assert _text(heading) == "Works"
    bookmark = heading.find(qn("w:bookmarkStart")).get(qn("w:name"))
    anchors = [h.get(qn("w:anchor")) for h in body.iter(qn("w:hyperlink"))]
    assert anchors.count(bookmark) == 2  # the link in the text and the contents' entry


def _text(paragraph: object) -> str:
    return "".join(t.text or "" for t in paragraph.iter(qn("w:t")))  # type: ignore[attr-defined]
